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

/// Takes the output lock the way another process would: an exclusive `flock` on the
/// output directory, held until the returned file is dropped.
#[cfg(unix)]
fn hold_output_lock(out: &std::path::Path) -> fs::File {
    use std::os::unix::io::AsRawFd;
    let dir = fs::File::open(out).unwrap();
    // SAFETY: flock on a valid open descriptor.
    let rc = unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
    dir
}

#[cfg(unix)]
#[test]
fn the_output_lock_is_held_on_the_directory_and_refuses_a_second_writer() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    assert_ok(&w.convert(&["--quiet"]));
    let before = parquet_bytes(&w.out());
    // This test process holds the lock; the binary is the second process.
    let held = hold_output_lock(&w.out());
    w.figure("b", "figid: b\n");
    let o = w.convert(&["--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another pfocr-etl run"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        parquet_bytes(&w.out()) == before,
        "the held output is untouched"
    );
    drop(held);
    assert_ok(&w.convert(&["--quiet"]));
    assert_eq!(rows(&w.out(), "figures").len(), 2);
    // No lock file is left (nor needed) in the output.
    let names: Vec<_> = fs::read_dir(w.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
}

#[test]
fn runs_racing_for_one_output_either_win_or_are_refused_cleanly() {
    let w = Workdir::new();
    let corpus = repo().join("data/sample");
    let reference = w.path().join("reference");
    assert_ok(
        &pfocr_etl()
            .arg("convert")
            .arg(&corpus)
            .arg("--out")
            .arg(&reference)
            .args(["--quiet", "-j", "1"])
            .output()
            .unwrap(),
    );
    let want = parquet_bytes(&reference);
    let out = w.path().join("raced");
    fs::create_dir_all(&out).unwrap();
    for round in 0..5 {
        let children: Vec<_> = (0..6)
            .map(|_| {
                pfocr_etl()
                    .arg("convert")
                    .arg(&corpus)
                    .arg("--out")
                    .arg(&out)
                    .args(["--quiet", "-j", "1"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            if !o.status.success() {
                // Losing the race is the only acceptable failure: never a run whose files
                // another run's recovery deleted.
                let err = String::from_utf8_lossy(&o.stderr);
                assert_eq!(o.status.code(), Some(4), "round {round}: {err}");
                assert!(
                    err.contains("another pfocr-etl run"),
                    "round {round}: {err}"
                );
            }
        }
        assert!(
            parquet_bytes(&out) == want,
            "round {round}: the output differs"
        );
        assert!(
            !out.join(".pfocr-staging").exists(),
            "round {round}: debris"
        );
    }
}
