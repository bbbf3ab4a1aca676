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
    /// The output directory.
    pub output: PathBuf,
    /// Convert options, as on the command line (`max_rejects`, `threads`, ...).
    #[serde(default)]
    pub options: Settings,
}

/// Reads the pipeline file at `path` into convert options; relative paths in it are taken
/// relative to the file's own directory, so a pipeline runs the same from any directory.
pub fn load(path: &Path) -> Result<ConvertOptions> {
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
    ConvertOptions::from_settings(resolve(&file.input), resolve(&file.output), &file.options)
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
        let o = load(&p).unwrap();
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
