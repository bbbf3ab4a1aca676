//! One Delta table of a load: open or create it, list and read its files, upload new ones,
//! and commit a load's changes to it as one transaction.
//!
//! Every commit carries a Delta application transaction (`txn`) with the shard's app id and
//! the load's number: a second load of the same shard that commits to a table after we read
//! it conflicts on that id, and is told so, instead of loading the same rows twice.

use std::collections::HashMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::arrow::datatypes::SchemaRef;
use crate::arrow::record_batch::RecordBatch;
use bytes::Bytes;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use deltalake::kernel::transaction::{
    CommitBuilder, CommitConflictError, CommitProperties, TransactionError,
};
use deltalake::kernel::{Action, Add, MetadataExt as _, StructType, Transaction};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::TableProperty;
use deltalake::{DeltaTable, DeltaTableError};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::error::{Error, Result};

/// Bytes sent per part when a file is uploaded.
const UPLOAD_CHUNK: usize = 8 << 20;
/// Commit attempts on a version race with a non-conflicting writer (another shard).
pub(super) const COMMIT_RETRIES: usize = 50;
/// Every table gets a Delta checkpoint each this many commits (versions 9, 19, 29, …), so
/// a reader replays at most this many JSON commits after the last checkpoint. Tables are
/// created with `delta.checkpointInterval` set to it, which delta-rs' post-commit hook
/// honours; tables created before that get the checkpoint from [`DeltaTarget::commit`].
pub const CHECKPOINT_INTERVAL: u64 = 10;

/// A data file of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFile {
    /// Path relative to the table root.
    pub path: String,
    pub rows: u64,
    /// Size in bytes, as the Add action records it.
    pub size: u64,
}

/// One Delta table, as it was when the load read it.
pub struct DeltaTarget {
    pub name: &'static str,
    schema: SchemaRef,
    url: Url,
    storage: HashMap<String, String>,
    table: DeltaTable,
}

impl DeltaTarget {
    /// Opens `<root>/<name>/`, which need not exist yet.
    pub async fn open(
        root: &Url,
        name: &'static str,
        schema: SchemaRef,
        storage: &HashMap<String, String>,
    ) -> Result<Self> {
        let url = root
            .join(&format!("{name}/"))
            .map_err(|e| Error::Options(format!("table location {root}: {e}")))?;
        if let Ok(dir) = url.to_file_path() {
            // delta-rs opens local tables only in an existing directory.
            std::fs::create_dir_all(&dir).map_err(|source| Error::Destination {
                path: dir.clone(),
                source,
            })?;
        }
        let table = DeltaTable::try_from_url_with_storage_options(url.clone(), storage.clone())
            .await
            .map_err(|source| delta_error(name, source))?;
        Ok(DeltaTarget {
            name,
            schema,
            url,
            storage: storage.clone(),
            table,
        })
    }

    /// The table's version, `None` before its first commit.
    pub fn version(&self) -> Option<u64> {
        self.table.version()
    }

    /// The table's data files.
    pub fn files(&self) -> Result<Vec<TableFile>> {
        if self.version().is_none() {
            return Ok(Vec::new());
        }
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        Ok(snapshot
            .log_data()
            .into_iter()
            .map(|f| TableFile {
                path: f.path().to_string(),
                rows: f.num_records().unwrap_or(0) as u64,
                size: f.size().max(0) as u64,
            })
            .collect())
    }

    /// True when the table exists with other columns than this build writes: a table
    /// written at an older schema version (version 1 lacks `figures.wpid`).
    pub fn schema_outdated(&self) -> Result<bool> {
        if self.version().is_none() {
            return Ok(false);
        }
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        let have = snapshot.schema();
        let have: Vec<&str> = have.fields().map(|f| f.name().as_str()).collect();
        let want: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        Ok(have != want)
    }

    /// The Metadata action that gives the table this build's schema (its id, partitioning
    /// and configuration kept): committed with the rows rewritten at that schema.
    pub fn schema_update(&self) -> Result<Action> {
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        let columns: StructType = self
            .schema
            .as_ref()
            .try_into_kernel()
            .map_err(|e| delta_error(self.name, DeltaTableError::from(e)))?;
        let metadata = snapshot
            .metadata()
            .clone()
            .with_schema(&columns)
            .map_err(|source| delta_error(self.name, DeltaTableError::from(source)))?;
        Ok(Action::Metadata(metadata))
    }

    /// The last load number that `app_id` committed to this table.
    pub async fn load_number(&self, app_id: &str) -> Result<i64> {
        if self.version().is_none() {
            return Ok(0);
        }
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        Ok(snapshot
            .transaction_version(self.table.log_store().as_ref(), app_id)
            .await
            .map_err(|source| delta_error(self.name, source))?
            .unwrap_or(0))
    }

    fn store(&self) -> std::sync::Arc<dyn ObjectStore> {
        self.table.object_store()
    }

    /// Reads a data file of the table whole.
    pub async fn read(&self, path: &str) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::new();
        self.read_each(path, |b| {
            batches.push(b);
            Ok(())
        })
        .await?;
        Ok(batches)
    }

    /// Reads the data file at `path` (relative to the table) and hands its batches to `each`
    /// one at a time, so that no more than one decoded batch is held at once.
    pub async fn read_each(
        &self,
        path: &str,
        mut each: impl FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        let location = StorePath::from(path);
        let store_err = |source| Error::Store {
            location: format!("{}{path}", self.url),
            source,
        };
        let bytes: Bytes = self
            .store()
            .get(&location)
            .await
            .map_err(store_err)?
            .bytes()
            .await
            .map_err(store_err)?;
        let parquet_err = |source| Error::Parquet {
            path: format!("{}{path}", self.url).into(),
            source,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(parquet_err)?
            .build()
            .map_err(parquet_err)?;
        for batch in reader {
            let batch = batch
                .and_then(plain_strings)
                .map_err(|source| Error::Arrow {
                    table: self.name,
                    source,
                })?;
            each(batch)?;
        }
        Ok(())
    }

    /// A local path holding the bytes of the table's file `path`: the file itself for a
    /// local table, else a copy downloaded to `scratch` in [`UPLOAD_CHUNK`] ranges (so never
    /// whole in memory).
    pub async fn local_copy(&self, path: &str, scratch: &Path) -> Result<std::path::PathBuf> {
        if let Ok(dir) = self.url.to_file_path() {
            let local = dir.join(path);
            if local.is_file() {
                return Ok(local);
            }
        }
        let location = StorePath::from(path);
        let store_err = |source| Error::Store {
            location: format!("{}{path}", self.url),
            source,
        };
        let io_err = |source| Error::Destination {
            path: scratch.to_path_buf(),
            source,
        };
        let store = self.store();
        let size = store.head(&location).await.map_err(store_err)?.size;
        let mut out = std::fs::File::create(scratch).map_err(io_err)?;
        let mut at = 0u64;
        while at < size {
            let end = (at + UPLOAD_CHUNK as u64).min(size);
            let bytes = store
                .get_range(&location, at..end)
                .await
                .map_err(store_err)?;
            std::io::Write::write_all(&mut out, &bytes).map_err(io_err)?;
            at = end;
        }
        Ok(scratch.to_path_buf())
    }

    /// Uploads the local Parquet file `local` as `name` in the table and returns its Add
    /// action (not yet committed: until then readers do not see it).
    pub async fn upload(&self, local: &Path, name: &str, rows: u64) -> Result<Add> {
        let location = StorePath::from(name);
        let remote = format!("{}{name}", self.url);
        let io_err = |source| Error::Destination {
            path: remote.clone().into(),
            source,
        };
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|source| Error::Destination {
                path: local.to_path_buf(),
                source,
            })?;
        let mut writer = object_store::buffered::BufWriter::new(self.store(), location.clone());
        let mut size = 0u64;
        let mut chunk = vec![0u8; UPLOAD_CHUNK];
        loop {
            let n = file.read(&mut chunk).await.map_err(io_err)?;
            if n == 0 {
                break;
            }
            writer.write_all(&chunk[..n]).await.map_err(io_err)?;
            size += n as u64;
        }
        // The buffered writer reports object store errors as I/O errors.
        writer.shutdown().await.map_err(io_err)?;
        Ok(Add {
            path: name.to_owned(),
            partition_values: HashMap::new(),
            size: size as i64,
            modification_time: now_millis(),
            data_change: true,
            stats: Some(format!("{{\"numRecords\":{rows}}}")),
            ..Add::default()
        })
    }

    /// Commits `actions` as one version of the table, tagged with load `load` of `app_id`
    /// and `info` in the commit info. The actions were worked out from the table as this
    /// target read it: if a rival load of the same shard (same `app_id`) committed to the
    /// table since, they are stale, and the commit fails with [`Error::ConcurrentLoad`].
    /// Commits of other shards (other app ids) are retried past.
    pub async fn commit(
        &mut self,
        actions: Vec<Action>,
        app_id: &str,
        load: i64,
        info: HashMap<String, Value>,
    ) -> Result<u64> {
        let read_load = self.load_number(app_id).await?;
        let props = |retries| {
            CommitProperties::default()
                .with_application_transaction(Transaction::new_with_last_update(
                    app_id,
                    load,
                    Some(now_millis()),
                ))
                .with_metadata(info.clone())
                .with_max_retries(retries)
        };
        if self.version().is_none() {
            let columns: StructType = self
                .schema
                .as_ref()
                .try_into_kernel()
                .map_err(|e| delta_error(self.name, DeltaTableError::from(e)))?;
            let created = CreateBuilder::new()
                .with_location(self.url.to_string())
                .with_storage_options(self.storage.clone())
                .with_columns(columns.fields().cloned())
                .with_configuration_property(
                    TableProperty::CheckpointInterval,
                    Some(CHECKPOINT_INTERVAL.to_string()),
                )
                .with_actions(actions.clone())
                // No retries: on finding a version 0, delta-rs would retry the create as
                // version 1 on top of it, past the check below, and rows would load twice.
                .with_commit_properties(props(0))
                .with_save_mode(SaveMode::ErrorIfExists)
                .await;
            match created {
                Ok(table) => {
                    self.table = table;
                    return Ok(0);
                }
                // Someone created it first. Another shard: append to its table. A rival
                // load of ours: our actions assumed no table, so stop.
                Err(source) => {
                    if !self.reload_existing().await? {
                        return Err(delta_error(self.name, source));
                    }
                    if self.rival_committed(app_id, read_load).await? {
                        return Err(self.concurrent());
                    }
                }
            }
        }
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: None,
            predicate: None,
        };
        let conflict = match self
            .commit_retried(props(COMMIT_RETRIES), actions, operation)
            .await?
        {
            Ok(version) => {
                self.checkpoint_if_due(version).await?;
                return Ok(version);
            }
            Err(conflict) => conflict,
        };
        // delta-rs checks removed files before app ids: a rival load that removed the same
        // files shows as a delete conflict. Either way it is ours if the table now holds a
        // later load of this app id than we read.
        let rival = matches!(conflict, CommitConflictError::ConcurrentTransaction)
            || (self.reload_existing().await? && self.rival_committed(app_id, read_load).await?);
        let replaced = matches!(
            conflict,
            CommitConflictError::ConcurrentDeleteRead | CommitConflictError::ConcurrentDeleteDelete
        );
        Err(if rival {
            self.concurrent()
        } else if replaced {
            // A `maintain` compaction replaced files this load rewrites.
            Error::ConcurrentMaintenance {
                table: self.name.to_owned(),
            }
        } else {
            delta_error(self.name, TransactionError::CommitConflict(conflict).into())
        })
    }

    /// Commits `actions` as one version on top of the table as last read, retried past
    /// writers whose commits do not conflict, then reloads the table. A commit conflict is
    /// handed back (`Ok(Err(..))`): what it means depends on the caller's operation.
    async fn commit_retried(
        &mut self,
        props: CommitProperties,
        actions: Vec<Action>,
        operation: DeltaOperation,
    ) -> Result<std::result::Result<u64, CommitConflictError>> {
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        let done = CommitBuilder::from(props)
            .with_actions(actions)
            .build(Some(snapshot), self.table.log_store(), operation)
            .await;
        let version = match done {
            Ok(done) => done.version(),
            Err(DeltaTableError::Transaction {
                source: TransactionError::CommitConflict(conflict),
            }) => return Ok(Err(conflict)),
            Err(source) => return Err(delta_error(self.name, source)),
        };
        self.table
            .update_state()
            .await
            .map_err(|source| delta_error(self.name, source))?;
        Ok(Ok(version))
    }

    /// Writes a checkpoint at `version` when it is due ([`CHECKPOINT_INTERVAL`]) and the
    /// table's own `delta.checkpointInterval` did not already make delta-rs write it (a
    /// table created before the property was set; delta-rs' default interval is 100).
    async fn checkpoint_if_due(&self, version: u64) -> Result<()> {
        if (version + 1) % CHECKPOINT_INTERVAL != 0 {
            return Ok(());
        }
        let snapshot = self
            .table
            .snapshot()
            .map_err(|source| delta_error(self.name, source))?;
        let configured = snapshot
            .metadata()
            .configuration()
            .get(TableProperty::CheckpointInterval.as_ref())
            .and_then(|v| v.parse::<u64>().ok());
        if configured == Some(CHECKPOINT_INTERVAL) {
            return Ok(());
        }
        self.checkpoint().await
    }

    /// Writes a checkpoint of the table's current version (`_delta_log/<v>.checkpoint.parquet`
    /// and `_last_checkpoint`).
    pub async fn checkpoint(&self) -> Result<()> {
        deltalake::checkpoints::create_checkpoint(&self.table, None)
            .await
            .map_err(|source| delta_error(self.name, source))
    }

    /// The delta-rs table as last loaded (maintenance works on it directly).
    pub(super) fn table(&self) -> &DeltaTable {
        &self.table
    }

    /// Replaces the table after an operation that returned a newer state of it.
    pub(super) fn set_table(&mut self, table: DeltaTable) {
        self.table = table;
    }

    /// Commits a compaction: `actions` remove small files and add the file holding their
    /// rows. No application transaction: the shard's load number does not move. The
    /// removes carry `dataChange: true`, so delta-rs' conflict checker fails this commit if
    /// a load removed one of the same files since we read the table (and fails the load if
    /// we commit first): neither side commits on top of a file the other replaced, so no
    /// row is lost or loaded twice. Loads that only add files commute and are retried past.
    pub async fn commit_compaction(
        &mut self,
        actions: Vec<Action>,
        target_size: u64,
    ) -> Result<u64> {
        let operation = DeltaOperation::Optimize {
            predicate: None,
            target_size: target_size as i64,
        };
        let props = CommitProperties::default().with_max_retries(COMMIT_RETRIES);
        match self.commit_retried(props, actions, operation).await? {
            Ok(version) => Ok(version),
            Err(_) => Err(Error::ConcurrentMaintenance {
                table: self.name.to_owned(),
            }),
        }
    }

    /// True when the table (as last loaded) holds a later load of `app_id` than `read_load`.
    async fn rival_committed(&self, app_id: &str, read_load: i64) -> Result<bool> {
        Ok(self.load_number(app_id).await? > read_load)
    }

    fn concurrent(&self) -> Error {
        Error::ConcurrentLoad {
            table: self.name.to_owned(),
        }
    }

    /// Loads the table's latest version after a failed commit; true when it exists.
    async fn reload_existing(&mut self) -> Result<bool> {
        match self.table.load().await {
            Ok(()) => Ok(self.version().is_some()),
            Err(DeltaTableError::NotATable(_)) => Ok(false),
            Err(source) => Err(delta_error(self.name, source)),
        }
    }
}

pub(super) fn delta_error(table: &str, source: DeltaTableError) -> Error {
    Error::Delta {
        table: table.to_owned(),
        source: Box::new(source),
    }
}

/// Milliseconds since the Unix epoch, as Delta actions record times.
pub(super) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `batch` with large and view strings (and lists of them) cast to the plain `Utf8` this tool
/// writes: a table rewritten by another Delta writer (Python `deltalake` from Polars, say)
/// may hold them, and every reader here takes `Utf8`.
pub(super) fn plain_strings(
    batch: RecordBatch,
) -> std::result::Result<RecordBatch, crate::arrow::error::ArrowError> {
    use crate::arrow::datatypes::{DataType, Field, Schema};
    let plain = |t: &DataType| match t {
        DataType::LargeUtf8 | DataType::Utf8View => Some(DataType::Utf8),
        DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f)
            if matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) && (t != &crate::schema::ColumnType::TextList.data_type()) =>
        {
            Some(crate::schema::ColumnType::TextList.data_type())
        }
        _ => None,
    };
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| plain(f.data_type()).is_some())
    {
        return Ok(batch);
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        match plain(f.data_type()) {
            Some(t) => {
                columns.push(crate::arrow::compute::cast(c, &t)?);
                fields.push(Field::new(f.name(), t, f.is_nullable()));
            }
            None => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::datatypes::{DataType, Field, Schema};
    use deltalake::kernel::Remove;
    use std::sync::Arc;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn target(root: &Url) -> DeltaTarget {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "figid",
            DataType::Utf8,
            false,
        )]));
        DeltaTarget::open(root, "t", schema, &HashMap::new())
            .await
            .unwrap()
    }

    fn add(path: &str) -> Action {
        Action::Add(Add {
            path: path.to_owned(),
            size: 1,
            modification_time: now_millis(),
            data_change: true,
            ..Add::default()
        })
    }

    fn remove(path: &str) -> Action {
        Action::Remove(Remove {
            path: path.to_owned(),
            deletion_timestamp: Some(now_millis()),
            data_change: true,
            ..Remove::default()
        })
    }

    async fn paths(t: &DeltaTarget) -> Vec<String> {
        let mut fresh = target(&t.url.join("..").unwrap()).await;
        fresh.reload_existing().await.unwrap();
        let mut p: Vec<String> = fresh.files().unwrap().into_iter().map(|f| f.path).collect();
        p.sort();
        p
    }

    async fn commit(
        t: &mut DeltaTarget,
        actions: Vec<Action>,
        app: &str,
        load: i64,
    ) -> Result<u64> {
        t.commit(actions, app, load, HashMap::new()).await
    }

    fn root(dir: &tempfile::TempDir) -> Url {
        Url::from_directory_path(dir.path()).unwrap()
    }

    #[test]
    fn a_rival_load_creating_the_table_first_makes_ours_a_concurrent_load() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let (mut ours, mut rival) = (target(&root(&dir)).await, target(&root(&dir)).await);
            // The rival committed load 1 of this shard; we started after it had committed
            // to another table (so we number ours 2) but before it created this one.
            commit(&mut rival, vec![add("a.parquet")], "s", 1)
                .await
                .unwrap();
            let err = commit(&mut ours, vec![add("b.parquet")], "s", 2)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::ConcurrentLoad { .. }), "{err}");
            assert_eq!(paths(&ours).await, ["a.parquet"]);
        });
    }

    #[test]
    fn another_shard_creating_the_table_first_is_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let (mut ours, mut other) = (target(&root(&dir)).await, target(&root(&dir)).await);
            commit(&mut other, vec![add("a.parquet")], "s0", 1)
                .await
                .unwrap();
            let v = commit(&mut ours, vec![add("b.parquet")], "s1", 1)
                .await
                .unwrap();
            assert_eq!(v, 1);
            assert_eq!(paths(&ours).await, ["a.parquet", "b.parquet"]);
        });
    }

    #[test]
    fn a_rival_load_rewriting_the_same_files_makes_ours_a_concurrent_load() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let mut first = target(&root(&dir)).await;
            commit(&mut first, vec![add("a.parquet")], "s", 1)
                .await
                .unwrap();
            let (mut ours, mut rival) = (target(&root(&dir)).await, target(&root(&dir)).await);
            let rewrite = |to| vec![remove("a.parquet"), add(to)];
            commit(&mut rival, rewrite("b.parquet"), "s", 2)
                .await
                .unwrap();
            let err = commit(&mut ours, rewrite("c.parquet"), "s", 2)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::ConcurrentLoad { .. }), "{err}");
            assert_eq!(paths(&ours).await, ["b.parquet"]);
        });
    }
}
