//! Output replacement and run-level errors: a failed run leaves the previous output as it
//! was; a finished run replaces it and leaves no staging debris; exit codes as documented.

use std::fs;

use crate::util::*;

#[test]
fn a_second_run_replaces_the_first_and_cleans_up() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    assert_ok(&w.convert(&["--quiet"]));
    w.figure("b", "figid: b\n");
    assert_ok(&w.convert(&["--quiet"]));
    assert_eq!(rows(&w.out(), "figures").len(), 2);
    let names: Vec<_> = fs::read_dir(w.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "no staging debris: {names:?}"
    );
    assert_eq!(manifest(&w.out())["inputs"], 2);
}

#[test]
fn a_failed_run_leaves_the_previous_output() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    assert_ok(&w.convert(&["--quiet"]));
    let before = parquet_bytes(&w.out());
    // The corpus vanishes: the run fails with the "source" status and touches nothing.
    fs::remove_dir_all(w.corpus()).unwrap();
    let o = w.convert(&["--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not exist"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(before == parquet_bytes(&w.out()));
    assert!(w.out().join("_manifest.json").exists());
}

#[test]
fn an_abandoned_staging_run_is_cleaned_up_by_the_next_run() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    assert_ok(&w.convert(&["--quiet"]));
    // What a run killed mid-write leaves: a staging run without its COMMITTED marker.
    w.write(
        "out/.pfocr-staging/run-1-1/new/figures/part-00000.parquet",
        "half-written",
    );
    assert_eq!(rows(&w.out(), "figures").len(), 1, "readers do not see it");
    assert_ok(&w.convert(&["--quiet"]));
    assert!(!w.out().join(".pfocr-staging").exists());
}

#[test]
fn an_unwritable_output_is_exit_4() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    w.write("out", "a file where the output directory should be");
    let o = w.convert(&["--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let o = pfocr_etl().args(["convert"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = pfocr_etl().args(["--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("Exit status") && help.contains("--max-rejects"),
        "{help}"
    );
}
