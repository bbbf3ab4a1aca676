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
    Array, ArrayRef, AsArray, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder,
};
use crate::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
use twox_hash::XxHash3_128;

use crate::discover::{Corpus, TableFile};
use crate::error::{Error, Result};
use crate::merge::KeptRecords;

use super::row_hash::{RowHashes, DATA_TABLES};

/// The name of the state table beside the five output tables.
pub const SOURCES_TABLE: &str = "_pfocr_sources";

/// What a state row describes (the `kind` column), one byte in memory: a load holds two
/// states of every corpus file at once (the last load's and the scan's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A figure file.
    Figure,
    /// A `_data` TSV indexed under the figid its name carries (`figid` holds that figid).
    Table,
    /// An entry found while listing that is a reject by itself (unreadable, badly named TSV).
    Listed,
    /// The one row that records what the load converted with ([`options_fingerprint`]),
    /// under the source path [`OPTIONS_PATH`].
    Options,
    /// A `_data` map file (`wpid_map.tsv`, `ndex_map.tsv`).
    Map,
    /// The row that records the schema version the load wrote (its `content_hash`), under
    /// [`SCHEMA_ROW`]: not a file.
    Schema,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Figure,
        Kind::Table,
        Kind::Listed,
        Kind::Options,
        Kind::Map,
        Kind::Schema,
    ];

    /// The value of the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Figure => "figure",
            Kind::Table => "table",
            Kind::Listed => "listed",
            Kind::Options => "options",
            Kind::Map => "map",
            Kind::Schema => "schema",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The source path of the options row: empty, which no corpus file has.
pub const OPTIONS_PATH: &str = "";

/// A state row's `content_hash`: a file's xxh3-128 as 16 bytes (not 32 hex characters on
/// the heap), or the text the row holds instead (empty for listed entries, the options
/// fingerprint, the schema version, why a file could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hash {
    Xxh3([u8; 16]),
    Text(Box<str>),
}

impl Hash {
    fn of(bytes: &[u8]) -> Hash {
        Hash::Xxh3(XxHash3_128::oneshot(bytes).to_be_bytes())
    }
}

impl From<&str> for Hash {
    /// The inverse of `Display`: 32 lowercase hex digits are a hash, anything else text.
    fn from(s: &str) -> Hash {
        let hex = s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match u128::from_str_radix(s, 16) {
            Ok(v) if hex => Hash::Xxh3(v.to_be_bytes()),
            _ => Hash::Text(s.into()),
        }
    }
}

impl Hash {
    /// Appends the hash's text (as `Display` writes it) to `out`, without the formatter:
    /// a load writes one for every corpus file.
    fn push_to(&self, out: &mut String) {
        match self {
            Hash::Xxh3(bytes) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for b in bytes {
                    out.push(HEX[usize::from(b >> 4)] as char);
                    out.push(HEX[usize::from(b & 15)] as char);
                }
            }
            Hash::Text(t) => out.push_str(t),
        }
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hash::Xxh3(b) => write!(f, "{:032x}", u128::from_be_bytes(*b)),
            Hash::Text(t) => f.write_str(t),
        }
    }
}

pub use super::rows::{Rows, RowsBuilder};

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
pub fn take_options(rows: &mut Rows) -> Option<String> {
    match rows.get(OPTIONS_PATH) {
        Some(r) if r.kind == Kind::Options => rows
            .remove(OPTIONS_PATH)
            .map(|r| r.content_hash.to_string()),
        _ => None,
    }
}
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

/// One file of the corpus as a load saw it (its source path is the key of [`Rows`]). The
/// `load_version` column (the load that wrote the row) only decides which of a path's rows
/// is the latest when the state is read; it is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub kind: Kind,
    /// xxh3-128 of the file's bytes.
    pub content_hash: Hash,
    /// Figure: the figid it converted to (NULL when rejected). `None` for a table, whose figid
    /// is the one its file name carries ([`table_figid`], written to the state's column).
    pub figid: Option<Box<str>>,
    /// Figure: true when its entities came from inline lists.
    pub inline: Option<bool>,
    /// The file's stamp when it was hashed (`None` for rows that are not files, and in a
    /// state written before stamps were kept). The options row holds the scan's start time
    /// in `mtime_ns` ([`scan_started`]).
    pub stamp: MaybeStamp,
    /// Figure: the hashes of its rows in the data tables when it converted (`None` when
    /// rejected, in a scan, and in a state written before they were kept). Boxed: only the
    /// last load's converted figures have them.
    pub rows: Option<Box<RowHashes>>,
}

impl SourceRow {
    fn new(kind: Kind, content_hash: Hash, figid: Option<Box<str>>, stamp: Option<Stamp>) -> Self {
        SourceRow {
            kind,
            content_hash,
            figid,
            inline: None,
            stamp: stamp.into(),
            rows: None,
        }
    }
}

/// An `Option<Stamp>` in the 24 bytes of a stamp (an `Option` would take 32: a load holds
/// two rows for every corpus file): no stamp is a size no file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeStamp(Stamp);

impl MaybeStamp {
    pub const NONE: MaybeStamp = MaybeStamp(Stamp {
        size: i64::MIN,
        mtime_ns: 0,
        ctime_ns: 0,
    });

    pub fn get(self) -> Option<Stamp> {
        (self != MaybeStamp::NONE).then_some(self.0)
    }
}

impl From<Option<Stamp>> for MaybeStamp {
    fn from(stamp: Option<Stamp>) -> Self {
        match stamp {
            // A file's size is never negative; a state's missing size is read as -1.
            Some(s) if s.size != i64::MIN => MaybeStamp(s),
            _ => MaybeStamp::NONE,
        }
    }
}

/// The columns of a figure's [`RowHashes`] (the bits of each `u64`), in
/// [`crate::schema::Table::ALL`] order.
const ROWS_HASH_COLUMNS: [&str; DATA_TABLES] = [
    "rows_hash_figures",
    "rows_hash_figure_genes",
    "rows_hash_figure_chemicals",
    "rows_hash_figure_diseases",
];

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
        Field::new(ROWS_HASH_COLUMNS[0], DataType::Int64, true),
        Field::new(ROWS_HASH_COLUMNS[1], DataType::Int64, true),
        Field::new(ROWS_HASH_COLUMNS[2], DataType::Int64, true),
        Field::new(ROWS_HASH_COLUMNS[3], DataType::Int64, true),
    ]))
}

/// The corpus now, as the hashing pass read it.
pub struct Scan {
    /// Every owned file by path, with its kind, hash and (for TSVs) figid key.
    pub rows: Rows,
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
pub fn scan_started(before: &Rows) -> Option<i64> {
    before
        .get(OPTIONS_PATH)
        .filter(|r| r.kind == Kind::Options)
        .and_then(|r| r.stamp.get())
        .map(|s| s.mtime_ns)
}

/// Hashes every owned file of `corpus`, except the files that `before` (the last load's
/// state, whose scan started at `scanned_ns`) shows unchanged by their [`Stamp`]; those
/// keep their last hash unread. Without a state or a scan time (`--verify`) every file is
/// read.
pub fn scan(corpus: &Corpus, before: Option<&Rows>, scanned_ns: Option<i64>) -> Result<Scan> {
    let started_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let figures = (0..corpus.figures.len()).map(Job::Figure);
    let tables = corpus
        .tables
        .iter()
        .flat_map(|(figid, set)| set.files(figid).map(|(_, file)| Job::Table(file)));
    let map_jobs = corpus.maps.iter().flatten().map(Job::Map);
    let listed_jobs = corpus.rejects.iter().map(|r| Job::Listed(&r.source_path));
    // The rows and their paths' bytes, to size the lists once.
    let (mut files, mut path_bytes) = (0, 0);
    let figure_paths = corpus.figures.iter().map(|f| f.rel.len());
    let table_paths = corpus
        .tables
        .iter()
        .flat_map(|(figid, set)| set.files(figid).map(|(_, f)| f.rel.len()));
    let maps = corpus.maps.iter().flatten().map(|f| f.rel.len());
    let listed = corpus.rejects.iter().map(|r| r.source_path.len());
    for len in figure_paths.chain(table_paths).chain(maps).chain(listed) {
        files += 1;
        path_bytes += len;
    }
    let mut jobs = figures.chain(tables).chain(map_jobs).chain(listed_jobs);
    let root = Root::open(&corpus.root);
    let mut list = RowsBuilder::with_capacity(files + 1, path_bytes + SCHEMA_ROW.len());
    let (mut bytes, mut hashed) = (0, 0);
    // In chunks, so that no list of every file with its full path is held at once: only
    // the rows themselves grow with the corpus.
    loop {
        let chunk: Vec<Job<'_>> = jobs.by_ref().take(SCAN_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let looked: Vec<(String, SourceRow, u64, bool)> = chunk
            .into_par_iter()
            .map(|job| job.look(corpus, &root, before, scanned_ns))
            .collect();
        for (rel, row, size, read) in looked {
            bytes += size;
            hashed += u64::from(read);
            list.push(&rel, row);
        }
    }
    let schema = Hash::Text(crate::SCHEMA_VERSION.to_string().into());
    let schema = SourceRow::new(Kind::Schema, schema, None, None);
    list.push(SCHEMA_ROW, schema);
    Ok(Scan {
        rows: list.finish(),
        bytes,
        hashed,
        started_ns,
    })
}

/// A corpus file a scan looks at.
#[derive(Clone, Copy)]
enum Located<'a> {
    Figure(crate::discover::FigureFile<'a>),
    /// A TSV or map file of `_data`.
    Data(&'a TableFile),
}

impl Located<'_> {
    fn rel(&self) -> &str {
        match self {
            Located::Figure(f) => f.rel,
            Located::Data(f) => &f.rel,
        }
    }

    fn path(&self, root: &std::path::Path) -> std::path::PathBuf {
        match self {
            Located::Figure(f) => f.path(root),
            Located::Data(f) => f.path(root),
        }
    }

    fn names_itself(&self) -> Option<&std::path::Path> {
        match self {
            Located::Figure(f) => f.names_itself(),
            Located::Data(f) => f.names_itself(),
        }
    }
}

/// The corpus root, held open so that each file is looked up from it: `stat` of a path
/// relative to an open directory walks the file's two or three names, not the root's path
/// again (path walks were a third of a nothing-changed load).
struct Root(Option<std::fs::File>);

impl Root {
    fn open(root: &std::path::Path) -> Root {
        Root(std::fs::File::open(root).ok())
    }

    /// The stamp of `file`, of the corpus at `root`.
    fn stamp(&self, file: Located<'_>, root: &std::path::Path) -> std::io::Result<Stamp> {
        #[cfg(unix)]
        if let (Some(dir), Some(rel)) = (&self.0, file.names_itself()) {
            return stamp_at(dir, rel);
        }
        std::fs::metadata(file.path(root)).map(|m| Stamp::of(&m))
    }
}

/// `fstatat(dir, rel)`, following symlinks as `std::fs::metadata` does, as a [`Stamp`] equal
/// to the one [`Stamp::of`] makes of the same file.
#[cfg(unix)]
// `time_t`, `off_t` and `c_long` are `i64` here but not on every Unix: the conversions stay.
#[allow(clippy::useless_conversion)]
fn stamp_at(dir: &std::fs::File, rel: &std::path::Path) -> std::io::Result<Stamp> {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::ffi::OsStrExt as _;
    let name = std::ffi::CString::new(rel.as_os_str().as_bytes())?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `name` is NUL-terminated and outlives the call; `st` is valid for a write of a
    // `stat`, which fstatat fills when it returns 0.
    let rc = unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), 0) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fstatat returned 0, so it wrote the whole struct.
    let st = unsafe { st.assume_init() };
    // Times before the epoch are 0, as `Stamp::of` gives them.
    let mtime_ns = if st.st_mtime < 0 {
        0
    } else {
        i64::from(st.st_mtime) * 1_000_000_000 + i64::from(st.st_mtime_nsec)
    };
    Ok(Stamp {
        size: i64::from(st.st_size),
        mtime_ns,
        ctime_ns: i64::from(st.st_ctime) * 1_000_000_000 + i64::from(st.st_ctime_nsec),
    })
}

/// Files looked at in parallel between two insertions into the scan's rows.
const SCAN_CHUNK: usize = 8192;

/// One entry of the corpus the scan looks at; its path is made while it is looked at.
enum Job<'c> {
    /// The figure file at this index of `corpus.figures`.
    Figure(usize),
    /// A TSV.
    Table(TableFile),
    Map(&'c TableFile),
    /// A reject of the listing, by source path: a row without a file.
    Listed(&'c str),
}

impl Job<'_> {
    /// The entry's source path, its row, its size, and whether it was read.
    fn look(
        self,
        corpus: &Corpus,
        root: &Root,
        before: Option<&Rows>,
        scanned_ns: Option<i64>,
    ) -> (String, SourceRow, u64, bool) {
        let (kind, figid, file) = match &self {
            Job::Figure(i) => (Kind::Figure, None, Located::Figure(corpus.figures.at(*i))),
            Job::Table(file) => (Kind::Table, None, Located::Data(file)),
            Job::Map(file) => (Kind::Map, None, Located::Data(file)),
            Job::Listed(rel) => {
                let row = SourceRow::new(Kind::Listed, Hash::Text("".into()), None, None);
                return (rel.to_string(), row, 0, false);
            }
        };
        let rel = file.rel();
        let last = before
            .and_then(|b| b.get(rel))
            .filter(|b| b.kind == kind && scanned_ns.is_some());
        let (hash, stamp, bytes, read) = match root.stamp(file, &corpus.root) {
            Ok(stamp) if stamp.trusted(last.and_then(|l| l.stamp.get()), scanned_ns) => {
                let hash = last.expect("trusted").content_hash.clone();
                (hash, Some(stamp), stamp.size as u64, false)
            }
            // Stamped before reading: a write after this keeps a newer stamp.
            stamp => match std::fs::read(file.path(&corpus.root)) {
                Ok(b) => (Hash::of(&b), stamp.ok(), b.len() as u64, true),
                // Unreadable now: a value no content hashes to, so it counts as changed.
                Err(e) => (Hash::Text(format!("unreadable: {e}").into()), None, 0, true),
            },
        };
        let rel = rel.to_owned();
        (rel, SourceRow::new(kind, hash, figid, stamp), bytes, read)
    }
}

/// True when the last load's state was written at this build's schema version (a state
/// from before version 2 has no schema row).
pub fn schema_current(before: &Rows) -> bool {
    before
        .get(SCHEMA_ROW)
        .is_some_and(|r| r.content_hash.to_string() == crate::SCHEMA_VERSION.to_string())
}

/// A converted record of the last load that is decoded again (see [`Plan::previous`]).
#[derive(Debug)]
pub struct Previous {
    pub source_path: String,
    pub figid: String,
    pub rows: Option<Box<RowHashes>>,
}

/// What a load must do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Indices into `corpus.figures` of the figure files to decode, ascending.
    pub decode: Vec<usize>,
    /// Converted records of the last load that stay as they are.
    pub kept: KeptRecords,
    /// The row hashes of each of `kept`, as the last state has them.
    /// Unboxed: one block for the kept records, not a heap block each.
    pub kept_rows: Vec<Option<RowHashes>>,
    /// Records of the last load decoded again, by source path (sorted): the figid they
    /// converted to and their row hashes then. Their rows leave a table unless they convert
    /// to the same figid with the same rows in it.
    pub previous: Vec<Previous>,
    /// figids whose rows leave every data table (their records went away).
    pub remove_figids: HashSet<String>,
    /// Figure files new since the last load (indices into `corpus.figures`, ascending: a
    /// full load adds every file, whose paths are not copied while it decodes), changed, and
    /// gone (source paths).
    pub added: Vec<usize>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// Files whose state row is new or differs from the last state's in more than what a
    /// decode decides (kind, hash, stamp, a TSV's figid), in path order. With the decoded
    /// figures, the rows a load appends to the state (see `load`).
    pub state_changed: Vec<String>,
    /// True when a row of the last state has none now (a file gone): the state is rewritten.
    pub rows_gone: bool,
    /// True when nothing at all differs from the last load.
    pub unchanged: bool,
    /// True when every table is rebuilt (first load, `--full-refresh`).
    pub full: bool,
}

/// The figid a TSV's path names (the key it is indexed under in the corpus).
fn table_figid(path: &str) -> Option<&str> {
    crate::discover::table_name(path).map(|(_, figid)| figid)
}

/// True when a state row of `now` keeps what `before` says of the file beyond its kind and
/// hash: its stamp and (a TSV's) figid. A figure's figid and row hashes come from decoding.
fn same_state(now: &SourceRow, before: &SourceRow) -> bool {
    now.stamp == before.stamp && (now.kind == Kind::Figure || now.figid == before.figid)
}

/// Compares the corpus now with the last load's state (`None`: rebuild everything).
pub fn plan(corpus: &Corpus, now: &Rows, before: Option<&Rows>) -> Plan {
    let Some(before) = before else {
        return Plan {
            decode: (0..corpus.figures.len()).collect(),
            added: (0..corpus.figures.len()).collect(),
            full: true,
            ..Plan::default()
        };
    };
    let same = |a: &SourceRow, b: &SourceRow| a.kind == b.kind && a.content_hash == b.content_hash;
    // One walk of both states by path (both sorted; a lookup a path would compare long
    // shared prefixes millions of times at 200,000 records): whether anything differs,
    // whether a map changed, the figid keys whose TSV set changed, and the figures gone.
    let mut unchanged = true;
    // A map file added, changed or removed: any record's wpid or ndex may differ.
    let mut maps_changed = false;
    // figid keys whose TSV set changed: a TSV added, changed or removed.
    let mut dirty_keys: HashSet<&str> = HashSet::new();
    // Figures of the last load gone as figures: missing now, or now of another kind (a
    // figure that became unreadable, a symlink whose target was removed, is a listed
    // reject now, and its old rows must go as if it were deleted). With: listed now.
    let mut gone_figures = Vec::new();
    let (mut state_changed, mut rows_gone) = (Vec::new(), false);
    for (path, n, b) in super::rows::outer_join(now, before) {
        match (n, b) {
            (Some(n), Some(b)) if same(n, b) && same_state(n, b) => {}
            (Some(_), _) => state_changed.push(path.to_owned()),
            (None, _) => rows_gone = true,
        }
        if matches!((n, b), (Some(n), Some(b)) if same(n, b)) {
            continue;
        }
        unchanged = false;
        maps_changed |= [n, b].iter().flatten().any(|r| r.kind == Kind::Map);
        if n.is_some_and(|n| n.kind == Kind::Table) {
            dirty_keys.extend(table_figid(path));
        }
        let Some(b) = b else { continue };
        if n.is_some_and(|n| n.kind == b.kind) {
            continue;
        }
        match b.kind {
            Kind::Table => dirty_keys.extend(table_figid(path)),
            Kind::Figure => gone_figures.push((path, b, n.is_some())),
            _ => {}
        }
    }
    let mut plan = Plan {
        unchanged,
        state_changed,
        rows_gone,
        ..Plan::default()
    };
    if plan.unchanged {
        return plan;
    }
    let (mut now_at, mut before_at) = (now.cursor(), before.cursor());
    for (i, f) in corpus.figures.iter().enumerate() {
        let r = now_at
            .get(f.rel)
            .expect("every figure file has a row in the scan");
        match before_at.get(f.rel) {
            None => {
                plan.added.push(i);
                plan.decode.push(i);
            }
            Some(b) => {
                let converted = b.figid.as_deref();
                let clean = !maps_changed
                    && same(r, b)
                    && converted.is_some_and(|id| !dirty_keys.contains(id));
                if clean {
                    let figid = b.figid.as_deref().expect("checked");
                    plan.kept.push(i, figid, b.inline.unwrap_or(false));
                    plan.kept_rows.push(b.rows.as_deref().copied());
                    continue;
                }
                if !same(r, b) || converted.is_some_and(|id| dirty_keys.contains(id)) {
                    plan.changed.push(f.rel.to_owned());
                }
                if let Some(figid) = &b.figid {
                    plan.previous.push(Previous {
                        source_path: f.rel.to_owned(),
                        figid: figid.to_string(),
                        rows: b.rows.clone(),
                    });
                }
                plan.decode.push(i);
            }
        }
    }
    for (path, b, listed) in gone_figures {
        // Still an input when it is listed now (a reject): changed, not deleted.
        if listed {
            plan.changed.push(path.to_owned());
        } else {
            plan.deleted.push(path.to_owned());
        }
        plan.remove_figids
            .extend(b.figid.as_deref().map(str::to_owned));
    }
    plan.changed.sort();
    plan
}

/// State rows a batch holds when a load writes its state: the state of a large corpus is
/// never built whole in memory.
pub const STATE_BATCH_ROWS: usize = 65_536;

/// The state rows of this load, handed to `emit` in batches of at most `batch_rows` rows:
/// `now` (or of it only the paths of `only`, sorted, when the load appends to the state),
/// with the figid, entity source and row hashes of every converted figure taken from
/// `converted` (by source path). The first row is the options row ([`Kind::Options`])
/// holding `options` and, in `mtime_ns`, `scan_started_ns` (when this load's scan started).
pub fn state_batches(
    now: &Rows,
    converted: &BTreeMap<&str, Converted<'_>>,
    header: StateHeader<'_>,
    only: Option<&[&str]>,
    batch_rows: usize,
    mut emit: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let mut batch = StateBatch::default();
    batch.options_row(&header);
    let mut text = String::new();
    // All sorted by source path: one walk of each instead of a lookup a row.
    let mut converted = converted.iter().peekable();
    let mut only = only.map(|o| o.iter().peekable());
    for (source_path, r) in now.iter() {
        if let Some(only) = &mut only {
            while only.next_if(|p| **p < source_path).is_some() {}
            if only.next_if(|p| **p == source_path).is_none() {
                continue;
            }
        }
        if batch.rows == batch_rows.max(1) {
            emit(std::mem::take(&mut batch).finish()?)?;
        }
        while converted.next_if(|(p, _)| **p < source_path).is_some() {}
        let this = converted.next_if(|(p, _)| **p == source_path);
        let figure = match this.map(|(_, c)| c) {
            Some(c) if r.kind == Kind::Figure => (Some(c.figid), Some(c.inline), c.rows),
            _ if r.kind == Kind::Figure => (None, None, None),
            _ if r.kind == Kind::Table => (table_figid(source_path), None, None),
            _ => (r.figid.as_deref(), None, None),
        };
        text.clear();
        r.content_hash.push_to(&mut text);
        batch.row(source_path, r, &text, figure, header.load_version);
    }
    emit(batch.finish()?)
}

/// What the state keeps of a figure that converted.
#[derive(Debug, Clone, Copy)]
pub struct Converted<'a> {
    pub figid: &'a str,
    /// True when its entities came from inline lists.
    pub inline: bool,
    /// The hashes of its rows (`None`: unknown, so its rows count as changed next time).
    pub rows: Option<&'a RowHashes>,
}

/// What the first row of a load's state records besides the files.
#[derive(Debug, Clone, Copy)]
pub struct StateHeader<'a> {
    /// The options fingerprint ([`options_fingerprint`]).
    pub options: &'a str,
    pub load_version: i64,
    /// When this load's scan started, nanoseconds since the Unix epoch.
    pub scan_started_ns: i64,
}

/// The column builders of one batch of `_pfocr_sources`.
#[derive(Default)]
struct StateBatch {
    rows: usize,
    path: StringBuilder,
    kind: StringBuilder,
    hash: StringBuilder,
    figid: StringBuilder,
    inline: BooleanBuilder,
    version: Int64Builder,
    size: Int64Builder,
    mtime: Int64Builder,
    ctime: Int64Builder,
    rows_hash: [Int64Builder; DATA_TABLES],
}

impl StateBatch {
    fn options_row(&mut self, header: &StateHeader<'_>) {
        self.rows += 1;
        self.path.append_value(OPTIONS_PATH);
        self.kind.append_value(Kind::Options.as_str());
        self.hash.append_value(header.options);
        self.figid.append_null();
        self.inline.append_null();
        self.version.append_value(header.load_version);
        self.size.append_null();
        self.mtime.append_value(header.scan_started_ns);
        self.ctime.append_null();
        self.rows_hash.iter_mut().for_each(|b| b.append_null());
    }

    fn row(
        &mut self,
        path: &str,
        r: &SourceRow,
        hash: &str,
        (figid, inline, rows): (Option<&str>, Option<bool>, Option<&RowHashes>),
        load_version: i64,
    ) {
        self.rows += 1;
        self.path.append_value(path);
        self.kind.append_value(r.kind.as_str());
        self.hash.append_value(hash);
        self.figid.append_option(figid);
        self.inline.append_option(inline);
        self.version.append_value(load_version);
        let stamp = r.stamp.get();
        self.size.append_option(stamp.map(|s| s.size));
        self.mtime.append_option(stamp.map(|s| s.mtime_ns));
        self.ctime.append_option(stamp.map(|s| s.ctime_ns));
        for (t, b) in self.rows_hash.iter_mut().enumerate() {
            b.append_option(rows.map(|h| h[t] as i64));
        }
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let rows_hash = self
            .rows_hash
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        RecordBatch::try_new(
            schema(),
            [
                Arc::new(self.path.finish()) as ArrayRef,
                Arc::new(self.kind.finish()),
                Arc::new(self.hash.finish()),
                Arc::new(self.figid.finish()),
                Arc::new(self.inline.finish()),
                Arc::new(self.version.finish()),
                Arc::new(self.size.finish()),
                Arc::new(self.mtime.finish()),
                Arc::new(self.ctime.finish()),
            ]
            .into_iter()
            .chain(rows_hash)
            .collect(),
        )
        .map_err(|source| Error::Arrow {
            table: SOURCES_TABLE,
            source,
        })
    }
}

/// Reads state rows back from batches of `_pfocr_sources`.
#[cfg(test)]
pub fn rows_from_batches(batches: &[RecordBatch]) -> Result<Rows> {
    let mut rows = RowsBuilder::default();
    for b in batches {
        add_rows(&mut rows, b)?;
    }
    Ok(rows.finish())
}

/// Adds the state rows of one batch of `_pfocr_sources` to `rows`.
pub fn add_rows(rows: &mut RowsBuilder, b: &RecordBatch) -> Result<()> {
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
    let load = col("load_version")?.as_primitive::<crate::arrow::datatypes::Int64Type>();
    let offsets = path.value_offsets();
    rows.reserve_path_bytes((offsets[offsets.len() - 1] - offsets[0]) as usize);
    // A state written before stamps were kept has no stamp columns.
    let int = |name: &str| {
        b.column_by_name(name).map(|c| {
            c.as_primitive::<crate::arrow::datatypes::Int64Type>()
                .clone()
        })
    };
    let (size, mtime, ctime) = (int("size"), int("mtime_ns"), int("ctime_ns"));
    // A state written before row hashes were kept has no hash columns.
    let rows_hash = ROWS_HASH_COLUMNS.map(int);
    let at = |c: &Option<crate::arrow::array::Int64Array>, i: usize| {
        c.as_ref().filter(|c| c.is_valid(i)).map(|c| c.value(i))
    };
    for i in 0..b.num_rows() {
        let kind = Kind::parse(kind.value(i)).ok_or_else(|| {
            Error::Internal(format!(
                "{SOURCES_TABLE} holds a row of kind '{}', which this version does not know",
                kind.value(i)
            ))
        })?;
        let row = SourceRow {
            kind,
            content_hash: Hash::from(hash.value(i)),
            // A table's figid is its file name's (`table_figid`): not held twice.
            figid: (kind != Kind::Table && figid.is_valid(i)).then(|| figid.value(i).into()),
            inline: inline.is_valid(i).then(|| inline.value(i)),
            stamp: at(&mtime, i)
                .map(|mtime_ns| Stamp {
                    size: at(&size, i).unwrap_or(-1),
                    mtime_ns,
                    ctime_ns: at(&ctime, i).unwrap_or(-1),
                })
                .into(),
            rows: row_hashes(&rows_hash, i),
        };
        rows.push_loaded(path.value(i), row, load.value(i));
    }
    Ok(())
}

/// A figure's row hashes from the state's columns: `None` unless all are there.
fn row_hashes(
    columns: &[Option<crate::arrow::array::Int64Array>; DATA_TABLES],
    i: usize,
) -> Option<Box<RowHashes>> {
    let mut hashes = [0; DATA_TABLES];
    for (h, c) in hashes.iter_mut().zip(columns) {
        *h = c.as_ref().filter(|c| c.is_valid(i))?.value(i) as u64;
    }
    Some(Box::new(hashes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, kind: Kind, hash: &str, figid: Option<&str>) -> (String, SourceRow) {
        let row = SourceRow {
            kind,
            content_hash: hash.into(),
            figid: figid.map(Into::into),
            inline: Some(false),
            stamp: MaybeStamp::NONE,
            rows: None,
        };
        (path.to_owned(), row)
    }

    fn corpus(paths: &[&str]) -> Corpus {
        Corpus {
            figures: paths.iter().copied().collect(),
            ..Corpus::default()
        }
    }

    /// The figids whose rows may leave the tables: gone, or decoded again.
    fn leaving(p: Plan) -> Vec<String> {
        let again = p.previous.into_iter().map(|prev| prev.figid);
        let mut all: Vec<String> = p.remove_figids.into_iter().chain(again).collect();
        all.sort();
        all
    }

    fn map(rows: Vec<(String, SourceRow)>) -> Rows {
        rows.into_iter().collect()
    }

    #[test]
    fn no_state_means_a_full_load_and_same_state_means_nothing_to_do() {
        let c = corpus(&["_figures/a.md"]);
        let now = map(vec![row("_figures/a.md", Kind::Figure, "1", None)]);
        let p = plan(&c, &now, None);
        assert!(p.full && p.decode == [0]);
        let before = map(vec![row("_figures/a.md", Kind::Figure, "1", Some("a"))]);
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
            row("_figures/a.md", Kind::Figure, "1", None),
            row("_figures/b.md", Kind::Figure, "2-new", None),
            row("_figures/c.md", Kind::Figure, "3", None),
            row("_figures/n.md", Kind::Figure, "9", None),
            row("_data/c-genes.tsv", Kind::Table, "t2", Some("c")),
        ]);
        let before = map(vec![
            row("_figures/a.md", Kind::Figure, "1", Some("a")),
            row("_figures/b.md", Kind::Figure, "2", Some("b")),
            row("_figures/c.md", Kind::Figure, "3", Some("c")),
            row("_figures/gone.md", Kind::Figure, "4", Some("g")),
            row("_data/c-genes.tsv", Kind::Table, "t1", Some("c")),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert!(!p.unchanged && !p.full);
        assert_eq!(p.decode, [1, 2, 3]);
        assert_eq!(p.kept.len(), 1);
        assert_eq!(p.kept.iter().next().map(|k| k.figid), Some("a"));
        assert_eq!(p.added, [c.figures.position("_figures/n.md").unwrap()]);
        assert_eq!(p.changed, ["_figures/b.md", "_figures/c.md"]);
        assert_eq!(p.deleted, ["_figures/gone.md"]);
        let removed = leaving(p);
        assert_eq!(removed, ["b", "c", "g"]);
    }

    #[test]
    fn a_rejected_record_is_decoded_again_but_not_counted_as_changed() {
        let c = corpus(&["_figures/a.md"]);
        let now = map(vec![row("_figures/a.md", Kind::Figure, "1", None)]);
        let before = map(vec![
            row("_figures/a.md", Kind::Figure, "1", None),
            row("_data/x-genes.tsv", Kind::Table, "t", Some("x")),
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
            row("_figures/a.md", Kind::Listed, "", None),
            row("_figures/b.md", Kind::Figure, "2", None),
            row("_data/b-genes.tsv", Kind::Listed, "", None),
        ]);
        let before = map(vec![
            row("_figures/a.md", Kind::Figure, "1", Some("a")),
            row("_figures/b.md", Kind::Figure, "2", Some("b")),
            row("_data/b-genes.tsv", Kind::Table, "t", Some("b")),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert_eq!(p.decode, [0], "b is decoded again without its TSV");
        assert!(p.kept.is_empty());
        assert_eq!(p.changed, ["_figures/a.md", "_figures/b.md"]);
        assert!(p.deleted.is_empty());
        let removed = leaving(p);
        assert_eq!(removed, ["a", "b"]);
    }

    #[test]
    fn a_changed_map_decodes_every_record_without_calling_it_changed() {
        let c = corpus(&["_figures/a.md", "_figures/b.md"]);
        let now = map(vec![
            row("_figures/a.md", Kind::Figure, "1", None),
            row("_figures/b.md", Kind::Figure, "2", None),
            row("_data/wpid_map.tsv", Kind::Map, "m2", None),
        ]);
        let mut before = map(vec![
            row("_figures/a.md", Kind::Figure, "1", Some("a")),
            row("_figures/b.md", Kind::Figure, "2", Some("b")),
            row("_data/wpid_map.tsv", Kind::Map, "m1", None),
        ]);
        let p = plan(&c, &now, Some(&before));
        assert_eq!(p.decode, [0, 1]);
        assert!(p.kept.is_empty() && p.changed.is_empty() && !p.full);
        assert_eq!(leaving(p).len(), 2);
        // The same map: nothing to do. A map removed: everything again.
        before.get_mut("_data/wpid_map.tsv").unwrap().content_hash = "m2".into();
        assert!(plan(&c, &now, Some(&before)).unchanged);
        let without: Rows = now
            .clone()
            .into_iter()
            .filter(|(_, r)| r.kind != Kind::Map)
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

    #[cfg(unix)]
    #[test]
    fn a_stamp_read_from_the_open_root_is_the_one_metadata_gives() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let file = dir.path().join("sub").join("f.md");
        std::fs::write(&file, "twelve bytes").unwrap();
        std::os::unix::fs::symlink(&file, dir.path().join("link.md")).unwrap();
        let root = Root::open(dir.path());
        let want = Stamp::of(&std::fs::metadata(&file).unwrap());
        assert_eq!(want.size, 12);
        let figures: crate::discover::Figures =
            ["sub/f.md", "link.md", "gone.md"].into_iter().collect();
        for i in 0..2 {
            let f = Located::Figure(figures.at(i));
            assert_eq!(root.stamp(f, dir.path()).unwrap(), want, "{}", f.rel());
        }
        assert!(root
            .stamp(Located::Figure(figures.at(2)), dir.path())
            .is_err());
        // Without the open root (or for a file its `rel` cannot name): by path.
        let by_path = Root(None).stamp(Located::Figure(figures.at(1)), dir.path());
        assert_eq!(by_path.unwrap(), want);
    }

    #[test]
    fn a_state_without_the_schema_row_is_not_current() {
        let mut before = map(vec![row("_figures/a.md", Kind::Figure, "1", Some("a"))]);
        assert!(!schema_current(&before));
        let (_, mut schema_row) = row(SCHEMA_ROW, Kind::Schema, "1", None);
        before.insert(SCHEMA_ROW.into(), schema_row.clone());
        assert!(!schema_current(&before));
        schema_row.content_hash = crate::SCHEMA_VERSION.to_string().as_str().into();
        before.insert(SCHEMA_ROW.into(), schema_row);
        assert!(schema_current(&before));
    }

    #[test]
    fn state_rows_round_trip_through_a_batch() {
        let now = map(vec![
            row("_figures/a.md", Kind::Figure, "1", None),
            row("_figures/b.md", Kind::Figure, "2", None),
            row("_data/a-genes.tsv", Kind::Table, "t", None),
        ]);
        let hashes: RowHashes = [u64::MAX, 0, 7, 1 << 63];
        let a = Converted {
            figid: "a",
            inline: true,
            rows: Some(&hashes),
        };
        let converted = BTreeMap::from([("_figures/a.md", a)]);
        let header = StateHeader {
            options: "opts-1",
            load_version: 7,
            scan_started_ns: 42,
        };
        let one = batches(&now, &converted, header, STATE_BATCH_ROWS);
        assert_eq!(one.len(), 1);
        // In batches of two rows: the same rows.
        let small = batches(&now, &converted, header, 2);
        assert_eq!(
            small.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [2, 2]
        );
        assert_eq!(
            rows_from_batches(&small).unwrap(),
            rows_from_batches(&one).unwrap()
        );
        let mut back = rows_from_batches(&one).unwrap();
        assert_eq!(scan_started(&back), Some(42));
        assert_eq!(take_options(&mut back).as_deref(), Some("opts-1"));
        assert_eq!(take_options(&mut back), None);
        assert_eq!(back.len(), 3);
        assert_eq!(back["_figures/a.md"].figid.as_deref(), Some("a"));
        assert_eq!(back["_figures/a.md"].inline, Some(true));
        assert_eq!(back["_figures/a.md"].rows.as_deref(), Some(&hashes));
        assert_eq!(back["_figures/b.md"].rows, None);
        assert_eq!(back["_figures/b.md"].figid, None);
        // A table's figid is written from its name, and read back from there, not the column.
        let written = one[0]["figid"].as_string::<i32>();
        let path = one[0]["source_path"].as_string::<i32>();
        let tsv = (0..path.len()).find(|&i| path.value(i) == "_data/a-genes.tsv");
        assert_eq!(tsv.map(|i| written.value(i)), Some("a"));
        assert_eq!(back["_data/a-genes.tsv"].figid, None);
        assert_eq!(back, now_with_figids(now));
    }

    fn batches(
        now: &Rows,
        converted: &BTreeMap<&str, Converted<'_>>,
        header: StateHeader<'_>,
        rows: usize,
    ) -> Vec<RecordBatch> {
        let mut out = Vec::new();
        state_batches(now, converted, header, None, rows, |b| {
            out.push(b);
            Ok(())
        })
        .unwrap();
        out
    }

    /// `now` as a state read back holds it: the converted figure's figid, source and row
    /// hashes.
    fn now_with_figids(mut now: Rows) -> Rows {
        let a = now.get_mut("_figures/a.md").unwrap();
        (a.figid, a.inline) = (Some("a".into()), Some(true));
        a.rows = Some(Box::new([u64::MAX, 0, 7, 1 << 63]));
        for r in now.values_mut().filter(|r| r.figid.is_none()) {
            r.inline = None;
        }
        now.get_mut("_data/a-genes.tsv").unwrap().inline = None;
        now
    }

    #[test]
    fn a_maybe_stamp_is_an_option_in_a_stamps_room() {
        let stamp = Stamp {
            size: -1,
            mtime_ns: 5,
            ctime_ns: -1,
        };
        assert_eq!(MaybeStamp::from(Some(stamp)).get(), Some(stamp));
        assert_eq!(MaybeStamp::from(None).get(), None);
        let zero = Stamp {
            size: 0,
            mtime_ns: 0,
            ctime_ns: 0,
        };
        assert_eq!(MaybeStamp::from(Some(zero)).get(), Some(zero));
        assert_eq!(
            std::mem::size_of::<MaybeStamp>(),
            std::mem::size_of::<Stamp>()
        );
    }

    #[test]
    fn hashes_round_trip_through_their_text() {
        let h = Hash::of(b"some bytes");
        let text = h.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(Hash::from(text.as_str()), h);
        for other in [
            "",
            "2",
            "unreadable: gone",
            &text.to_uppercase(),
            &text[1..],
        ] {
            assert_eq!(Hash::from(other), Hash::Text(other.into()));
            assert_eq!(Hash::from(other).to_string(), other);
        }
        let mut pushed = String::new();
        h.push_to(&mut pushed);
        assert_eq!(pushed, text);
        let zero = "0".repeat(32);
        assert_eq!(Hash::from(zero.as_str()), Hash::Xxh3([0; 16]));
        assert_eq!(Hash::Xxh3([0; 16]).to_string(), zero);
    }

    #[test]
    fn a_state_row_of_an_unknown_kind_is_an_error_not_a_guess() {
        let now = map(vec![row("_figures/a.md", Kind::Figure, "1", None)]);
        let header = StateHeader {
            options: "o",
            load_version: 1,
            scan_started_ns: 0,
        };
        let b = batches(&now, &BTreeMap::new(), header, STATE_BATCH_ROWS).remove(0);
        let mut cols = b.columns().to_vec();
        cols[1] = Arc::new(crate::arrow::array::StringArray::from(vec![
            "options", "blob",
        ]));
        let b = RecordBatch::try_new(schema(), cols).unwrap();
        let err = rows_from_batches(&[b]).unwrap_err().to_string();
        assert!(err.contains("'blob'"), "{err}");
    }
}
