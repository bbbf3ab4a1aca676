//! The conversion run: discover → read + decode (parallel) → merge in order → write →
//! publish → report. Rows leave in sorted source-path order, so the same input gives
//! byte-identical Parquet for any thread count.
//!
//! [`decode_corpus`] is the engine shared by every output: it streams batches into any
//! [`Sink`] (Parquet files here, Delta tables for scheduled loads).

use std::ops::Range;
use std::time::Instant;

use crate::arrow::record_batch::RecordBatch;

use crate::batch::{Batches, Builders, TableBuilder};
use crate::decode::Outcome;
use crate::discover::{discover, Corpus, Figures};
use crate::error::{Error, Reject, Result};
use crate::maps::{FigureMaps, MapKind};
use crate::merge::{KeptRecords, Merge, Merged};
use crate::options::{ConvertOptions, RunOptions};
use crate::ordered::{ordered_map, Emit, LaneFn, Weigh, Window};
use crate::publish::Staging;
use crate::read::{decode_file, DiskTables};
use crate::report::{manifest_json, Progress, Summary};
use crate::schema::Table;
use crate::write::{TableWriter, TableWriters};

/// Chunks in flight per worker thread: enough slack to keep workers busy while the writer
/// waits for the next chunk in order, small enough to bound memory.
const CHUNKS_IN_FLIGHT_PER_THREAD: usize = 4;

/// Decoded bytes after which a chunk hands over what it holds as a part of its result, so a
/// chunk of large records does not hold them all (256 records of 16 MiB each would be 4 GiB).
pub const PART_BYTES: usize = 8 << 20;

/// Decoded bytes that may wait for the merge and the writers, over all chunks, before
/// workers write or wait instead of decoding more (see [`crate::ordered`]). With the records'
/// own bounds (`--max-record-bytes`, the child row budget) it keeps the peak memory of a run
/// under 200 MiB whatever the records' sizes.
pub const IN_FLIGHT_BYTES: usize = 64 << 20;

/// The rows of some consecutive records of one chunk: (chunk index, the records' positions
/// in the chunk, their batches, their outcomes).
type Part = (usize, Range<usize>, Batches, Vec<Outcome>);

impl Weigh for Result<Part> {
    fn weight(&self) -> usize {
        match self {
            Ok((_, _, batches, _)) => batches.0.iter().map(Weigh::weight).sum(),
            Err(_) => 0,
        }
    }
}

impl Weigh for RecordBatch {
    fn weight(&self) -> usize {
        self.get_array_memory_size()
    }
}

/// Where converted batches go: one writer per table. Each table's batches arrive in sorted
/// source-path order; different tables are written at the same time, on the decoding pool.
pub trait Sink {
    /// The writers of the tables, in [`Table::ALL`] order. The rejects table gets one
    /// batch, last.
    fn tables(&mut self) -> Vec<Box<dyn TableSink + Send + '_>>;
}

/// Where one table's batches go.
pub trait TableSink {
    /// Appends `batch`.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
}

impl TableSink for &mut TableWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        TableWriter::write(self, batch)
    }
}

impl Sink for TableWriters {
    fn tables(&mut self) -> Vec<Box<dyn TableSink + Send + '_>> {
        self.each_mut()
            .map(|w| Box::new(w) as Box<dyn TableSink + Send>)
            .collect()
    }
}

/// Which figure files a run decodes.
#[derive(Debug, Clone, Copy, Default)]
pub enum Selection<'a> {
    /// Every figure file of the corpus.
    #[default]
    All,
    /// Only these (indices into `Corpus::figures`, ascending); `kept` are the records of an
    /// earlier load that stay as they are.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    Subset {
        figures: &'a [usize],
        kept: &'a KeptRecords,
    },
}

/// Decodes the selected figure files of `corpus` and streams their rows into `sink`,
/// followed by the rejects: those of the decoded files, of unreadable entries, of every
/// TSV of the corpus that is orphaned or conflicting, and of the map files' bad lines.
pub fn decode_corpus(
    corpus: &mut Corpus,
    selection: Selection<'_>,
    opts: &RunOptions,
    sink: &mut (dyn Sink + Send),
) -> Result<Merged> {
    let figures: &Figures = &corpus.figures;
    let all: Vec<usize>;
    let (indices, mut merge): (&[usize], Merge) = match selection {
        Selection::All => {
            all = (0..figures.len()).collect();
            (&all, Merge::default())
        }
        Selection::Subset {
            figures: subset,
            kept,
        } => (subset, Merge::with_kept(kept, figures, &corpus.tables)),
    };
    let reader = DiskTables::new(&corpus.root, &corpus.tables, opts.max_record_bytes);
    // Read once, before any record is decoded: each record then takes its map values by
    // figid alone, whatever thread decodes it.
    let (maps, mut map_rejects) = read_maps(corpus, &reader);
    let tables_on_disk = reader.with_maps(&maps);
    let chunks: Vec<&[usize]> = indices.chunks(opts.batch_records).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let progress = Progress::new(indices.len() as u64, opts.progress);
    let mut tables = sink.tables();
    let mut rejects = tables.pop().expect("a rejects table");
    let lanes: Vec<LaneFn<'_, RecordBatch, Error>> = tables
        .into_iter()
        .map(|mut t| Box::new(move |batch: RecordBatch| t.write(&batch)) as LaneFn<'_, _, _>)
        .collect();
    ordered_map(
        &pool,
        chunks.len(),
        Window {
            items: opts.threads * CHUNKS_IN_FLIGHT_PER_THREAD,
            bytes: IN_FLIGHT_BYTES,
        },
        &|i, emit| decode_chunk(i, chunks[i], figures, &tables_on_disk, emit),
        &|panic| Error::Internal(format!("a decoding worker panicked: {panic}")),
        |decoded| {
            let (i, range, batches, outcomes) = decoded?;
            let accepted = merge.accept(batches, outcomes, &chunks[i][range], figures)?;
            progress.inc(accepted.records as u64);
            Ok(accepted.batches.0.into())
        },
        lanes,
    )?;
    progress.finish();
    corpus.rejects.append(&mut map_rejects);
    let merged = merge.finish(corpus, tables_on_disk.bytes_read());
    rejects.write(&rejects_batch(&merged.rejects)?)?;
    Ok(merged)
}

/// Converts the corpus at `opts.input` into Parquet tables under `opts.output`.
///
/// Rejected records do not fail the run; they are rows of the `rejects` table and counted in
/// the summary. The previous output is replaced only when the new one is complete.
pub fn convert(opts: &ConvertOptions) -> Result<Summary> {
    let started = Instant::now();
    let mut corpus = discover(&opts.input)?;
    let discovered = started.elapsed();
    std::fs::create_dir_all(&opts.output).map_err(|source| Error::Destination {
        path: opts.output.clone(),
        source,
    })?;
    let staging = Staging::begin(&opts.output)?;
    let mut writers =
        TableWriters::create(&staging.dir(), corpus.inputs() as u64, &opts.run.write)?;
    let inputs = corpus.inputs() as u64;
    let merged = decode_corpus(&mut corpus, Selection::All, &opts.run, &mut writers)?;
    let outputs = writers.close()?;

    let mut summary = Summary::new(inputs, &merged);
    summary.ignored_files = std::mem::take(&mut corpus.ignored);
    for (table, out) in outputs {
        summary.tables.insert(table.name().to_owned(), out);
    }
    summary.set_times(discovered, started.elapsed());
    staging.publish(&manifest_json(&summary, opts))?;
    summary.set_times(discovered, started.elapsed());
    Ok(summary)
}

/// Reads the corpus's `_data` map files through `reader` (which counts their bytes): their
/// values, and the rejects of their bad lines (none when another shard reports them).
fn read_maps(corpus: &Corpus, reader: &DiskTables<'_>) -> (FigureMaps, Vec<Reject>) {
    let mut maps = FigureMaps::default();
    let mut rejects = Vec::new();
    for kind in MapKind::ALL {
        let Some(file) = &corpus.maps[kind.index()] else {
            continue;
        };
        match reader.read(&file.path(&corpus.root)) {
            Ok(text) => rejects.extend(maps.add(kind, &file.rel, &text)),
            Err(p) => rejects.push(p.into_reject(&file.rel)),
        }
    }
    if corpus.maps_reported_elsewhere {
        rejects.clear();
    }
    (maps, rejects)
}

/// Decodes chunk `chunk` (the figure files at `indices`) into one batch per data table; once
/// the rows decoded hold more than [`PART_BYTES`], they go to `emit` as a part of the result
/// and the chunk goes on with empty builders. The parts depend only on the input, so the
/// batches written are the same for any thread count.
fn decode_chunk(
    chunk: usize,
    indices: &[usize],
    figures: &Figures,
    disk: &DiskTables<'_>,
    emit: &Emit<'_, Result<Part>>,
) -> Result<Part> {
    let mut builders = Builders::default();
    let mut outcomes = Vec::with_capacity(indices.len());
    let mut start = 0;
    for (k, &f) in indices.iter().enumerate() {
        outcomes.push(decode_file(figures.at(f), disk, &mut builders));
        if builders.bytes() > PART_BYTES && k + 1 < indices.len() {
            let batches = builders.finish()?;
            emit(Ok((
                chunk,
                start..k + 1,
                batches,
                std::mem::take(&mut outcomes),
            )));
            start = k + 1;
        }
    }
    Ok((chunk, start..indices.len(), builders.finish()?, outcomes))
}

/// The rejects table as one batch.
pub fn rejects_batch(rejects: &[Reject]) -> Result<RecordBatch> {
    let mut b = TableBuilder::new(Table::Rejects);
    let [path, line, field, kind, message] =
        ["source_path", "line", "field", "kind", "message"].map(|c| Table::Rejects.column(c));
    for r in rejects {
        match r.line.and_then(|l| i32::try_from(l).ok()) {
            Some(l) => b.col(line).i32().push(l),
            None => b.col(line).i32().push_null(),
        }
        b.col(field).text().push_opt(r.field.as_deref());
        b.col(kind).text().push(r.kind.as_str());
        b.col(message).text().push(&r.message);
        b.col(path).text().push(&r.source_path);
    }
    b.finish()
}
