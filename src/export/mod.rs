//! Exports of converted tables for the people who use PFOCR: gene sets per organism in GMT
//! ([`gmt`]) and one JSON object per figure for search indexes ([`jsonl`]). Both read a
//! `convert` output directory or the Delta tables of `load` ([`tables`]).

mod gmt;
mod jsonl;
mod tables;

use std::io::Write;
use std::path::PathBuf;

pub use gmt::{export_gmt, GmtFile, GmtOptions, GmtSummary};
pub use jsonl::{export_jsonl, JsonlSummary};
pub use tables::Tables;

use crate::error::Error;
use crate::options::StorageArgs;

/// `pfocr-etl export <FORMAT>`.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// One GMT gene-set file per organism (figures with at least --min-genes distinct
    /// Entrez genes), named and laid out like PFOCR's release GMTs.
    #[command(
        after_help = concat!(
            "Examples:\n",
            "  pfocr-etl export gmt pfocr-parquet --out gmt/ --release 20240510\n",
            "  pfocr-etl export gmt s3://bucket/pfocr --out gmt/ \\\n",
            "      --organism 'Homo sapiens' --min-score 0.8\n\n",
            "Writes <OUT>/pfocr-<RELEASE>-gmt-<Organism_name>.gmt; each line is\n",
            "  <figure title>%PFOCR_<RELEASE>%<figid>\n",
            "  TAB https://pfocr.wikipathways.org/figures/<figid>.html\n",
            "  TAB <Entrez id> TAB <Entrez id> ...\n\n",
            "Exit status: 0 success, 2 usage or other error, 3 convert output unreadable,\n",
            "4 output unwritable or Delta tables unreachable."
        )
    )]
    Gmt {
        /// A `convert` output directory, or the root of `load`'s Delta tables (path or URI).
        tables: String,
        /// The directory to write the GMT files into (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        /// Leave out gene sets with fewer distinct Entrez genes than this.
        #[arg(long, default_value_t = 3, value_name = "N")]
        min_genes: usize,
        /// Leave out figures whose pathway_score is below this (or NULL).
        #[arg(long, value_name = "SCORE")]
        min_score: Option<f64>,
        /// Release label in file and gene-set names (letters, digits, '.', '_', '-').
        #[arg(long, default_value = "current", value_name = "LABEL")]
        release: String,
        /// Only this organism (repeatable), e.g. --organism 'Homo sapiens'.
        #[arg(long = "organism", value_name = "NAME")]
        organisms: Vec<String>,
        #[command(flatten)]
        storage: StorageArgs,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// One JSON object per figure (its columns and nested genes, chemicals, diseases), in
    /// figid order.
    #[command(
        after_help = concat!(
            "Examples:\n",
            "  pfocr-etl export jsonl pfocr-parquet --out figures.jsonl\n",
            "  pfocr-etl export jsonl /data/lake/pfocr --out - | gzip > figures.jsonl.gz\n\n",
            "Exit status: 0 success, 2 usage or other error, 3 convert output unreadable,\n",
            "4 output unwritable or Delta tables unreachable."
        )
    )]
    Jsonl {
        /// A `convert` output directory, or the root of `load`'s Delta tables (path or URI).
        tables: String,
        /// The file to write, or `-` for stdout.
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
}

/// Runs an export command, printing its summary on stderr.
pub fn run(command: ExportCommand) -> anyhow::Result<()> {
    match command {
        ExportCommand::Gmt {
            tables,
            out,
            min_genes,
            min_score,
            release,
            organisms,
            storage,
            quiet,
        } => {
            let started = std::time::Instant::now();
            let tables = Tables::open_with(&tables, &storage.options())?;
            let opts = GmtOptions {
                out,
                min_genes,
                min_score,
                release,
                organisms,
            };
            let s = export_gmt(&tables, &opts)?;
            if !quiet {
                for f in &s.files {
                    eprintln!(
                        "{}: {} gene sets ({})",
                        f.path.display(),
                        f.gene_sets,
                        f.organism
                    );
                }
                for wanted in &opts.organisms {
                    if !s
                        .files
                        .iter()
                        .any(|f| f.organism.eq_ignore_ascii_case(wanted))
                    {
                        eprintln!("pfocr-etl: no gene set for organism '{wanted}'");
                    }
                }
                eprintln!(
                    "{} files in {:.2} s; left out: {} gene sets with fewer than {} genes, {} figures below --min-score, {} gene rows without an organism",
                    s.files.len(),
                    started.elapsed().as_secs_f64(),
                    s.too_few_genes,
                    opts.min_genes,
                    s.below_min_score,
                    s.rows_without_organism
                );
            }
            Ok(())
        }
        ExportCommand::Jsonl {
            tables,
            out,
            storage,
            quiet,
        } => {
            let started = std::time::Instant::now();
            let tables = Tables::open_with(&tables, &storage.options())?;
            let s = if out.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
                export_jsonl(&tables, &mut w)?
            } else {
                write_file(&out, |w| export_jsonl(&tables, w))?
            };
            if !quiet {
                let spilled = if s.spilled.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (not in figid order, sorted through a spill file: {})",
                        s.spilled.join(", ")
                    )
                };
                eprintln!(
                    "{} figures in {:.2} s{spilled}",
                    s.figures,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
    }
}

/// Writes `path` through `f` into a temporary sibling, renamed into place when complete.
fn write_file<T>(
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> crate::Result<T>,
) -> crate::Result<T> {
    let dest = |source| Error::Destination {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(dest)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let result = f(&mut w).and_then(|v| {
        let file = w.into_inner().map_err(|e| dest(e.into_error()))?;
        file.sync_all().map_err(dest)?;
        std::fs::rename(&tmp, path).map_err(dest)?;
        Ok(v)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
