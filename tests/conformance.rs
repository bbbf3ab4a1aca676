//! Conformance: convert a corpus that ships an `EXPECTED.json` (format described in
//! `../shared/pfocr-sample/README.md`) and compare every value it lists.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use crate::util::*;

/// Equal as the contract means it: numbers by value (`1` equals `1.0`), the rest exactly.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => got == want,
    }
}

/// Converts `corpus` and returns every difference from its `EXPECTED.json`.
fn differences(corpus: &Path) -> Vec<String> {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("EXPECTED.json")).unwrap()).unwrap();
    let w = Workdir::new();
    let o = pfocr_etl()
        .arg("convert")
        .arg(corpus)
        .arg("--out")
        .arg(w.out())
        .arg("--quiet")
        .output()
        .unwrap();
    assert_ok(&o);
    let out = w.out();
    let mut diffs = Vec::new();
    let m = manifest(&out);
    if m["inputs"] != expected["inputs"] {
        diffs.push(format!("inputs: {} != {}", m["inputs"], expected["inputs"]));
    }
    // Files of `_data` that are no input (schema version 2), when the oracle lists them.
    if let Some(want) = expected.get("ignored_files") {
        if &m["ignored_files"] != want {
            diffs.push(format!("ignored_files: {} != {want}", m["ignored_files"]));
        }
    }
    let tables: Vec<(String, Vec<Map<String, Value>>)> = [
        "figures",
        "figure_genes",
        "figure_chemicals",
        "figure_diseases",
        "rejects",
    ]
    .iter()
    .map(|t| (t.to_string(), rows(&out, t)))
    .collect();
    let table = |name: &str| &tables.iter().find(|(t, _)| t == name).unwrap().1;
    for (name, n) in expected["rows"].as_object().unwrap() {
        if table(name).len() as u64 != n.as_u64().unwrap() {
            diffs.push(format!("rows of {name}: {} != {n}", table(name).len()));
        }
    }
    let got_rejects: BTreeSet<(String, String)> = table("rejects")
        .iter()
        .map(|r| {
            (
                r["source_path"].as_str().unwrap().into(),
                r["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    for r in expected["rejects"].as_array().unwrap() {
        let key = (
            r["source_path"].as_str().unwrap().into(),
            r["kind"].as_str().unwrap().into(),
        );
        if !got_rejects.contains(&key) {
            diffs.push(format!("missing reject {key:?}"));
        }
    }
    for (figid, want) in expected["figures"].as_object().unwrap() {
        let Some(got) = table("figures")
            .iter()
            .find(|f| f["figid"] == figid.as_str())
        else {
            diffs.push(format!("{figid}: not converted"));
            continue;
        };
        for (col, want_v) in want.as_object().unwrap() {
            match col.as_str() {
                "extra_keys" => {
                    let keys: BTreeSet<String> = match got["extra"].as_str() {
                        Some(j) => serde_json::from_str::<Map<String, Value>>(j)
                            .unwrap()
                            .keys()
                            .cloned()
                            .collect(),
                        None => BTreeSet::new(),
                    };
                    let keys: Vec<Value> = keys.into_iter().map(Value::from).collect();
                    if !same(&Value::Array(keys.clone()), want_v) {
                        diffs.push(format!("{figid}.extra keys: {keys:?} != {want_v}"));
                    }
                }
                "figure_genes" | "figure_chemicals" | "figure_diseases" => {
                    let mut kids: Vec<&Map<String, Value>> = table(col)
                        .iter()
                        .filter(|r| r["figid"] == figid.as_str())
                        .collect();
                    kids.sort_by_key(|r| r["ordinal"].as_i64());
                    if kids.len() as u64 != want_v["rows"].as_u64().unwrap() {
                        diffs.push(format!(
                            "{figid}.{col}: {} rows != {}",
                            kids.len(),
                            want_v["rows"]
                        ));
                        continue;
                    }
                    for (which, row) in [("first", kids.first()), ("last", kids.last())] {
                        let (Some(row), Some(w)) =
                            (row, want_v.get(which).and_then(Value::as_object))
                        else {
                            continue;
                        };
                        for (c, v) in w {
                            if !same(&row[c], v) {
                                diffs.push(format!("{figid}.{col}.{which}.{c}: {} != {v}", row[c]));
                            }
                        }
                    }
                }
                _ => {
                    if !same(&got[col], want_v) {
                        diffs.push(format!("{figid}.{col}: {} != {want_v}", got[col]));
                    }
                }
            }
        }
    }
    diffs
}

#[test]
fn shared_pfocr_sample_matches_expected() {
    let corpus = repo().join("../shared/pfocr-sample");
    if !corpus.join("EXPECTED.json").exists() {
        missing_prerequisite(
            "shared_pfocr_sample_matches_expected",
            &format!(
                "{} is absent (it lives beside the project root)",
                corpus.display()
            ),
        );
        return;
    }
    let diffs = differences(&corpus);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn bundled_sample_matches_expected() {
    let diffs = differences(&repo().join("data/sample"));
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
