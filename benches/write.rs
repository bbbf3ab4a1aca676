//! Batch building and Parquet writing, in memory, in records/s of the generated corpus:
//! `batch_build` turns filled column builders into Arrow record batches; `parquet_write`
//! encodes the four data tables' batches with the shipped writer properties (zstd,
//! dictionaries, page statistics, bloom filters) into in-memory Parquet files.
//!
//! `cargo bench --bench write` (env `PFOCR_BENCH_RECORDS`, default 4000 records).

mod common;

use std::hint::black_box;

use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use parquet::arrow::ArrowWriter;
use pfocr_etl::dev::{decode_text, writer_properties, Batches, Builders, DEFAULT_BATCH_RECORDS};
use pfocr_etl::{Table, WriteOptions};

use common::{bench_records, generated, Records};

/// Decodes one batch worth of records (`DEFAULT_BATCH_RECORDS` of each generation) into builders.
fn filled_builders(inline: &Records, tables: &Records) -> Builders {
    let mut out = Builders::default();
    for recs in [inline, tables] {
        for r in recs.records.iter().take(DEFAULT_BATCH_RECORDS) {
            decode_text(&r.text, &r.rel, &r.stem, &recs.tables, &mut out);
        }
    }
    out
}

/// Every record decoded, as batches of `DEFAULT_BATCH_RECORDS` records.
fn all_batches(recs: [&Records; 2]) -> Vec<Batches> {
    let mut batches = Vec::new();
    for recs in recs {
        for chunk in recs.records.chunks(DEFAULT_BATCH_RECORDS) {
            let mut out = Builders::default();
            for r in chunk {
                decode_text(&r.text, &r.rel, &r.stem, &recs.tables, &mut out);
            }
            batches.push(out.finish().expect("batches build"));
        }
    }
    batches
}

/// Writes every batch to one in-memory Parquet file per data table; returns the bytes written.
fn write_parquet(batches: &[Batches], figures: u64) -> usize {
    let mut total = 0;
    for (t, table) in Table::ALL[..4].iter().enumerate() {
        let props = writer_properties(*table, figures, &WriteOptions::default()).expect("props");
        let mut w = ArrowWriter::try_new(Vec::new(), table.schema(), Some(props)).expect("writer");
        for b in batches {
            let batch: &RecordBatch = &b.0[t];
            w.write(batch).expect("write");
        }
        total += w.into_inner().expect("close").len();
    }
    total
}

fn benches(c: &mut Criterion) {
    let (inline, tables) = generated(bench_records(4000));
    let records = inline.len() + tables.len();

    let mut g = c.benchmark_group("write");
    g.sample_size(10);
    let one_batch = (DEFAULT_BATCH_RECORDS.min(inline.records.len())
        + DEFAULT_BATCH_RECORDS.min(tables.records.len())) as u64;
    g.throughput(Throughput::Elements(one_batch));
    g.bench_function("batch_build", |b| {
        b.iter_batched(
            || filled_builders(&inline, &tables),
            |mut builders| black_box(builders.finish().expect("batches build")),
            BatchSize::PerIteration,
        )
    });
    let batches = all_batches([&inline, &tables]);
    g.throughput(Throughput::Elements(records));
    g.bench_function("parquet_write", |b| {
        b.iter(|| write_parquet(&batches, records))
    });
    g.finish();
}

criterion_group!(write, benches);
criterion_main!(write);
