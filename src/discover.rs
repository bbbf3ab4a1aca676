//! Finding the inputs: `_figures/**/*.md` in sorted path order, and an index of the
//! `_data/*.tsv` tables by the figid their file name carries.
//!
//! Entries that cannot be listed (symlink loops, permission errors) become `unreadable`
//! rejects here; TSVs whose name fits no figure become `orphan_table` rejects later.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::decode::EntityKind;
use crate::error::{Error, Reject, RejectKind, Result};

/// One figure file to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureFile {
    pub path: PathBuf,
    /// Path relative to the corpus root, `/`-separated: the `source_path` column.
    pub rel: String,
}

impl FigureFile {
    /// The file name without `.md`: the figid by convention, used to pair TSVs with a record
    /// that was rejected before its figid was read.
    pub fn stem(&self) -> &str {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        name.strip_suffix(".md").unwrap_or(name)
    }
}

/// One `_data` TSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFile {
    pub path: PathBuf,
    pub rel: String,
}

/// The TSVs of one figid, by entity kind.
pub type TableSet = [Option<TableFile>; 3];

/// What discovery found.
#[derive(Debug, Default)]
pub struct Corpus {
    pub root: PathBuf,
    /// Figure files in sorted `rel` order.
    pub figures: Vec<FigureFile>,
    /// TSVs by the figid in their file name.
    pub tables: HashMap<String, TableSet>,
    /// Rejects found while listing (unreadable entries, TSVs with unrecognised names).
    pub rejects: Vec<Reject>,
    /// How many of `rejects` are figure inputs (unreadable entries under `_figures`).
    pub rejected_figures: usize,
    /// Bytes of all figure and TSV files found.
    pub bytes: u64,
}

impl Corpus {
    /// Figure inputs found: the files to convert plus the entries that could not be read.
    pub fn inputs(&self) -> usize {
        self.figures.len() + self.rejected_figures
    }
}

/// Lists the corpus at `root`.
pub fn discover(root: &Path) -> Result<Corpus> {
    let figures_dir = root.join("_figures");
    if !figures_dir.is_dir() {
        return Err(Error::Source {
            path: root.to_path_buf(),
            reason: if root.is_dir() {
                "it has no _figures directory (expected _figures/<figid>.md files)".to_owned()
            } else if root.exists() {
                "it is not a directory".to_owned()
            } else {
                "it does not exist".to_owned()
            },
        });
    }
    let mut corpus = Corpus {
        root: root.to_path_buf(),
        ..Corpus::default()
    };
    walk(
        root,
        &figures_dir,
        "md",
        &mut corpus,
        |c, path, rel, size| {
            c.bytes += size;
            c.figures.push(FigureFile { path, rel });
        },
    )?;
    // Paths are unique, so the order is total; `path` only breaks ties of lossy `rel`s.
    corpus
        .figures
        .sort_unstable_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.path.cmp(&b.path)));
    let data_dir = root.join("_data");
    if data_dir.is_dir() {
        let mut found = Vec::new();
        walk(root, &data_dir, "tsv", &mut corpus, |c, path, rel, size| {
            c.bytes += size;
            found.push(TableFile { path, rel });
        })?;
        // Indexed in directory-walk order (component by component), which decides the
        // winner when one figid has two tables of a kind in different folders.
        found.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        for file in found {
            index_table(&mut corpus, file);
        }
    }
    corpus.rejects.sort();
    Ok(corpus)
}

/// Walks `dir` for files ending in `.ext`, following symlinks, reporting unreadable entries.
/// Entries come in directory order; callers sort them (one sort of the whole list is far
/// cheaper than walkdir's per-directory sort by file name).
fn walk(
    root: &Path,
    dir: &Path,
    ext: &str,
    corpus: &mut Corpus,
    mut found: impl FnMut(&mut Corpus, PathBuf, String, u64),
) -> Result<()> {
    let figures = ext == "md";
    for entry in WalkDir::new(dir).follow_links(true) {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let path = e.into_path();
                if path.extension().and_then(|x| x.to_str()) != Some(ext) {
                    continue;
                }
                let size = path.metadata().map(|m| m.len()).unwrap_or(0);
                let rel = relative(root, &path);
                found(corpus, path, rel, size);
            }
            Ok(_) => {}
            Err(err) => {
                let Some(path) = err.path().map(Path::to_path_buf) else {
                    return Err(Error::SourceIo {
                        path: dir.to_path_buf(),
                        source: err.into(),
                    });
                };
                if path == dir {
                    return Err(Error::SourceIo {
                        path,
                        source: err.into(),
                    });
                }
                let why = if err.loop_ancestor().is_some() {
                    "it is a symbolic link loop".to_owned()
                } else {
                    match err.io_error() {
                        Some(io) => format!("it cannot be read: {io}"),
                        None => err.to_string(),
                    }
                };
                let rel = relative(root, &path);
                corpus.rejects.push(Reject {
                    message: format!("{rel}: {why}"),
                    source_path: rel,
                    line: None,
                    field: None,
                    kind: RejectKind::Unreadable,
                });
                if figures {
                    corpus.rejected_figures += 1;
                }
            }
        }
    }
    Ok(())
}

/// Files `<figid>-genes.tsv` (etc.) under the figid; other names are orphans at once.
fn index_table(corpus: &mut Corpus, file: TableFile) {
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel).to_owned();
    for kind in EntityKind::ALL {
        if let Some(figid) = name
            .strip_suffix(kind.tsv_suffix())
            .filter(|f| !f.is_empty())
        {
            let set = corpus.tables.entry(figid.to_owned()).or_default();
            if let Some(other) = &set[kind.index()] {
                // Two files for one figid and kind (in different folders of _data).
                corpus.rejects.push(Reject {
                    message: format!(
                        "{}: another table of {} for figid '{figid}' is used instead: {}",
                        file.rel,
                        kind.key(),
                        other.rel
                    ),
                    source_path: file.rel,
                    line: None,
                    field: None,
                    kind: RejectKind::OrphanTable,
                });
            } else {
                set[kind.index()] = Some(file);
            }
            return;
        }
    }
    corpus.rejects.push(Reject {
        message: format!(
            "{}: the file name does not end in -genes.tsv, -chemicals.tsv or -diseases.tsv, so it belongs to no figure",
            file.rel
        ),
        source_path: file.rel,
        line: None,
        field: None,
        kind: RejectKind::OrphanTable,
    });
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn finds_sorted_figures_and_indexes_tables() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("_figures")).unwrap();
        fs::create_dir_all(root.join("_data")).unwrap();
        for f in ["b.md", "a.md", "notes.txt"] {
            fs::write(root.join("_figures").join(f), "---\n---\n").unwrap();
        }
        for f in ["a-genes.tsv", "a-b-chemicals.tsv", "stray.tsv"] {
            fs::write(root.join("_data").join(f), "word\n").unwrap();
        }
        let c = discover(root).unwrap();
        let rels: Vec<_> = c.figures.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["_figures/a.md", "_figures/b.md"]);
        assert_eq!(c.figures[0].stem(), "a");
        assert!(c.tables["a"][0].is_some());
        assert!(c.tables["a-b"][1].is_some());
        assert_eq!(c.rejects.len(), 1);
        assert_eq!(c.rejects[0].kind, RejectKind::OrphanTable);
        assert_eq!(c.inputs(), 2);
    }

    #[test]
    fn missing_figures_dir_is_a_source_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = discover(dir.path()).unwrap_err();
        assert!(e.to_string().contains("_figures"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_an_unreadable_reject() {
        let dir = tempfile::tempdir().unwrap();
        let figs = dir.path().join("_figures");
        fs::create_dir_all(&figs).unwrap();
        std::os::unix::fs::symlink(&figs, figs.join("loop")).unwrap();
        let c = discover(dir.path()).unwrap();
        assert_eq!(c.rejects.len(), 1);
        assert_eq!(c.rejects[0].kind, RejectKind::Unreadable);
        assert!(
            c.rejects[0].message.contains("loop"),
            "{}",
            c.rejects[0].message
        );
        assert_eq!(c.inputs(), 1);
    }
}
