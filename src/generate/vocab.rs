//! Word lists the generator draws from: gene families, chemicals, diseases, journals,
//! organisms and caption templates. Invented or generic; no text from real records.

/// `gene-symbol-prefix/figure-word/members` (0 members = a single gene named by the prefix).
pub(super) const FAMILIES: &str =
    "MAPK/MAPK/14 AKT/AKT/3 WNT/WNT/11 FZD/FZD/10 ADCY/AC/10 PLCB/PLC/4 PRKAR/PKA/2 \
    CDK/CDK/9 IL/IL/18 SLC2A/GLUT/5 SMAD/Smad/9 CASP/caspase/10 HDAC/HDAC/11 TLR/TLR/10 SOX/Sox/10 \
    FOXO/FOXO/4 NOS/NOS/3 COL1A/collagen/2 KRT/keratin/20 TP53/p53/0 EGFR/EGFR/0 MTOR/mTOR/0 \
    BRAF/Raf/0 KRAS/Ras/0 MYC/c-Myc/0 STAT3/STAT3/0 TNF/TNF-α/0 IL6/IL-6/0 INS/insulin/0 \
    VEGFA/VEGF/0 HIF1A/HIF-1α/0 JUN/c-Jun/0 FOS/c-Fos/0 GLS/GLS/0 RUNX2/Runx2/0 PPARG/PPARγ/0 \
    NFKB1/NF-κB/0 IFNG/IFN-γ/0 TGFB1/TGF-β/0 GSK3B/GSK-3β/0 CTNNB1/β-catenin/0 PRKAA1/AMPK/0";
/// word|mesh|match|name|chebi
pub(super) const CHEMICALS: &[&str] = &[
    "Glucose|D005947|Glucose|D-glucopyranose|4167",
    "ATP|D000255|Adenosine Triphosphate|ATP|15422",
    "NADH|D009243|NAD|NAD(+)|15846",
    "Cholesterol|D002784|Cholesterol|cholesterol|16113",
    "Glutamine|D005973|Glutamine|L-glutamine|18050",
    "Calcium|D002118|Calcium|calcium(2+)|29108",
    "Dopamine|D004298|Dopamine|dopamine|18243",
    "Citrate|D019343|Citric Acid|citric acid|30769",
    "Succinate|D013386|Succinates|succinate|26806",
    "Acetyl-CoA|D000105|Acetyl Coenzyme A|acetyl-CoA|15351",
    "Cisplatin|D002945|Cisplatin|cisplatin|27899",
    "Bradykinin|D001920|Bradykinin|bradykinin|3165",
    "Isoproterenol|D007545|Isoproterenol|isoprenaline|64317",
    "Estradiol|D004958|Estradiol|estradiol|23965",
    "Cortisol|D006854|Hydrocortisone|cortisol|17650",
    "Rapamycin|D020123|Sirolimus|sirolimus|9168",
    "cAMP|D000242|Cyclic AMP|3',5'-cyclic AMP|17489",
    "Serotonin|D012701|Serotonin|serotonin|28790",
    "Ceramide|D002518|Ceramides|ceramide|17761",
    "Lactate|D019344|Lactic Acid|lactic acid|78320",
];
/// word|mesh|doid
pub(super) const DISEASES: &[&str] = &[
    "Cancer|D009369|162",
    "Breast cancer|D001943|1612",
    "Diabetes|D003920|9351",
    "Alzheimer's disease|D000544|10652",
    "Obesity|D009765|9970",
    "Atherosclerosis|D050197|1936",
    "Melanoma|D008545|1909",
    "Tuberculosis|D014376|399",
    "Hepatitis B|D006509|2043",
    "Asthma|D001249|2841",
    "Parkinson's disease|D010300|14330",
    "Multiple myeloma|D009101|9538",
];
/// title|nlm_ta|publisher|doi prefix|file stem prefix
pub(super) const JOURNALS: &[&str] = &["International Journal of Molecular Sciences|Int J Mol Sci|MDPI|10.3390/ijms.|ijms",
    "Frontiers in Immunology|Front Immunol|Frontiers Media S.A.|10.3389/fimmu.|fimmu", "Scientific Reports|Sci Rep|Nature Publishing Group UK|10.1038/s41598-|srep",
    "PLoS Genetics|PLoS Genet|Public Library of Science|10.1371/journal.pgen.|pgen", "Journal of Clinical Investigation|J Clin Invest|American Society for Clinical Investigation|10.1172/JCI|jci",
    "Cell Reports|Cell Rep|Elsevier|10.1016/j.celrep.|celrep", "bioRxiv|bioRxiv|Cold Spring Harbor Laboratory|10.1101/|biorxiv"];
pub(super) const ORGS: &[&str] = &[
    "9606|Homo sapiens|Primates",
    "10090|Mus musculus|Rodents",
    "10116|Rattus norvegicus|Rodents",
    "7227|Drosophila melanogaster|Insects",
    "3702|Arabidopsis thaliana|Plants",
    "7955|Danio rerio|Fishes",
];
pub(super) const PROCESSES: &[&str] = &[
    "glycolysis",
    "fatty acid oxidation",
    "autophagy",
    "apoptosis",
    "cell proliferation",
    "oxidative phosphorylation",
    "insulin signaling",
    "inflammation",
    "angiogenesis",
    "epithelial–mesenchymal transition",
    "DNA damage repair",
    "lipid synthesis",
    "T cell activation",
    "mitochondrial biogenesis",
    "bone remodeling",
];
pub(super) const CELLS: &[&str] = &[
    "hepatocytes",
    "macrophages",
    "cardiomyocytes",
    "T cells",
    "osteoblasts",
    "neurons",
    "adipocytes",
    "epithelial cells",
    "COS-7 cells",
    "β cells",
    "naïve CD4+ T cells",
    "dendritic cells",
];
pub(super) const SENTENCES: &[&str] = &[
    "Schematic model of $P in $T.",
    "$G activates $G, which in turn promotes $P.",
    "Activation of $G by $C leads to phosphorylation of $G and $G.",
    "Inhibition of $G blocks $P and slows $D progression.",
    "$C treatment increases $G expression in $T (steps 2–4).",
    "NF-κB and HIF-1α cooperate with $G to regulate $P.",
    "In $T, TGF-β signaling through $G suppresses $P.",
    "Proposed mechanism by which $G controls $P during $D.",
    "Arrows indicate activation; blunt ends indicate inhibition.",
    "Dashed lines denote indirect or putative interactions.",
    "The $G–$G axis links $P to $P in $T.",
    "Crosstalk between IFN-γ and $G modulates $C uptake by $T.",
    "Adapted from earlier work (Lefèvre et al., Müller et al.) with permission.",
    "Loss of $G in $D impairs $P and sensitizes $T to $C.",
];
pub(super) const TITLES: &[&str] = &[
    "$P in $T",
    "Model of $G-mediated $P in $D",
    "Metabolic features of $T: implications for $D",
    "The $G–$G axis in $P",
    "Role of $G in $D and $P",
    "Regulation of $P by $C in $T",
];
pub(super) const KEYWORDS: &[&str] = &[
    "metabolism",
    "inflammation",
    "autophagy",
    "glycolysis",
    "signal transduction",
    "cancer",
    "dendritic cells (DC)",
    "oxidative stress",
    "mitochondria",
    "insulin resistance",
    "Wnt signaling",
    "NF-κB",
    "apoptosis",
    "gene regulation",
];
pub(super) const GIVEN: &[&str] = &[
    "Sabine", "Oxana", "Merve S.", "Lili", "José", "Zoë", "Hiroshi", "Ana", "Ming", "Olivia",
];
pub(super) const FAMILY: &[&str] = &[
    "Hanke", "Müller", "Zeden", "Wu", "García", "Nakamura", "Lefèvre", "Kowalski", "O'Brien",
    "Smith",
];
pub(super) const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
