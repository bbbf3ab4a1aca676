//! Load orchestration: scan the corpus, compare it with the load state, decode what
//! changed, and commit each table once (the state table last).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::arrow::array::{AsArray, RecordBatch};
use deltalake::kernel::Action;
use parquet::arrow::ArrowWriter;
use url::Url;

use super::rewrite::{remove_all, rewrite_without, without_figids};
use super::row_hash::{RowHashes, TableHashes, TableRowHasher, DATA_TABLES};
use super::store::DeltaTarget;
use super::summary::commit_info;
use super::{
    now_nanos, register_object_stores, root_url, shard, sources, LoadOptions, LoadSummary, Scratch,
    Shard, SOURCES_TABLE,
};
use crate::convert::{decode_corpus, Selection, Sink, TableSink};
use crate::discover::{discover, require_corpus, Corpus};
use crate::error::{Error, Result};
use crate::packed::Packed;
use crate::schema::Table;
use crate::write::{TableWriter, TableWriters};

/// Loads the corpus at `opts.input` into the Delta tables at `opts.table`.
pub fn load(opts: &LoadOptions) -> Result<LoadSummary> {
    let started = Instant::now();
    phase("start");
    register_object_stores();
    // Refused before a table is touched (opening a local table creates its directory).
    require_corpus(&opts.input)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
    // The corpus is listed while the tables are opened and the last state read: one is
    // directory reads, the other the Delta logs and the state file.
    let input = opts.input.clone();
    let listing = std::thread::spawn(move || discover(&input));
    let mut summary = runtime.block_on(run(opts, listing))?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Opens the tables of a load in [`Table::ALL`] order, the state table last. A dry run
/// opens only the tables that exist (a local table directory is not created for it).
async fn open_targets(opts: &LoadOptions, root: &Url) -> Result<Vec<DeltaTarget>> {
    let mut targets = Vec::with_capacity(Table::ALL.len() + 1);
    let all = Table::ALL
        .iter()
        .map(|t| (t.name(), t.schema()))
        .chain([(SOURCES_TABLE, sources::schema())]);
    for (name, schema) in all {
        // Opening a local table creates its directory; a remote one creates nothing.
        let missing_locally = root
            .to_file_path()
            .is_ok_and(|dir| !dir.join(name).is_dir());
        if opts.dry_run && missing_locally {
            continue;
        }
        targets.push(DeltaTarget::open(root, name, schema, &opts.storage).await?);
    }
    Ok(targets)
}

async fn run(
    opts: &LoadOptions,
    listing: std::thread::JoinHandle<Result<Corpus>>,
) -> Result<LoadSummary> {
    let root = root_url(&opts.table, !opts.dry_run)?;
    let mut targets = open_targets(opts, &root).await?;
    phase("open tables");
    check_shard_layout(&targets, opts.shard)?;

    let app_id = opts.shard.app_id();
    let mut seen = 0;
    for t in &targets {
        seen = seen.max(t.load_number(&app_id).await?);
    }
    let state = targets.iter().find(|t| t.name == SOURCES_TABLE);
    let state_load = match state {
        Some(s) => s.load_number(&app_id).await?,
        None => 0,
    };
    // The state table is committed last: a data table with a later load number than the
    // state means a load was cut off after some commits. Its tables are each whole, but
    // the state no longer describes them, so this load rebuilds everything.
    let cut_off = state_load < seen;
    let options = sources::options_fingerprint(&opts.convert);
    let mut last_scan = None;
    // This shard's state files and their rows (superseded ones included).
    let mut state_files = (0, 0);
    let loaded = match state {
        Some(state) if !opts.full_refresh && !cut_off && state.version().is_some() => {
            // Batch by batch: the state of a large corpus is never held as Arrow whole.
            let files = state.files()?;
            let owned = files.iter().filter(|f| opts.shard.owns_file(&f.path));
            let count = owned.clone().map(|f| f.rows as usize).sum();
            state_files = (owned.clone().count(), count);
            let mut list = sources::RowsBuilder::with_capacity(count, 0);
            for f in owned {
                state
                    .read_each(&f.path, |b| sources::add_rows(&mut list, &b))
                    .await?;
            }
            let mut rows = list.finish();
            last_scan = sources::scan_started(&rows);
            // Loaded with other options (or by another version): what converted then may
            // not convert now, so everything is rebuilt.
            let same_options = sources::take_options(&mut rows).as_deref() == Some(&*options);
            same_options.then_some(rows)
        }
        _ => None,
    };
    // Tables written at an older schema version (or a state that says so): rebuild this
    // shard's rows at the current one, and give each outdated table the current schema.
    let mut outdated = Vec::new();
    for t in &targets {
        outdated.push(t.schema_outdated()?);
    }
    // The state table's own columns (stamps added) need no rebuild: it is rewritten whole.
    let upgrade = targets
        .iter()
        .zip(&outdated)
        .any(|(t, o)| *o && t.name != SOURCES_TABLE)
        || loaded.as_ref().is_some_and(|b| !sources::schema_current(b));
    let before = if upgrade { None } else { loaded };
    phase("read state");
    let corpus = &mut tokio::task::block_in_place(|| listing.join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    phase("discover");
    if !opts.shard.is_whole() {
        let keys = shard::figure_keys(corpus, opts.convert.max_record_bytes);
        opts.shard.restrict(corpus, &keys);
    }
    // The stamps of the last state spare reading the files that did not change.
    let last_scan = last_scan.filter(|_| !opts.verify);
    let now = &sources::scan(corpus, before.as_ref(), last_scan)?;
    phase("scan");
    let mut plan = sources::plan(corpus, &now.rows, before.as_ref());
    let mut summary = LoadSummary {
        table: opts.table.clone(),
        shard: opts.shard.to_string(),
        load: seen + 1,
        inputs: corpus.inputs() as u64,
        input_bytes: now.bytes,
        hashed: now.hashed,
        dry_run: opts.dry_run,
        full: plan.full,
        schema_upgraded: upgrade,
        ..LoadSummary::default()
    };
    for name in Table::ALL.iter().map(|t| t.name()).chain([SOURCES_TABLE]) {
        summary.versions.insert(name.to_owned(), None);
        summary.rows.insert(name.to_owned(), 0);
    }
    for t in &targets {
        summary.versions.insert(t.name.to_owned(), t.version());
        summary
            .rows
            .insert(t.name.to_owned(), t.files()?.iter().map(|f| f.rows).sum());
    }
    if let (true, Some(before)) = (plan.unchanged, &before) {
        // Nothing changed: the counts are the last load's.
        summary.converted = before
            .values()
            .filter(|r| r.kind == sources::Kind::Figure && r.figid.is_some())
            .count() as u64;
        summary.rejected = summary.inputs.saturating_sub(summary.converted);
    }
    if plan.unchanged || opts.dry_run {
        summary.added = paths_of(corpus, &plan.added);
        summary.changed = std::mem::take(&mut plan.changed);
        summary.deleted = std::mem::take(&mut plan.deleted);
        summary.decoded = plan.decode.len() as u64;
        return Ok(summary);
    }
    // The plan holds what is needed of the last state from here on.
    drop(before);

    let work = Scratch::new()?;
    let mut decoded = decode(opts, corpus, &plan, &work.dir.join("new"))?;
    if !decoded.displaced.is_empty() && !plan.full {
        // A new record sorting before a kept one takes its figid: only a full rebuild
        // judges that as a full run would.
        plan = sources::plan(corpus, &now.rows, None);
        decoded = decode(opts, corpus, &plan, &work.dir.join("full"))?;
    }
    // The decoder's buffers, freed on the worker threads.
    release_freed_memory();
    phase("decode");
    summary.full = plan.full;
    summary.decoded = plan.decode.len() as u64;
    summary.converted = plan.kept.len() as u64 + decoded.converted.len() as u64;
    summary.rejected = decoded.rejected;
    summary.rejects_by_kind = decoded.rejects_by_kind.clone();
    summary.added = paths_of(corpus, &plan.added);
    summary.changed = std::mem::take(&mut plan.changed);
    summary.deleted = std::mem::take(&mut plan.deleted);
    debug_assert_eq!(summary.inputs, summary.converted + summary.rejected);

    // What leaves each data table, and the records decoded again whose rows in a table
    // are as they were (those keep their old rows there: the new copy is not added).
    let changes = TableChanges::of(&mut plan, &decoded);
    // Converted records by source path, borrowed: kept ones as the last state has them.
    // Collected in one go: the tree is built from the sorted list with full nodes.
    let kept = plan.kept.iter().zip(&plan.kept_rows);
    let state_rows: BTreeMap<&str, sources::Converted<'_>> = kept
        .map(|(k, rows)| {
            let c = sources::Converted {
                figid: k.figid,
                inline: k.inline,
                rows: rows.as_ref(),
            };
            (corpus.figures.at(k.figure).rel, c)
        })
        .chain(
            decoded
                .converted
                .iter()
                .zip(&changes.rows)
                .map(|((path, figid, inline), rows)| {
                    let c = sources::Converted {
                        figid,
                        inline,
                        rows: rows.as_ref(),
                    };
                    (path, c)
                }),
        )
        .collect();
    phase("changes");
    let header = sources::StateHeader {
        options: &options,
        load_version: summary.load,
        scan_started_ns: now.started_ns,
    };
    // A state table at an older schema is written whole, at the current one.
    let appended = state_append(&plan, corpus, state_files, now.rows.len())
        .filter(|_| !outdated[Table::ALL.len()]);
    let state_file = work.dir.join("state.parquet");
    let only = appended.as_deref();
    let state_written = write_state(&state_file, &now.rows, &state_rows, header, only)?;
    phase("write state");

    debug_assert_eq!(targets.len(), Table::ALL.len() + 1, "every table opened");
    let info = commit_info(&summary);
    let names = FileNames::new(opts.shard, summary.load);
    // Every table but the rejects (always rebuilt whole) loses the rows of `remove`.
    let replace_all: Vec<bool> = Table::ALL
        .iter()
        .map(|t| plan.full || *t == Table::Rejects)
        .collect();
    let data = &targets[..Table::ALL.len()];
    let mut rewrites =
        rewrite_without(data, &replace_all, opts, &changes.remove, &names, &work.dir).await?;
    phase("rewrite");
    for (i, table) in Table::ALL.iter().enumerate() {
        let target = &mut targets[i];
        let mut actions = if replace_all[i] {
            remove_all(target, opts.shard)?
        } else {
            std::mem::take(&mut rewrites[i])
        };
        if outdated[i] {
            actions.insert(0, target.schema_update()?);
        }
        let (path, rows) = &decoded.files[i];
        // Without the rows of records whose rows in this table stay as they were.
        let (rows, path) = match changes.same.get(i).filter(|same| !same.is_empty()) {
            Some(same) => {
                let out = work.dir.join(format!("new-{i}"));
                without_figids(*table, path, &out, same, &opts.convert.write)?
                    .unwrap_or((*rows, path.clone()))
            }
            None => (*rows, path.clone()),
        };
        if rows > 0 {
            let add = target.upload(&path, &names.next(), rows).await?;
            actions.push(Action::Add(add));
        }
        // A table with nothing to change gets no commit, but every table exists after a
        // load (an empty one is created), so readers always find all five.
        if actions.is_empty() && target.version().is_some() {
            continue;
        }
        target
            .commit(actions, &app_id, summary.load, info.clone())
            .await?;
        phase(table.name());
    }
    let state = targets.last_mut().expect("the state table");
    let mut actions = if appended.is_some() {
        Vec::new()
    } else {
        remove_all(state, opts.shard)?
    };
    if outdated[Table::ALL.len()] {
        actions.insert(0, state.schema_update()?);
    }
    let add = state
        .upload(&state_file, &names.next(), state_written)
        .await?;
    actions.push(Action::Add(add));
    state.commit(actions, &app_id, summary.load, info).await?;
    phase("state");

    summary.committed = true;
    for t in &targets {
        summary.versions.insert(t.name.to_owned(), t.version());
        summary
            .rows
            .insert(t.name.to_owned(), t.files()?.iter().map(|f| f.rows).sum());
    }
    Ok(summary)
}

/// The source paths of the figure files at `indices` of the corpus.
fn paths_of(corpus: &Corpus, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| corpus.figures.at(i).rel.to_owned())
        .collect()
}

/// Refuses a shard load on tables written with another shard count: the other layout's
/// files would be owned by no shard and their rows kept forever.
fn check_shard_layout(targets: &[DeltaTarget], shard: Shard) -> Result<()> {
    if shard.is_whole() {
        return Ok(());
    }
    for t in targets {
        for f in t.files()? {
            if Shard::count_of_file(&f.path) != Some(shard.count) {
                return Err(Error::Options(format!(
                    "--shard {shard}: the table {} holds {} from a load with another shard \
                     count; load every shard with the same N, or rebuild the tables with one \
                     unsharded `pfocr-etl load --full-refresh` first",
                    t.name, f.path
                )));
            }
        }
    }
    Ok(())
}

/// What decoding the planned records produced.
struct Decoded {
    /// Per table (in [`Table::ALL`] order): the local Parquet file and its row count.
    files: Vec<(PathBuf, u64)>,
    converted: ConvertedRecords,
    /// The row hashes of the converted records, per data table.
    hashes: Vec<TableHashes>,
    rejected: u64,
    rejects_by_kind: BTreeMap<String, u64>,
    displaced: Vec<String>,
}

/// Collects the batches of a load into local Parquet files, noting each converted record
/// and hashing each record's rows per data table.
struct LoadSink {
    writers: TableWriters,
    converted: ConvertedRecords,
    hashers: Vec<TableRowHasher>,
}

/// One table's writer in a load: hashes the rows of each record (data tables) and, for the
/// figures table, notes each converted record.
struct LoadTable<'a> {
    table: Table,
    writer: &'a mut TableWriter,
    hasher: Option<&'a mut TableRowHasher>,
    converted: Option<&'a mut ConvertedRecords>,
}

/// The records a load converted, in the order written: source path, figid, and whether the
/// entities came inline. Packed: a full load notes every record of the corpus.
#[derive(Default)]
struct ConvertedRecords {
    paths: Packed,
    figids: Packed,
    inline: Vec<bool>,
}

impl ConvertedRecords {
    fn push(&mut self, path: &str, figid: &str, inline: bool) {
        self.paths.push(path);
        self.figids.push(figid);
        self.inline.push(inline);
    }

    fn len(&self) -> usize {
        self.inline.len()
    }

    fn shrink_to_fit(&mut self) {
        self.paths.shrink_to_fit();
        self.figids.shrink_to_fit();
        self.inline.shrink_to_fit();
    }

    /// (source path, figid, entities inline) of each record, in the order written.
    fn iter(&self) -> impl Iterator<Item = (&str, &str, bool)> + '_ {
        (0..self.len()).map(|i| (self.paths.at(i), self.figids.at(i), self.inline[i]))
    }
}

impl TableSink for LoadTable<'_> {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if let Some(converted) = self.converted.as_deref_mut() {
            let col = |name| batch.column(Table::Figures.column(name)).as_string::<i32>();
            let (path, figid, source) = (col("source_path"), col("figid"), col("entity_source"));
            for i in 0..batch.num_rows() {
                converted.push(path.value(i), figid.value(i), source.value(i) == "inline");
            }
        }
        if let Some(hasher) = self.hasher.as_deref_mut() {
            hasher.add(batch, self.table.column("figid"))?;
        }
        self.writer.write(batch)
    }
}

impl Sink for LoadSink {
    fn tables(&mut self) -> Vec<Box<dyn TableSink + Send + '_>> {
        debug_assert_eq!(Table::ALL[0], Table::Figures);
        let mut hashers = self.hashers.iter_mut();
        let mut converted = Some(&mut self.converted);
        self.writers
            .each_mut()
            .zip(Table::ALL)
            .map(|(writer, table)| {
                let sink = LoadTable {
                    table,
                    writer,
                    hasher: hashers.next(),
                    converted: converted.take(),
                };
                Box::new(sink) as Box<dyn TableSink + Send>
            })
            .collect()
    }
}

/// What an incremental load changes in each data table (in [`Table::ALL`] order).
struct TableChanges {
    /// figids whose rows leave the table's files.
    remove: Vec<HashSet<String>>,
    /// figids decoded again whose rows in the table hash as the last state says: their old
    /// rows stay, and the new copy of them is left out of the table's new file.
    same: Vec<HashSet<String>>,
    /// The row hashes of each converted record (in `Decoded::converted` order).
    rows: Vec<Option<RowHashes>>,
}

impl TableChanges {
    /// Rows leave a table when their record went away or converts otherwise (another
    /// figid, a reject, different rows there), and for every record converted now whose
    /// figid the last state shows converted by another, kept, file (only those can have
    /// rows: a load cut off after some of its commits is caught as `cut_off` and rebuilt).
    /// The last state itself is no longer needed here (it was dropped before decoding): an
    /// append of new figids reads and rewrites no existing file.
    fn of(plan: &mut sources::Plan, decoded: &Decoded) -> Self {
        let mut everywhere = std::mem::take(&mut plan.remove_figids);
        let kept: HashSet<&str> = plan.kept.iter().map(|k| k.figid).collect();
        let previous = std::mem::take(&mut plan.previous);
        let mut matched = vec![false; previous.len()];
        let mut changes = TableChanges {
            remove: vec![HashSet::new(); DATA_TABLES],
            same: vec![HashSet::new(); DATA_TABLES],
            rows: Vec::with_capacity(decoded.converted.len()),
        };
        for (path, figid, _) in decoded.converted.iter() {
            let mut now = [0; DATA_TABLES];
            let mut known = true;
            for (h, table) in now.iter_mut().zip(&decoded.hashes) {
                match table.get(figid) {
                    Some(hash) => *h = hash,
                    None => known = false,
                }
            }
            let now = known.then_some(now);
            changes.rows.push(now);
            if kept.contains(figid) {
                everywhere.insert(figid.to_owned());
            }
            let Ok(i) = previous.binary_search_by(|p| p.source_path.as_str().cmp(path)) else {
                continue;
            };
            matched[i] = true;
            let before = &previous[i];
            if before.figid != figid {
                everywhere.insert(before.figid.clone());
                continue;
            }
            for t in 0..DATA_TABLES {
                let same = matches!((&before.rows, now), (Some(b), Some(n)) if b[t] == n[t]);
                let set = if same {
                    &mut changes.same
                } else {
                    &mut changes.remove
                };
                set[t].insert(figid.to_owned());
            }
        }
        // Decoded again but converted no more (rejected now): their rows go.
        let unmatched = previous.into_iter().zip(matched).filter(|(_, m)| !m);
        everywhere.extend(unmatched.map(|(p, _)| p.figid));
        for t in 0..DATA_TABLES {
            changes.same[t].retain(|figid| !everywhere.contains(figid));
            changes.remove[t].extend(everywhere.iter().cloned());
        }
        changes
    }
}

fn decode(
    opts: &LoadOptions,
    corpus: &mut Corpus,
    plan: &sources::Plan,
    dir: &Path,
) -> Result<Decoded> {
    let mut sink = LoadSink {
        writers: TableWriters::create(dir, corpus.inputs() as u64, &opts.convert.write)?,
        converted: ConvertedRecords::default(),
        // Sized for every record decoded (the most figids a table can have): grown by
        // doubling, four of them held up to twice the room at a full load's peak.
        hashers: (0..DATA_TABLES)
            .map(|_| TableRowHasher::with_capacity(plan.decode.len()))
            .collect(),
    };
    let selection = Selection::Subset {
        figures: &plan.decode,
        kept: &plan.kept,
    };
    let merged = decode_corpus(corpus, selection, &opts.convert, &mut sink)?;
    let outputs = sink.writers.close()?;
    sink.converted.shrink_to_fit();
    let files = outputs
        .into_iter()
        .map(|(t, out)| (dir.join(t.name()).join("part-00000.parquet"), out.rows))
        .collect();
    let mut rejects_by_kind = BTreeMap::new();
    for r in &merged.rejects {
        *rejects_by_kind
            .entry(r.kind.as_str().to_owned())
            .or_default() += 1;
    }
    Ok(Decoded {
        files,
        converted: sink.converted,
        hashes: sink
            .hashers
            .into_iter()
            .map(TableRowHasher::finish)
            .collect(),
        rejected: merged.rejected,
        rejects_by_kind,
        displaced: merged.displaced,
    })
}

/// Hands the pages of freed heap memory back to the system: glibc keeps a thread's freed
/// blocks in that thread's heap, so the decoder's buffers (freed on its worker threads)
/// would stay resident under the state write that follows (at 200,000 records, 172 MiB
/// resident after decoding without this, 144 with it; the load's peak 225 → 210 MiB). A few
/// milliseconds; a no-op where the allocator is not glibc's.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Names of the files a load uploads: the shard tag (which shard owns the file), the load
/// number, and the process and start time, so rival or retried loads never collide.
pub(super) struct FileNames {
    prefix: String,
    next: std::cell::Cell<u32>,
}

impl FileNames {
    pub(super) fn new(shard: Shard, load: i64) -> Self {
        let nanos = now_nanos();
        FileNames {
            prefix: format!(
                "part-{}-l{load:06}-{}-{nanos}",
                shard.tag(),
                std::process::id()
            ),
            next: std::cell::Cell::new(0),
        }
    }

    pub(super) fn next(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("{}-{n:05}.parquet", self.prefix)
    }
}

/// A load state is a file of every row and the files later loads appended: a load with no
/// file gone writes only the rows that differ from the last state's (new, changed, stamped
/// anew, decoded again) and adds that file, removing none: an append of new records then
/// touches no existing file, the state's included. Reading a state takes the latest load's
/// row of each path. The state is written whole again when it would hold more than this
/// many files...
pub const STATE_FILES_MAX: usize = 10;

/// ... or more rows (superseded ones included) than the corpus has files plus a quarter,
/// which bounds what reading it holds for a moment.
fn state_rows_max(files: usize) -> usize {
    files + files / 4
}

/// The paths whose state rows this load appends (sorted), or `None` when it writes the
/// state whole: a first or full load, a file gone, or a state at its bounds. Takes the
/// last state's file and row counts, and the rows of the corpus now (`files`).
fn state_append<'a>(
    plan: &'a sources::Plan,
    corpus: &'a Corpus,
    (state_files, state_rows): (usize, usize),
    files: usize,
) -> Option<Vec<&'a str>> {
    if plan.full || plan.rows_gone || state_files == 0 || state_files >= STATE_FILES_MAX {
        return None;
    }
    let decoded = plan.decode.iter().map(|&i| corpus.figures.at(i).rel);
    let mut only: Vec<&str> = plan
        .state_changed
        .iter()
        .map(String::as_str)
        .chain(decoded)
        .collect();
    only.sort_unstable();
    only.dedup();
    // The options row comes with every append: `<`, not `<=`.
    (state_rows + only.len() < state_rows_max(files)).then_some(only)
}

/// Writes the state rows of this load (of them only the paths of `only`, when appending)
/// as a zstd Parquet file, a batch at a time; returns the rows written.
fn write_state(
    path: &Path,
    now: &sources::Rows,
    converted: &BTreeMap<&str, sources::Converted<'_>>,
    header: sources::StateHeader<'_>,
    only: Option<&[&str]>,
) -> Result<u64> {
    let perr = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(|source| Error::Destination {
        path: path.to_path_buf(),
        source,
    })?;
    // Paths, hashes and figids are unique: a dictionary would only cost time, and min/max
    // statistics too (the state is read whole, never filtered).
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_statistics_enabled(parquet::file::properties::EnabledStatistics::None)
        .set_dictionary_enabled(false)
        .set_column_dictionary_enabled("kind".into(), true)
        .build();
    let mut w = ArrowWriter::try_new(file, sources::schema(), Some(props)).map_err(perr)?;
    let mut rows = 0;
    sources::state_batches(
        now,
        converted,
        header,
        only,
        sources::STATE_BATCH_ROWS,
        |b| {
            rows += b.num_rows() as u64;
            w.write(&b).map_err(perr)
        },
    )?;
    w.close().map_err(perr)?;
    Ok(rows)
}

/// With `PFOCR_ETL_TIMINGS` set, prints to stderr the seconds since the previous phase of a
/// load as each ends, and the process's peak RSS so far (Linux): the profile behind the load
/// figures of docs/performance.md. Quiet (one cached check) otherwise.
fn phase(what: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    static LAST: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);
    if !*ON.get_or_init(|| std::env::var_os("PFOCR_ETL_TIMINGS").is_some()) {
        return;
    }
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(last) = *last {
        let peak = match (rss_mib("VmHWM:"), rss_mib("VmRSS:")) {
            (Some(peak), Some(now)) => format!("  peak {peak:6.1} MiB  now {now:6.1} MiB"),
            _ => String::new(),
        };
        eprintln!(
            "timing {what:<16} {:8.3} s{peak}",
            (now - last).as_secs_f64()
        );
    }
    *last = Some(now);
}

/// A resident-set figure of the process (`VmHWM:` the peak so far, `VmRSS:` now), where
/// `/proc` tells it.
fn rss_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
