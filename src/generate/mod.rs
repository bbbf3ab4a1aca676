//! Deterministic synthetic PFOCR corpus generator (std only, no crates). A development tool
//! (feature `dev`, `pfocr-etl generate`): not in the shipped library.
//!
//! Benchmarks and scale tests need corpora of any size without shipping real data, so this
//! module writes `<out>/_figures/<figid>.md` and `<out>/_data/<figid>-{genes,chemicals,diseases}.tsv`
//! shaped like the public `pfocr-database` repository: key order, `seo`, `schema-jsonld`
//! (description repeating the caption, keywords of gene symbols), `redirect_from`, captions folded
//! at ~80 columns as plain or single-quoted scalars, and both format generations (~half each):
//! - *inline*: `genes`/`chemicals`/`diseases` lists in the front matter, scalar `organisms`,
//!   `pathway_score`, quoted numbers (`year: '2019'`, `entrez: '8600'`);
//! - *tables*: `organisms`/`organisms_ner` lists, `automl_pathway`, bibliographic fields, and
//!   entities in TSVs (genes header sometimes without `count_synonym`; some `NA`/`NaN`).
//!
//! Genes per figure are log-normal (median ~15, mean ~25, capped at 600) like the real corpus.
//! Randomness is a SplitMix64 stream seeded from `(seed, index)` (paper-level fields from
//! `(seed, index / 3)`), so record `i` never depends on `count`: the same `(count, seed)` yields
//! byte-identical files and [`render_record`]`(seed, i)` equals file `i`. Every record is valid
//! under the output contract (docs: SCHEMA.md), so a conversion of it should have no rejects.

mod vocab;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;
use std::{fs, io, thread};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub count: usize,
    pub seed: u64,
    pub out: std::path::PathBuf,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub figures: usize,
    pub tsv_files: usize,
    pub bytes: u64,
    pub inline_records: usize,
    pub table_records: usize,
}

/// Writes records `0..count` (in parallel; each file depends only on `(seed, index)`).
pub fn generate(opts: &GenerateOptions) -> io::Result<GenerateSummary> {
    fs::create_dir_all(opts.out.join("_figures"))?;
    fs::create_dir_all(opts.out.join("_data"))?;
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || write_share(opts, t, threads)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("generator thread panicked"))
            .try_fold(GenerateSummary::default(), |a, p| {
                let p = p?;
                Ok(GenerateSummary {
                    figures: a.figures + p.figures,
                    tsv_files: a.tsv_files + p.tsv_files,
                    bytes: a.bytes + p.bytes,
                    inline_records: a.inline_records + p.inline_records,
                    table_records: a.table_records + p.table_records,
                })
            })
    })
}

/// Writes records `first, first + step, …` below `count`.
fn write_share(opts: &GenerateOptions, first: usize, step: usize) -> io::Result<GenerateSummary> {
    let mut sum = GenerateSummary::default();
    for i in (first..opts.count).step_by(step) {
        let (files, inline) = build(opts.seed, i);
        sum.figures += 1;
        sum.tsv_files += files.len() - 1;
        if inline {
            sum.inline_records += 1
        } else {
            sum.table_records += 1
        }
        for (rel, text) in files {
            fs::write(opts.out.join(rel), text.as_bytes())?;
            sum.bytes += text.len() as u64;
        }
    }
    Ok(sum)
}

/// One record rendered in memory (for benches): (relative path, file contents), figure first then its TSVs.
pub fn render_record(seed: u64, index: usize) -> Vec<(String, String)> {
    build(seed, index).0
}

/// Like [`render_record`], also telling the record's generation (true: inline lists), so
/// benches can measure each generation on its own.
pub fn render_record_with_generation(seed: u64, index: usize) -> (Vec<(String, String)>, bool) {
    build(seed, index)
}

/// SplitMix64: tiny, fast, and good enough for synthetic data; fully specified so output is stable.
struct Rng(u64);

impl Rng {
    fn new(parts: &[u64]) -> Rng {
        parts.iter().fold(Rng(0x243F_6A88_85A3_08D3), |mut r, &p| {
            r.0 ^= p;
            Rng(r.next())
        })
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (1.0 - self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Exponential tail used for small entity counts: 0 with probability `p0`, else 1 + Exp(mean).
    fn small_count(&mut self, p0: f64, mean: f64, cap: usize) -> usize {
        if self.chance(p0) {
            0
        } else {
            (1 + (-(1.0 - self.unit()).ln() * mean) as usize).min(cap)
        }
    }
}

// ---- vocabulary (public-knowledge names; identifiers are plausible, not authoritative) ----
use vocab::*;

struct Family {
    word: &'static str,
    genes: Vec<(String, u64)>,
}
struct Gene {
    word: String,
    symbol: String,
    gene: String,
    id: u64,
    family: bool,
}

fn families() -> &'static [Family] {
    static F: OnceLock<Vec<Family>> = OnceLock::new();
    F.get_or_init(|| {
        FAMILIES
            .split_whitespace()
            .map(|spec| {
                let mut p = spec.split('/');
                let (prefix, word) = (p.next().unwrap(), p.next().unwrap());
                let n: usize = p.next().unwrap().parse().unwrap();
                let names: Vec<String> = if n == 0 {
                    vec![prefix.into()]
                } else {
                    (1..=n).map(|k| format!("{prefix}{k}")).collect()
                };
                // Stable pseudo Entrez id per symbol (FNV-1a), so the same gene joins across records.
                let id = |s: &str| {
                    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
                    }) % 150_000
                        + 1
                };
                Family {
                    word,
                    genes: names
                        .into_iter()
                        .map(|g| {
                            let i = id(&g);
                            (g, i)
                        })
                        .collect(),
                }
            })
            .collect()
    })
}

/// Heavy-tailed gene mention count: log-normal(ln 15, 1.0) → median 15, mean ≈ 25; clamped to 1..=600.
fn gene_count(r: &mut Rng) -> usize {
    (15.0 * r.normal().exp()).round().clamp(1.0, 600.0) as usize
}

/// Figure genes: runs of family members sharing one OCR'd word, as the real lists look.
fn genes_for(r: &mut Rng, n: usize) -> Vec<Gene> {
    let fams = families();
    let mut v: Vec<Gene> = Vec::with_capacity(n);
    while v.len() < n {
        let f = &fams[r.below(fams.len())];
        let take = r.range(1, f.genes.len().min(n - v.len()).min(6));
        let start = r.below(f.genes.len());
        let word = if r.chance(0.1) {
            format!("{},", f.word)
        } else {
            f.word.to_string()
        };
        for k in 0..take {
            let (gene, id) = &f.genes[(start + k) % f.genes.len()];
            v.push(Gene {
                word: word.clone(),
                symbol: f.word.to_ascii_uppercase(),
                gene: gene.clone(),
                id: *id,
                family: f.genes.len() > 1,
            });
        }
    }
    v
}

/// Expands `$G` gene, `$C` chemical, `$P` process, `$T` cell type, `$D` disease.
fn fill(tpl: &str, r: &mut Rng, genes: &[&str]) -> String {
    let mut s = String::with_capacity(tpl.len() + 40);
    let mut it = tpl.chars();
    while let Some(c) = it.next() {
        if c != '$' {
            s.push(c);
            continue;
        }
        let w = match it.next() {
            Some('G') => genes[r.below(genes.len())],
            Some('C') => r.pick(CHEMICALS).split('|').next().unwrap(),
            Some('P') => r.pick(PROCESSES),
            Some('T') => r.pick(CELLS),
            _ => r.pick(DISEASES).split('|').next().unwrap(),
        };
        s.push_str(w);
    }
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// Caption of 200–2,000 chars; ~20% get an `Abbreviations: …` tail (forces single quotes), a few a ` #`.
fn caption(r: &mut Rng, genes: &[&str]) -> String {
    let target = 200 + (r.unit().powi(2) * 1650.0) as usize;
    let mut s = String::new();
    while s.chars().count() < target {
        if !s.is_empty() {
            s.push(' ')
        }
        s.push_str(&fill(r.pick(SENTENCES), r, genes));
    }
    let tail = if r.chance(0.2) {
        fill("Abbreviations: $G, $P; $G, $T; $C, $C.", r, genes)
    } else if r.chance(0.05) {
        "See panel #2 for details.".to_string()
    } else {
        String::new()
    };
    if !tail.is_empty() && s.chars().count() + 1 + tail.chars().count() <= 2000 {
        s.push(' ');
        s.push_str(&tail);
    }
    s
}

/// True if `s` can be written as a YAML plain scalar that reads back as the same text.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    !("-?:,[]{}#&*!|>'\"%@` ".contains(first)
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains(['\t', '\n', '\r'])
        || s.chars()
            .all(|c| c.is_ascii_digit() || "+-._:eExXoO".contains(c))
        || [
            "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
        ]
        .contains(&lower.as_str()))
}

fn scalar(s: &str) -> Cow<'_, str> {
    if plain_ok(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', "''")))
    }
}

/// Writes `pad key: value`, folding long values at ~80 columns onto lines indented `pad + 2`
/// (folding turns each break back into one space). Breaks only at single spaces and never
/// before a token starting with a YAML indicator, so the value reads back exactly.
fn put(out: &mut String, pad: &str, key: &str, value: &str) {
    let text = scalar(value);
    out.push_str(&format!("{pad}{key}:"));
    let mut col = pad.chars().count() + key.len() + 1;
    let toks: Vec<&str> = text.split(' ').collect();
    for (i, t) in toks.iter().enumerate() {
        let n = t.chars().count();
        if i > 0
            && col + 1 + n > 80
            && !t.is_empty()
            && !toks[i - 1].is_empty()
            && !t.starts_with(['-', '?', ':', '#'])
        {
            out.push('\n');
            out.push_str(pad);
            out.push_str("  ");
            col = pad.len() + 2 + n;
        } else {
            out.push(' ');
            col += 1 + n;
        }
        out.push_str(t);
    }
    out.push('\n');
}

fn list(out: &mut String, pad: &str, key: &str, items: &[&str]) {
    out.push_str(&format!(
        "{pad}{key}:{}\n",
        if items.is_empty() { " []" } else { "" }
    ));
    for it in items {
        out.push_str(&format!("{pad}- {}\n", scalar(it)));
    }
}

const PER_PAPER: usize = 3;

/// Renders record `index`: (files, is_inline).
fn build(seed: u64, index: usize) -> (Vec<(String, String)>, bool) {
    // Paper-level fields (shared by the PER_PAPER figures of one article).
    let paper = (index / PER_PAPER) as u64;
    let mut pr = Rng::new(&[seed, 0x50_4150_4552, paper]);
    let inline = pr.chance(0.5);
    let pmc = 100_000 + paper * 7 + pr.below(7) as u64; // injective in `paper` → unique figids
    let year = if inline {
        pr.range(1998, 2019)
    } else {
        pr.range(2019, 2023)
    };
    let j: Vec<&str> = pr.pick(JOURNALS).split('|').collect();
    let (vol, art, mon) = (pr.range(1, 60), pr.range(1000, 99_999), pr.range(1, 12));
    let n = pr.range(1, 3) + index % PER_PAPER;
    let stem = match pr.below(6) {
        0 => format!("gr{n}"),
        1 => format!("{}-{vol}-{art:05}-g{n:03}", j[4]),
        2 => format!("41598_{year}_{art}_Fig{n}_HTML"),
        3 => format!("{}{art:07}.f{n}", j[4].to_ascii_uppercase()),
        4 => format!(
            "nihpp-{year}.{mon:02}.{:02}.{}v1-f{n:04}",
            pr.range(1, 28),
            500_000 + art
        ),
        _ => format!("{}.{art:07}.g{n:03}", j[4]),
    };
    let paper_genes: Vec<&str> = (0..3)
        .map(|_| {
            let f = &families()[pr.below(families().len())];
            f.genes[0].0.as_str()
        })
        .collect();
    let papertitle = format!("{}.", fill(pr.pick(TITLES), &mut pr, &paper_genes));
    let reftext = format!(
        "{} {}, et al. {}. {year} {};{vol}({}):{art}.",
        pr.pick(GIVEN),
        pr.pick(FAMILY),
        j[1],
        MONTHS[mon - 1],
        pr.range(1, 24)
    );
    let keywords = (0..pr.range(3, 7))
        .map(|_| pr.pick(KEYWORDS))
        .collect::<Vec<_>>()
        .join(" | ");

    // Figure-level fields.
    let mut r = Rng::new(&[seed, 0x46_4947, index as u64]);
    let figid = format!("PMC{pmc}__{stem}");
    let genes = {
        let k = gene_count(&mut r);
        genes_for(&mut r, k)
    };
    let chems: Vec<Vec<&str>> = (0..r.small_count(0.35, 2.5, 10))
        .map(|_| r.pick(CHEMICALS).split('|').collect())
        .collect();
    let dis: Vec<Vec<&str>> = (0..r.small_count(0.6, 1.0, 5))
        .map(|_| r.pick(DISEASES).split('|').collect())
        .collect();
    let syms: Vec<&str> = genes.iter().map(|g| g.gene.as_str()).collect();
    let caption = caption(&mut r, &syms);
    let figtitle = fill(r.pick(TITLES), &mut r, &syms);
    let mut seen = HashSet::new();
    let mut kws: Vec<&str> = syms.iter().copied().filter(|s| seen.insert(*s)).collect();
    if inline {
        kws.extend(chems.iter().chain(&dis).map(|e| e[0]))
    }

    let mut f = String::with_capacity(3000 + caption.len() * 2 + genes.len() * 130);
    macro_rules! kv {
        ($k:expr, $v:expr) => {
            put(&mut f, "", $k, $v)
        };
    }
    f.push_str("---\n");
    kv!("figid", &figid);
    let (figlink, alias) = (
        format!("/pmc/articles/PMC{pmc}/figure/F{n}/"),
        format!("PMC{pmc}__F{n}"),
    );
    let (pmcid, filename, yr) = (
        format!("PMC{pmc}"),
        format!("{stem}.jpg"),
        format!("'{year}'"),
    );
    let mut files = Vec::with_capacity(4);
    if inline {
        kv!("figlink", &figlink);
        kv!("number", &format!("F{n}"));
        kv!("caption", &caption);
        kv!("pmcid", &pmcid);
        kv!("papertitle", &papertitle);
        kv!("reftext", &reftext);
        f.push_str(&format!(
            "pmc_ranked_result_index: '{}'\npathway_score: {:.5}\n",
            r.range(1, 200_000),
            0.5 + r.unit() * 0.5
        ));
        kv!("filename", &filename);
        kv!("figtitle", &figtitle);
        f.push_str(&format!("year: {yr}\n"));
        kv!(
            "organisms",
            if r.chance(0.85) {
                "Homo sapiens"
            } else {
                r.pick(ORGS).split('|').nth(1).unwrap()
            }
        );
        let ndex = if r.chance(0.6) {
            format!(
                "{:08x}-{:04x}-11ea-99da-0ac135e8bacf",
                r.next() as u32,
                r.next() as u16
            )
        } else {
            String::new()
        };
        kv!("ndex", &ndex);
        f.push_str("annotations: []\nseo: CreativeWork\n");
        jsonld(&mut f, &figid, &caption, &kws);
        f.push_str("genes:\n");
        for g in &genes {
            let src = if r.chance(0.05) {
                r.pick(&["hgnc_prev_symbol", "hgnc_alias_symbol"])
            } else if g.family {
                "bioentities_symbol"
            } else {
                "hgnc_symbol"
            };
            put(&mut f, "- ", "word", &g.word);
            put(&mut f, "  ", "symbol", &g.symbol);
            put(&mut f, "  ", "source", src);
            put(&mut f, "  ", "hgnc_symbol", &g.gene);
            f.push_str(&format!("  entrez: '{}'\n", g.id));
        }
        f.push_str(if chems.is_empty() {
            "chemicals: []\n"
        } else {
            "chemicals:\n"
        });
        for c in &chems {
            put(&mut f, "- ", "word", c[0]);
            f.push_str(&format!("  source: MESH\n  identifier: {}\n", c[1]));
        }
        f.push_str(if dis.is_empty() {
            "diseases: []\n"
        } else {
            "diseases:\n"
        });
        for d in &dis {
            put(&mut f, "- ", "word", d[0]);
            f.push_str(&if r.chance(0.5) {
                "  source: ''\n  identifier: ''\n".to_string()
            } else {
                format!("  source: MESH\n  identifier: {}\n", d[1])
            });
        }
        kv!("figid_alias", &alias);
        kv!("redirect_from", &format!("/figures/{alias}"));
        kv!("figtype", "Figure");
    } else {
        kv!("figtitle", &figtitle);
        let names: Vec<&str> = ORGS.iter().map(|o| o.split('|').nth(1).unwrap()).collect();
        let mut orgs: Vec<&str> = (0..r.range(0, 3)).map(|_| r.pick(&names)).collect();
        if orgs.is_empty() || r.chance(0.3) {
            orgs.push("NA")
        }
        list(&mut f, "", "organisms", &orgs);
        let ner: Vec<&str> = (0..r.range(1, 3)).map(|_| r.pick(&names)).collect();
        list(&mut f, "", "organisms_ner", &ner);
        kv!("pmcid", &pmcid);
        kv!("filename", &filename);
        kv!("figlink", &figlink);
        kv!("number", &format!("F{n}"));
        kv!("caption", &caption);
        kv!("papertitle", &papertitle);
        kv!("reftext", &reftext);
        f.push_str(&format!("year: {yr}\n"));
        kv!("doi", &format!("{}{year}.{art}", j[3]));
        kv!("journal_title", j[0]);
        kv!("journal_nlm_ta", j[1]);
        kv!("publisher_name", j[2]);
        kv!("keywords", &keywords);
        f.push_str(&format!("automl_pathway: {:.7}\n", 0.5 + r.unit() * 0.5));
        kv!("figid_alias", &alias);
        kv!("figtype", "Figure");
        kv!("redirect_from", &format!("/figures/{alias}"));
        f.push_str("ndex: ''\nseo: CreativeWork\n");
        jsonld(&mut f, &figid, &caption, &kws);
        files.extend(tables(&mut r, &figid, &genes, &chems, &dis));
    }
    f.push_str("---\n");
    files.insert(0, (format!("_figures/{figid}.md"), f));
    (files, inline)
}

fn jsonld(f: &mut String, figid: &str, caption: &str, kws: &[&str]) {
    f.push_str(&format!("schema-jsonld:\n  '@context': https://schema.org/\n  '@id': https://pfocr.wikipathways.org/figures/{figid}.html\n  '@type': Dataset\n"));
    put(f, "  ", "description", caption);
    f.push_str("  license: CC0\n  name: CreativeWork\n  creator:\n    '@type': Organization\n    name: WikiPathways\n");
    list(f, "  ", "keywords", kws);
}

/// The `_data` TSVs of a tables record (a file only when it has rows, like the real corpus).
fn tables(
    r: &mut Rng,
    figid: &str,
    genes: &[Gene],
    chems: &[Vec<&str>],
    dis: &[Vec<&str>],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let org = r.pick(ORGS);
    let synonym = r.chance(0.85);
    let cd = r.range(1, 40);
    let (cs, cm) = (cd + r.range(0, 30), cd + r.range(0, 40));
    let cd = if r.chance(0.08) {
        "NA".to_string()
    } else {
        cd.to_string()
    };
    let cs = if r.chance(0.05) {
        "NaN".to_string()
    } else {
        cs.to_string()
    };
    let mut t = format!("organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\tcount_direct\t{}count_match\n", if synonym { "count_synonym\t" } else { "" });
    for g in genes {
        let na = |r: &mut Rng, v: &str| {
            if r.chance(0.01) {
                "NA".to_string()
            } else {
                v.to_string()
            }
        };
        let (word, m) = (na(r, &g.word), na(r, &g.symbol));
        let src = r.pick(&["ncbigene_symbol", "ncbigene_synonym", "famplex_relations"]);
        let org_cols = org.replace('|', "\t");
        t.push_str(&format!(
            "{org_cols}\t{word}\t{m}\t{}\t{}\t{src}\t{cd}\t",
            g.gene, g.id
        ));
        if synonym {
            t.push_str(&cs);
            t.push('\t')
        }
        t.push_str(&format!("{cm}\n"));
    }
    if !genes.is_empty() {
        out.push((format!("_data/{figid}-genes.tsv"), t))
    }
    if !chems.is_empty() {
        let mut t = String::from("word\tmesh\tmatch\tname\tchebi\n");
        for c in chems {
            let rest = if r.chance(0.35) {
                "NA\tNA\tNA".to_string()
            } else {
                format!("{}\t{}\tchebi:{}", c[2], c[3], c[4])
            };
            t.push_str(&format!("{}\tmesh:{}\t{rest}\n", c[0], c[1]));
        }
        out.push((format!("_data/{figid}-chemicals.tsv"), t));
    }
    if !dis.is_empty() {
        let mut t = String::from("word\tmesh\tmatch\tname\tdoid\n");
        for d in dis {
            let mesh = if r.chance(0.1) {
                "NA".to_string()
            } else {
                format!("mesh:{}", d[1])
            };
            let rest = if r.chance(0.3) {
                format!("{}\t{}\tdoid:{}", d[0], d[0].to_lowercase(), d[2])
            } else {
                "NA\tNA\tNA".to_string()
            };
            t.push_str(&format!("{}\t{mesh}\t{rest}\n", d[0]));
        }
        out.push((format!("_data/{figid}-diseases.tsv"), t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value of `pad key:` in `front`, unfolded (continuation lines joined by one space, quotes undone).
    fn unfold(front: &str, pad: &str, key: &str) -> String {
        let head = format!("{pad}{key}: ");
        let mut lines = front.lines().skip_while(|l| !l.starts_with(&head));
        let mut v = lines.next().expect("key present")[head.len()..].to_string();
        for l in lines.take_while(|l| l.starts_with(&format!("{pad}  "))) {
            v = format!("{v} {}", l.trim_start())
        }
        v.strip_prefix('\'').map_or(v.clone(), |q| {
            q.strip_suffix('\'')
                .expect("closing quote")
                .replace("''", "'")
        })
    }

    /// std-only lint of the YAML subset emitted (block mappings/sequences; plain or single-quoted,
    /// possibly folded, scalars; `[]`): every line is a unique top-level key, a nested key, a list
    /// item, or the continuation of a scalar, and plain scalars hold no `: `/` #`/indicator start.
    fn lint_front(front: &str) {
        let plain = |v: &str| {
            v == "[]"
                || (!v.contains(": ")
                    && !v.contains(" #")
                    && (plain_ok(v) || v.chars().all(|c| c.is_ascii_digit() || c == '.')))
        };
        let (mut cont, mut quotes, mut keys) = (None::<usize>, 0, HashSet::new());
        for line in front.lines() {
            assert!(
                !line.contains('\t') && !line.ends_with(' '),
                "whitespace: {line:?}"
            );
            let (ind, body) = (line.len() - line.trim_start().len(), line.trim_start());
            if quotes % 2 == 1 {
                quotes += body.matches('\'').count();
                continue;
            }
            if cont.is_some_and(|k| ind > k) {
                assert!(
                    plain(body) || body.starts_with('|'),
                    "continuation: {line:?}"
                );
                continue;
            }
            let item = body.strip_prefix("- ").unwrap_or(body);
            let (k, v) = item
                .split_once(": ")
                .unwrap_or((item.trim_end_matches(':'), ""));
            let is_key = (item.contains(": ") || item.ends_with(':'))
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-'@".contains(c));
            assert!(
                is_key || (body.starts_with("- ") && (item.starts_with('\'') || plain(item))),
                "stray line: {line:?}"
            );
            assert!(
                !is_key || ind > 0 || body.starts_with("- ") || keys.insert(k.to_string()),
                "duplicate key {k}"
            );
            if is_key && v.starts_with('\'') {
                quotes = v.matches('\'').count()
            } else if is_key {
                assert!(v.is_empty() || plain(v), "value: {line:?}")
            }
            cont = (is_key && !v.is_empty()).then_some(ind + body.len() - item.len());
        }
        assert_eq!(quotes % 2, 0, "unterminated quote");
    }

    #[test]
    fn deterministic_and_independent_of_count() {
        let tmp =
            |n: &str| std::env::temp_dir().join(format!("pfocr-gen-{}-{n}", std::process::id()));
        let (a, b) = (tmp("a"), tmp("b"));
        let sa = generate(&GenerateOptions {
            count: 40,
            seed: 7,
            out: a.clone(),
        })
        .unwrap();
        let sb = generate(&GenerateOptions {
            count: 25,
            seed: 7,
            out: b.clone(),
        })
        .unwrap();
        assert_eq!(
            (sa.figures, sb.figures, sa.inline_records + sa.table_records),
            (40, 25, 40)
        );
        let mut bytes = 0;
        for (i, (rel, text)) in
            (0..40).flat_map(|i| render_record(7, i).into_iter().map(move |f| (i, f)))
        {
            assert_eq!(fs::read_to_string(a.join(&rel)).unwrap(), text, "{rel}");
            assert!(
                i >= 25 || fs::read_to_string(b.join(&rel)).unwrap() == text,
                "{rel}"
            );
            bytes += text.len() as u64;
        }
        assert_eq!(
            (sa.bytes, fs::read_dir(a.join("_data")).unwrap().count()),
            (bytes, sa.tsv_files)
        );
        assert_ne!(render_record(7, 0), render_record(8, 0));
        let _ = (fs::remove_dir_all(a), fs::remove_dir_all(b));
    }

    #[test]
    fn generations_split_about_half() {
        let inline = (0..2000)
            .filter(|&i| render_record(1, i)[0].1.contains("\npathway_score: "))
            .count();
        assert!((800..=1200).contains(&inline), "inline {inline}/2000");
    }

    #[test]
    fn gene_counts_are_heavy_tailed() {
        let mut n: Vec<usize> = (0..2000)
            .map(|i| {
                let files = render_record(3, i);
                match files.iter().find(|(p, _)| p.ends_with("-genes.tsv")) {
                    Some((_, t)) => t.lines().count() - 1,
                    None => files[0]
                        .1
                        .lines()
                        .filter(|l| l.starts_with("  hgnc_symbol: "))
                        .count(),
                }
            })
            .collect();
        n.sort_unstable();
        let (median, mean) = (n[1000], n.iter().sum::<usize>() as f64 / 2000.0);
        assert!(
            (12..=18).contains(&median) && (20.0..=30.0).contains(&mean),
            "median {median} mean {mean}"
        );
        assert!(
            n[0] >= 1 && n[1999] <= 600 && n[1900] >= 60,
            "tail {:?}",
            &n[1990..]
        );
    }

    #[test]
    fn every_record_is_well_formed() {
        let mut quoted = 0;
        for i in 0..2000 {
            let files = render_record(11, i);
            let figid = files[0]
                .0
                .strip_prefix("_figures/")
                .and_then(|p| p.strip_suffix(".md"))
                .unwrap();
            assert!(!figid.contains(['/', '\\', '\0']) && figid != "." && figid != "..");
            let front = files[0]
                .1
                .strip_prefix("---\n")
                .and_then(|r| r.strip_suffix("---\n"))
                .expect("--- delimiters");
            assert!(front.starts_with(&format!("figid: {figid}\n")) && !front.contains("\n---\n"));
            lint_front(front);
            let cap = unfold(front, "", "caption");
            assert!(
                (200..=2000).contains(&cap.chars().count()),
                "caption length {}",
                cap.chars().count()
            );
            assert_eq!(unfold(front, "  ", "description"), cap);
            quoted += front.contains("\ncaption: '") as usize;
            for key in [
                "\nseo: CreativeWork\n",
                "\nredirect_from: /figures/",
                "\nyear: '",
                "\nschema-jsonld:\n",
            ] {
                assert!(front.contains(key), "{key}")
            }
            assert!(front.contains("\npathway_score: ") ^ front.contains("\nautoml_pathway: "));
            for (p, tsv) in &files[1..] {
                let cols = tsv.lines().next().unwrap().split('\t').count();
                assert!(
                    p.starts_with(&format!("_data/{figid}-"))
                        && tsv.lines().count() >= 2
                        && tsv.ends_with('\n')
                );
                assert!(
                    tsv.lines()
                        .all(|l| l.split('\t').count() == cols
                            && l.split('\t').all(|v| !v.is_empty())),
                    "{p}"
                );
            }
        }
        assert!((100..=1000).contains(&quoted), "quoted captions {quoted}");
    }
}
