//! Fuzz target: arbitrary bytes as one figure file (and up to three sibling TSVs) through
//! the per-record decoding path of a run — UTF-8 check, front matter split, YAML event
//! decoder, inline entities, TSV decoder — into the column builders, then into Arrow batches.
//! The input layout and the invariants checked are in `fuzz/check_record.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check_record.rs"]
mod check_record;

fuzz_target!(|data: &[u8]| check_record::check(data));
