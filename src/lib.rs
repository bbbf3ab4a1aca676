//! pfocr-etl converts a Pathway Figure OCR (PFOCR) corpus — Markdown records with YAML front
//! matter, plus sibling TSV tables — into normalised Parquet tables for DuckDB and Polars.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`discover`] → [`read`] → [`decode`] (parallel) → [`merge`] (in order) → [`batch`] →
//! [`write`] → [`publish`] → [`report`], orchestrated by [`convert()`].
//!
//! ```no_run
//! let opts = pfocr_etl::ConvertOptions::new("pfocr-database", "pfocr-parquet");
//! let summary = pfocr_etl::convert(&opts)?;
//! assert_eq!(summary.inputs, summary.converted + summary.rejected);
//! # Ok::<(), pfocr_etl::Error>(())
//! ```

pub mod batch;
pub mod check;
pub mod cli;
pub mod column;
pub mod convert;
pub mod decode;
#[cfg(feature = "delta")]
pub mod delta;
pub mod discover;
pub mod error;
pub mod export;
pub mod floor;
pub mod generate;
pub mod maps;
pub mod merge;
pub mod options;
pub mod ordered;
pub mod pipeline;
pub mod publish;
pub mod read;
pub mod report;
pub mod schema;
pub mod write;

pub use convert::convert;
pub use error::{Error, Reject, RejectKind, Result};
pub use options::{ConvertOptions, RunOptions, Settings};
pub use report::Summary;
pub use schema::{Table, SCHEMA_VERSION};
