//! `pfocr-etl export gmt`: one GMT gene-set file per organism, in the shape of PFOCR's own
//! release files, which Enrichr, g:Profiler, clusterProfiler, GSEA and PFOCRummage read.
//!
//! A GMT file has one gene set per line, tab-separated: a name, a description, then the
//! genes. As in the WikiPathways-family release files PFOCR publishes:
//!
//! - the file is `pfocr-<release>-gmt-<Organism_name>.gmt`;
//! - the name is `<figure title>%PFOCR_<release>%<figid>`;
//! - the description is the figure's page, `https://pfocr.wikipathways.org/figures/<figid>.html`;
//! - the genes are the figure's distinct NCBI Gene (Entrez) ids, in the order of their first
//!   mention (`ordinal`).
//!
//! Which organism a gene row belongs to: its `organism_name` (tables generation), or, when
//! that is NULL (inline generation, whose rows carry no organism), the figure's first listed
//! organism (`figures.organisms[0]`). A figure whose rows name several organisms gets one gene
//! set in each of their files, holding that organism's genes only (Entrez ids are
//! organism-specific). Rows with neither, or with no `ncbigene_id`, are left out. Only
//! `figure_genes` is read: chemicals never enter a gene set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::arrow::array::{Array, AsArray, RecordBatch};
use crate::arrow::datatypes::{Float64Type, Int32Type, Int64Type};

use super::tables::Tables;
use crate::error::{Error, Result};
use crate::schema::Table;

/// The address of a figure's page on the PFOCR site (the GMT description).
pub const FIGURE_PAGE: &str = "https://pfocr.wikipathways.org/figures/";

/// Options of `export gmt`.
#[derive(Debug, Clone, PartialEq)]
pub struct GmtOptions {
    /// The directory the files are written into (created if missing).
    pub out: PathBuf,
    /// Figures with fewer distinct Entrez genes (for an organism) are left out.
    pub min_genes: usize,
    /// Figures whose `pathway_score` is below this, or NULL, are left out.
    pub min_score: Option<f64>,
    /// The release label in file names and gene-set names (`PFOCR_<release>`).
    pub release: String,
    /// Only these organisms (compared without regard to ASCII case); all when empty.
    pub organisms: Vec<String>,
}

impl Default for GmtOptions {
    fn default() -> Self {
        GmtOptions {
            out: PathBuf::from("."),
            min_genes: 3,
            min_score: None,
            release: "current".into(),
            organisms: Vec::new(),
        }
    }
}

/// One written GMT file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GmtFile {
    pub organism: String,
    pub path: PathBuf,
    pub gene_sets: u64,
}

/// What an export wrote and left out.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GmtSummary {
    /// The files, in organism order.
    pub files: Vec<GmtFile>,
    /// Gene sets left out for having fewer than `min_genes` distinct genes.
    pub too_few_genes: u64,
    /// Figures left out by `--min-score`.
    pub below_min_score: u64,
    /// Gene rows with an Entrez id but no organism (neither the row's nor the figure's).
    pub rows_without_organism: u64,
}

/// What a gene set needs from its figure.
struct FigureInfo {
    title: Option<String>,
    /// `organisms[0]`: the organism of the figure's rows that name none.
    organism: Option<String>,
    kept: bool,
}

/// Writes one GMT file per organism from `tables` into `opts.out`.
pub fn export_gmt(tables: &Tables, opts: &GmtOptions) -> Result<GmtSummary> {
    check_release(&opts.release)?;
    let mut summary = GmtSummary::default();
    let figures = read_figures(tables, opts, &mut summary)?;
    let wanted: HashSet<String> = opts
        .organisms
        .iter()
        .map(|o| o.to_ascii_lowercase())
        .collect();

    // organism → figid → (ordinal, Entrez id) in table order.
    let mut sets: BTreeMap<String, BTreeMap<String, Vec<(i32, i64)>>> = BTreeMap::new();
    let columns = ["figid", "ordinal", "ncbigene_id", "organism_name"];
    for batch in tables.scan(Table::FigureGenes, Some(&columns[..])) {
        let batch = batch?;
        let figid = text(&batch, "figid")?;
        let ordinal = batch_column(&batch, "ordinal")?.as_primitive::<Int32Type>();
        let gene = batch_column(&batch, "ncbigene_id")?.as_primitive::<Int64Type>();
        let organism = text(&batch, "organism_name")?;
        for r in 0..batch.num_rows() {
            if gene.is_null(r) || figid.is_null(r) {
                continue;
            }
            let Some(info) = figures.get(figid.value(r)) else {
                continue;
            };
            if !info.kept {
                continue;
            }
            let name = match (organism.is_valid(r), &info.organism) {
                (true, _) if !organism.value(r).trim().is_empty() => organism.value(r).trim(),
                (_, Some(first)) => first.as_str(),
                _ => {
                    summary.rows_without_organism += 1;
                    continue;
                }
            };
            if !wanted.is_empty() && !wanted.contains(&name.to_ascii_lowercase()) {
                continue;
            }
            if !sets.contains_key(name) {
                sets.insert(name.to_owned(), BTreeMap::new());
            }
            let by_figure = sets.get_mut(name).expect("inserted above");
            let f = figid.value(r);
            if !by_figure.contains_key(f) {
                by_figure.insert(f.to_owned(), Vec::new());
            }
            let genes = by_figure.get_mut(f).expect("inserted above");
            genes.push((ordinal.value(r), gene.value(r)));
        }
    }

    std::fs::create_dir_all(&opts.out).map_err(|source| Error::Destination {
        path: opts.out.clone(),
        source,
    })?;
    let names = file_names(&opts.release, sets.keys().map(String::as_str));
    for ((organism, by_figure), file_name) in sets.iter_mut().zip(names) {
        let mut text = Vec::new();
        let mut written = 0u64;
        for (figid, genes) in by_figure.iter_mut() {
            let ids = distinct_in_order(genes);
            if ids.len() < opts.min_genes.max(1) {
                summary.too_few_genes += 1;
                continue;
            }
            let title = figures[figid.as_str()].title.as_deref();
            write_line(&mut text, title, &opts.release, figid, &ids);
            written += 1;
        }
        if written == 0 {
            continue;
        }
        let path = opts.out.join(&file_name);
        write_atomically(&path, &text)?;
        summary.files.push(GmtFile {
            organism: organism.clone(),
            path,
            gene_sets: written,
        });
    }
    Ok(summary)
}

/// Reads figid → title, first organism and whether `--min-score` keeps it.
fn read_figures(
    tables: &Tables,
    opts: &GmtOptions,
    summary: &mut GmtSummary,
) -> Result<HashMap<String, FigureInfo>> {
    let mut figures = HashMap::new();
    let columns = ["figid", "figtitle", "pathway_score", "organisms"];
    for batch in tables.scan(Table::Figures, Some(&columns[..])) {
        let batch = batch?;
        let figid = text(&batch, "figid")?;
        let title = text(&batch, "figtitle")?;
        let score = batch_column(&batch, "pathway_score")?.as_primitive::<Float64Type>();
        let organisms = batch_column(&batch, "organisms")?.as_list::<i32>();
        for r in 0..batch.num_rows() {
            if figid.is_null(r) {
                continue;
            }
            let kept = match opts.min_score {
                Some(min) => score.is_valid(r) && score.value(r) >= min,
                None => true,
            };
            if !kept {
                summary.below_min_score += 1;
            }
            let organism = if organisms.is_valid(r) {
                let list = organisms.value(r);
                let list = list.as_string::<i32>();
                (0..list.len())
                    .find(|&i| list.is_valid(i) && !list.value(i).trim().is_empty())
                    .map(|i| list.value(i).trim().to_owned())
            } else {
                None
            };
            figures.insert(
                figid.value(r).to_owned(),
                FigureInfo {
                    title: title
                        .is_valid(r)
                        .then(|| title.value(r).to_owned())
                        .filter(|t| !t.trim().is_empty()),
                    organism,
                    kept,
                },
            );
        }
    }
    Ok(figures)
}

fn batch_column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b dyn Array> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| Error::Internal(format!("a projected column '{name}' is missing")))
}

fn text<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b crate::arrow::array::StringArray> {
    batch_column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Source {
            path: name.into(),
            reason: format!("column '{name}' is not a Utf8 column"),
        })
}

/// The distinct ids of `genes`, ordered by their first mention (lowest ordinal).
fn distinct_in_order(genes: &mut [(i32, i64)]) -> Vec<i64> {
    genes.sort_by_key(|&(ordinal, _)| ordinal);
    let mut seen = HashSet::with_capacity(genes.len());
    genes
        .iter()
        .filter(|&&(_, id)| seen.insert(id))
        .map(|&(_, id)| id)
        .collect()
}

/// Appends the line `title%PFOCR_release%figid <TAB> page <TAB> id <TAB> id ...`.
pub fn write_line(out: &mut Vec<u8>, title: Option<&str>, release: &str, figid: &str, ids: &[i64]) {
    let figid_field = name_part(figid);
    out.extend_from_slice(name_part(title.unwrap_or(figid)).as_bytes());
    out.extend_from_slice(b"%PFOCR_");
    out.extend_from_slice(release.as_bytes());
    out.push(b'%');
    out.extend_from_slice(figid_field.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(FIGURE_PAGE.as_bytes());
    out.extend_from_slice(url_part(figid).as_bytes());
    out.extend_from_slice(b".html");
    for id in ids {
        out.push(b'\t');
        out.extend_from_slice(id.to_string().as_bytes());
    }
    out.push(b'\n');
}

/// A title or figid as one part of a GMT name: tabs and line breaks (which would end the
/// field or the line) become spaces, runs of spaces one space, and `%` (the separator of
/// the name's parts) becomes `_`.
pub fn name_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        let c = match c {
            '%' => '_',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// A figid as a URL path segment (bytes other than letters, digits, `-._~` percent-encoded).
fn url_part(figid: &str) -> String {
    let mut out = String::with_capacity(figid.len());
    for b in figid.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A release label is used in file names and GMT names: letters, digits, `.`, `_`, `-`.
fn check_release(release: &str) -> Result<()> {
    let ok = !release.is_empty()
        && release.len() <= 64
        && release
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Options(format!(
            "--release '{release}': use 1 to 64 letters, digits, '.', '_' or '-' (e.g. 20240510)"
        )))
    }
}

/// `pfocr-<release>-gmt-<Organism>.gmt` for each organism (in the given order), safe on
/// every OS: the organism's characters other than ASCII letters, digits, `-` and `.` become
/// `_` (so `Homo sapiens` gives `Homo_sapiens`), at most 100 of them; two organisms that
/// would share a name, also on a case-insensitive file system, get `-2`, `-3`, ...
pub fn file_names<'a>(release: &str, organisms: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    organisms
        .map(|organism| {
            let mut stem: String = organism
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(100)
                .collect();
            stem = stem.trim_matches(|c| c == '_' || c == '.').to_owned();
            if stem.is_empty() {
                stem = "unknown".into();
            }
            let mut name = format!("pfocr-{release}-gmt-{stem}.gmt");
            let mut n = 2;
            while !taken.insert(name.to_ascii_lowercase()) {
                name = format!("pfocr-{release}-gmt-{stem}-{n}.gmt");
                n += 1;
            }
            name
        })
        .collect()
}

/// Writes `bytes` to `path` through a temporary sibling renamed into place, so a reader
/// never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dest = |source| Error::Destination {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::File::create(&tmp).map_err(dest)?;
    file.write_all(bytes).map_err(dest)?;
    file.sync_all().map_err(dest)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        dest(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_follows_the_pfocr_release_shape() {
        let mut out = Vec::new();
        write_line(
            &mut out,
            Some("TNF\tsignaling  in 50% of\ncells"),
            "20240510",
            "PMC1__f1",
            &[7124, 3569],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "TNF signaling in 50_ of cells%PFOCR_20240510%PMC1__f1\t\
             https://pfocr.wikipathways.org/figures/PMC1__f1.html\t7124\t3569\n"
        );
        let mut out = Vec::new();
        write_line(&mut out, None, "r", "PMC 2/x", &[1]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "PMC 2/x%PFOCR_r%PMC 2/x\thttps://pfocr.wikipathways.org/figures/PMC%202%2Fx.html\t1\n"
        );
    }

    #[test]
    fn distinct_ids_in_order_of_first_mention() {
        let mut genes = vec![(3, 30), (0, 10), (2, 10), (1, 20), (4, 20)];
        assert_eq!(distinct_in_order(&mut genes), vec![10, 20, 30]);
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        let names = file_names(
            "r1",
            [
                "Homo sapiens",
                "homo_sapiens",
                "../etc/passwd",
                "CON",
                "",
                "Mus musculus",
            ]
            .into_iter(),
        );
        assert_eq!(
            names,
            [
                "pfocr-r1-gmt-Homo_sapiens.gmt",
                "pfocr-r1-gmt-homo_sapiens-2.gmt",
                "pfocr-r1-gmt-etc_passwd.gmt",
                "pfocr-r1-gmt-CON.gmt",
                "pfocr-r1-gmt-unknown.gmt",
                "pfocr-r1-gmt-Mus_musculus.gmt",
            ]
        );
    }

    #[test]
    fn release_labels_are_checked() {
        assert!(check_release("20240510").is_ok());
        assert!(check_release("v2.1-rc_1").is_ok());
        for bad in ["", "a b", "a%b", "a/b", &"x".repeat(65)] {
            assert!(check_release(bad).is_err(), "{bad}");
        }
    }
}
