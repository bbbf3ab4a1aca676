//! Same input and options → byte-identical Parquet whatever the thread count (and the same
//! rows whatever the batching); `--threads` beyond the cap is lowered, not obeyed.

use crate::util::*;

fn convert_with(
    w: &Workdir,
    corpus: &std::path::Path,
    name: &str,
    args: &[&str],
) -> Vec<(String, Vec<u8>)> {
    let out = w.path().join(name);
    let o = pfocr_etl()
        .arg("convert")
        .arg(corpus)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    assert_ok(&o);
    parquet_bytes(&out)
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let w = Workdir::new();
    let corpus = repo().join("data/sample");
    // Small batches so chunks finish out of order across threads.
    let base = convert_with(
        &w,
        &corpus,
        "t1",
        &["--threads", "1", "--batch-records", "3"],
    );
    assert_eq!(base.len(), 5);
    for threads in ["2", "4"] {
        let other = convert_with(
            &w,
            &corpus,
            &format!("t{threads}"),
            &["--threads", threads, "--batch-records", "3"],
        );
        assert!(base == other, "--threads {threads} differs");
    }
    // And a second run with the same options gives the same bytes.
    let again = convert_with(
        &w,
        &corpus,
        "t1-again",
        &["--threads", "1", "--batch-records", "3"],
    );
    assert!(base == again);
}

#[test]
fn a_huge_thread_count_is_lowered_with_a_note_and_changes_no_byte() {
    let w = Workdir::new();
    let corpus = repo().join("data/sample");
    let base = convert_with(&w, &corpus, "t1", &["--threads", "1"]);
    let out = w.path().join("huge");
    let started = std::time::Instant::now();
    let o = pfocr_etl()
        .arg("convert")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--threads", "99999"])
        .output()
        .unwrap();
    let err = assert_ok(&o);
    assert!(
        err.contains("--threads 99999 lowered to 256"),
        "the note is on stderr even with --quiet: {err}"
    );
    // 256 threads start in milliseconds; 99,999 took minutes before the cap.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(parquet_bytes(&out) == base, "the capped run differs");
    assert_eq!(
        manifest(&out)["options"]["threads"],
        256,
        "{}",
        manifest(&out)
    );
}

#[test]
fn batch_size_does_not_change_rows() {
    let w = Workdir::new();
    let corpus = repo().join("data/sample");
    let mut results = Vec::new();
    for batch in ["1", "3", "100", "256"] {
        let name = format!("b{batch}");
        convert_with(&w, &corpus, &name, &["--batch-records", batch]);
        let out = w.path().join(&name);
        let all: Vec<_> = [
            "figures",
            "figure_genes",
            "figure_chemicals",
            "figure_diseases",
            "rejects",
        ]
        .iter()
        .map(|t| rows(&out, t))
        .collect();
        results.push(all);
    }
    // Not vacuous: the sample has rows in every data table and a reject.
    for (table, rows) in results[0].iter().enumerate() {
        assert!(!rows.is_empty(), "table {table} has no rows");
    }
    for r in &results[1..] {
        assert!(r == &results[0]);
    }
}
