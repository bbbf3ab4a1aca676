//! Run configuration: [`Settings`] is what a user typed (CLI flags or a pipeline file's
//! `options:`), [`ConvertOptions`] the validated value a run uses. Both front ends build it
//! with [`ConvertOptions::from_settings`], so `convert` and `run` share one code path.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::write::WriteOptions;

/// Largest figure or TSV file read (bigger ones are `too_large` rejects).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 << 20;
/// Records decoded together into one batch by one worker.
pub const DEFAULT_BATCH_RECORDS: usize = 256;
/// Most decoding threads a run starts. More buys nothing (decoding is CPU-bound and the
/// writer is one thread per table) and each thread holds chunks in flight, so `--threads
/// 99999` would spawn 99,999 threads and buffer 400,000 chunks: it is lowered to this,
/// with a note on stderr.
pub const MAX_THREADS: usize = 256;

/// Convert options as given by a user; every field optional.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Worker threads that decode records [default: all cores]. The output is
    /// byte-identical whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Exit with status 1 when more than N figure files were rejected (the output is still
    /// written).
    #[arg(long, value_name = "N")]
    pub max_rejects: Option<u64>,
    /// Files larger than this are rejected as `too_large` [default: 16 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_record_bytes: Option<u64>,
    /// Records per decoded batch [default: 256].
    #[arg(long, value_name = "N", hide = true)]
    pub batch_records: Option<usize>,
    /// Most rows per Parquet row group [default: 122880].
    #[arg(long, value_name = "N", hide = true)]
    pub row_group_rows: Option<usize>,
    /// Encoded bytes buffered per row group before it is flushed [default: 4 MiB].
    #[arg(long, value_name = "BYTES", hide = true)]
    pub row_group_bytes: Option<usize>,
    /// zstd compression level, 1-22 [default: 3].
    #[arg(long, value_name = "LEVEL", hide = true)]
    pub zstd_level: Option<i32>,
}

/// Validated options of one conversion run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvertOptions {
    /// The corpus root (holding `_figures/` and `_data/`).
    pub input: PathBuf,
    /// The output directory.
    pub output: PathBuf,
    pub threads: usize,
    pub max_rejects: Option<u64>,
    pub max_record_bytes: u64,
    pub batch_records: usize,
    pub write: WriteOptions,
    /// Show a progress bar (only ever drawn on a terminal).
    #[serde(skip)]
    pub progress: bool,
    /// What was changed from the user's settings and why (e.g. `--threads` lowered to
    /// [`MAX_THREADS`]): the front end prints these on stderr.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl ConvertOptions {
    /// Defaults for converting `input` into `output`.
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        Self::from_settings(input, output, &Settings::default()).expect("defaults are valid")
    }

    /// Applies and checks user settings.
    pub fn from_settings(
        input: impl Into<PathBuf>,
        output: impl Into<PathBuf>,
        s: &Settings,
    ) -> Result<Self> {
        let mut notes = Vec::new();
        let threads = match s.threads {
            Some(0) => return Err(Error::Options("--threads must be at least 1".into())),
            Some(n) if n > MAX_THREADS => {
                notes.push(format!(
                    "--threads {n} lowered to {MAX_THREADS}, the most a run uses"
                ));
                MAX_THREADS
            }
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS),
        };
        let positive = |v: Option<usize>, name: &str, default: usize| match v {
            Some(0) => Err(Error::Options(format!("{name} must be at least 1"))),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let defaults = WriteOptions::default();
        let zstd_level = s.zstd_level.unwrap_or(defaults.zstd_level);
        if !(1..=22).contains(&zstd_level) {
            return Err(Error::Options(format!(
                "zstd level must be 1 to 22, not {zstd_level}"
            )));
        }
        Ok(ConvertOptions {
            input: input.into(),
            output: output.into(),
            threads,
            max_rejects: s.max_rejects,
            max_record_bytes: match s.max_record_bytes {
                Some(0) => {
                    return Err(Error::Options(
                        "--max-record-bytes must be at least 1".into(),
                    ))
                }
                Some(n) => n,
                None => DEFAULT_MAX_RECORD_BYTES,
            },
            batch_records: positive(s.batch_records, "batch_records", DEFAULT_BATCH_RECORDS)?,
            write: WriteOptions {
                row_group_rows: positive(
                    s.row_group_rows,
                    "row_group_rows",
                    defaults.row_group_rows,
                )?,
                row_group_bytes: positive(
                    s.row_group_bytes,
                    "row_group_bytes",
                    defaults.row_group_bytes,
                )?,
                zstd_level,
            },
            progress: false,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threads_is_refused() {
        let s = Settings {
            threads: Some(0),
            ..Settings::default()
        };
        assert!(ConvertOptions::from_settings("a", "b", &s).is_err());
        let o = ConvertOptions::new("a", "b");
        assert!(o.threads >= 1);
        assert_eq!(o.max_record_bytes, DEFAULT_MAX_RECORD_BYTES);
        assert!(o.notes.is_empty());
    }

    #[test]
    fn threads_above_the_cap_are_lowered_with_a_note() {
        let with = |n| Settings {
            threads: Some(n),
            ..Settings::default()
        };
        let o = ConvertOptions::from_settings("a", "b", &with(99_999)).unwrap();
        assert_eq!(o.threads, MAX_THREADS);
        assert_eq!(o.notes.len(), 1);
        assert!(
            o.notes[0].contains("--threads 99999 lowered to 256"),
            "{:?}",
            o.notes
        );
        let o = ConvertOptions::from_settings("a", "b", &with(MAX_THREADS)).unwrap();
        assert_eq!((o.threads, o.notes.len()), (MAX_THREADS, 0));
    }
}
