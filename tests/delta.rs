//! `pfocr-etl load`: Delta Lake tables through the real binary, read back by replaying the
//! `_delta_log` JSON commits (an implementation of the log independent of delta-rs) and
//! reading the live Parquet files. Incremental loads must equal a full rebuild, sorted row
//! for row, and the same rows `convert` writes as plain Parquet.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::{Map, Value};

use crate::util::*;

pub(crate) const TABLES: [&str; 5] = [
    "figures",
    "figure_genes",
    "figure_chemicals",
    "figure_diseases",
    "rejects",
];

/// The live files of the Delta table at `dir` as of `version` (the latest if `None`).
pub(crate) fn live_files(dir: &Path, version: Option<u64>) -> Vec<PathBuf> {
    let log = dir.join("_delta_log");
    let mut commits: Vec<_> = fs::read_dir(&log)
        .unwrap_or_else(|e| panic!("{}: {e}", log.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    commits.sort();
    let mut live = BTreeSet::new();
    for c in commits {
        let v: u64 = c.file_stem().unwrap().to_str().unwrap().parse().unwrap();
        if version.is_some_and(|max| v > max) {
            break;
        }
        for line in fs::read_to_string(&c).unwrap().lines() {
            let action: Value = serde_json::from_str(line).unwrap();
            if let Some(add) = action.get("add") {
                live.insert(add["path"].as_str().unwrap().to_owned());
            }
            if let Some(remove) = action.get("remove") {
                live.remove(remove["path"].as_str().unwrap());
            }
        }
    }
    live.into_iter().map(|p| dir.join(p)).collect()
}

/// Rows of the Delta table `<lake>/<table>` as sorted JSON strings.
pub(crate) fn delta_rows(lake: &Path, table: &str, version: Option<u64>) -> Vec<String> {
    let mut rows: Vec<String> = live_files(&lake.join(table), version)
        .iter()
        .flat_map(|f| {
            let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(f).unwrap())
                .unwrap()
                .build()
                .unwrap();
            reader.flat_map(|b| {
                let b = b.unwrap();
                (0..b.num_rows())
                    .map(|r| {
                        let mut m = Map::new();
                        for (field, col) in b.schema().fields().iter().zip(b.columns()) {
                            m.insert(field.name().clone(), value(col.as_ref(), r));
                        }
                        Value::Object(m).to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    rows.sort();
    rows
}

/// Rows of a plain `convert` output table, sorted the same way.
fn parquet_rows(out: &Path, table: &str) -> Vec<String> {
    let mut r: Vec<String> = rows(out, table)
        .into_iter()
        .map(|m| Value::Object(m).to_string())
        .collect();
    r.sort();
    r
}

/// The latest version of `<lake>/<table>`.
pub(crate) fn version(lake: &Path, table: &str) -> u64 {
    fs::read_dir(lake.join(table).join("_delta_log"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "json").then(|| p.file_stem()?.to_str()?.parse().ok())?
        })
        .max()
        .unwrap()
}

pub(crate) fn load_cmd(corpus: &Path, lake: &Path, args: &[&str]) -> Command {
    let mut cmd = pfocr_etl();
    cmd.arg("load")
        .arg(corpus)
        .arg("--table")
        .arg(lake)
        .args(["--quiet", "--summary-json", "-"])
        .args(args);
    cmd
}

/// Runs a load and returns its summary JSON.
pub(crate) fn load(corpus: &Path, lake: &Path, args: &[&str]) -> Value {
    let out = load_cmd(corpus, lake, args).output().unwrap();
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).expect("summary JSON on stdout")
}

pub(crate) fn generate(dir: &Path, count: usize, seed: u64) {
    let out = pfocr_etl()
        .args([
            "generate",
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert_ok(&out);
}

pub(crate) fn figure_files(corpus: &Path) -> Vec<PathBuf> {
    let mut f: Vec<_> = fs::read_dir(corpus.join("_figures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    f.sort();
    f
}

/// A tables-generation record (it has a genes TSV) and an inline one, by index order.
pub(crate) fn tsv_of(figure: &Path, kind: &str) -> PathBuf {
    let stem = figure.file_stem().unwrap().to_str().unwrap();
    figure
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("_data")
        .join(format!("{stem}-{kind}.tsv"))
}

/// Changes 3 records (two front matters, one genes TSV), adds 2, deletes 1.
fn mutate(corpus: &Path, extra: &Path) {
    let figures = figure_files(corpus);
    for f in &figures[1..3] {
        let text = fs::read_to_string(f).unwrap();
        fs::write(f, text.replacen("figtitle: ", "figtitle: Revised ", 1)).unwrap();
    }
    let with_tsv = figures
        .iter()
        .skip(3)
        .find(|f| tsv_of(f, "genes").exists())
        .expect("a tables-generation record");
    let tsv = tsv_of(with_tsv, "genes");
    let text = fs::read_to_string(&tsv).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.truncate(2); // header and one gene
    fs::write(&tsv, lines.join("\n") + "\n").unwrap();
    fs::remove_file(&figures[0]).unwrap();
    for tsv in ["genes", "chemicals", "diseases"] {
        let _ = fs::remove_file(tsv_of(&figures[0], tsv));
    }
    // Two new records from another generated corpus, with their TSVs.
    copy_records(corpus, &figure_files(extra)[..2]);
}

/// Copies the figure files `figures` (of another corpus) and their TSVs into `corpus`.
fn copy_records(corpus: &Path, figures: &[PathBuf]) {
    for f in figures {
        fs::copy(f, corpus.join("_figures").join(f.file_name().unwrap())).unwrap();
        for kind in ["genes", "chemicals", "diseases"] {
            let t = tsv_of(f, kind);
            if t.exists() {
                fs::copy(&t, corpus.join("_data").join(t.file_name().unwrap())).unwrap();
            }
        }
    }
}

pub(crate) fn assert_tables_equal(a: &Path, b: &Path) {
    for t in TABLES {
        assert_eq!(delta_rows(a, t, None), delta_rows(b, t, None), "table {t}");
    }
}

#[test]
fn an_incremental_load_equals_a_full_rebuild_and_the_parquet_output() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    let extra = w.path().join("extra");
    generate(&corpus, 40, 7);
    generate(&extra, 400, 8);
    let lake = w.path().join("lake");

    let first = load(&corpus, &lake, &[]);
    assert_eq!(first["full"], true);
    assert_eq!(first["committed"], true);
    assert_eq!(first["inputs"], 40);
    assert_eq!(first["decoded"], 40);
    let before: Vec<Vec<String>> = TABLES.iter().map(|t| delta_rows(&lake, t, None)).collect();
    let v1 = version(&lake, "figures");

    mutate(&corpus, &extra);
    let second = load(&corpus, &lake, &[]);
    assert_eq!(second["full"], false);
    assert_eq!(second["decoded"], 5, "{second}");
    assert_eq!(second["added"].as_array().unwrap().len(), 2);
    assert_eq!(second["changed"].as_array().unwrap().len(), 3);
    assert_eq!(second["deleted"].as_array().unwrap().len(), 1);
    assert_eq!(second["inputs"], 41);
    assert_eq!(second["load"], 2);

    let rebuilt = w.path().join("rebuilt");
    load(&corpus, &rebuilt, &[]);
    assert_tables_equal(&lake, &rebuilt);
    // The same rows as the plain Parquet output of `convert`.
    let out = w.path().join("out");
    assert_ok(
        &pfocr_etl()
            .arg("convert")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    for t in TABLES {
        assert_eq!(
            delta_rows(&lake, t, None),
            parquet_rows(&out, t),
            "table {t}"
        );
    }
    // Time travel: the previous version still holds the first load.
    for (t, rows) in TABLES.iter().zip(&before) {
        let prev = if *t == "figures" { Some(v1) } else { None };
        if let Some(v) = prev {
            assert_eq!(&delta_rows(&lake, t, Some(v)), rows, "time travel {t}");
        }
    }
    assert_ne!(delta_rows(&lake, "figures", None), before[0]);
}

/// The version of every data table, in [`TABLES`] order.
fn versions(lake: &Path) -> Vec<u64> {
    TABLES.iter().map(|t| version(lake, t)).collect()
}

#[test]
fn a_record_changed_in_one_table_rewrites_only_that_tables_files() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 60, 11);
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let full = crate::maintain::full_records(&corpus);
    assert!(full.len() >= 3, "records with rows in every table");
    let index = |t: &str| TABLES.iter().position(|x| *x == t).unwrap();
    let rebuilt_equal = |name: &str| {
        let rebuilt = w.path().join(name);
        load(&corpus, &rebuilt, &[]);
        assert_tables_equal(&lake, &rebuilt);
    };

    // A new title: the figures table changes, the three child tables keep their files.
    let before = versions(&lake);
    let text = fs::read_to_string(&full[0]).unwrap();
    fs::write(
        &full[0],
        text.replacen("figtitle: ", "figtitle: Retitled ", 1),
    )
    .unwrap();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["changed"].as_array().unwrap().len(), 1, "{s}");
    let after = versions(&lake);
    assert_eq!(after[index("figures")], before[index("figures")] + 1);
    for t in ["figure_genes", "figure_chemicals", "figure_diseases"] {
        assert_eq!(after[index(t)], before[index(t)], "{t} untouched");
    }
    rebuilt_equal("rebuilt-1");

    // A gene dropped from a TSV: the genes table changes, and only it.
    let before = after;
    let tsv = tsv_of(&full[1], "genes");
    let text = fs::read_to_string(&tsv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3, "a header and two genes");
    fs::write(&tsv, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    load(&corpus, &lake, &[]);
    let after = versions(&lake);
    assert_eq!(
        after[index("figure_genes")],
        before[index("figure_genes")] + 1
    );
    for t in ["figures", "figure_chemicals", "figure_diseases"] {
        assert_eq!(after[index(t)], before[index(t)], "{t} untouched");
    }
    rebuilt_equal("rebuilt-2");

    // A record that no longer converts: its rows leave every table.
    let before = after;
    fs::write(&full[2], "---\nfigid: [unclosed\n---\n").unwrap();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["rejected"], 1, "{s}");
    let after = versions(&lake);
    for t in TABLES {
        assert_eq!(after[index(t)], before[index(t)] + 1, "{t} rewritten");
    }
    rebuilt_equal("rebuilt-3");
}

#[test]
fn loads_that_add_or_change_records_append_to_the_state_and_a_gone_file_rewrites_it() {
    let w = Workdir::new();
    let (corpus, extra) = (w.path().join("corpus"), w.path().join("extra"));
    generate(&corpus, 30, 21);
    generate(&extra, 40, 22);
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let state = lake.join("_pfocr_sources");
    let first = live_files(&state, None);
    assert_eq!(first.len(), 1);
    let mut n = 0;
    let mut rebuilt_equal = || {
        n += 1;
        let rebuilt = w.path().join(format!("rebuilt-{n}"));
        load(&corpus, &rebuilt, &[]);
        assert_tables_equal(&lake, &rebuilt);
    };

    // New records: the state gains a file of their rows and keeps its first file.
    copy_records(&corpus, &figure_files(&extra)[..3]);
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["added"].as_array().map(Vec::len), Some(3), "{s}");
    let live = live_files(&state, None);
    assert_eq!(live.len(), 2, "{live:?}");
    assert!(live.contains(&first[0]), "the first state file stays");
    rebuilt_equal();
    // Read back, the two files are the corpus as it is: nothing to do.
    let again = load(&corpus, &lake, &[]);
    assert_eq!(
        (&again["committed"], &again["decoded"]),
        (&false.into(), &0.into()),
        "{again}"
    );

    // Changed records append too, until the state's bounds (its files, and here first its
    // rows: a small corpus has little room) write it whole again.
    let figures = figure_files(&corpus);
    let (mut most, mut rewritten) = (0, false);
    for (i, f) in figures.iter().take(12).enumerate() {
        let text = fs::read_to_string(f).unwrap();
        fs::write(
            f,
            text.replacen("figtitle: ", &format!("figtitle: Take {i} "), 1),
        )
        .unwrap();
        let s = load(&corpus, &lake, &[]);
        assert_eq!(s["changed"].as_array().map(Vec::len), Some(1), "{s}");
        let files = live_files(&state, None).len();
        assert!(files <= pfocr_etl::STATE_FILES_MAX, "{files} state files");
        rewritten |= files < most;
        most = most.max(files);
    }
    assert!(
        most >= 4 && rewritten,
        "appended up to {most} files, then rewritten"
    );
    rebuilt_equal();

    // A file gone: the state is written whole again, as one file.
    fs::remove_file(&figures[20]).unwrap();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["deleted"].as_array().map(Vec::len), Some(1), "{s}");
    assert_eq!(live_files(&state, None).len(), 1);
    rebuilt_equal();
    let again = load(&corpus, &lake, &[]);
    assert_eq!(again["committed"], false, "{again}");
}

#[test]
fn a_load_with_nothing_changed_makes_no_new_version_and_full_refresh_rebuilds() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 12, 3);
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let versions: Vec<u64> = TABLES.iter().map(|t| version(&lake, t)).collect();
    let again = load(&corpus, &lake, &[]);
    assert_eq!(again["committed"], false);
    assert_eq!(again["decoded"], 0);
    let after: Vec<u64> = TABLES.iter().map(|t| version(&lake, t)).collect();
    assert_eq!(versions, after, "no new table version");

    let rows = delta_rows(&lake, "figure_genes", None);
    let full = load(&corpus, &lake, &["--full-refresh"]);
    assert_eq!(
        (full["full"].clone(), full["decoded"].clone()),
        (Value::from(true), Value::from(12))
    );
    assert_eq!(version(&lake, "figures"), versions[0] + 1);
    assert_eq!(delta_rows(&lake, "figure_genes", None), rows);
}

#[test]
fn a_dry_run_reports_the_changes_and_writes_nothing() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 10, 4);
    let lake = w.path().join("lake");
    let dry = load(&corpus, &lake, &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["added"].as_array().unwrap().len(), 10);
    assert!(
        !lake.join("figures").join("_delta_log").exists(),
        "nothing written"
    );
    load(&corpus, &lake, &[]);
    let f = &figure_files(&corpus)[0];
    fs::write(
        f,
        fs::read_to_string(f)
            .unwrap()
            .replacen("figtitle: ", "figtitle: X ", 1),
    )
    .unwrap();
    let v = version(&lake, "figures");
    let dry = load(&corpus, &lake, &["--dry-run"]);
    assert_eq!(dry["changed"].as_array().unwrap().len(), 1);
    assert_eq!(version(&lake, "figures"), v);
}

#[test]
fn bad_records_land_in_the_rejects_table_and_count() {
    let w = Workdir::new();
    w.figure("good", "figid: good\nyear: 2020\n");
    w.figure("bad_year", "figid: bad_year\nyear: twenty\n");
    w.write("corpus/_figures/empty.md", "");
    w.tsv("nobody-genes.tsv", "word\tmatch\nA\tA\n");
    let lake = w.path().join("lake");
    let out = load_cmd(&w.corpus(), &lake, &["--max-rejects", "1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            s["inputs"].clone(),
            s["converted"].clone(),
            s["rejected"].clone()
        ),
        (3.into(), 1.into(), 2.into())
    );
    let rejects = delta_rows(&lake, "rejects", None);
    assert_eq!(rejects.len(), 3, "{rejects:?}");
    assert!(rejects.iter().any(|r| r.contains("orphan_table")));
    // Fix one record: the next load decodes it (and the other reject again) and converts it.
    w.figure("bad_year", "figid: bad_year\nyear: 2021\n");
    let s = load(&w.corpus(), &lake, &[]);
    assert_eq!(
        (s["converted"].clone(), s["rejected"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(delta_rows(&lake, "figures", None).len(), 2);
    assert_eq!(delta_rows(&lake, "rejects", None).len(), 2);
}

#[test]
fn four_concurrent_shard_loads_equal_one_unsharded_load() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 120, 11);
    let lake = w.path().join("lake");
    let children: Vec<_> = (0..4)
        .map(|k| {
            load_cmd(&corpus, &lake, &["--shard", &format!("{k}/4")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut decoded = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_ok(&out);
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        decoded += s["decoded"].as_u64().unwrap();
    }
    assert_eq!(decoded, 120, "every record in exactly one shard");
    let single = w.path().join("single");
    load(&corpus, &single, &[]);
    assert_tables_equal(&lake, &single);
    // A shard's next load sees its own state only: nothing changed.
    let again = load(&corpus, &lake, &["--shard", "2/4"]);
    assert_eq!(again["committed"], false);
    // Another shard count on the same tables is refused with the reason.
    let out = load_cmd(&corpus, &lake, &["--shard", "0/3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another shard count"));
}

#[test]
fn two_loads_at_once_never_double_load() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 300, 12);
    let lake = w.path().join("lake");
    let single = w.path().join("single");
    load(&corpus, &single, &[]);
    for round in 0..6 {
        let _ = fs::remove_dir_all(&lake);
        let children: Vec<_> = (0..2)
            .map(|_| {
                load_cmd(&corpus, &lake, &[])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let ok = outs.iter().filter(|o| o.status.success()).count();
        assert!(ok >= 1, "round {round}: one load commits");
        for o in outs.iter().filter(|o| !o.status.success()) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(5), "round {round}: {err}");
            assert!(err.contains("concurrent load"), "{err}");
        }
        assert_tables_equal(&lake, &single);
    }
}

#[test]
fn a_load_killed_midway_leaves_the_previous_version_and_the_next_load_completes_it() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 1500, 21);
    let lake = w.path().join("lake");
    let small = w.path().join("small");
    generate(&small, 50, 22);
    load(&small, &lake, &[]);
    let previous: Vec<Vec<String>> = TABLES.iter().map(|t| delta_rows(&lake, t, None)).collect();
    let full = w.path().join("full");
    load(&corpus, &full, &[]);
    let mut rng = crate::crash::Rng::new(99);
    for trial in 0..6 {
        let mut child = load_cmd(&corpus, &lake, &[])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(20 + rng.next() % 600);
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        // Every table is readable and at a whole version: the old rows or the new ones.
        for (t, prev) in TABLES.iter().zip(&previous) {
            let now = delta_rows(&lake, t, None);
            let new = delta_rows(&full, t, None);
            assert!(
                now == *prev || now == new,
                "trial {trial}: {t} is neither old nor new"
            );
        }
        // Back to the small corpus's tables for the next trial, via a load that completes.
        load(&small, &lake, &[]);
        for (t, prev) in TABLES.iter().zip(&previous) {
            assert_eq!(
                &delta_rows(&lake, t, None),
                prev,
                "trial {trial}: {t} after reload"
            );
        }
    }
    load(&corpus, &lake, &[]);
    assert_tables_equal(&lake, &full);
}

#[test]
fn a_dry_run_creates_nothing_and_a_table_path_with_percent_is_refused_before_anything_is_created() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 6, 31);
    let parent = w.path().join("new");
    let dry = load(&corpus, &parent.join("lake"), &["--dry-run"]);
    assert_eq!(dry["added"].as_array().unwrap().len(), 6);
    assert_eq!(dry["versions"]["figures"], Value::Null);
    assert!(!parent.exists(), "a dry run created {}", parent.display());

    // `%` in a local path is refused with the reason, before anything is created (the
    // Delta library would write `a%20b` and read it back as `a b`).
    for pct in [w.path().join("a%20b"), w.path().join("new%").join("lake")] {
        let out = load_cmd(&corpus, &pct, &[]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("holds a '%'"), "{err}");
        assert!(!pct.exists() && !w.path().join("new%").exists(), "{err}");
    }
    assert!(!w.path().join("a b").exists());

    let lake = w.path().join("lake");
    let first = load(&corpus, &lake, &[]);
    assert_eq!(first["committed"], true);
    // The state is found again at the same path: the next load has nothing to do.
    let again = load(&corpus, &lake, &[]);
    assert_eq!(again["committed"], false, "{again}");
    // And a dry run next to existing tables writes nothing either.
    let v = version(&lake, "figures");
    let f = &figure_files(&corpus)[0];
    fs::write(
        f,
        fs::read_to_string(f)
            .unwrap()
            .replacen("figtitle: ", "figtitle: Y ", 1),
    )
    .unwrap();
    let dry = load(&corpus, &lake, &["--dry-run"]);
    assert_eq!(dry["changed"].as_array().unwrap().len(), 1);
    assert_eq!(version(&lake, "figures"), v);
}

#[cfg(unix)]
#[test]
fn files_that_became_unreadable_leave_the_tables_as_a_full_rebuild_does() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 12, 32);
    // Two records live elsewhere behind symbolic links, as git-annex keeps them: a figure
    // file, and the genes TSV of a tables-generation record.
    let annex = w.path().join("annex");
    fs::create_dir_all(&annex).unwrap();
    let figures = figure_files(&corpus);
    let linked_figure = &figures[0];
    let with_tsv = figures[1..]
        .iter()
        .find(|f| tsv_of(f, "genes").exists())
        .expect("a tables-generation record");
    let linked_tsv = tsv_of(with_tsv, "genes");
    for f in [linked_figure, &linked_tsv] {
        let target = annex.join(f.file_name().unwrap());
        fs::rename(f, &target).unwrap();
        std::os::unix::fs::symlink(&target, f).unwrap();
    }
    let lake = w.path().join("lake");
    let first = load(&corpus, &lake, &[]);
    assert_eq!(
        (first["converted"].clone(), first["rejected"].clone()),
        (12.into(), 0.into())
    );
    // The annex drops both targets: the links dangle.
    fs::remove_dir_all(&annex).unwrap();
    let second = load(&corpus, &lake, &[]);
    assert_eq!(second["committed"], true, "{second}");
    assert_eq!(second["inputs"], 12);
    let rebuilt = w.path().join("rebuilt");
    let full = load(&corpus, &rebuilt, &[]);
    assert_tables_equal(&lake, &rebuilt);
    for key in ["converted", "rejected"] {
        assert_eq!(second[key], full[key], "{key}");
    }
    let stem = linked_figure.file_stem().unwrap().to_str().unwrap();
    assert!(
        !delta_rows(&lake, "figures", None)
            .iter()
            .any(|r| r.contains(&format!("\"{stem}.md\""))),
        "the unreadable figure's row is gone"
    );
}

#[test]
fn a_load_with_other_options_equals_a_full_rebuild_with_them() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 12, 33);
    // A limit below the largest figure file: that file becomes a too_large reject.
    let mut sizes: Vec<u64> = figure_files(&corpus)
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .collect();
    sizes.sort();
    let limit = (sizes[sizes.len() - 1] - 1).to_string();
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let limited = load(&corpus, &lake, &["--max-record-bytes", &limit]);
    assert_eq!(limited["committed"], true, "{limited}");
    assert_eq!(limited["full"], true, "other options: a rebuild");
    let rebuilt = w.path().join("rebuilt");
    let want = load(&corpus, &rebuilt, &["--max-record-bytes", &limit]);
    assert!(want["rejected"].as_u64().unwrap() >= 1, "{want}");
    assert_eq!(limited["rejected"], want["rejected"]);
    assert_tables_equal(&lake, &rebuilt);
    assert!(delta_rows(&lake, "rejects", None)
        .iter()
        .any(|r| r.contains("too_large")));
    // Options that change no row (threads) do not force a rebuild.
    let same = load(&corpus, &lake, &["--max-record-bytes", &limit, "-j", "1"]);
    assert_eq!(same["committed"], false, "{same}");
    // Back to the default limit: the same as a default rebuild again.
    let back = load(&corpus, &lake, &[]);
    assert_eq!(back["full"], true);
    let default = w.path().join("default");
    load(&corpus, &default, &[]);
    assert_tables_equal(&lake, &default);
}

#[cfg(unix)]
#[test]
fn figure_files_whose_names_differ_only_in_invalid_bytes_load_as_two_records() {
    use std::os::unix::ffi::OsStrExt;
    let w = Workdir::new();
    let figs = w.corpus().join("_figures");
    fs::create_dir_all(&figs).unwrap();
    let file = |name: &[u8]| figs.join(std::ffi::OsStr::from_bytes(name));
    fs::write(file(b"bad\xff.md"), "---\nfigid: one\nfigtitle: A\n---\n").unwrap();
    fs::write(file(b"bad\xfe.md"), "---\nfigid: two\nfigtitle: B\n---\n").unwrap();
    let lake = w.path().join("lake");
    let first = load(&w.corpus(), &lake, &[]);
    assert_eq!(
        (first["inputs"].clone(), first["converted"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(first["rows"]["figures"], 2);
    assert_eq!(delta_rows(&lake, "figures", None).len(), 2);
    // An edit to one of them is seen as that file's change, and only that.
    fs::write(file(b"bad\xfe.md"), "---\nfigid: two\nfigtitle: B2\n---\n").unwrap();
    let second = load(&w.corpus(), &lake, &[]);
    assert_eq!(
        second["changed"],
        serde_json::json!([r"_figures/bad\xFE.md"])
    );
    assert_eq!(second["decoded"], 1);
    assert_eq!(second["rows"]["figures"], 2);
    assert_eq!(second["converted"], 2);
    let rows = delta_rows(&lake, "figures", None);
    assert!(rows.iter().any(|r| r.contains("\"B2\"")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.contains("\"B\"")), "{rows:?}");
    let rebuilt = w.path().join("rebuilt");
    load(&w.corpus(), &rebuilt, &[]);
    assert_tables_equal(&lake, &rebuilt);
}

#[test]
fn shard_loads_equal_an_unsharded_load_when_figids_differ_from_file_names() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 60, 34);
    // Every third record moves to a file name that is not its figid; its TSVs keep the
    // figid in their names, as the contract allows.
    let mut moved_with_tsv = 0;
    for (i, f) in figure_files(&corpus).iter().enumerate() {
        if i % 3 == 0 {
            moved_with_tsv += usize::from(tsv_of(f, "genes").exists());
            let to = corpus.join("_figures").join(format!("moved-{i:03}.md"));
            fs::rename(f, to).unwrap();
        }
    }
    assert!(
        moved_with_tsv >= 3,
        "moved records with TSVs: {moved_with_tsv}"
    );
    // And a second file naming the figid of another record: one of them is a duplicate.
    let figs = figure_files(&corpus);
    fs::copy(&figs[1], corpus.join("_figures").join("zz-copy.md")).unwrap();

    let single = w.path().join("single");
    let whole = load(&corpus, &single, &[]);
    let lake = w.path().join("lake");
    let (mut inputs, mut converted, mut rejected) = (0, 0, 0);
    for k in 0..4 {
        let s = load(&corpus, &lake, &["--shard", &format!("{k}/4")]);
        inputs += s["inputs"].as_u64().unwrap();
        converted += s["converted"].as_u64().unwrap();
        rejected += s["rejected"].as_u64().unwrap();
    }
    assert_eq!(inputs, 61);
    assert_eq!(
        (converted, rejected),
        (
            whole["converted"].as_u64().unwrap(),
            whole["rejected"].as_u64().unwrap()
        )
    );
    assert_tables_equal(&lake, &single);
    let rejects = delta_rows(&single, "rejects", None);
    assert!(
        !rejects.iter().any(|r| r.contains("orphan_table")),
        "{rejects:?}"
    );
    assert!(
        rejects.iter().any(|r| r.contains("duplicate_figid")),
        "{rejects:?}"
    );
    // Incremental shard loads after moving a record back to its figid's name: still equal.
    let moved = corpus.join("_figures").join("moved-003.md");
    let text = fs::read_to_string(&moved).unwrap();
    let figid = text
        .lines()
        .find_map(|l| l.strip_prefix("figid: "))
        .expect("a figid line")
        .trim_matches(['\'', '"'])
        .to_owned();
    fs::rename(&moved, corpus.join("_figures").join(format!("{figid}.md"))).unwrap();
    for k in 0..4 {
        load(&corpus, &lake, &["--shard", &format!("{k}/4")]);
    }
    let rebuilt = w.path().join("rebuilt");
    load(&corpus, &rebuilt, &[]);
    assert_tables_equal(&lake, &rebuilt);
}

/// Rewrites the Parquet file `file` through `edit` and returns its row count.
fn rewrite_parquet(file: &Path, edit: impl Fn(RecordBatch) -> RecordBatch) -> usize {
    let batches: Vec<RecordBatch> =
        ParquetRecordBatchReaderBuilder::try_new(fs::File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(|b| edit(b.unwrap()))
            .collect();
    let schema = batches[0].schema();
    let mut w = ArrowWriter::try_new(fs::File::create(file).unwrap(), schema, None).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// Turns the tables at `lake` into what a schema version 1 build left: `figures` without
/// its `wpid` column (in every data file and in the table schema of the log) and a load
/// state without the schema version row. Sizes and row counts in the log follow the files.
fn downgrade_to_v1(lake: &Path) {
    let edits: [(&str, &dyn Fn(RecordBatch) -> RecordBatch); 2] = [
        ("figures", &|b: RecordBatch| {
            let keep: Vec<usize> = (0..b.num_columns())
                .filter(|&i| b.schema().field(i).name() != "wpid")
                .collect();
            b.project(&keep).unwrap()
        }),
        ("_pfocr_sources", &|b: RecordBatch| {
            let paths = b.column_by_name("source_path").unwrap().as_string::<i32>();
            let keep: BooleanArray = paths
                .iter()
                .map(|p| Some(p != Some("<schema_version>")))
                .collect();
            filter_record_batch(&b, &keep).unwrap()
        }),
    ];
    for (table, edit) in edits {
        let dir = lake.join(table);
        let log = dir.join("_delta_log");
        let mut commits: Vec<PathBuf> = fs::read_dir(&log)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        commits.sort();
        let mut rows = std::collections::HashMap::new();
        for c in commits {
            let mut lines = Vec::new();
            for line in fs::read_to_string(&c).unwrap().lines() {
                let mut action: Value = serde_json::from_str(line).unwrap();
                if let Some(meta) = action.get_mut("metaData") {
                    let mut schema: Value =
                        serde_json::from_str(meta["schemaString"].as_str().unwrap()).unwrap();
                    schema["fields"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|f| f["name"] != "wpid");
                    meta["schemaString"] = Value::from(schema.to_string());
                }
                if let Some(add) = action.get_mut("add") {
                    let path = dir.join(add["path"].as_str().unwrap());
                    let n = *rows
                        .entry(path.clone())
                        .or_insert_with(|| rewrite_parquet(&path, edit));
                    add["size"] = Value::from(fs::metadata(&path).unwrap().len());
                    add["stats"] = Value::from(format!("{{\"numRecords\":{n}}}"));
                }
                lines.push(action.to_string());
            }
            fs::write(&c, lines.join("\n") + "\n").unwrap();
        }
    }
}

/// The columns of the table schema in the latest metaData action of `<lake>/<table>`.
fn log_schema_columns(lake: &Path, table: &str) -> Vec<String> {
    let log = lake.join(table).join("_delta_log");
    let mut commits: Vec<PathBuf> = fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    commits.sort();
    let mut columns = Vec::new();
    for c in commits {
        for line in fs::read_to_string(&c).unwrap().lines() {
            let action: Value = serde_json::from_str(line).unwrap();
            if let Some(meta) = action.get("metaData") {
                let schema: Value =
                    serde_json::from_str(meta["schemaString"].as_str().unwrap()).unwrap();
                columns = schema["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["name"].as_str().unwrap().to_owned())
                    .collect();
            }
        }
    }
    columns
}

#[test]
fn a_load_brings_version_1_tables_to_version_2_by_itself() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 24, 11);
    // One record names its wpid in the front matter (a version 1 build kept it in `extra`).
    let first = &figure_files(&corpus)[0];
    let text = fs::read_to_string(first).unwrap();
    fs::write(first, text.replacen("---\n", "---\nwpid: WP4242\n", 1)).unwrap();
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    downgrade_to_v1(&lake);
    assert!(!log_schema_columns(&lake, "figures").contains(&"wpid".to_owned()));
    assert!(delta_rows(&lake, "figures", None)
        .iter()
        .all(|r| !r.contains("\"wpid\"")));

    // The corpus now also has a wpid map: it fills the column for existing rows too.
    let out = w.path().join("out");
    assert_ok(
        &pfocr_etl()
            .arg("convert")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    let figids: Vec<String> = rows(&out, "figures")
        .iter()
        .map(|r| r["figid"].as_str().unwrap().to_owned())
        .collect();
    let map: String = figids
        .iter()
        .skip(1)
        .take(5)
        .enumerate()
        .map(|(i, f)| format!("{f}\tWP{i}\n"))
        .collect();
    fs::write(corpus.join("_data/wpid_map.tsv"), map).unwrap();
    assert_ok(
        &pfocr_etl()
            .arg("convert")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );

    let all = || TABLES.iter().copied().chain(["_pfocr_sources"]);
    let before: Vec<u64> = all().map(|t| version(&lake, t)).collect();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["schema_upgraded"], true, "{s}");
    assert_eq!(s["committed"], true);
    let after: Vec<u64> = all().map(|t| version(&lake, t)).collect();
    for ((t, b), a) in all().zip(&before).zip(&after) {
        let rows = !delta_rows(&lake, t, None).is_empty();
        assert_eq!(
            *a,
            b + u64::from(rows || t == "figures"),
            "one commit for {t}"
        );
    }
    let cols = log_schema_columns(&lake, "figures");
    assert_eq!(cols.last().map(String::as_str), Some("wpid"), "{cols:?}");
    // Every row right: the same rows as a version 2 `convert` of the corpus.
    for t in TABLES {
        assert_eq!(
            delta_rows(&lake, t, None),
            parquet_rows(&out, t),
            "table {t}"
        );
    }
    let wpids: BTreeSet<String> = rows(&out, "figures")
        .iter()
        .filter_map(|r| r["wpid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(wpids.len(), 6, "{wpids:?}");
    assert!(wpids.contains("WP4242"));

    // Upgraded once: the next load has nothing to do.
    let again = load(&corpus, &lake, &[]);
    assert_eq!(again["schema_upgraded"], false);
    assert_eq!(again["committed"], false);

    // A changed map reaches the rows of records that did not change.
    fs::write(
        corpus.join("_data/wpid_map.tsv"),
        format!("{}\tWP-new\n", figids[2]),
    )
    .unwrap();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(
        (s["full"].clone(), s["committed"].clone()),
        (false.into(), true.into())
    );
    assert_ok(
        &pfocr_etl()
            .arg("convert")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    for t in TABLES {
        assert_eq!(
            delta_rows(&lake, t, None),
            parquet_rows(&out, t),
            "table {t}"
        );
    }
    assert!(delta_rows(&lake, "figures", None)
        .iter()
        .any(|r| r.contains("\"wpid\":\"WP-new\"")));
}

/// Sets the mtime of `file`, as `touch -d` would (its ctime becomes now, as always).
fn set_mtime(file: &Path, when: std::time::SystemTime) {
    fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// The contents of the live data files of every data table at `lake`, sorted: what must be
/// byte-identical for the same history of loads (file names carry a time and the state
/// table the scan times, so neither is compared).
fn live_bytes(lake: &Path) -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = TABLES
        .iter()
        .flat_map(|t| live_files(&lake.join(t), None))
        .map(|f| fs::read(f).unwrap())
        .collect();
    all.sort();
    all
}

/// Rewrites the live `_pfocr_sources` file(s) through `edit`, fixing the sizes in the log.
fn edit_state(lake: &Path, edit: &dyn Fn(RecordBatch) -> RecordBatch) {
    let dir = lake.join("_pfocr_sources");
    let live = live_files(&dir, None);
    for f in &live {
        rewrite_parquet(f, edit);
    }
    for c in fs::read_dir(dir.join("_delta_log")).unwrap() {
        let c = c.unwrap().path();
        if c.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let mut lines = Vec::new();
        for line in fs::read_to_string(&c).unwrap().lines() {
            let mut action: Value = serde_json::from_str(line).unwrap();
            if let Some(add) = action.get_mut("add") {
                let path = dir.join(add["path"].as_str().unwrap());
                if live.contains(&path) {
                    add["size"] = Value::from(fs::metadata(&path).unwrap().len());
                }
            }
            lines.push(action.to_string());
        }
        fs::write(&c, lines.join("\n") + "\n").unwrap();
    }
}

#[test]
fn loads_trust_size_and_times_only_for_files_older_than_the_last_scan_and_verify_reads_all() {
    use std::time::{Duration, SystemTime};
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    let extra = w.path().join("extra");
    generate(&corpus, 40, 7);
    generate(&extra, 400, 8);
    let (lake, twin) = (w.path().join("lake"), w.path().join("twin"));
    let slack = || std::thread::sleep(Duration::from_millis(2100));
    let quiet = |s: &Value, hashed: u64| {
        assert_eq!(s["committed"], false, "{s}");
        assert_eq!(s["hashed"], hashed, "{s}");
    };
    // Every step loads `lake` (2 threads) and `twin` (1 thread): the same history gives
    // byte-identical data files, and equals a full rebuild of the corpus as it is then.
    let step = |args: &[&str]| -> Value {
        let s = load(&corpus, &lake, &[&["-j", "2"], args].concat());
        load(&corpus, &twin, &[&["-j", "1"], args].concat());
        assert_eq!(live_bytes(&lake), live_bytes(&twin));
        let rebuilt = w.path().join(format!("rebuilt-{}", s["load"]));
        load(&corpus, &rebuilt, &[]);
        assert_tables_equal(&lake, &rebuilt);
        s
    };

    // Files older than the last scan by the slack (2 s): a load with nothing changed
    // reads none of them.
    slack();
    let first = step(&[]);
    // Every file read: the figure files and their TSVs.
    assert!(
        first["hashed"].as_u64() > first["inputs"].as_u64(),
        "{first}"
    );
    slack();
    quiet(&load(&corpus, &lake, &[]), 0);

    // Touched (mtime only): read, found the same, nothing changed.
    let figures = figure_files(&corpus);
    set_mtime(&figures[5], SystemTime::now());
    quiet(&load(&corpus, &lake, &[]), 1);
    // An mtime not older than the last scan (here: in the future) is never trusted.
    set_mtime(&figures[7], SystemTime::now() + Duration::from_secs(3600));

    // Changed, added and deleted records: decoded; the tables equal a full rebuild.
    mutate(&corpus, &extra);
    slack();
    let s = step(&[]);
    assert_eq!(s["decoded"], 5, "{s}");
    slack();
    quiet(&load(&corpus, &lake, &[]), 1);

    // A same-size change whose stamp the state still matches (as if the times were set
    // back on a filesystem without ctime: the state is given the file's new ctime, and a
    // last scan time after it): a plain load trusts the stamp and misses it; `--verify`
    // reads every file and catches it.
    let victim = &figures[6];
    let rel = format!("_figures/{}", victim.file_name().unwrap().to_str().unwrap());
    let text = fs::read_to_string(victim).unwrap();
    let at = text.find("\nfigtitle: ").expect("a figtitle") + "\nfigtitle: ".len();
    let c = if text[at..].starts_with('Z') {
        "Y"
    } else {
        "Z"
    };
    let edited = format!("{}{c}{}", &text[..at], &text[at + 1..]);
    assert_eq!(edited.len(), text.len());
    let mtime = fs::metadata(victim).unwrap().modified().unwrap();
    fs::write(victim, &edited).unwrap();
    set_mtime(victim, mtime);
    let ctime = {
        use std::os::unix::fs::MetadataExt;
        let m = fs::metadata(victim).unwrap();
        m.ctime() * 1_000_000_000 + m.ctime_nsec()
    };
    for lake in [&lake, &twin] {
        edit_state(lake, &|b: RecordBatch| {
            let paths = b.column_by_name("source_path").unwrap().as_string::<i32>();
            let mut cols = b.columns().to_vec();
            // The victim's ctime, and the options row's scan time (its mtime_ns).
            for (column, path, value) in [
                ("ctime_ns", &*rel, ctime),
                ("mtime_ns", "", ctime + 3_000_000_000),
            ] {
                let i = b.schema().index_of(column).unwrap();
                let old = b.column(i).as_primitive::<arrow::datatypes::Int64Type>();
                let new: arrow::array::Int64Array = (0..b.num_rows())
                    .map(|r| {
                        if paths.value(r) == path {
                            Some(value)
                        } else {
                            arrow::array::Array::is_valid(old, r).then(|| old.value(r))
                        }
                    })
                    .collect();
                cols[i] = std::sync::Arc::new(new);
            }
            RecordBatch::try_new(b.schema(), cols).unwrap()
        });
    }
    slack();
    quiet(&load(&corpus, &lake, &[]), 1);
    let s = step(&["--verify"]);
    let files = ["_figures", "_data"]
        .iter()
        .map(|d| fs::read_dir(corpus.join(d)).unwrap().count() as u64)
        .sum::<u64>();
    assert_eq!(s["hashed"], files, "every file read: {s}");
    assert_eq!(s["changed"], serde_json::json!([rel]), "{s}");
    assert_eq!(s["decoded"], 1, "{s}");
}
