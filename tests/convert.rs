//! Both generations through the real binary, checked value by value from the Parquet.

use serde_json::json;

use crate::util::*;

const INLINE: &str = "\
figid: PMC1__inline-f1
pmcid: PMC1
number: F1
caption: 'Folded single-quoted caption
  with ''quotes'' and α–β'
year: '2004'
organisms: Homo sapiens
pathway_score: 0.97
pmc_ranked_result_index: '12149'
annotations: []
seo: CreativeWork
genes:
- word: RANKL
  symbol: RANKL
  source: hgnc_alias_symbol
  hgnc_symbol: TNFSF11
  entrez: '8600'
chemicals:
- word: Calcium
  source: MESH
  identifier: D002118
diseases:
- word: tumor
  source: MESH
  identifier: D009369
";

const TABLES: &str = "\
figid: PMC2__tables-g1
pmcid: PMC2
year: 2023
organisms:
- NA
organisms_ner:
- Homo sapiens
- Mus musculus
doi: 10.1/x
keywords: osteoblasts | metabolism |  | NA
automl_pathway: 0.95
";

fn corpus() -> Workdir {
    let w = Workdir::new();
    w.figure("PMC1__inline-f1", INLINE);
    w.figure("PMC2__tables-g1", TABLES);
    w.tsv(
        "PMC2__tables-g1-genes.tsv",
        "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\tcount_direct\tcount_match\n\
         9606\tHomo sapiens\tPrimates\tRANKL\tRANKL\tTNFSF11\t8600\tncbigene_symbol\t10\t26\n\
         10090\tMus musculus\tRodents\tAkt\tAkt\tAkt1\t11651\tncbigene_synonym\tNaN\t3\n",
    );
    w.tsv(
        "PMC2__tables-g1-diseases.tsv",
        "word\tmesh\tmatch\tname\tdoid\nosteoporosis\tMESH:D010024\tNA\tNA\tDOID:11476\n",
    );
    w.tsv(
        "PMC2__tables-g1-chemicals.tsv",
        "word\tmesh\tmatch\tname\tchebi\nglucose\tD005947\tGlucose\tglucose\t17234\n",
    );
    w
}

#[test]
fn both_generations_convert_into_every_table() {
    let w = corpus();
    let err = assert_ok(&w.convert(&["--quiet"]));
    assert!(err.is_empty(), "--quiet prints nothing: {err}");
    let out = w.out();

    let figs = rows(&out, "figures");
    assert_eq!(figs.len(), 2);
    let (a, b) = (&figs[0], &figs[1]);
    assert_eq!(a["figid"], "PMC1__inline-f1");
    assert_eq!(
        a["caption"],
        "Folded single-quoted caption with 'quotes' and α–β"
    );
    assert_eq!(a["year"], 2004);
    assert_eq!(a["organisms"], json!(["Homo sapiens"]));
    assert_eq!(a["organisms_ner"], json!([]));
    assert_eq!(a["pathway_score"], 0.97);
    assert_eq!(a["pmc_ranked_result_index"], 12149);
    assert_eq!(a["entity_source"], "inline");
    assert_eq!(a["source_path"], "_figures/PMC1__inline-f1.md");
    assert_eq!(a["extra"], json!(null), "seo is dropped, not extra");

    assert_eq!(b["entity_source"], "tables");
    assert_eq!(b["organisms"], json!([]));
    assert_eq!(b["organisms_ner"], json!(["Homo sapiens", "Mus musculus"]));
    assert_eq!(b["keywords"], json!(["osteoblasts", "metabolism"]));
    assert_eq!(b["pathway_score"], 0.95);
    assert_eq!(b["doi"], "10.1/x");

    let genes = rows(&out, "figure_genes");
    assert_eq!(genes.len(), 3);
    assert_eq!(genes[0]["figid"], "PMC1__inline-f1");
    assert_eq!(genes[0]["gene_symbol"], "TNFSF11");
    assert_eq!(genes[0]["ncbigene_id"], 8600);
    assert_eq!(genes[0]["organism_id"], json!(null));
    let g = &genes[2];
    assert_eq!(g["figid"], "PMC2__tables-g1");
    assert_eq!(g["ordinal"], 1);
    assert_eq!(g["symbol"], "Akt");
    assert_eq!(g["gene_symbol"], "Akt1");
    assert_eq!(g["organism_id"], 10090);
    assert_eq!(g["count_direct"], json!(null), "NaN is NULL");
    assert_eq!(g["count_synonym"], json!(null), "missing column is NULL");
    assert_eq!(g["count_match"], 3);

    let chems = rows(&out, "figure_chemicals");
    assert_eq!(chems[0]["mesh_id"], "mesh:D002118");
    assert_eq!(chems[1]["mesh_id"], "mesh:D005947");
    assert_eq!(chems[1]["chebi_id"], "chebi:17234");
    let dis = rows(&out, "figure_diseases");
    assert_eq!(dis[0]["mesh_id"], "mesh:D009369");
    assert_eq!(dis[1]["mesh_id"], "mesh:D010024");
    assert_eq!(dis[1]["doid"], "doid:11476");
    assert_eq!(dis[1]["match"], json!(null));

    assert!(rows(&out, "rejects").is_empty());
    let m = manifest(&out);
    assert_eq!(
        (
            m["inputs"].as_u64(),
            m["converted"].as_u64(),
            m["rejected"].as_u64()
        ),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(m["tables"]["figure_genes"]["rows"], 3);
    assert_eq!(m["schema_version"], 2);
}

#[test]
fn summary_reports_counts_and_rows() {
    let w = corpus();
    let err = assert_ok(&w.convert(&[]));
    assert!(err.contains("2 inputs: 2 converted, 0 rejected"), "{err}");
    assert!(err.contains("figure_genes 3"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no progress bar drawn when stderr is not a terminal: {err}"
    );
}

#[test]
fn bom_crlf_and_body_convert() {
    let w = Workdir::new();
    w.write(
        "corpus/_figures/a.md",
        "\u{feff}---\r\nfigid: a\r\ncaption: two\r\n  lines\r\n---\r\n# Heading\r\n\r\n- item\r\n",
    );
    assert_ok(&w.convert(&["--quiet"]));
    let f = &rows(&w.out(), "figures")[0];
    assert_eq!(f["caption"], "two lines");
    assert_eq!(f["body"], "# Heading\r\n\r\n- item\r\n");
}
