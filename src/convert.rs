//! The conversion run: discover → read + decode (parallel) → merge in order → write →
//! publish → report. Rows leave in sorted source-path order, so the same input gives
//! byte-identical Parquet for any thread count.

use std::time::Instant;

use arrow::record_batch::RecordBatch;

use crate::batch::{Batches, Builders, TableBuilder};
use crate::decode::{decode_file, DiskTables, Outcome};
use crate::discover::{discover, FigureFile};
use crate::error::{Error, Reject, Result};
use crate::merge::Merge;
use crate::options::ConvertOptions;
use crate::ordered::ordered_map;
use crate::publish::Staging;
use crate::report::{manifest_json, Progress, Summary};
use crate::schema::Table;
use crate::write::TableWriters;

/// Chunks in flight per worker thread: enough slack to keep workers busy while the writer
/// waits for the next chunk in order, small enough to bound memory.
const CHUNKS_IN_FLIGHT_PER_THREAD: usize = 4;

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
    let mut writers = TableWriters::create(&staging.dir(), corpus.inputs() as u64, &opts.write)?;
    let tables = DiskTables {
        index: &corpus.tables,
        max_bytes: opts.max_record_bytes,
    };
    let figures: &[FigureFile] = &corpus.figures;
    let chunks: Vec<(usize, &[FigureFile])> = figures
        .chunks(opts.batch_records)
        .enumerate()
        .map(|(i, c)| (i * opts.batch_records, c))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let progress = Progress::new(figures.len() as u64, opts.progress);
    let mut merge = Merge::default();
    ordered_map(
        &pool,
        chunks.len(),
        opts.threads * CHUNKS_IN_FLIGHT_PER_THREAD,
        |i| {
            let (start, files) = chunks[i];
            decode_chunk(files, &tables, opts.max_record_bytes).map(|(b, o)| (start, b, o))
        },
        |panic| Error::Internal(format!("a decoding worker panicked: {panic}")),
        |decoded| {
            let (start, batches, outcomes) = decoded?;
            let accepted = merge.accept(batches, outcomes, start, figures)?;
            for (table, batch) in Table::ALL.iter().zip(&accepted.batches.0) {
                writers.write(*table, batch)?;
            }
            progress.inc(accepted.records as u64);
            Ok(())
        },
    )?;
    progress.finish();
    let input_bytes = corpus.bytes;
    let inputs = corpus.inputs() as u64;
    let (rejects, converted, rejected) = merge.finish(&mut corpus);
    writers.write(Table::Rejects, &rejects_batch(&rejects)?)?;
    let outputs = writers.close()?;

    let mut summary = Summary {
        inputs,
        converted,
        rejected,
        input_bytes,
        ..Summary::default()
    };
    for r in &rejects {
        *summary
            .rejects_by_kind
            .entry(r.kind.as_str().to_owned())
            .or_default() += 1;
    }
    for (table, out) in outputs {
        summary.tables.insert(table.name().to_owned(), out);
    }
    debug_assert_eq!(summary.inputs, summary.converted + summary.rejected);
    summary.set_times(discovered, started.elapsed());
    staging.publish(&manifest_json(&summary, opts))?;
    summary.set_times(discovered, started.elapsed());
    Ok(summary)
}

/// Decodes a chunk of figure files into one batch per data table.
fn decode_chunk(
    files: &[FigureFile],
    tables: &DiskTables<'_>,
    max_record_bytes: u64,
) -> Result<(Batches, Vec<Outcome>)> {
    let mut builders = Builders::default();
    let outcomes = files
        .iter()
        .map(|f| decode_file(f, tables, max_record_bytes, &mut builders))
        .collect();
    Ok((builders.finish()?, outcomes))
}

/// The rejects table as one batch.
fn rejects_batch(rejects: &[Reject]) -> Result<RecordBatch> {
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
