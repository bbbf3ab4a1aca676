//! The parse floor: read every corpus file and run the YAML parser over each front matter,
//! nothing else. A conversion cannot be faster than this; the end-to-end bench reports the
//! converter's time as a multiple of it.
//!
//! A development tool (feature `dev`, `pfocr-etl parse-floor`): not in the shipped library.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::decode::split_front_matter;
use crate::decode::Events;
use crate::discover::discover;
use crate::error::{Problem, Result};
use crate::read::read_text;

/// Which parser the floor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FloorParser {
    /// saphyr-parser events, the general YAML 1.2 parser.
    Saphyr,
    /// The shipped reader: the fast path for plain block mappings, saphyr for the rest.
    Shipped,
}

/// What a floor run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floor {
    pub files: u64,
    pub bytes: u64,
    pub events: u64,
    pub seconds: f64,
}

/// Reads every figure and TSV file under `root` and parses each front matter with `parser`,
/// on `threads` threads.
pub fn parse_floor(root: &Path, threads: usize, parser: FloorParser) -> Result<Floor> {
    let started = Instant::now();
    let corpus = discover(root)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let events = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let tsvs: Vec<PathBuf> = corpus
        .tables
        .iter()
        .flat_map(|(figid, set)| set.files(figid))
        .map(|(_, t)| t.path(&corpus.root))
        .collect();
    pool.install(|| {
        (0..corpus.figures.len()).into_par_iter().for_each(|i| {
            let f = corpus.figures.at(i);
            let Ok(text) = read_text(&f.path(&corpus.root), u64::MAX) else {
                return;
            };
            bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
            let n = count_events(&text, parser).unwrap_or(0);
            events.fetch_add(n, Ordering::Relaxed);
        });
        tsvs.par_iter().for_each(|p| {
            if let Ok(t) = read_text(p, u64::MAX) {
                bytes.fetch_add(t.len() as u64, Ordering::Relaxed);
            }
        });
    });
    Ok(Floor {
        files: (corpus.figures.len() + tsvs.len()) as u64,
        bytes: bytes.into_inner(),
        events: events.into_inner(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Parses one figure file's front matter and counts its events.
fn count_events(text: &str, parser: FloorParser) -> Result<u64, Problem> {
    let split = split_front_matter(text)?;
    let mut ev = match parser {
        FloorParser::Saphyr => Events::saphyr(split.front_matter, split.first_line),
        FloorParser::Shipped => Events::new(split.front_matter, split.first_line),
    };
    let mut n = 0u64;
    loop {
        let e = ev.next_event()?;
        n += 1;
        if matches!(e.event, saphyr_parser::Event::StreamEnd) {
            return Ok(n);
        }
    }
}
