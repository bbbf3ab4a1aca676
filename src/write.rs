//! Writing the tables: one Parquet `ArrowWriter` per table, configured once from
//! [`WriteOptions`], flushing row groups as they fill (by rows and by encoded bytes) so memory stays bounded.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::{Table, SCHEMA_VERSION, SCHEMA_VERSION_KEY};

/// Most rows in one row group (DuckDB's own row-group size, a good unit of parallelism).
pub const DEFAULT_ROW_GROUP_ROWS: usize = 122_880;
/// Encoded bytes buffered for one row group before it is flushed (bounds memory: each of
/// the four data tables buffers up to this much; 4 MiB took 200k-record peak RSS from
/// ~205 to ~150 MiB, and only the wide `figures` table gets more row groups, its file 1.5%
/// smaller: see docs/performance.md).
pub const DEFAULT_ROW_GROUP_BYTES: usize = 4 << 20;
/// zstd level: 3 is zstd's own default, a good size/speed balance.
pub const DEFAULT_ZSTD_LEVEL: i32 = 3;
/// False-positive rate of the bloom filters.
pub const BLOOM_FPP: f64 = 0.01;
/// Largest distinct-value estimate a bloom filter is sized for (caps its size per row group).
pub const BLOOM_MAX_NDV: u64 = 65_536;

/// How Parquet files are written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WriteOptions {
    pub row_group_rows: usize,
    pub row_group_bytes: usize,
    pub zstd_level: i32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            row_group_bytes: DEFAULT_ROW_GROUP_BYTES,
            zstd_level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

/// The Parquet properties of `table`: zstd, dictionary encoding, page-level statistics and
/// page index, bloom filters on the lookup keys, and the schema version.
///
/// `expected_figures` (the number of inputs) sizes the bloom filters; it depends only on the
/// input, so the files stay byte-identical from run to run.
pub fn writer_properties(
    table: Table,
    expected_figures: u64,
    opts: &WriteOptions,
) -> Result<WriterProperties> {
    let level = ZstdLevel::try_new(opts.zstd_level)
        .map_err(|e| Error::Options(format!("zstd level {}: {e}", opts.zstd_level)))?;
    let rg_rows = opts.row_group_rows as u64;
    let figid_ndv = expected_figures.clamp(1, rg_rows.min(BLOOM_MAX_NDV));
    let mut b = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(level))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(opts.row_group_rows))
        .set_max_row_group_bytes(Some(opts.row_group_bytes))
        .set_created_by(format!("pfocr-etl {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            SCHEMA_VERSION_KEY.to_owned(),
            SCHEMA_VERSION.to_string(),
        )]));
    let bloom = |b: parquet::file::properties::WriterPropertiesBuilder, col: &str, ndv: u64| {
        let path = ColumnPath::from(col);
        b.set_column_bloom_filter_enabled(path.clone(), true)
            .set_column_bloom_filter_fpp(path.clone(), BLOOM_FPP)
            .set_column_bloom_filter_max_ndv(path, ndv)
    };
    match table {
        Table::Rejects => {}
        Table::FigureGenes => {
            let ndv = (expected_figures * 8).clamp(1, rg_rows.min(BLOOM_MAX_NDV));
            b = bloom(b, "figid", figid_ndv);
            b = bloom(b, "gene_symbol", ndv);
            b = bloom(b, "ncbigene_id", ndv);
        }
        _ => b = bloom(b, "figid", figid_ndv),
    }
    Ok(b.build())
}

/// The part files a table was written to, and its row count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOutput {
    pub rows: u64,
    /// Paths relative to the output directory, `/`-separated.
    pub files: Vec<String>,
}

/// Streams batches of one table into `<dir>/<table>/part-00000.parquet`.
pub struct TableWriter {
    table: Table,
    path: PathBuf,
    writer: Option<ArrowWriter<BufWriter<File>>>,
    rows: u64,
}

impl TableWriter {
    /// Creates the table's directory and part file under `dir`.
    pub fn create(dir: &Path, table: Table, props: WriterProperties) -> Result<Self> {
        let table_dir = dir.join(table.name());
        fs::create_dir_all(&table_dir).map_err(|source| Error::Destination {
            path: table_dir.clone(),
            source,
        })?;
        let path = table_dir.join("part-00000.parquet");
        let file = File::create(&path).map_err(|source| Error::Destination {
            path: path.clone(),
            source,
        })?;
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            table.schema(),
            Some(props),
        )
        .map_err(|source| Error::Parquet {
            path: path.clone(),
            source,
        })?;
        Ok(TableWriter {
            table,
            path,
            writer: Some(writer),
            rows: 0,
        })
    }

    /// Appends a batch (the writer flushes row groups by rows and encoded bytes itself).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let w = self.writer.as_mut().expect("not closed");
        w.write(batch).map_err(|source| Error::Parquet {
            path: self.path.clone(),
            source,
        })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes the file, syncs it to disk, and reports what was written.
    pub fn close(mut self) -> Result<TableOutput> {
        let w = self.writer.take().expect("closed once");
        let buf = w.into_inner().map_err(|source| Error::Parquet {
            path: self.path.clone(),
            source,
        })?;
        let file = buf.into_inner().map_err(|e| Error::Destination {
            path: self.path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(|source| Error::Destination {
            path: self.path.clone(),
            source,
        })?;
        Ok(TableOutput {
            rows: self.rows,
            files: vec![format!("{}/part-00000.parquet", self.table.name())],
        })
    }
}

/// One writer per table, in [`Table::ALL`] order.
pub struct TableWriters {
    writers: Vec<TableWriter>,
}

impl TableWriters {
    /// Creates the writers of every table under `dir`.
    pub fn create(dir: &Path, expected_figures: u64, opts: &WriteOptions) -> Result<Self> {
        let writers = Table::ALL
            .iter()
            .map(|&t| TableWriter::create(dir, t, writer_properties(t, expected_figures, opts)?))
            .collect::<Result<_>>()?;
        Ok(TableWriters { writers })
    }

    /// The writers, in [`Table::ALL`] order.
    pub fn each_mut(&mut self) -> impl Iterator<Item = &mut TableWriter> {
        self.writers.iter_mut()
    }

    /// Closes every file, all at once: most of it is waiting for the disk to sync.
    pub fn close(self) -> Result<Vec<(Table, TableOutput)>> {
        std::thread::scope(|s| {
            let closing: Vec<_> = self
                .writers
                .into_iter()
                .map(|w| {
                    let t = w.table;
                    s.spawn(move || w.close().map(|o| (t, o)))
                })
                .collect();
            closing
                .into_iter()
                .map(|c| c.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }
}
