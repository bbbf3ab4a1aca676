//! Reading converted tables back for the exports: a Parquet output directory written by
//! `convert`, or the Delta tables written by `load`.
//!
//! Either way a table is a list of Parquet parts read one after another, each decoded in
//! record batches (never a whole table in memory). For Delta tables the parts are the live
//! data files of the table's latest snapshot, sorted by path so the same table version is
//! always read in the same order.

use std::path::{Path, PathBuf};

use crate::arrow::datatypes::SchemaRef;
use crate::arrow::record_batch::{RecordBatch, RecordBatchReader};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::reader::ChunkReader;

use crate::error::{Error, Result};
use crate::options::StorageOptions;
use crate::schema::Table;

/// Rows per decoded batch.
const BATCH_ROWS: usize = 8192;

/// The converted tables at one location.
pub struct Tables {
    /// What the user gave (for messages).
    location: String,
    parts: Vec<(Table, Vec<Part>)>,
    #[cfg(feature = "delta")]
    runtime: Option<tokio::runtime::Runtime>,
}

/// One Parquet file of a table.
enum Part {
    File(PathBuf),
    #[cfg(feature = "delta")]
    Remote {
        store: std::sync::Arc<dyn object_store::ObjectStore>,
        path: String,
        url: String,
    },
}

impl Part {
    fn name(&self) -> String {
        match self {
            Part::File(p) => p.display().to_string(),
            #[cfg(feature = "delta")]
            Part::Remote { url, .. } => url.clone(),
        }
    }
}

impl Tables {
    /// Opens the tables at `location`: a directory holding a `convert` output
    /// (`_manifest.json`, `figures/*.parquet`, ...), a directory holding Delta tables
    /// (`figures/_delta_log/`, ...), or an `s3://`, `gs://`, `az://` or `file://` URI of
    /// Delta tables.
    pub fn open(location: &str) -> Result<Tables> {
        Self::open_with(location, &StorageOptions::default())
    }

    /// [`Tables::open`], with object store options for Delta tables (`--storage-option`).
    pub fn open_with(location: &str, storage: &StorageOptions) -> Result<Tables> {
        let source = |reason: String| Error::Source {
            path: PathBuf::from(location),
            reason,
        };
        if location.contains("://") {
            return open_delta_uri(location, storage);
        }
        let root = Path::new(location);
        if root.join("figures").join("_delta_log").is_dir() {
            return open_delta_dir(root, storage);
        }
        if !root.join("figures").is_dir() {
            return Err(source(
                "neither a convert output (figures/*.parquet) nor Delta tables (figures/_delta_log/)"
                    .into(),
            ));
        }
        if !root.join("_manifest.json").is_file() {
            return Err(source(
                "no _manifest.json: the output is incomplete (a conversion was cut off; run it again)"
                    .into(),
            ));
        }
        let mut parts = Vec::new();
        for table in Table::ALL {
            let dir = root.join(table.name());
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| source(format!("cannot list {}: {e}", dir.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            files.sort();
            parts.push((table, files.into_iter().map(Part::File).collect()));
        }
        Ok(Tables {
            location: location.to_owned(),
            parts,
            #[cfg(feature = "delta")]
            runtime: None,
        })
    }

    fn parts(&self, table: Table) -> &[Part] {
        self.parts
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[][..], |(_, p)| p.as_slice())
    }

    /// The schema of `table` as stored (its first file's), so columns added to the contract
    /// later appear without code change; the built-in schema when the table has no file.
    pub fn schema(&self, table: Table) -> Result<SchemaRef> {
        match self.parts(table).first() {
            Some(part) => Ok(self.reader(part, None)?.schema()),
            None => Ok(table.schema()),
        }
    }

    /// The batches of `table`, part after part, with only `columns` (all when `None`).
    pub fn scan<'a>(&'a self, table: Table, columns: Option<&'a [&'a str]>) -> Scan<'a> {
        Scan {
            tables: self,
            parts: self.parts(table),
            next: 0,
            columns,
            reader: None,
        }
    }

    /// A reader of `part` with only `columns` (all when `None`).
    fn reader(&self, part: &Part, columns: Option<&[&str]>) -> Result<ParquetRecordBatchReader> {
        match part {
            Part::File(p) => {
                let file = std::fs::File::open(p).map_err(|e| Error::Source {
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                build(file, part, columns)
            }
            #[cfg(feature = "delta")]
            Part::Remote { store, path, url } => {
                use object_store::ObjectStoreExt as _;
                let rt = self.runtime.as_ref().expect("Delta tables have a runtime");
                let location = object_store::path::Path::from(path.as_str());
                let bytes = rt
                    .block_on(async { store.get(&location).await?.bytes().await })
                    .map_err(|e| Error::Source {
                        path: url.into(),
                        reason: e.to_string(),
                    })?;
                build(bytes, part, columns)
            }
        }
    }

    /// Where the tables are, as given.
    pub fn location(&self) -> &str {
        &self.location
    }
}

/// Decodes `input` (the bytes of `part`) in batches of [`BATCH_ROWS`] rows.
fn build<T: ChunkReader + 'static>(
    input: T,
    part: &Part,
    columns: Option<&[&str]>,
) -> Result<ParquetRecordBatchReader> {
    let err = |reason: String| Error::Source {
        path: part.name().into(),
        reason,
    };
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(input)
        .map_err(|e| err(format!("not a readable Parquet file: {e}")))?
        .with_batch_size(BATCH_ROWS);
    if let Some(columns) = columns {
        let schema = builder.schema().clone();
        if let Some(missing) = columns.iter().find(|c| schema.index_of(c).is_err()) {
            return Err(err(format!("the table has no column '{missing}'")));
        }
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        builder = builder.with_projection(mask);
    }
    builder
        .build()
        .map_err(|e| err(format!("cannot decode: {e}")))
}

/// The batches of one table, read part after part.
pub struct Scan<'a> {
    tables: &'a Tables,
    parts: &'a [Part],
    next: usize,
    columns: Option<&'a [&'a str]>,
    reader: Option<ParquetRecordBatchReader>,
}

impl Iterator for Scan<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.reader {
                match reader.next() {
                    Some(Ok(batch)) => return Some(Ok(batch)),
                    Some(Err(e)) => {
                        self.reader = None;
                        return Some(Err(Error::Source {
                            path: self.parts[self.next - 1].name().into(),
                            reason: format!("cannot decode: {e}"),
                        }));
                    }
                    None => self.reader = None,
                }
            }
            let part = self.parts.get(self.next)?;
            self.next += 1;
            match self.tables.reader(part, self.columns) {
                Ok(reader) => self.reader = Some(reader),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(feature = "delta")]
fn open_delta_uri(location: &str, storage: &StorageOptions) -> Result<Tables> {
    crate::delta::register_object_stores();
    let root = crate::delta::root_url(location, false)?;
    open_delta(location, root, storage)
}

#[cfg(feature = "delta")]
fn open_delta_dir(root: &Path, storage: &StorageOptions) -> Result<Tables> {
    let abs = std::fs::canonicalize(root).map_err(|source| Error::SourceIo {
        path: root.to_path_buf(),
        source,
    })?;
    let url = url::Url::from_directory_path(&abs).map_err(|()| Error::Source {
        path: root.to_path_buf(),
        reason: "not an absolute local path".into(),
    })?;
    open_delta(&root.display().to_string(), url, storage)
}

#[cfg(not(feature = "delta"))]
fn open_delta_uri(location: &str, _storage: &StorageOptions) -> Result<Tables> {
    Err(Error::Options(format!(
        "{location}: reading Delta tables needs the `delta` feature of pfocr-etl"
    )))
}

#[cfg(not(feature = "delta"))]
fn open_delta_dir(root: &Path, _storage: &StorageOptions) -> Result<Tables> {
    Err(Error::Options(format!(
        "{}: reading Delta tables needs the `delta` feature of pfocr-etl",
        root.display()
    )))
}

/// Lists the live files of each table under `root` from its latest snapshot.
#[cfg(feature = "delta")]
fn open_delta(location: &str, root: url::Url, storage: &StorageOptions) -> Result<Tables> {
    use deltalake::DeltaTable;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
    let err = |table: &str, source: deltalake::DeltaTableError| Error::Delta {
        table: format!("{root}{table}"),
        source: Box::new(source),
    };
    let mut parts = Vec::new();
    for table in Table::ALL {
        let url = root
            .join(&format!("{}/", table.name()))
            .map_err(|e| Error::Options(format!("table location {root}: {e}")))?;
        let delta = runtime
            .block_on(DeltaTable::try_from_url_with_storage_options(
                url.clone(),
                (**storage).clone(),
            ))
            .map_err(|e| err(table.name(), e))?;
        if delta.version().is_none() {
            parts.push((table, Vec::new()));
            continue;
        }
        let snapshot = delta.snapshot().map_err(|e| err(table.name(), e))?;
        let mut paths: Vec<String> = snapshot
            .log_data()
            .into_iter()
            .map(|f| f.path().to_string())
            .collect();
        paths.sort();
        let store = delta.object_store();
        parts.push((
            table,
            paths
                .into_iter()
                .map(|path| Part::Remote {
                    store: store.clone(),
                    url: format!("{url}{path}"),
                    path,
                })
                .collect(),
        ));
    }
    Ok(Tables {
        location: location.to_owned(),
        parts,
        runtime: Some(runtime),
    })
}
