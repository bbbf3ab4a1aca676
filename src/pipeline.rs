//! Pipeline files: `pipelines/<name>.yaml` names the input, the output (Parquet files) or
//! the table (a Delta load), and the options, read with serde into the same [`Settings`]
//! and [`LoadSettings`] the command line fills, and built into options by the same
//! functions ([`ConvertOptions::from_settings`], `LoadOptions::from_settings`).
//!
//! ```yaml
//! input: ../data/sample        # relative paths are relative to this file
//! output: ../out/sample
//! options:
//!   threads: 2
//!   max_rejects: 20
//! ```
//!
//! A load names `table:` instead of `output:`, with `load:` (`shard`, `full_refresh`,
//! `dry_run`, `summary_json`) and `storage:` (object store options, as
//! `--storage-option`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
#[cfg(feature = "delta")]
use crate::options::LoadSettings;
use crate::options::{ConvertOptions, Settings, StorageOptions};

/// The contents of a pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    /// A short description, shown nowhere but the file itself.
    #[serde(default)]
    pub description: Option<String>,
    /// The corpus root.
    pub input: PathBuf,
    /// The output directory (a conversion to Parquet files).
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// The Delta table location (a load; see `pfocr-etl load`): a path or URI.
    #[serde(default)]
    pub table: Option<String>,
    /// Convert options, as on the command line (`max_rejects`, `threads`, ...).
    #[serde(default)]
    pub options: Settings,
    /// Load options (`shard`, `full_refresh`, `dry_run`, `summary_json`), with `table`.
    #[cfg(feature = "delta")]
    #[serde(default)]
    pub load: LoadSettings,
    /// Object store options of `table` (`AWS_REGION: eu-west-1`, ...), as
    /// `--storage-option` gives them.
    #[serde(default)]
    pub storage: Option<StorageOptions>,
}

/// What a pipeline file asks for.
#[derive(Debug)]
pub enum Job {
    /// Convert into Parquet files under `output`.
    Convert(ConvertOptions),
    /// Load into the Delta tables at `options.table`, and write the summary to
    /// `summary_json` (`-`: stdout) when it is set.
    #[cfg(feature = "delta")]
    Load {
        options: crate::delta::LoadOptions,
        summary_json: Option<PathBuf>,
    },
}

/// Reads the pipeline file at `path`; relative paths in it (also a relative `table`) are
/// taken relative to the file's own directory, so a pipeline runs the same from anywhere.
pub fn load(path: &Path) -> Result<Job> {
    let err = |reason: String| Error::Pipeline {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let file: PipelineFile = serde_saphyr::from_str(&text).map_err(|e| err(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    match (&file.output, &file.table) {
        (Some(_), None) if file.storage.is_some() => Err(err(
            "`storage:` holds object store options for a Delta `table:`; a conversion to \
             `output:` uses none"
                .to_owned(),
        )),
        (Some(output), None) => Ok(Job::Convert(ConvertOptions::from_settings(
            resolve(&file.input),
            resolve(output),
            &file.options,
        )?)),
        #[cfg(feature = "delta")]
        (None, Some(table)) => {
            let mut load = file.load.clone();
            // A URI (s3://, file://, ...) is used as written; a plain path is relative to the file.
            load.table = if table.contains("://") {
                table.clone()
            } else {
                resolve(Path::new(table)).to_string_lossy().into_owned()
            };
            if let Some(storage) = &file.storage {
                load.storage = storage.into();
            }
            let summary_json = load
                .summary_json
                .as_deref()
                .map(|p| if p.as_os_str() == "-" { p.to_path_buf() } else { resolve(p) });
            Ok(Job::Load {
                options: crate::delta::LoadOptions::from_settings(
                    resolve(&file.input),
                    &file.options,
                    &load,
                )?,
                summary_json,
            })
        }
        #[cfg(not(feature = "delta"))]
        (None, Some(_)) => Err(err(
            "`table:` asks for a Delta Lake load, and this pfocr-etl was built without Delta \
             support; build it with `cargo build --release --features delta`"
                .to_owned(),
        )),
        _ => Err(err(
            "give either `output:` (a directory of Parquet files) or `table:` (Delta tables), not both or neither"
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipeline file `p.yaml` holding `text`, in a directory of its own.
    fn pipeline_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.yaml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn reads_paths_relative_to_the_file() {
        let (dir, p) = pipeline_file(
            "input: corpus\noutput: /tmp/out\noptions:\n  threads: 3\n  max_rejects: 5\n",
        );
        let Job::Convert(o) = load(&p).unwrap() else {
            panic!("a conversion")
        };
        assert_eq!(o.input, dir.path().join("corpus"));
        assert_eq!(o.output, PathBuf::from("/tmp/out"));
        assert_eq!((o.run.threads, o.run.max_rejects), (3, Some(5)));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let (_dir, p) = pipeline_file("input: a\noutput: b\noptions:\n  thread: 3\n");
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("thread"), "{e}");
    }

    #[cfg(feature = "delta")]
    #[test]
    fn a_load_pipeline_builds_load_options_with_its_storage_map() {
        let (dir, p) = pipeline_file(
            "input: corpus\ntable: s3://bucket/pfocr\noptions:\n  max_rejects: 2\n\
             load:\n  shard: 1/3\n  summary_json: s.json\n\
             storage:\n  AWS_REGION: eu-west-1\n  AWS_ALLOW_HTTP: true\n",
        );
        let Job::Load {
            options,
            summary_json,
        } = load(&p).unwrap()
        else {
            panic!("a load")
        };
        assert_eq!(options.input, dir.path().join("corpus"));
        assert_eq!(options.table, "s3://bucket/pfocr");
        assert_eq!(options.shard.to_string(), "1/3");
        assert_eq!(options.convert.max_rejects, Some(2));
        assert_eq!(options.storage.keys(), ["AWS_ALLOW_HTTP", "AWS_REGION"]);
        assert_eq!(options.storage["AWS_ALLOW_HTTP"], "true");
        assert_eq!(summary_json, Some(dir.path().join("s.json")));
    }

    #[test]
    fn a_bad_shard_or_storage_on_a_conversion_is_refused() {
        let (_dir, p) = pipeline_file("input: a\noutput: b\nstorage:\n  AWS_REGION: x\n");
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("storage") && e.contains("table"), "{e}");
        #[cfg(feature = "delta")]
        {
            std::fs::write(&p, "input: a\ntable: t\nload:\n  shard: 3/2\n").unwrap();
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains("3/2") && e.contains("numbered 0 to 1"), "{e}");
        }
    }
}
