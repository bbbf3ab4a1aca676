//! `pfocr-etl check`: the rejects `convert` would record, printed in three formats, with
//! exit status 0 (clean), 1 (rejects), 3 (corpus unreadable); nothing written.

use std::process::Output;

use serde_json::Value;

use crate::util::*;

/// A corpus with one good record, a bad year (line 3, column 7) and an orphan TSV.
fn corpus() -> Workdir {
    let w = Workdir::new();
    w.figure("PMC1__good", "figid: PMC1__good\nyear: 2020\n");
    w.figure("PMC2__bad,1", "figid: PMC2__bad,1\nyear: twenty\n");
    w.tsv("PMC3__gone-genes.tsv", "word\nX\n");
    w
}

/// Runs `pfocr-etl check corpus <args>` from the work directory.
fn check(w: &Workdir, args: &[&str]) -> Output {
    pfocr_etl()
        .current_dir(w.path())
        .arg("check")
        .arg("corpus")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn text_format_prints_path_line_column_kind_message() {
    let w = corpus();
    let out = check(&w, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("corpus/_data/PMC3__gone-genes.tsv: orphan_table: no figure "),
        "the path once, then the kind and the message without the path: {}",
        lines[0]
    );
    assert!(!lines[0].contains(": _data/"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("corpus/_figures/PMC2__bad,1.md:3:7: bad_value: field 'year': "),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("twenty"), "{}", lines[1]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 inputs: 1 converted, 1 rejected; 2 reject rows"),
        "{err}"
    );
    assert!(!w.path().join("corpus/.pfocr-staging").exists());
    assert_eq!(
        std::fs::read_dir(w.path()).unwrap().count(),
        1,
        "nothing but the corpus in the work directory"
    );
}

#[test]
fn the_same_rejects_as_convert() {
    let w = corpus();
    let out = check(&w, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let checked: Vec<(String, Option<i64>, String)> = stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["source_path"].as_str().unwrap().to_owned(),
                v["line"].as_i64(),
                v["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_ok(&w.convert(&["--quiet"]));
    let converted: Vec<(String, Option<i64>, String)> = rows(&w.out(), "rejects")
        .iter()
        .map(|r| {
            (
                r["source_path"].as_str().unwrap().to_owned(),
                r["line"].as_i64(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(checked, converted);
}

#[test]
fn json_format_one_object_per_reject() {
    let w = corpus();
    let out = check(&w, &["--format", "json", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "--quiet: no summary");
    let objects: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2);
    let bad = &objects[1];
    assert_eq!(bad["path"], "corpus/_figures/PMC2__bad,1.md");
    assert_eq!(bad["source_path"], "_figures/PMC2__bad,1.md");
    assert_eq!(bad["line"], 3);
    assert_eq!(bad["column"], 7);
    assert_eq!(bad["field"], "year");
    assert_eq!(bad["kind"], "bad_value");
    assert!(bad["message"]
        .as_str()
        .unwrap()
        .starts_with("field 'year': "));
    assert_eq!(objects[0]["line"], Value::Null);
    assert_eq!(objects[0]["kind"], "orphan_table");
}

#[test]
fn github_format_is_workflow_commands_with_escaped_properties() {
    let w = corpus();
    let out = check(&w, &["--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(
            "::error file=corpus/_data/PMC3__gone-genes.tsv,title=pfocr orphan_table::no figure"
        ),
        "{}",
        lines[0]
    );
    // The comma in the file name is escaped as %2C, so it does not end the property.
    assert!(
        lines[1].starts_with(
            "::error file=corpus/_figures/PMC2__bad%2C1.md,line=3,col=7,title=pfocr bad_value::field 'year': "
        ),
        "{}",
        lines[1]
    );
}

#[test]
fn clean_corpus_exits_0_and_missing_corpus_3() {
    let w = Workdir::new();
    w.figure("PMC1__good", "figid: PMC1__good\n");
    w.tsv("PMC1__good-genes.tsv", "word\tncbigene_id\nX\t5\n");
    for format in ["text", "github", "json"] {
        let out = check(&w, &["--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stdout.is_empty(), "{format}: nothing to report");
    }
    let out = pfocr_etl()
        .arg("check")
        .arg(w.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}
