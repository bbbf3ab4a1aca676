//! The load state kept beside the tables: the `_pfocr_sources` Delta table, one row per
//! corpus file with its content hash, and the plan that compares it with the corpus now.
//!
//! A figure file is decoded again when it is new, its bytes changed, one of its TSVs was
//! added, changed or removed, or it was rejected last time (so its reject row is rebuilt);
//! every other converted record is kept as it is. Rows are replaced by figid, which makes
//! re-applying a load that was cut off halfway harmless.
//!
//! Reading every file on each load would make a load with nothing changed cost a good part
//! of a full one, so each row also keeps the file's [`Stamp`] (size, mtime, ctime), and the
//! options row the time the load's scan started. A file whose stamp equals the last load's
//! and whose mtime and ctime are older than that scan's start by more than
//! [`STAMP_SLACK_NS`] keeps its last hash without being read; any other file is read and
//! hashed (`--verify` reads every file). The slack covers timestamp granularity: a file
//! written while (or just before) the last load scanned it has times not older than that
//! scan's start minus the slack, so it is hashed, never trusted.
//!
//! The `_data` map files are state rows too: when one changes, every record is decoded
//! again (any figure's `wpid` or `ndex` may change). One more row records the schema version
//! the load wrote; a state without it (or with an older one) makes the next load rebuild the
//! shard's rows at the current version.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::arrow::array::{
    Array, AsArray, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder,
};
use crate::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
use twox_hash::XxHash3_128;

use crate::discover::Corpus;
use crate::error::{Error, Result};
use crate::merge::Kept;

/// The name of the state table beside the five output tables.
pub const SOURCES_TABLE: &str = "_pfocr_sources";

/// What a state row describes.
pub const KIND_FIGURE: &str = "figure";
/// A `_data` TSV indexed under the figid its name carries (`figid` holds that figid).
pub const KIND_TABLE: &str = "table";
/// An entry found while listing that is a reject by itself (unreadable, badly named TSV).
pub const KIND_LISTED: &str = "listed";
/// The one row that records what the load converted with ([`options_fingerprint`]), under
/// the source path [`OPTIONS_PATH`].
pub const KIND_OPTIONS: &str = "options";
/// The source path of the options row: empty, which no corpus file has.
pub const OPTIONS_PATH: &str = "";

/// Everything besides the corpus that decides what a load converts: the tool and schema
/// version and the options that change rows (`--max-record-bytes` makes files `too_large`).
/// Options that change only the encoding or the speed (threads, batch and row group sizes,
/// zstd level) are left out: rows are the same whatever they are.
pub fn options_fingerprint(opts: &crate::options::RunOptions) -> String {
    format!(
        "pfocr-etl {} schema {} max_record_bytes={}",
        env!("CARGO_PKG_VERSION"),
        crate::SCHEMA_VERSION,
        opts.max_record_bytes
    )
}

/// Takes the options row out of a state read back, returning its fingerprint (`None` for a
/// state written before options were recorded).
pub fn take_options(rows: &mut BTreeMap<String, SourceRow>) -> Option<String> {
    match rows.get(OPTIONS_PATH) {
        Some(r) if r.kind == KIND_OPTIONS => rows.remove(OPTIONS_PATH).map(|r| r.content_hash),
        _ => None,
    }
}
/// A `_data` map file (`wpid_map.tsv`, `ndex_map.tsv`).
pub const KIND_MAP: &str = "map";
/// The row that records the schema version the load wrote (its `content_hash`), under
/// [`SCHEMA_ROW`]: not a file.
pub const KIND_SCHEMA: &str = "schema";
/// The `source_path` of the schema version row (no corpus path starts with `<`).
pub const SCHEMA_ROW: &str = "<schema_version>";

/// A file is trusted unchanged by its [`Stamp`] only when its times are older than the last
/// scan's start by more than this: 2 s, the coarsest mtime granularity in common use (FAT),
/// far above the coarse kernel clock that stamps files on ext4, XFS or APFS.
pub const STAMP_SLACK_NS: i64 = 2_000_000_000;

/// What `stat` says of a file: when all of it equals the last load's, and the file is old
/// enough (see the module documentation), the bytes are taken as unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: i64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Status change time (ctime, which no tool can set back), nanoseconds since the Unix
    /// epoch; 0 where the platform has none.
    pub ctime_ns: i64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        let ns = |t: std::io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i64)
        };
        #[cfg(unix)]
        let ctime_ns = {
            use std::os::unix::fs::MetadataExt as _;
            meta.ctime() * 1_000_000_000 + meta.ctime_nsec()
        };
        #[cfg(not(unix))]
        let ctime_ns = 0;
        Stamp {
            size: meta.len() as i64,
            mtime_ns: ns(meta.modified()),
            ctime_ns,
        }
    }

    /// True when this stamp is the last load's and the file was last touched well before
    /// that load's scan started (`scanned_ns`), so its bytes are the ones that load hashed.
    fn trusted(&self, before: Option<Stamp>, scanned_ns: Option<i64>) -> bool {
        let (Some(before), Some(scanned)) = (before, scanned_ns) else {
            return false;
        };
        *self == before && self.mtime_ns.max(self.ctime_ns) < scanned - STAMP_SLACK_NS
    }
}

/// One file of the corpus as the last load saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub source_path: String,
    pub kind: String,
    /// xxh3-128 of the file's bytes, hex (empty for listed entries).
    pub content_hash: String,
    /// Figure: the figid it converted to (NULL when rejected). Table: the figid in its name.
    pub figid: Option<String>,
    /// Figure: true when its entities came from inline lists.
    pub inline: Option<bool>,
    /// The load that last wrote this row.
    pub load_version: i64,
    /// The file's stamp when it was hashed (`None` for rows that are not files, and in a
    /// state written before stamps were kept). The options row holds the scan's start time
    /// in `mtime_ns` ([`scan_started`]).
    pub stamp: Option<Stamp>,
}

/// The Arrow schema of `_pfocr_sources`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source_path", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("content_hash", DataType::Utf8, false),
        Field::new("figid", DataType::Utf8, true),
        Field::new("inline", DataType::Boolean, true),
        Field::new("load_version", DataType::Int64, false),
        Field::new("size", DataType::Int64, true),
        Field::new("mtime_ns", DataType::Int64, true),
        Field::new("ctime_ns", DataType::Int64, true),
    ]))
}

/// The corpus now, as the hashing pass read it.
pub struct Scan {
    /// Every owned file by path, with its kind, hash and (for TSVs) figid key.
    pub rows: BTreeMap<String, SourceRow>,
    /// Bytes of the files (their sizes, whether read or not).
    pub bytes: u64,
    /// Files read and hashed (the others kept the last load's hash by their stamp).
    pub hashed: u64,
    /// When the scan started, nanoseconds since the Unix epoch (kept in the state for the
    /// next load's stamp check).
    pub started_ns: i64,
}

/// The time the last load's scan started, from its state (`None`: a state from before
/// stamps were kept, whose stamps are then never trusted).
pub fn scan_started(before: &BTreeMap<String, SourceRow>) -> Option<i64> {
    before
        .get(OPTIONS_PATH)
        .filter(|r| r.kind == KIND_OPTIONS)
        .and_then(|r| r.stamp)
        .map(|s| s.mtime_ns)
}

/// Hashes every owned file of `corpus`, except the files that `before` (the last load's
/// state, whose scan started at `scanned_ns`) shows unchanged by their [`Stamp`]; those
/// keep their last hash unread. Without a state or a scan time (`--verify`) every file is
/// read.
pub fn scan(
    corpus: &Corpus,
    before: Option<&BTreeMap<String, SourceRow>>,
    scanned_ns: Option<i64>,
) -> Result<Scan> {
    let started_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let mut jobs: Vec<(
        String,
        &'static str,
        Option<std::path::PathBuf>,
        Option<String>,
    )> = Vec::new();
    for f in corpus.figures.iter() {
        jobs.push((
            f.rel.to_owned(),
            KIND_FIGURE,
            Some(f.path(&corpus.root)),
            None,
        ));
    }
    for (figid, set) in corpus.tables.iter() {
        for (_, file) in set.files(figid) {
            let path = file.path(&corpus.root);
            jobs.push((file.rel, KIND_TABLE, Some(path), Some(figid.to_owned())));
        }
    }
    for file in corpus.maps.iter().flatten() {
        let path = file.path(&corpus.root);
        jobs.push((file.rel.clone(), KIND_MAP, Some(path), None));
    }
    for r in &corpus.rejects {
        jobs.push((r.source_path.clone(), KIND_LISTED, None, None));
    }
    let hashed: Vec<(SourceRow, u64, bool)> = jobs
        .into_par_iter()
        .map(|(rel, kind, path, figid)| {
            let last = before
                .and_then(|b| b.get(&rel))
                .filter(|b| b.kind == kind && scanned_ns.is_some());
            let (hash, stamp, bytes, read) = match path {
                None => (String::new(), None, 0, false),
                Some(path) => match std::fs::metadata(&path).map(|m| Stamp::of(&m)) {
                    Ok(stamp) if stamp.trusted(last.and_then(|l| l.stamp), scanned_ns) => {
                        let hash = last.expect("trusted").content_hash.clone();
                        (hash, Some(stamp), stamp.size as u64, false)
                    }
                    // Stamped before reading: a write after this keeps a newer stamp.
                    stamp => match std::fs::read(&path) {
                        Ok(b) => (
                            format!("{:032x}", XxHash3_128::oneshot(&b)),
                            stamp.ok(),
                            b.len() as u64,
                            true,
                        ),
                        // Unreadable now: a value no content hashes to, so it counts as
                        // changed.
                        Err(e) => (format!("unreadable: {e}"), None, 0, true),
                    },
                },
            };
            let row = SourceRow {
                source_path: rel,
                kind: kind.to_owned(),
                content_hash: hash,
                figid,
                inline: None,
                load_version: 0,
                stamp,
            };
            (row, bytes, read)
        })
        .collect();
    let bytes = hashed.iter().map(|(_, b, _)| b).sum();
    let files_read = hashed.iter().filter(|(_, _, read)| *read).count() as u64;
    let mut rows: BTreeMap<String, SourceRow> = hashed
        .into_iter()
        .map(|(r, _, _)| (r.source_path.clone(), r))
        .collect();
    rows.insert(
        SCHEMA_ROW.to_owned(),
        SourceRow {
            source_path: SCHEMA_ROW.to_owned(),
            kind: KIND_SCHEMA.to_owned(),
            content_hash: crate::SCHEMA_VERSION.to_string(),
            figid: None,
            inline: None,
            load_version: 0,
            stamp: None,
        },
    );
    Ok(Scan {
        rows,
        bytes,
        hashed: files_read,
        started_ns,
    })
}

/// True when the last load's state was written at this build's schema version (a state
/// from before version 2 has no schema row).
pub fn schema_current(before: &BTreeMap<String, SourceRow>) -> bool {
    before
        .get(SCHEMA_ROW)
        .is_some_and(|r| r.content_hash == crate::SCHEMA_VERSION.to_string())
}

/// What a load must do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Indices into `corpus.figures` of the figure files to decode, ascending.
    pub decode: Vec<usize>,
    /// Converted records of the last load that stay as they are.
    pub kept: Vec<Kept>,
    /// figids whose rows leave the data tables (their records changed or went away).
    pub remove_figids: HashSet<String>,
    /// Figure files new since the last load, changed, and gone (source paths).
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// True when nothing at all differs from the last load.
    pub unchanged: bool,
    /// True when every table is rebuilt (first load, `--full-refresh`).
    pub full: bool,
}

/// Compares the corpus now with the last load's state (`None`: rebuild everything).
pub fn plan(
    corpus: &Corpus,
    now: &BTreeMap<String, SourceRow>,
    before: Option<&BTreeMap<String, SourceRow>>,
) -> Plan {
    let Some(before) = before else {
        return Plan {
            decode: (0..corpus.figures.len()).collect(),
            added: corpus.figures.iter().map(|f| f.rel.to_owned()).collect(),
            full: true,
            ..Plan::default()
        };
    };
    let same = |a: &SourceRow, b: &SourceRow| a.kind == b.kind && a.content_hash == b.content_hash;
    let mut plan = Plan {
        unchanged: now.len() == before.len()
            && now
                .iter()
                .all(|(p, r)| before.get(p).is_some_and(|b| same(r, b))),
        ..Plan::default()
    };
    if plan.unchanged {
        return plan;
    }
    // A path of the last load is gone as that kind when it is missing now or is now of
    // another kind: a figure or TSV that became unreadable (a symlink whose target was
    // removed) is a listed reject now, and its old rows must go as if it were deleted.
    let gone = |path: &str, kind: &str| now.get(path).is_none_or(|r| r.kind != kind);
    // A map file added, changed or removed: any record's wpid or ndex may differ.
    let maps_changed = now
        .iter()
        .filter(|(_, r)| r.kind == KIND_MAP)
        .any(|(p, r)| !before.get(p).is_some_and(|b| same(r, b)))
        || before
            .iter()
            .any(|(p, b)| b.kind == KIND_MAP && !now.contains_key(p));
    // figid keys whose TSV set changed: a TSV added, changed or removed.
    let mut dirty_keys: HashSet<&str> = HashSet::new();
    for (path, r) in now.iter().filter(|(_, r)| r.kind == KIND_TABLE) {
        if !before.get(path).is_some_and(|b| same(r, b)) {
            dirty_keys.extend(r.figid.as_deref());
        }
    }
    for (path, b) in before.iter().filter(|(_, b)| b.kind == KIND_TABLE) {
        if gone(path, KIND_TABLE) {
            dirty_keys.extend(b.figid.as_deref());
        }
    }
    for (i, f) in corpus.figures.iter().enumerate() {
        let r = &now[f.rel];
        match before.get(f.rel) {
            None => {
                plan.added.push(f.rel.to_owned());
                plan.decode.push(i);
            }
            Some(b) => {
                let converted = b.figid.as_deref();
                let clean = !maps_changed
                    && same(r, b)
                    && converted.is_some_and(|id| !dirty_keys.contains(id));
                if clean {
                    plan.kept.push(Kept {
                        figid: b.figid.clone().expect("checked"),
                        source_path: f.rel.to_owned(),
                        inline: b.inline.unwrap_or(false),
                    });
                    continue;
                }
                if !same(r, b) || converted.is_some_and(|id| dirty_keys.contains(id)) {
                    plan.changed.push(f.rel.to_owned());
                }
                plan.remove_figids.extend(b.figid.clone());
                plan.decode.push(i);
            }
        }
    }
    for (path, b) in before.iter().filter(|(_, b)| b.kind == KIND_FIGURE) {
        if gone(path, KIND_FIGURE) {
            // Still an input when it is listed now (a reject): changed, not deleted.
            if now.contains_key(path) {
                plan.changed.push(path.clone());
            } else {
                plan.deleted.push(path.clone());
            }
            plan.remove_figids.extend(b.figid.clone());
        }
    }
    plan.changed.sort();
    plan
}

/// The state rows of this load as one batch: `now`, with the figid and entity source of
/// every converted figure taken from `converted` (source path → (figid, inline)).
/// The first row is the options row ([`KIND_OPTIONS`]) holding `options` and, in
/// `mtime_ns`, `scan_started_ns` (when this load's scan started).
pub fn state_batch(
    now: &BTreeMap<String, SourceRow>,
    converted: &BTreeMap<String, (String, bool)>,
    options: &str,
    load_version: i64,
    scan_started_ns: i64,
) -> Result<RecordBatch> {
    let mut path = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut hash = StringBuilder::new();
    let mut figid = StringBuilder::new();
    let mut inline = BooleanBuilder::new();
    let mut version = Int64Builder::new();
    let mut size = Int64Builder::new();
    let mut mtime = Int64Builder::new();
    let mut ctime = Int64Builder::new();
    path.append_value(OPTIONS_PATH);
    size.append_null();
    mtime.append_value(scan_started_ns);
    ctime.append_null();
    kind.append_value(KIND_OPTIONS);
    hash.append_value(options);
    figid.append_null();
    inline.append_null();
    version.append_value(load_version);
    for r in now.values() {
        path.append_value(&r.source_path);
        kind.append_value(&r.kind);
        hash.append_value(&r.content_hash);
        if r.kind == KIND_FIGURE {
            match converted.get(&r.source_path) {
                Some((id, is_inline)) => {
                    figid.append_value(id);
                    inline.append_value(*is_inline);
                }
                None => {
                    figid.append_null();
                    inline.append_null();
                }
            }
        } else {
            figid.append_option(r.figid.as_deref());
            inline.append_null();
        }
        version.append_value(load_version);
        size.append_option(r.stamp.map(|s| s.size));
        mtime.append_option(r.stamp.map(|s| s.mtime_ns));
        ctime.append_option(r.stamp.map(|s| s.ctime_ns));
    }
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(path.finish()),
            Arc::new(kind.finish()),
            Arc::new(hash.finish()),
            Arc::new(figid.finish()),
            Arc::new(inline.finish()),
            Arc::new(version.finish()),
            Arc::new(size.finish()),
            Arc::new(mtime.finish()),
            Arc::new(ctime.finish()),
        ],
    )
    .map_err(|source| Error::Arrow {
        table: SOURCES_TABLE,
        source,
    })
}

/// Reads state rows back from batches of `_pfocr_sources`.
pub fn rows_from_batches(batches: &[RecordBatch]) -> Result<BTreeMap<String, SourceRow>> {
    let mut rows = BTreeMap::new();
    for b in batches {
        let col = |name: &str| {
            b.column_by_name(name)
                .ok_or_else(|| Error::Internal(format!("{SOURCES_TABLE} has no column '{name}'")))
        };
        let (path, kind, hash, figid) = (
            col("source_path")?.as_string::<i32>(),
            col("kind")?.as_string::<i32>(),
            col("content_hash")?.as_string::<i32>(),
            col("figid")?.as_string::<i32>(),
        );
        let inline = col("inline")?.as_boolean();
        let version = col("load_version")?.as_primitive::<crate::arrow::datatypes::Int64Type>();
        // A state written before stamps were kept has no stamp columns.
        let int = |name: &str| {
            b.column_by_name(name).map(|c| {
                c.as_primitive::<crate::arrow::datatypes::Int64Type>()
                    .clone()
            })
        };
        let (size, mtime, ctime) = (int("size"), int("mtime_ns"), int("ctime_ns"));
        let at = |c: &Option<crate::arrow::array::Int64Array>, i: usize| {
            c.as_ref().filter(|c| c.is_valid(i)).map(|c| c.value(i))
        };
        for i in 0..b.num_rows() {
            let row = SourceRow {
                source_path: path.value(i).to_owned(),
                kind: kind.value(i).to_owned(),
                content_hash: hash.value(i).to_owned(),
                figid: figid.is_valid(i).then(|| figid.value(i).to_owned()),
                inline: inline.is_valid(i).then(|| inline.value(i)),
                load_version: version.value(i),
                stamp: at(&mtime, i).map(|mtime_ns| Stamp {
                    size: at(&size, i).unwrap_or(-1),
                    mtime_ns,
                    ctime_ns: at(&ctime, i).unwrap_or(-1),
                }),
            };
            rows.insert(row.source_path.clone(), row);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, kind: &str, hash: &str, figid: Option<&str>) -> SourceRow {
        SourceRow {
            source_path: path.into(),
            kind: kind.into(),
            content_hash: hash.into(),
            figid: figid.map(Into::into),
            inline: Some(false),
            load_version: 1,
            stamp: None,
        }
    }

    fn corpus(paths: &[&str]) -> Corpus {
        Corpus {
            figures: paths.iter().copied().collect(),
            ..Corpus::default()
        }
    }

    fn map(rows: Vec<SourceRow>) -> BTreeMap<String, SourceRow> {
        rows.into_iter()
            .map(|r| (r.source_path.clone(), r))
            .collect()
    }

    #[test]
    fn no_state_means_a_full_load_and_same_state_means_nothing_to_do() {
        let c = corpus(&["_figures/a.md"]);
        let now = map(vec![row("_figures/a.md", KIND_FIGURE, "1", None)]);
        let p = plan(&c, &now, None);
        assert!(p.full && p.decode == [0]);
        let before = map(vec![row("_figures/a.md", KIND_FIGURE, "1", Some("a"))]);
        assert!(plan(&c, &now, Some(&before)).unchanged);
    }

    #[test]
    fn changed_added_deleted_and_tsv_changes_are_decoded_or_removed() {
        let c = corpus(&[
            "_figures/a.md",
            "_figures/b.md",
            "_figures/c.md",
            "_figures/n.md",
        ]);
        let now = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", None),
            row("_figures/b.md", KIND_FIGURE, "2-new", None),
            row("_figures/c.md", KIND_FIGURE, "3", None),
            row("_figures/n.md", KIND_FIGURE, "9", None),
            row("_data/c-genes.tsv", KIND_TABLE, "t2", Some("c")),
        ]);
        let before = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", Some("a")),
            row("_figures/b.md", KIND_FIGURE, "2", Some("b")),
            row("_figures/c.md", KIND_FIGURE, "3", Some("c")),
            row("_figures/gone.md", KIND_FIGURE, "4", Some("g")),
            row("_data/c-genes.tsv", KIND_TABLE, "t1", Some("c")),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert!(!p.unchanged && !p.full);
        assert_eq!(p.decode, [1, 2, 3]);
        assert_eq!(p.kept.len(), 1);
        assert_eq!(p.kept[0].figid, "a");
        assert_eq!(p.added, ["_figures/n.md"]);
        assert_eq!(p.changed, ["_figures/b.md", "_figures/c.md"]);
        assert_eq!(p.deleted, ["_figures/gone.md"]);
        let mut removed: Vec<_> = p.remove_figids.into_iter().collect();
        removed.sort();
        assert_eq!(removed, ["b", "c", "g"]);
    }

    #[test]
    fn a_rejected_record_is_decoded_again_but_not_counted_as_changed() {
        let c = corpus(&["_figures/a.md"]);
        let now = map(vec![row("_figures/a.md", KIND_FIGURE, "1", None)]);
        let before = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", None),
            row("_data/x-genes.tsv", KIND_TABLE, "t", Some("x")),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert_eq!(p.decode, [0]);
        assert!(p.changed.is_empty() && p.kept.is_empty());
    }

    #[test]
    fn a_file_that_became_unreadable_leaves_like_a_deleted_one() {
        // a.md and b's genes TSV are dangling symlinks now: listed rejects.
        let c = corpus(&["_figures/b.md"]);
        let now = map(vec![
            row("_figures/a.md", KIND_LISTED, "", None),
            row("_figures/b.md", KIND_FIGURE, "2", None),
            row("_data/b-genes.tsv", KIND_LISTED, "", None),
        ]);
        let before = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", Some("a")),
            row("_figures/b.md", KIND_FIGURE, "2", Some("b")),
            row("_data/b-genes.tsv", KIND_TABLE, "t", Some("b")),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert_eq!(p.decode, [0], "b is decoded again without its TSV");
        assert!(p.kept.is_empty());
        assert_eq!(p.changed, ["_figures/a.md", "_figures/b.md"]);
        assert!(p.deleted.is_empty());
        let mut removed: Vec<_> = p.remove_figids.into_iter().collect();
        removed.sort();
        assert_eq!(removed, ["a", "b"]);
    }

    #[test]
    fn a_changed_map_decodes_every_record_without_calling_it_changed() {
        let c = corpus(&["_figures/a.md", "_figures/b.md"]);
        let now = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", None),
            row("_figures/b.md", KIND_FIGURE, "2", None),
            row("_data/wpid_map.tsv", KIND_MAP, "m2", None),
        ]);
        let mut before = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", Some("a")),
            row("_figures/b.md", KIND_FIGURE, "2", Some("b")),
            row("_data/wpid_map.tsv", KIND_MAP, "m1", None),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert_eq!(p.decode, [0, 1]);
        assert!(p.kept.is_empty() && p.changed.is_empty() && !p.full);
        assert_eq!(p.remove_figids.len(), 2);
        // The same map: nothing to do. A map removed: everything again.
        before.get_mut("_data/wpid_map.tsv").unwrap().content_hash = "m2".into();
        assert!(plan(&c, &now, Some(&before)).unchanged);
        let without: BTreeMap<_, _> = now
            .clone()
            .into_iter()
            .filter(|(_, r)| r.kind != KIND_MAP)
            .collect();
        assert_eq!(plan(&c, &without, Some(&before)).decode, [0, 1]);
    }

    #[test]
    fn a_stamp_is_trusted_only_when_equal_and_older_than_the_last_scan_by_the_slack() {
        let stamp = Stamp {
            size: 10,
            mtime_ns: 1_000,
            ctime_ns: 2_000,
        };
        let scanned = 2_000 + STAMP_SLACK_NS + 1;
        assert!(stamp.trusted(Some(stamp), Some(scanned)));
        // Touched within the slack of the last scan's start (or after it): hashed.
        assert!(!stamp.trusted(Some(stamp), Some(scanned - 1)));
        assert!(!stamp.trusted(Some(stamp), Some(0)));
        // Any difference, no last stamp, or no last scan time: hashed.
        for other in [
            Stamp { size: 11, ..stamp },
            Stamp {
                mtime_ns: 999,
                ..stamp
            },
            Stamp {
                ctime_ns: 1_999,
                ..stamp
            },
        ] {
            assert!(!stamp.trusted(Some(other), Some(scanned)));
        }
        assert!(!stamp.trusted(None, Some(scanned)));
        assert!(!stamp.trusted(Some(stamp), None));
    }

    #[test]
    fn a_state_without_the_schema_row_is_not_current() {
        let mut before = map(vec![row("_figures/a.md", KIND_FIGURE, "1", Some("a"))]);
        assert!(!schema_current(&before));
        let mut schema_row = row(SCHEMA_ROW, KIND_SCHEMA, "1", None);
        before.insert(SCHEMA_ROW.into(), schema_row.clone());
        assert!(!schema_current(&before));
        schema_row.content_hash = crate::SCHEMA_VERSION.to_string();
        before.insert(SCHEMA_ROW.into(), schema_row);
        assert!(schema_current(&before));
    }

    #[test]
    fn state_rows_round_trip_through_a_batch() {
        let now = map(vec![
            row("_figures/a.md", KIND_FIGURE, "1", None),
            row("_figures/b.md", KIND_FIGURE, "2", None),
            row("_data/a-genes.tsv", KIND_TABLE, "t", Some("a")),
        ]);
        let converted = BTreeMap::from([("_figures/a.md".to_owned(), ("a".to_owned(), true))]);
        let b = state_batch(&now, &converted, "opts-1", 7, 42).unwrap();
        let mut back = rows_from_batches(&[b]).unwrap();
        assert_eq!(scan_started(&back), Some(42));
        assert_eq!(take_options(&mut back).as_deref(), Some("opts-1"));
        assert_eq!(take_options(&mut back), None);
        assert_eq!(back.len(), 3);
        assert_eq!(back["_figures/a.md"].figid.as_deref(), Some("a"));
        assert_eq!(back["_figures/a.md"].inline, Some(true));
        assert_eq!(back["_figures/b.md"].figid, None);
        assert_eq!(back["_data/a-genes.tsv"].figid.as_deref(), Some("a"));
        assert!(back.values().all(|r| r.load_version == 7));
    }
}
