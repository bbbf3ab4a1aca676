//! Which YAML parser to ship, by measurement: front matter parse throughput of
//! - `pfocr_fast`: the shipped reader (fast path for plain block mappings, saphyr fallback),
//! - `saphyr_parser`: saphyr-parser's event stream, consumed and dropped,
//! - `serde_saphyr`, `serde_yaml`, `serde_norway`: typed serde decode (into `IgnoredAny`,
//!   which still makes each build its events and check the document),
//!
//! on the generated corpus (seed 1, `PFOCR_BENCH_RECORDS`, default 20,000 records) and on the real
//! records of `PFOCR_SAMPLE` (default `/work/shared/pfocr-sample`, read in place, skipped
//! when absent). Before timing, it prints a correctness table: each parser on probes for
//! quoted, folded and plain multi-line scalars, unicode, `''` escapes and core-schema typing
//! (`NO`, `1.10`, `2020-01-01` read into a `String` must stay exactly that text).
//!
//! `cargo bench --bench parsers`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pfocr_etl::dev::{split_front_matter, Events};
use saphyr_parser::{Event, Parser};
use serde::de::IgnoredAny;

use pfocr_etl::dev::render_record;

type Typed = BTreeMap<String, String>;

/// The parsers compared: name, full parse of one front matter (false on error), and the
/// text the probe's key `v` is read as (`Err` with the parser's message).
struct Contender {
    name: &'static str,
    parse: fn(&str) -> bool,
    probe: fn(&str) -> Result<String, String>,
}

const CONTENDERS: [Contender; 5] = [
    Contender {
        name: "pfocr_fast",
        parse: |y| count_events(Events::new(y, 2)).is_some(),
        probe: |y| event_value(Events::new(y, 2)),
    },
    Contender {
        name: "saphyr_parser",
        parse: |y| Parser::new_from_str(y).all(|e| e.is_ok()),
        probe: |y| event_value(Events::saphyr(y, 2)),
    },
    Contender {
        name: "serde_saphyr",
        parse: |y| serde_saphyr::from_str::<IgnoredAny>(y).is_ok(),
        probe: |y| typed(serde_saphyr::from_str::<Typed>(y).map_err(|e| e.to_string())),
    },
    Contender {
        name: "serde_yaml",
        parse: |y| serde_yaml::from_str::<IgnoredAny>(y).is_ok(),
        probe: |y| typed(serde_yaml::from_str::<Typed>(y).map_err(|e| e.to_string())),
    },
    Contender {
        name: "serde_norway",
        parse: |y| serde_norway::from_str::<IgnoredAny>(y).is_ok(),
        probe: |y| typed(serde_norway::from_str::<Typed>(y).map_err(|e| e.to_string())),
    },
];

/// Probe documents: (what, YAML with key `v`, the text `v` must read as).
const PROBES: [(&str, &str, &str); 10] = [
    (
        "single-quoted, '' escape",
        "v: 'It''s \"x\"'\n",
        "It's \"x\"",
    ),
    (
        "double-quoted escapes",
        "v: \"a\\u00e9\\tb\"\n",
        "a\u{e9}\tb",
    ),
    ("folded quoted", "v: 'first\n  second'\n", "first second"),
    ("plain multi-line", "v: first\n  second\n", "first second"),
    ("plain, blank line", "v: a\n\n  b\n", "a\nb"),
    ("unicode", "v: Ca²⁺ → NF-κB\n", "Ca²⁺ → NF-κB"),
    ("NO stays text", "v: NO\n", "NO"),
    ("1.10 stays text", "v: 1.10\n", "1.10"),
    ("date stays text", "v: 2020-01-01\n", "2020-01-01"),
    ("'NO' quoted", "v: 'NO'\n", "NO"),
];

fn count_events(mut ev: Events<'_>) -> Option<u64> {
    let mut n = 0;
    loop {
        n += 1;
        if matches!(ev.next_event().ok()?.event, Event::StreamEnd) {
            return Some(n);
        }
    }
}

/// The scalar after the key `v`.
fn event_value(mut ev: Events<'_>) -> Result<String, String> {
    let mut after_key = false;
    loop {
        match ev.next_event().map_err(|p| p.detail)?.event {
            Event::Scalar(t, ..) if after_key => return Ok(t.into_owned()),
            Event::Scalar(t, ..) => after_key = t == "v",
            Event::StreamEnd => return Err("no key v".into()),
            _ => {}
        }
    }
}

fn typed(r: Result<Typed, String>) -> Result<String, String> {
    r?.remove("v").ok_or_else(|| "no key v".into())
}

/// Front matters of the figure files under `root/_figures`, read in place.
fn sample_front_matters(root: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(root.join("_figures")) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = dir.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| {
            split_front_matter(&t)
                .ok()
                .map(|s| s.front_matter.to_owned())
        })
        .collect()
}

/// Prints the correctness table and each parser's failures on each corpus.
fn report(corpora: &[(&str, &[String])]) {
    eprintln!("\nparser correctness (ok, or what `v` read as)");
    for c in &CONTENDERS {
        eprintln!("  {}:", c.name);
        for (what, yaml, want) in PROBES {
            let verdict = match (c.probe)(yaml) {
                Ok(got) if got == want => "ok".to_owned(),
                Ok(got) => format!("WRONG: {got:?}"),
                Err(e) => format!("ERROR: {}", e.lines().next().unwrap_or("")),
            };
            eprintln!("    {what:<26} {verdict}");
        }
        for (name, docs) in corpora {
            let failed = docs.iter().filter(|d| !(c.parse)(d)).count();
            eprintln!("    {name:<26} {failed} of {} documents fail", docs.len());
        }
    }
    eprintln!();
}

fn bench_corpus(c: &mut Criterion, name: &str, docs: &[String]) {
    let mut g = c.benchmark_group(format!("parsers/{name}"));
    // The slow parsers take seconds per pass over 20,000 records: few, short samples.
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    for (unit, throughput) in [
        ("records", Throughput::Elements(docs.len() as u64)),
        ("bytes", Throughput::Bytes(bytes)),
    ] {
        g.throughput(throughput);
        for p in &CONTENDERS {
            g.bench_function(format!("{}/{unit}", p.name), |b| {
                b.iter(|| docs.iter().filter(|d| (p.parse)(black_box(d))).count())
            });
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let count = std::env::var("PFOCR_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let generated: Vec<String> = (0..count)
        .map(|i| {
            let (_, text) = render_record(1, i).swap_remove(0);
            let s = split_front_matter(&text).expect("generated records split");
            s.front_matter.to_owned()
        })
        .collect();
    let sample_root = std::env::var("PFOCR_SAMPLE").unwrap_or("/work/shared/pfocr-sample".into());
    let sample = sample_front_matters(Path::new(&sample_root));
    report(&[("generated", &generated), ("pfocr-sample", &sample)]);
    bench_corpus(c, "generated", &generated);
    if !sample.is_empty() {
        bench_corpus(c, "pfocr-sample", &sample);
    }
}

criterion_group!(parsers, benches);
criterion_main!(parsers);
