//! Scheduled loads into Delta Lake tables (`pfocr-etl load`): the five tables of the
//! contract as `<URI>/<table>/` Delta tables, plus `<URI>/_pfocr_sources/`, the load state.
//!
//! A load decodes only what changed since the last one ([`sources::plan`]), rewrites the
//! files holding rows of changed or removed records without those rows (copy-on-write),
//! uploads the new rows, and commits each table once. The batches come from the same
//! [`decode_corpus`] engine and Parquet writer as `convert`, so both outputs hold the same
//! rows and types. Tables are committed in a fixed order, `_pfocr_sources` last: a reader
//! sees each table at its previous or its new version, never a mix within a table.

mod maintain;
mod shard;
mod sources;
mod store;
mod stores;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::arrow::array::{AsArray, BooleanArray, RecordBatch};
use crate::arrow::compute::filter_record_batch;
use deltalake::kernel::{Action, Remove};
use parquet::arrow::ArrowWriter;
use serde::Serialize;
use url::Url;

pub use maintain::{
    maintain, MaintainOptions, MaintainSummary, TableMaintenance, DEFAULT_RETAIN_HOURS,
};
pub use shard::Shard;
pub use sources::SOURCES_TABLE;
use store::DeltaTarget;
use stores::missing_store_feature;
pub(crate) use stores::register_object_stores;

use crate::convert::{decode_corpus, Selection, Sink, TableSink};
use crate::discover::{discover, Corpus};
use crate::error::{Error, Result};
use crate::options::{RunOptions, StorageOptions};
use crate::schema::Table;
use crate::write::{writer_properties, TableWriter, TableWriters};

/// What a load does.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The corpus root (holding `_figures/` and `_data/`).
    pub input: PathBuf,
    /// Threads, limits and Parquet settings, as `convert` takes them.
    pub convert: RunOptions,
    /// Where the tables live: a local path, `file://`, `s3://`, `gs://` or `az://` URI.
    pub table: String,
    pub shard: Shard,
    /// Rebuild every table from the whole corpus instead of loading only the changes.
    pub full_refresh: bool,
    /// Work out and report what the load would change, and write nothing.
    pub dry_run: bool,
    /// Object store options (credentials, endpoint); the usual environment variables
    /// (`AWS_*`, `GOOGLE_*`, `AZURE_*`) are read as well.
    pub storage: StorageOptions,
}

/// What a load did: the machine-readable summary (`--summary-json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LoadSummary {
    pub table: String,
    pub shard: String,
    /// This shard's load number (the Delta `txn` version its commits carry).
    pub load: i64,
    /// Figure files in this shard of the corpus; `inputs = converted + rejected`.
    pub inputs: u64,
    pub converted: u64,
    pub rejected: u64,
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Figure files decoded by this load (new, changed, or rejected last time).
    pub decoded: u64,
    /// Figure files new, changed and removed since the last load.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
    /// True when every table was rebuilt (first load, `--full-refresh`, schema upgrade).
    pub full: bool,
    /// True when this load brought tables written at an older schema version to the
    /// current one ([`crate::SCHEMA_VERSION`]): new columns added, this shard's rows rebuilt.
    pub schema_upgraded: bool,
    /// False for a dry run and when nothing changed (no table got a new version).
    pub committed: bool,
    pub dry_run: bool,
    /// Rows of each table after the load.
    pub rows: BTreeMap<String, u64>,
    /// Version of each table after the load (`null`: the table does not exist).
    pub versions: BTreeMap<String, Option<u64>>,
    pub input_bytes: u64,
    pub seconds: f64,
}

impl LoadSummary {
    /// The human summary printed at the end of a load.
    pub fn to_text(&self) -> String {
        let mut s = if self.dry_run {
            "dry run: nothing was written\n".to_owned()
        } else if !self.committed {
            "nothing changed since the last load: no new table version\n".to_owned()
        } else {
            format!(
                "load {} ({}) committed{}\n",
                self.load,
                self.shard,
                if self.full { ", full rebuild" } else { "" }
            )
        };
        if self.schema_upgraded {
            s.push_str(&format!(
                "tables {} brought to schema version {}: every row rebuilt\n",
                if self.dry_run { "would be" } else { "were" },
                crate::SCHEMA_VERSION
            ));
        }
        s.push_str(&format!(
            "{} inputs: {} added, {} changed, {} deleted; {} decoded in {:.2} s\n",
            self.inputs,
            self.added.len(),
            self.changed.len(),
            self.deleted.len(),
            self.decoded,
            self.seconds
        ));
        if self.committed {
            s.push_str(&format!(
                "{} converted, {} rejected\n",
                self.converted, self.rejected
            ));
            let rows: Vec<String> = self.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
            s.push_str(&format!("rows: {}\n", rows.join(", ")));
            let versions: Vec<String> = self
                .versions
                .iter()
                .map(|(t, v)| format!("{t} {}", v.map_or("-".into(), |v| v.to_string())))
                .collect();
            s.push_str(&format!("versions: {}\n", versions.join(", ")));
        }
        s
    }
}

/// Loads the corpus at `opts.input` into the Delta tables at `opts.table`.
pub fn load(opts: &LoadOptions) -> Result<LoadSummary> {
    let started = Instant::now();
    register_object_stores();
    let mut corpus = discover(&opts.input)?;
    if !opts.shard.is_whole() {
        let keys = shard::figure_keys(&corpus, opts.convert.max_record_bytes);
        opts.shard.restrict(&mut corpus, &keys);
    }
    let now = sources::scan(&corpus)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
    let mut summary = runtime.block_on(run(opts, &mut corpus, &now))?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The table root as a URL ending in `/`. A local path (or `file://` URL) is created when
/// `create` is set, and left alone otherwise (a dry run writes nothing).
///
/// Local paths are turned into URLs here rather than by delta-rs, which creates the
/// directory as it parses. A local path holding `%` is refused before anything is created:
/// delta-rs decodes the URL of a local table twice, so `a%20b` would be written as `a%20b`
/// and read back as `a b`.
pub(crate) fn root_url(table: &str, create: bool) -> Result<Url> {
    let bad = |why: String| Error::Options(format!("--table {table}: {why}"));
    let local = match Url::parse(table) {
        Ok(url) if url.scheme() == "file" => Some(
            url.to_file_path()
                .map_err(|()| bad("not a local file URL".into()))?,
        ),
        // A one-letter scheme is a Windows drive letter.
        Ok(url) if url.scheme().len() > 1 => None,
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => Some(PathBuf::from(table)),
        Err(e) => return Err(bad(format!("not a path or URL: {e}"))),
    };
    if let (None, Ok(url)) = (&local, Url::parse(table)) {
        if let Some(feature) = missing_store_feature(url.scheme()) {
            return Err(bad(format!(
                "this pfocr-etl was built without the {}:// object store; build it with \
                 `--features {feature}`",
                url.scheme()
            )));
        }
    }
    let mut url = match local {
        None => deltalake::ensure_table_uri(table).map_err(|source| Error::Delta {
            table: table.to_owned(),
            source: Box::new(source),
        })?,
        Some(path) => {
            if path.to_string_lossy().contains('%') {
                return Err(bad(format!(
                    "the local path {} holds a '%', which the Delta library reads as a URL \
                     escape (a%20b would be read back as 'a b'); use a directory name \
                     without '%'",
                    path.display()
                )));
            }
            if create {
                std::fs::create_dir_all(&path).map_err(|source| Error::Destination {
                    path: path.clone(),
                    source,
                })?;
            }
            let abs = match std::fs::canonicalize(&path) {
                Ok(p) => p,
                Err(_) if !create => {
                    std::path::absolute(&path).map_err(|source| Error::Destination {
                        path: path.clone(),
                        source,
                    })?
                }
                Err(source) => return Err(Error::Destination { path, source }),
            };
            Url::from_directory_path(&abs)
                .map_err(|()| bad(format!("{} cannot be a URL", abs.display())))?
        }
    };
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
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

async fn run(opts: &LoadOptions, corpus: &mut Corpus, now: &sources::Scan) -> Result<LoadSummary> {
    let root = root_url(&opts.table, !opts.dry_run)?;
    let mut targets = open_targets(opts, &root).await?;
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
    let loaded = match state {
        Some(state) if !opts.full_refresh && !cut_off && state.version().is_some() => {
            let mut batches = Vec::new();
            for f in state
                .files()?
                .iter()
                .filter(|f| opts.shard.owns_file(&f.path))
            {
                batches.extend(state.read(&f.path).await?);
            }
            let mut rows = sources::rows_from_batches(&batches)?;
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
    let upgrade =
        outdated.iter().any(|o| *o) || loaded.as_ref().is_some_and(|b| !sources::schema_current(b));
    let before = if upgrade { None } else { loaded };
    let mut plan = sources::plan(corpus, &now.rows, before.as_ref());
    let mut summary = LoadSummary {
        table: opts.table.clone(),
        shard: opts.shard.to_string(),
        load: seen + 1,
        inputs: corpus.inputs() as u64,
        input_bytes: now.bytes,
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
            .filter(|r| r.kind == sources::KIND_FIGURE && r.figid.is_some())
            .count() as u64;
        summary.rejected = summary.inputs.saturating_sub(summary.converted);
    }
    if plan.unchanged || opts.dry_run {
        summary.added = std::mem::take(&mut plan.added);
        summary.changed = std::mem::take(&mut plan.changed);
        summary.deleted = std::mem::take(&mut plan.deleted);
        summary.decoded = plan.decode.len() as u64;
        return Ok(summary);
    }

    let work = Scratch::new()?;
    let mut decoded = decode(opts, corpus, &plan, &work.dir.join("new"))?;
    if !decoded.displaced.is_empty() && !plan.full {
        // A new record sorting before a kept one takes its figid: only a full rebuild
        // judges that as a full run would.
        plan = sources::plan(corpus, &now.rows, None);
        decoded = decode(opts, corpus, &plan, &work.dir.join("full"))?;
    }
    summary.full = plan.full;
    summary.decoded = plan.decode.len() as u64;
    summary.converted = plan.kept.len() as u64 + decoded.converted.len() as u64;
    summary.rejected = decoded.rejected;
    summary.rejects_by_kind = decoded.rejects_by_kind.clone();
    summary.added = std::mem::take(&mut plan.added);
    summary.changed = std::mem::take(&mut plan.changed);
    summary.deleted = std::mem::take(&mut plan.deleted);
    debug_assert_eq!(summary.inputs, summary.converted + summary.rejected);

    // Rows of these figids leave the data tables: records changed or gone, and every
    // record converted now (so a load cut off halfway and run again adds nothing twice).
    let mut remove = std::mem::take(&mut plan.remove_figids);
    remove.extend(decoded.converted.values().map(|(figid, _)| figid.clone()));
    let mut state_rows: BTreeMap<String, (String, bool)> = plan
        .kept
        .iter()
        .map(|k| (k.source_path.clone(), (k.figid.clone(), k.inline)))
        .collect();
    state_rows.extend(decoded.converted.clone());
    let state_batch = sources::state_batch(&now.rows, &state_rows, &options, summary.load)?;
    let state_file = work.dir.join("state.parquet");
    write_parquet(&state_file, &state_batch)?;

    debug_assert_eq!(targets.len(), Table::ALL.len() + 1, "every table opened");
    let info = commit_info(&summary);
    let names = FileNames::new(opts.shard, summary.load);
    for (i, table) in Table::ALL.iter().enumerate() {
        let target = &mut targets[i];
        let replace_all = plan.full || *table == Table::Rejects;
        let mut actions = if replace_all {
            remove_all(target, opts.shard)?
        } else {
            rewrite_without(target, opts, &remove, &names, &work.dir).await?
        };
        if outdated[i] {
            actions.insert(0, target.schema_update()?);
        }
        let (path, rows) = &decoded.files[i];
        if *rows > 0 {
            let add = target.upload(path, &names.next(), *rows).await?;
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
    }
    let state = targets.last_mut().expect("the state table");
    let mut actions = remove_all(state, opts.shard)?;
    if outdated[Table::ALL.len()] {
        actions.insert(0, state.schema_update()?);
    }
    let add = state
        .upload(&state_file, &names.next(), state_batch.num_rows() as u64)
        .await?;
    actions.push(Action::Add(add));
    state.commit(actions, &app_id, summary.load, info).await?;

    summary.committed = true;
    for t in &targets {
        summary.versions.insert(t.name.to_owned(), t.version());
        summary
            .rows
            .insert(t.name.to_owned(), t.files()?.iter().map(|f| f.rows).sum());
    }
    Ok(summary)
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
    /// Converted records: source path → (figid, entities inline).
    converted: BTreeMap<String, (String, bool)>,
    rejected: u64,
    rejects_by_kind: BTreeMap<String, u64>,
    displaced: Vec<String>,
}

/// Collects the batches of a load into local Parquet files, noting each converted record.
struct LoadSink {
    writers: TableWriters,
    converted: BTreeMap<String, (String, bool)>,
}

/// The figures table's writer in a load: also notes each converted record.
struct NotingFigures<'a> {
    writer: &'a mut TableWriter,
    converted: &'a mut BTreeMap<String, (String, bool)>,
}

impl TableSink for NotingFigures<'_> {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let col = |name| batch.column(Table::Figures.column(name)).as_string::<i32>();
        let (path, figid, source) = (col("source_path"), col("figid"), col("entity_source"));
        for i in 0..batch.num_rows() {
            self.converted.insert(
                path.value(i).to_owned(),
                (figid.value(i).to_owned(), source.value(i) == "inline"),
            );
        }
        self.writer.write(batch)
    }
}

impl Sink for LoadSink {
    fn tables(&mut self) -> Vec<Box<dyn TableSink + Send + '_>> {
        let mut writers = self.writers.each_mut();
        debug_assert_eq!(Table::ALL[0], Table::Figures);
        let figures = NotingFigures {
            writer: writers.next().expect("a figures table"),
            converted: &mut self.converted,
        };
        std::iter::once(Box::new(figures) as Box<dyn TableSink + Send>)
            .chain(writers.map(|w| Box::new(w) as Box<dyn TableSink + Send>))
            .collect()
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
        converted: BTreeMap::new(),
    };
    let selection = Selection::Subset {
        figures: &plan.decode,
        kept: &plan.kept,
    };
    let merged = decode_corpus(corpus, selection, &opts.convert, &mut sink)?;
    let outputs = sink.writers.close()?;
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
        rejected: merged.rejected,
        rejects_by_kind,
        displaced: merged.displaced,
    })
}

/// Remove actions for every file of `target` this shard owns.
fn remove_all(target: &DeltaTarget, shard: Shard) -> Result<Vec<Action>> {
    Ok(target
        .files()?
        .into_iter()
        .filter(|f| shard.owns_file(&f.path))
        .map(|f| remove_action(&f.path))
        .collect())
}

/// Copy-on-write: for each owned file holding rows of a figid in `remove`, a Remove of it
/// and an Add of a new file with its other rows.
async fn rewrite_without(
    target: &DeltaTarget,
    opts: &LoadOptions,
    remove: &HashSet<String>,
    names: &FileNames,
    work: &Path,
) -> Result<Vec<Action>> {
    let mut actions = Vec::new();
    if remove.is_empty() {
        return Ok(actions);
    }
    let table = Table::ALL
        .into_iter()
        .find(|t| t.name() == target.name)
        .expect("a data table");
    let figid = table.column("figid");
    for file in target
        .files()?
        .into_iter()
        .filter(|f| opts.shard.owns_file(&f.path))
    {
        let batches = target.read(&file.path).await?;
        let mut kept = Vec::with_capacity(batches.len());
        let mut dropped = 0;
        for b in &batches {
            let ids = b.column(figid).as_string::<i32>();
            let mask: BooleanArray = ids
                .iter()
                .map(|id| Some(!id.is_some_and(|id| remove.contains(id))))
                .collect();
            let k = filter_record_batch(b, &mask).map_err(|source| Error::Arrow {
                table: table.name(),
                source,
            })?;
            dropped += b.num_rows() - k.num_rows();
            kept.push(k);
        }
        if dropped == 0 {
            continue;
        }
        actions.push(remove_action(&file.path));
        let rows: usize = kept.iter().map(RecordBatch::num_rows).sum();
        if rows > 0 {
            let dir = work.join(format!("rewrite-{}", names.peek()));
            let mut w = TableWriter::create(
                &dir,
                table,
                writer_properties(table, rows as u64, &opts.convert.write)?,
            )?;
            for b in &kept {
                w.write(b)?;
            }
            w.close()?;
            let local = dir.join(table.name()).join("part-00000.parquet");
            let add = target.upload(&local, &names.next(), rows as u64).await?;
            actions.push(Action::Add(add));
        }
    }
    Ok(actions)
}

fn remove_action(path: &str) -> Action {
    Action::Remove(Remove {
        path: path.to_owned(),
        data_change: true,
        deletion_timestamp: Some(store::now_millis()),
        extended_file_metadata: Some(false),
        ..Remove::default()
    })
}

/// The run's summary in every commit's info, under `pfocr_etl`.
fn commit_info(s: &LoadSummary) -> HashMap<String, serde_json::Value> {
    let info = serde_json::json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "schema_version": crate::SCHEMA_VERSION,
        "load": s.load,
        "shard": s.shard,
        "full": s.full,
        "schema_upgraded": s.schema_upgraded,
        "inputs": s.inputs,
        "converted": s.converted,
        "rejected": s.rejected,
        "decoded": s.decoded,
        "added": s.added.len(),
        "changed": s.changed.len(),
        "deleted": s.deleted.len(),
    });
    HashMap::from([("pfocr_etl".to_owned(), info)])
}

/// Names of the files a load uploads: the shard tag (which shard owns the file), the load
/// number, and the process and start time, so rival or retried loads never collide.
struct FileNames {
    prefix: String,
    next: std::cell::Cell<u32>,
}

impl FileNames {
    fn new(shard: Shard, load: i64) -> Self {
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

    fn peek(&self) -> u32 {
        self.next.get()
    }

    fn next(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("{}-{n:05}.parquet", self.prefix)
    }
}

/// Nanoseconds since the Unix epoch: with the process id, a name no rival load picks.
fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A local scratch directory for the files of one load, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Self> {
        let nanos = now_nanos();
        let dir =
            std::env::temp_dir().join(format!("pfocr-etl-load-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Destination {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes one small batch (the state table) as a zstd Parquet file.
fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let perr = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(|source| Error::Destination {
        path: path.to_path_buf(),
        source,
    })?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(perr)?;
    w.write(batch).map_err(perr)?;
    w.close().map_err(perr)?;
    Ok(())
}
