//! Finding the inputs: `_figures/**/*.md` in sorted path order, and an index of the
//! `_data/*.tsv` tables by the figid their file name carries.
//!
//! Entries that cannot be listed (symlink loops, permission errors) become `unreadable`
//! rejects here; TSVs whose name fits no figure become `orphan_table` rejects later. The two
//! map files (`_data/wpid_map.tsv`, `_data/ndex_map.tsv`) are noted apart, and every other
//! file of `_data` (neither an entity TSV nor a map) is listed as ignored: not an input.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::{Error, Reject, RejectKind, Result};
use crate::maps::MapKind;
use crate::schema::EntityKind;

mod figures;
mod tables;
pub use figures::{FigureFile, Figures};
use tables::TableIndexBuilder;
pub use tables::{TableFile, TableIndex};

/// The path of a file found at `rel` under `root` (or at `lossy`, when `rel` cannot name it).
fn located(root: &Path, rel: &str, lossy: Option<&Path>) -> PathBuf {
    lossy.map_or_else(|| root.join(rel), Path::to_path_buf)
}

/// The path to keep beside a relative path that cannot name it: one that is not UTF-8, or
/// holds a `\\` (both escaped in the relative path, see [`escape`]).
fn lossy(path: PathBuf) -> Option<Box<Path>> {
    path.to_str()
        .is_none_or(|s| s.contains('\\'))
        .then(|| path.into_boxed_path())
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Corpus {
    pub root: PathBuf,
    /// Figure files in sorted `rel` order.
    pub figures: Figures,
    /// TSVs by the figid in their file name.
    pub tables: TableIndex,
    /// Rejects found while listing (unreadable entries, TSVs with unrecognised names).
    pub rejects: Vec<Reject>,
    /// How many of `rejects` are figure inputs (unreadable entries under `_figures`).
    pub rejected_figures: usize,
    /// The map files found, by [`MapKind::index`].
    pub maps: [Option<TableFile>; 2],
    /// True when another shard of a sharded load reports the maps' bad lines, not this one.
    pub maps_reported_elsewhere: bool,
    /// Files of `_data` that are neither entity TSVs nor maps, sorted: not inputs, listed
    /// in the manifest so that nothing is passed over silently.
    pub ignored: Vec<String>,
}

impl Corpus {
    /// Figure inputs found: the files to convert plus the entries that could not be read.
    pub fn inputs(&self) -> usize {
        self.figures.len() + self.rejected_figures
    }
}

/// Checks that `root` is a corpus (it has a `_figures` directory), before anything is done
/// with it: what [`discover`] checks first.
pub fn require_corpus(root: &Path) -> Result<()> {
    if !root.join("_figures").is_dir() {
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
    Ok(())
}

/// Lists the corpus at `root`.
pub fn discover(root: &Path) -> Result<Corpus> {
    require_corpus(root)?;
    let figures_dir = root.join("_figures");
    // The two folders are listed at once: listing is mostly waiting on the file system, and
    // it runs before any decoding can start.
    let data_dir = root.join("_data");
    let (figures, tables) = std::thread::scope(|s| {
        let tables = data_dir.is_dir().then(|| {
            s.spawn(|| {
                let mut files = Vec::new();
                // A TSV that cannot be read (a dangling symlink) is still indexed: it belongs
                // to the figure its name gives, which is then rejected as unreadable when it
                // reads it, instead of converting without those rows. Every file is handed on:
                // those that are not entity TSVs or maps are listed as ignored.
                let listing = walk(root, &data_dir, None, Some("tsv"), |path, rel| {
                    files.push(TableFile::found(path, rel))
                });
                listing.map(|l| (l, files))
            })
        });
        let mut files = Figures::default();
        let figures = walk(root, &figures_dir, Some("md"), None, |path, rel| {
            files.push(&rel, lossy(path))
        })
        .map(|l| (l, files));
        let tables = tables.map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (figures, tables.transpose())
    });
    let ((mut figures, files), tables) = (figures?, tables?);
    let mut corpus = Corpus {
        root: root.to_path_buf(),
        rejected_figures: figures.unreadable,
        figures: files.sorted(),
        ..Corpus::default()
    };
    corpus.rejects.append(&mut figures.rejects);
    if let Some((mut tables, mut files)) = tables {
        corpus.rejects.append(&mut tables.rejects);
        // Indexed in directory-walk order (component by component), which decides the
        // winner when one figid has two tables of a kind in different folders.
        files.sort_unstable_by(|a, b| {
            walk_order(&a.rel, &b.rel).then_with(|| a.own_path().cmp(&b.own_path()))
        });
        let mut index = TableIndexBuilder::default();
        for file in files {
            if let Some(kind) = MapKind::of_rel(&file.rel) {
                corpus.maps[kind.index()] = Some(file);
                continue;
            }
            index_table(&mut index, &mut corpus.rejects, &mut corpus.ignored, file);
        }
        corpus.ignored.sort_unstable();
        corpus.tables = index.finish();
    }
    corpus.rejects.sort();
    Ok(corpus)
}

/// The order of a directory walk sorted by name, for `/`-separated relative paths: a path
/// sorts before its folder's later siblings (`a/b` < `a-b`), as if `/` were the lowest byte.
fn walk_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { c };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// What listing one folder found, besides the files it handed on.
struct Listing {
    rejects: Vec<Reject>,
    /// Entries that could not be listed.
    unreadable: usize,
}

/// Walks `dir` for files ending in `.ext` (every file for `None`), following symlinks, handing each to `found` (its
/// path and its path relative to `root`) and reporting unreadable entries; an unreadable
/// entry whose name ends in `.hand_on` goes to `found` too (its reader reports it).
/// Entries come in directory order; callers sort them (one sort of the whole list is far
/// cheaper than walkdir's per-directory sort by file name).
fn walk(
    root: &Path,
    dir: &Path,
    ext: Option<&str>,
    hand_on: Option<&str>,
    mut found: impl FnMut(PathBuf, String),
) -> Result<Listing> {
    let mut listing = Listing {
        rejects: Vec::new(),
        unreadable: 0,
    };
    for entry in WalkDir::new(dir).follow_links(true) {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let path = e.into_path();
                if ext.is_some_and(|ext| path.extension().and_then(|x| x.to_str()) != Some(ext)) {
                    continue;
                }
                let rel = relative(root, &path);
                found(path, rel);
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
                if hand_on.is_some() && path.extension().and_then(|x| x.to_str()) == hand_on {
                    let rel = relative(root, &path);
                    found(path, rel);
                    continue;
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
                listing.rejects.push(Reject {
                    message: format!("{rel}: {why}"),
                    source_path: rel,
                    line: None,
                    field: None,
                    kind: RejectKind::Unreadable,
                    column: None,
                });
                listing.unreadable += 1;
            }
        }
    }
    Ok(listing)
}

/// The entity kind and figid a TSV's path names (`_data/<figid>-genes.tsv`, in any folder),
/// if it names one: the key a table is indexed under.
pub fn table_name(rel: &str) -> Option<(EntityKind, &str)> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    EntityKind::ALL.into_iter().find_map(|kind| {
        let figid = name.strip_suffix(kind.tsv_suffix())?;
        (!figid.is_empty()).then_some((kind, figid))
    })
}

/// Files `<figid>-genes.tsv` (etc.) under the figid; any other file is ignored (schema
/// version 2: `_data` also holds files such as `pfocr_curation.rds` that are no input).
fn index_table(
    index: &mut TableIndexBuilder,
    rejects: &mut Vec<Reject>,
    ignored: &mut Vec<String>,
    file: TableFile,
) {
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    let named = table_name(&file.rel).map(|(kind, figid)| (kind, figid.to_owned()));
    let Some((kind, figid)) = named else {
        if let Some(kind) = EntityKind::ALL.into_iter().find(|k| name == k.tsv_suffix()) {
            // An entity table with nothing before its suffix: it names no figure.
            rejects.push(Reject {
                message: format!(
                    "{}: the file name has no figid before {} (expected <figid>{1}), so it \
                     belongs to no figure",
                    file.rel,
                    kind.tsv_suffix()
                ),
                source_path: file.rel,
                line: None,
                field: None,
                kind: RejectKind::OrphanTable,
                column: None,
            });
        } else {
            ignored.push(file.rel);
        }
        return;
    };
    if let Err((file, kept)) = index.add(&figid, kind, file) {
        // Two files for one figid and kind (in different folders of _data).
        rejects.push(Reject {
            message: format!(
                "{}: another table of {} for figid {} is used instead: {}",
                file.rel,
                kind.key(),
                crate::error::quoted(&figid),
                kept.rel
            ),
            source_path: file.rel,
            line: None,
            field: None,
            kind: RejectKind::OrphanTable,
            column: None,
        });
    }
}

/// `path` relative to `root`, with `/` separators, each name [`escape`]d: two different
/// files never get the same relative path (it is the key of a record's rows and of the
/// load state).
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The walk joins plain names, so a UTF-8 path is already in normal form on Unix.
    #[cfg(unix)]
    if let Some(s) = rel.to_str() {
        if !s.contains("//") && !s.starts_with("./") && !s.contains("/./") && !s.contains('\\') {
            return s.to_owned();
        }
    }
    rel.components()
        .map(|c| escape(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

/// A file name as text, losslessly: each byte that is not part of valid UTF-8 becomes
/// `\\xHH` (two upper-case hex digits) and a literal backslash becomes `\\\\`; everything
/// else is kept. So `bad<0xFF>.md` is `bad\\xFF.md`, and a name that really is `bad\\xFF.md`
/// is `bad\\\\xFF.md`: the escape can be undone, and no two names share one.
pub fn escape(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::fmt::Write;
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::with_capacity(name.len());
        for chunk in name.as_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    out.push_str("\\\\");
                } else {
                    out.push(c);
                }
            }
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().replace('\\', "\\\\")
    }
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
        for f in [
            "a-genes.tsv",
            "a-b-chemicals.tsv",
            "stray.tsv",
            "README.md",
            "pfocr_curation.rds",
            "wpid_map.tsv",
            "ndex_map.tsv",
            "-genes.tsv",
        ] {
            fs::write(root.join("_data").join(f), "word\n").unwrap();
        }
        fs::create_dir_all(root.join("_data/sub")).unwrap();
        fs::write(root.join("_data/sub/wpid_map.tsv"), "x\ty\n").unwrap();
        let c = discover(root).unwrap();
        let rels: Vec<_> = c.figures.iter().map(|f| f.rel).collect();
        assert_eq!(rels, ["_figures/a.md", "_figures/b.md"]);
        assert_eq!(c.figures.at(0).stem(), "a");
        let genes = c
            .tables
            .get("a")
            .unwrap()
            .file("a", EntityKind::Genes)
            .unwrap();
        assert_eq!(genes.rel, "_data/a-genes.tsv");
        assert_eq!(genes.path(root), root.join("_data/a-genes.tsv"));
        assert!(c
            .tables
            .get("a-b")
            .unwrap()
            .file("a-b", EntityKind::Chemicals)
            .is_some());
        assert_eq!(c.figures.at(1).path(root), root.join("_figures/b.md"));
        // Neither entity TSVs nor maps: ignored, not rejected (schema version 2).
        assert_eq!(
            c.ignored,
            [
                "_data/README.md",
                "_data/pfocr_curation.rds",
                "_data/stray.tsv",
                "_data/sub/wpid_map.tsv"
            ]
        );
        let rejects: Vec<_> = c
            .rejects
            .iter()
            .map(|r| (r.source_path.as_str(), r.kind))
            .collect();
        assert_eq!(rejects, [("_data/-genes.tsv", RejectKind::OrphanTable)]);
        let maps: Vec<Option<&str>> = c
            .maps
            .iter()
            .map(|m| m.as_ref().map(|f| f.rel.as_str()))
            .collect();
        assert_eq!(
            maps,
            [Some("_data/wpid_map.tsv"), Some("_data/ndex_map.tsv")]
        );
        assert_eq!(c.tables.len(), 2, "maps are not tables of a figid");
        assert_eq!(c.inputs(), 2);
    }

    #[test]
    fn walk_order_is_path_order() {
        let names = [
            "a", "a/b", "a-b", "a/b/c", "a.b", "a/a", "ab", "a/b-c", "b", "a/bc/d",
        ];
        for x in names {
            for y in names {
                assert_eq!(
                    walk_order(x, y),
                    Path::new(x).cmp(Path::new(y)),
                    "{x} vs {y}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn walk_order_matches_path_cmp(
            x in proptest::collection::vec("[ab.-]{1,3}", 1..4),
            y in proptest::collection::vec("[ab.-]{1,3}", 1..4),
        ) {
            // Walked paths are plain names joined by `/`: no `.` or `..` components.
            let plain = |v: &Vec<String>| v.iter().all(|c| c != "." && c != "..");
            proptest::prop_assume!(plain(&x) && plain(&y));
            let (x, y) = (x.join("/"), y.join("/"));
            proptest::prop_assert_eq!(walk_order(&x, &y), Path::new(&x).cmp(Path::new(&y)));
        }
    }

    #[cfg(unix)]
    #[test]
    fn names_are_escaped_losslessly() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let names: [&[u8]; 6] = [
            b"bad\xff.md",
            b"bad\xfe.md",
            b"bad\\xFF.md",
            b"bad\\\\xFF.md",
            b"ok\xce\xb1.md",
            b"cut\xce.md",
        ];
        let escaped: Vec<String> = names.iter().map(|n| escape(OsStr::from_bytes(n))).collect();
        assert_eq!(
            escaped,
            [
                "bad\\xFF.md",
                "bad\\xFE.md",
                "bad\\\\xFF.md",
                "bad\\\\\\\\xFF.md",
                "ok\u{3b1}.md",
                "cut\\xCE.md"
            ]
        );
        let distinct: std::collections::BTreeSet<_> = escaped.iter().collect();
        assert_eq!(distinct.len(), names.len());
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_and_backslash_names_keep_distinct_paths_and_their_files() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let figs = dir.path().join("_figures");
        fs::create_dir_all(&figs).unwrap();
        for (name, body) in [
            (&b"bad\xff.md"[..], "one"),
            (b"bad\xfe.md", "two"),
            (b"bad\\xFF.md", "three"),
        ] {
            fs::write(figs.join(OsStr::from_bytes(name)), body).unwrap();
        }
        let c = discover(dir.path()).unwrap();
        let rels: Vec<_> = c.figures.iter().map(|f| f.rel).collect();
        // Sorted as text: `\\\\` (0x5C) before `\\x` (0x78).
        assert_eq!(
            rels,
            [
                "_figures/bad\\\\xFF.md",
                "_figures/bad\\xFE.md",
                "_figures/bad\\xFF.md"
            ]
        );
        let bodies: Vec<String> = c
            .figures
            .iter()
            .map(|f| fs::read_to_string(f.path(dir.path())).unwrap())
            .collect();
        assert_eq!(bodies, ["three", "two", "one"]);
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
