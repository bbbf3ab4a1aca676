//! The record decoder on generated records of each generation, in memory: records/s and
//! MB/s (figure file plus TSV bytes) of the full decode into column builders, next to the
//! bare event parse of the front matter by saphyr-parser (the general parser's floor) and by
//! the shipped reader (fast path, saphyr fallback).
//!
//! `cargo bench --bench decode` (env `PFOCR_BENCH_RECORDS`, default 2000 records, about half
//! of each generation).

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pfocr_etl::dev::{decode_text, split_front_matter, Builders, Events, DEFAULT_BATCH_RECORDS};

use common::{bench_records, generated, Records};

/// Decodes every record, finishing a batch every `DEFAULT_BATCH_RECORDS` records as a run does.
fn decode_all(recs: &Records) -> usize {
    let mut out = Builders::default();
    let mut rows = 0;
    for (i, r) in recs.records.iter().enumerate() {
        black_box(decode_text(
            &r.text,
            &r.rel,
            &r.stem,
            &recs.tables,
            &mut out,
        ));
        if (i + 1) % DEFAULT_BATCH_RECORDS == 0 {
            rows += out.finish().expect("batches build").0[0].num_rows();
        }
    }
    rows + out.finish().expect("batches build").0[0].num_rows()
}

/// Parses every front matter with `events` and counts the events.
fn events_all(recs: &Records, events: for<'a> fn(&'a str, u32) -> Events<'a>) -> u64 {
    let mut n = 0;
    for r in &recs.records {
        let split = split_front_matter(&r.text).expect("generated records split");
        let mut ev = events(split.front_matter, split.first_line);
        loop {
            n += 1;
            let e = ev.next_event().expect("generated records parse");
            if matches!(e.event, saphyr_parser::Event::StreamEnd) {
                break;
            }
        }
    }
    n
}

fn bench_generation(c: &mut Criterion, name: &str, recs: &Records) {
    let mut g = c.benchmark_group(format!("decode/{name}"));
    g.sample_size(10);
    for (unit, throughput) in [
        ("records", Throughput::Elements(recs.len())),
        ("bytes", Throughput::Bytes(recs.bytes)),
    ] {
        g.throughput(throughput);
        g.bench_function(BenchmarkId::new("pfocr_decode", unit), |b| {
            b.iter(|| decode_all(recs))
        });
        g.bench_function(BenchmarkId::new("shipped_events", unit), |b| {
            b.iter(|| events_all(recs, |y, l| Events::new(y, l)))
        });
        g.bench_function(BenchmarkId::new("saphyr_events_floor", unit), |b| {
            b.iter(|| events_all(recs, |y, l| Events::saphyr(y, l)))
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let (inline, tables) = generated(bench_records(2000));
    bench_generation(c, "inline", &inline);
    bench_generation(c, "tables", &tables);
}

criterion_group!(decode, benches);
criterion_main!(decode);
