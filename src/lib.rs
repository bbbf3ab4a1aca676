//! pfocr-etl converts a Pathway Figure OCR (PFOCR) corpus — Markdown records with YAML front
//! matter, plus sibling TSV tables — into normalised Parquet tables for DuckDB and Polars.
//!
//! Convert a corpus (here one record of the older generation, with its genes inline) and read
//! the counts back from the [`Summary`]:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pfocr_etl::{convert, ConvertOptions, Table};
//!
//! let dir = tempfile::tempdir()?;
//! let corpus = dir.path().join("pfocr-database");
//! std::fs::create_dir_all(corpus.join("_figures"))?;
//! std::fs::write(
//!     corpus.join("_figures/PMC1__fig1.md"),
//!     "---\nfigid: PMC1__fig1\nyear: '2020'\ngenes:\n- word: RANKL\n  ncbigene_id: '8600'\n---\n",
//! )?;
//!
//! let summary = convert(&ConvertOptions::new(&corpus, dir.path().join("pfocr-parquet")))?;
//! assert_eq!((summary.inputs, summary.converted, summary.rejected), (1, 1, 0));
//! assert_eq!(summary.rows(Table::Figures), 1);
//! assert_eq!(summary.rows(Table::FigureGenes), 1);
//! assert!(dir.path().join("pfocr-parquet/figure_genes/part-00000.parquet").is_file());
//! # Ok(())
//! # }
//! ```
//!
//! What the crate offers:
//! - [`convert()`] a corpus into Parquet files ([`ConvertOptions`] → [`Summary`]);
//!   [`check()`] it the same way, writing nothing ([`CheckReport`]); [`recover()`] an output
//!   directory whose last run was interrupted;
//! - `load` it incrementally into Delta Lake tables and `maintain` them (feature `delta`:
//!   `load`, `LoadOptions`, `LoadSummary`, `maintain`, `MaintainOptions`, ...);
//! - [`export_gmt()`] gene sets and [`export_jsonl()`] figures from [`ConvertedTables`];
//! - [`load_pipeline()`] a pipeline file into a [`PipelineJob`];
//! - the output contract: [`Table`] (the Arrow schemas), [`SCHEMA_VERSION`];
//! - errors: [`Error`] for a run that fails, [`Reject`] for one bad input in a run that goes
//!   on (the binary maps them to its exit statuses in one place, `cli::exit_status`).
//!
//! Inside, one module per stage, imports pointing one way (down): `convert` orchestrates
//! `discover` (the file lists) → `read` (the only file reading) → `decode` (text in, Arrow
//! builders out; in parallel) → `merge` (back in order) → `batch` → `write` → `publish` →
//! `report`, all over the vocabulary of `schema` and `error`. The [`cli`] module is the
//! `pfocr-etl` binary's command line. With the `dev` feature, `pfocr_etl::dev` exposes the
//! internals the benches drive and the synthetic corpus generator.

mod arrow;
mod batch;
mod check;
pub mod cli;
mod column;
mod convert;
mod decode;
#[cfg(feature = "delta")]
mod delta;
#[cfg(feature = "dev")]
pub mod dev;
mod discover;
mod error;
mod export;
#[cfg(feature = "dev")]
mod floor;
#[cfg(feature = "dev")]
mod generate;
mod maps;
mod merge;
mod options;
mod ordered;
mod packed;
mod pipeline;
mod publish;
mod read;
mod report;
mod schema;
mod write;

pub use check::{check, CheckReport};
pub use convert::convert;
#[cfg(feature = "delta")]
pub use delta::{
    load, maintain, LoadOptions, LoadSummary, MaintainOptions, MaintainSummary, Shard,
    TableMaintenance, DEFAULT_RETAIN_HOURS, STATE_FILES_MAX,
};
pub use error::{Error, Reject, RejectKind, Result};
pub use export::{
    export_gmt, export_jsonl, GmtFile, GmtOptions, GmtSummary, JsonlSummary,
    Tables as ConvertedTables,
};
pub use options::{ConvertOptions, RunOptions, Settings, MAX_THREADS};
pub use pipeline::{load as load_pipeline, Job as PipelineJob};
pub use publish::recover;
pub use report::Summary;
pub use schema::{Table, SCHEMA_VERSION, SCHEMA_VERSION_KEY};
pub use write::{TableOutput, WriteOptions};
