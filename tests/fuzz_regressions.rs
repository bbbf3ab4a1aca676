//! Replays fuzz inputs through the fuzz target's own check (`fuzz/check_record.rs`) on
//! stable Rust, without cargo-fuzz: the seed inputs `.ci/fuzz.sh` builds from `data/sample`
//! (each figure file, with its TSVs joined by the target's separator) and every input kept
//! in `fuzz/regressions/` (crashes the fuzzer found, once fixed).

use std::fs;
use std::path::Path;

use crate::util::repo;

#[path = "../fuzz/check_record.rs"]
mod check_record;

/// The fuzz input for one sample figure file: the record, then its TSVs in table order.
fn seed_input(sample: &Path, figure: &Path) -> Vec<u8> {
    let mut input = fs::read(figure).unwrap();
    let stem = figure.file_stem().unwrap().to_string_lossy();
    for table in ["genes", "chemicals", "diseases"] {
        let tsv = sample.join("_data").join(format!("{stem}-{table}.tsv"));
        input.extend_from_slice(check_record::MARK);
        if let Ok(bytes) = fs::read(tsv) {
            input.extend_from_slice(&bytes);
        }
    }
    input
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

#[test]
fn sample_seeds_pass_the_fuzz_check() {
    let sample = repo().join("data/sample");
    let figures = files_in(&sample.join("_figures"));
    assert!(
        figures.len() >= 20,
        "data/sample/_figures has the seed records"
    );
    for figure in figures {
        check_record::check(&seed_input(&sample, &figure));
        // The record alone too: a tables-generation record without its TSVs.
        check_record::check(&fs::read(&figure).unwrap());
    }
}

#[test]
fn kept_fuzz_inputs_pass_the_fuzz_check() {
    let mut inputs = files_in(&repo().join("fuzz/regressions"));
    inputs.retain(|p| p.file_name().is_none_or(|n| n != "README.md"));
    // Not vacuous: the folder holds the hand-kept hostile inputs at least.
    assert!(
        inputs.len() >= 5,
        "fuzz/regressions holds {} inputs",
        inputs.len()
    );
    for input in inputs {
        let data = fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(|| check_record::check(&data));
        assert!(outcome.is_ok(), "{} fails the fuzz check", input.display());
    }
}
