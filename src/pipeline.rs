//! Pipeline files: `pipelines/<name>.yaml` names the input, the output and the convert
//! options, read with serde into the same [`Settings`] the command line fills.
//!
//! ```yaml
//! input: ../data/sample        # relative paths are relative to this file
//! output: ../out/sample
//! options:
//!   threads: 2
//!   max_rejects: 20
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::options::{ConvertOptions, Settings};

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
    /// Load options (`shard`, `full_refresh`, `summary_json`), with `table`.
    #[cfg(feature = "delta")]
    #[serde(default)]
    pub load: crate::cli::LoadArgs,
}

/// What a pipeline file asks for.
#[derive(Debug)]
pub enum Job {
    /// Convert into Parquet files under `output`.
    Convert(ConvertOptions),
    /// Load into the Delta tables at `table`.
    #[cfg(feature = "delta")]
    Load(ConvertOptions, crate::cli::LoadArgs),
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
        (Some(output), None) => Ok(Job::Convert(ConvertOptions::from_settings(
            resolve(&file.input),
            resolve(output),
            &file.options,
        )?)),
        #[cfg(feature = "delta")]
        (None, Some(table)) => {
            let opts = ConvertOptions::from_settings(resolve(&file.input), PathBuf::new(), &file.options)?;
            let mut load = file.load.clone();
            // A URI (s3://, file://, ...) is used as written; a plain path is relative to the file.
            load.table = if table.contains("://") {
                table.clone()
            } else {
                resolve(Path::new(table)).to_string_lossy().into_owned()
            };
            load.summary_json = load.summary_json.map(|p| {
                if p.as_os_str() == "-" { p } else { resolve(&p) }
            });
            Ok(Job::Load(opts, load))
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

    #[test]
    fn reads_paths_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.yaml");
        std::fs::write(
            &p,
            "input: corpus\noutput: /tmp/out\noptions:\n  threads: 3\n  max_rejects: 5\n",
        )
        .unwrap();
        let Job::Convert(o) = load(&p).unwrap() else {
            panic!("a conversion")
        };
        assert_eq!(o.input, dir.path().join("corpus"));
        assert_eq!(o.output, PathBuf::from("/tmp/out"));
        assert_eq!((o.threads, o.max_rejects), (3, Some(5)));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.yaml");
        std::fs::write(&p, "input: a\noutput: b\noptions:\n  thread: 3\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("thread"), "{e}");
    }
}
