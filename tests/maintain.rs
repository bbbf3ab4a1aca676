//! Delta checkpoints and `pfocr-etl maintain` (compaction, vacuum, checkpoint) through the
//! real binary, with rows read back by replaying the JSON commits (tests/delta.rs) and, for
//! checkpoints, by delta-rs with the JSON commits before the checkpoint deleted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::delta::*;
use crate::util::*;

/// The five data tables and the load state.
fn all_tables() -> Vec<&'static str> {
    TABLES.iter().copied().chain(["_pfocr_sources"]).collect()
}

/// Figure files with rows in every data table: a genes, chemicals and diseases TSV each.
pub(crate) fn full_records(corpus: &Path) -> Vec<PathBuf> {
    figure_files(corpus)
        .into_iter()
        .filter(|f| {
            ["genes", "chemicals", "diseases"]
                .iter()
                .all(|k| tsv_of(f, k).exists())
        })
        .collect()
}

/// A corpus with one rejected record (so the rejects table gets a commit per load), and
/// twelve loads into `lake`, each after changing the figtitle of one record that has rows
/// in every data table and adding a row to each of its TSVs (a record whose rows in a table
/// stay the same leaves that table alone): each table gets a version per load.
fn twelve_loads(w: &Workdir) -> (PathBuf, PathBuf) {
    let corpus = w.path().join("corpus");
    generate(&corpus, 120, 16);
    fs::write(
        corpus.join("_figures").join("PMC0_broken.md"),
        "---\nfigid: [unclosed\n---\n",
    )
    .unwrap();
    let lake = w.path().join("lake");
    let records = full_records(&corpus);
    assert!(records.len() >= 11, "{} full records", records.len());
    load(&corpus, &lake, &[]);
    for (i, f) in records.iter().take(11).enumerate() {
        let text = fs::read_to_string(f).unwrap();
        fs::write(
            f,
            text.replacen("figtitle: ", &format!("figtitle: R{i} "), 1),
        )
        .unwrap();
        for kind in ["genes", "chemicals", "diseases"] {
            let tsv = tsv_of(f, kind);
            let text = fs::read_to_string(&tsv).unwrap();
            let last = text.lines().last().unwrap().to_owned();
            fs::write(&tsv, format!("{text}{last}\n")).unwrap();
        }
        let s = load(&corpus, &lake, &[]);
        assert_eq!(s["committed"], true, "load {}", i + 2);
        assert_eq!(s["full"], false, "load {} is incremental", i + 2);
    }
    (corpus, lake)
}

/// Rows of every table, JSON-replayed.
fn all_rows(lake: &Path) -> Vec<Vec<String>> {
    TABLES.iter().map(|t| delta_rows(lake, t, None)).collect()
}

/// Bytes of the data files in a table directory (the log excluded).
fn stored_bytes(table: &Path) -> u64 {
    fs::read_dir(table)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

fn live_bytes(table: &Path) -> u64 {
    live_files(table, None)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

fn maintain(lake: &Path, args: &[&str]) -> Output {
    pfocr_etl()
        .arg("maintain")
        .arg("--table")
        .arg(lake)
        .args(["--quiet", "--summary-json", "-"])
        .args(args)
        .output()
        .unwrap()
}

/// A full rebuild of `corpus` in a fresh lake.
fn rebuilt(w: &Workdir, corpus: &Path, name: &str) -> PathBuf {
    let lake = w.path().join(name);
    load(corpus, &lake, &[]);
    lake
}

/// Data files (absolute paths) and row counts of the table's latest version, as delta-rs
/// reads them.
fn delta_rs_files(table: &Path) -> Vec<(PathBuf, i64)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = url::Url::from_directory_path(table).unwrap();
        let t = deltalake::open_table(url).await.unwrap();
        let mut files: Vec<(PathBuf, i64)> = t
            .snapshot()
            .unwrap()
            .log_data()
            .into_iter()
            .map(|f| {
                (
                    table.join(f.path().as_ref()),
                    f.num_records().map_or(-1, |n| n as i64),
                )
            })
            .collect();
        files.sort();
        files
    })
}

#[test]
fn twelve_loads_leave_a_checkpoint_in_every_table_that_delta_rs_reads_alone() {
    let w = Workdir::new();
    let (corpus, lake) = twelve_loads(&w);
    for t in all_tables() {
        let dir = lake.join(t);
        assert!(version(&lake, t) >= 11, "{t}: a version per load");
        let log = dir.join("_delta_log");
        assert!(
            log.join("00000000000000000009.checkpoint.parquet")
                .is_file(),
            "{t}: a checkpoint at version 9"
        );
        let last: Value =
            serde_json::from_str(&fs::read_to_string(log.join("_last_checkpoint")).unwrap())
                .unwrap();
        assert_eq!(last["version"], 9, "{t}: _last_checkpoint");
        // The table as delta-rs reads it from the checkpoint alone (the commits it
        // summarises deleted, in a copy) holds the files the JSON replay finds.
        let copy = w.path().join("copy").join(t);
        fs::create_dir_all(copy.join("_delta_log")).unwrap();
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                fs::copy(&p, copy.join(p.file_name().unwrap())).unwrap();
            }
        }
        for e in fs::read_dir(&log).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            let replayed =
                name.ends_with(".json") && name[..20].parse::<u64>().is_ok_and(|v| v <= 9);
            if !replayed {
                fs::copy(&p, copy.join("_delta_log").join(&name)).unwrap();
            }
        }
        let from_checkpoint: Vec<PathBuf> = delta_rs_files(&copy)
            .into_iter()
            .map(|(p, _)| dir.join(p.file_name().unwrap()))
            .collect();
        assert_eq!(from_checkpoint, live_files(&dir, None), "{t}");
    }
    // And the rows are a full rebuild's.
    let full = rebuilt(&w, &corpus, "full");
    assert_tables_equal(&lake, &full);
}

#[test]
fn maintain_refuses_a_short_retention_without_the_flag_and_a_missing_table() {
    let w = Workdir::new();
    let out = maintain(&w.path().join("nothing"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no pfocr-etl Delta table"), "{err}");
    assert!(
        !w.path().join("nothing").exists(),
        "maintain creates nothing"
    );

    let corpus = w.path().join("corpus");
    generate(&corpus, 20, 3);
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let out = maintain(&lake, &["--retain-hours", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-short-retention"), "{err}");
}

#[test]
fn maintain_compacts_vacuums_to_the_live_bytes_and_the_next_load_equals_a_full_rebuild() {
    let w = Workdir::new();
    let (corpus, lake) = twelve_loads(&w);
    let rows_before = all_rows(&lake);
    let figures = lake.join("figures");
    let files_before = live_files(&figures, None).len();
    let first_files = live_files(&figures, Some(0));
    let latest_before = version(&lake, "figures");
    assert!(files_before > 3, "small files piled up: {files_before}");
    let mut stored_before = 0;
    for t in all_tables() {
        stored_before += stored_bytes(&lake.join(t));
    }

    let out = maintain(
        &lake,
        &[
            "--retain-hours",
            "0",
            "--allow-short-retention",
            "--compact",
        ],
    );
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success());
    // Same rows, fewer files, every table within 1.5x its live bytes.
    assert_eq!(all_rows(&lake), rows_before);
    let files_after = live_files(&figures, None).len();
    assert!(
        files_after < files_before,
        "{files_before} -> {files_after}"
    );
    assert_eq!(
        summary["tables"]["figures"]["files_after"],
        files_after as u64
    );
    let (mut stored_after, mut live) = (0, 0);
    for t in all_tables() {
        let dir = lake.join(t);
        let (s, l) = (stored_bytes(&dir), live_bytes(&dir));
        assert!(
            s as f64 <= 1.5 * l as f64,
            "{t}: {s} bytes stored, {l} live"
        );
        assert!(
            dir.join("_delta_log").join("_last_checkpoint").is_file(),
            "{t}: checkpointed"
        );
        stored_after += s;
        live += l;
    }
    eprintln!("maintain: {stored_before} bytes stored before, {stored_after} after, {live} live");
    assert!(stored_after < stored_before);

    // Time travel: the first version's files are gone, and delta-rs says which.
    let gone: Vec<&PathBuf> = first_files.iter().filter(|p| !p.exists()).collect();
    assert!(!gone.is_empty(), "version 0 was vacuumed");
    let err = read_version(&figures, 0).unwrap_err();
    eprintln!("time travel to version 0: {err}");
    assert!(
        err.contains("not found") || err.contains("No such file"),
        "{err}"
    );
    // The version just before maintenance is retained (its files were live until then)
    // only if nothing compacted it; the latest version always reads.
    assert!(read_version(&figures, latest_before + 10).is_err());
    let latest = version(&lake, "figures");
    assert_eq!(
        read_version(&figures, latest).unwrap(),
        delta_rows(&lake, "figures", None).len()
    );

    // A load after the compaction rewrites the compacted files like its own.
    let records = full_records(&corpus);
    let f = &records[0];
    let text = fs::read_to_string(f).unwrap();
    fs::write(f, text.replacen("figtitle: ", "figtitle: After ", 1)).unwrap();
    fs::remove_file(&records[1]).unwrap();
    let s = load(&corpus, &lake, &[]);
    assert_eq!(s["full"], false);
    let full = rebuilt(&w, &corpus, "full");
    assert_tables_equal(&lake, &full);
}

/// Rows of `table` at `version` through delta-rs: its files read back; the error text if
/// a file is missing.
fn read_version(table: &Path, version: u64) -> Result<usize, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = url::Url::from_directory_path(table).unwrap();
        let mut t = deltalake::DeltaTableBuilder::from_url(url)
            .map_err(|e| e.to_string())?
            .build()
            .map_err(|e| e.to_string())?;
        t.load_version(version).await.map_err(|e| e.to_string())?;
        let store = t.object_store();
        let mut rows = 0;
        let paths: Vec<String> = t
            .snapshot()
            .map_err(|e| e.to_string())?
            .log_data()
            .into_iter()
            .map(|f| f.path().to_string())
            .collect();
        for p in paths {
            let bytes = object_store::ObjectStoreExt::get(
                store.as_ref(),
                &object_store::path::Path::from(p.as_str()),
            )
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
            for b in ParquetRecordBatchReaderBuilder::try_new(bytes)
                .unwrap()
                .build()
                .unwrap()
            {
                rows += b.unwrap().num_rows();
            }
        }
        Ok(rows)
    })
}

#[test]
fn with_the_default_retention_old_versions_stay_readable() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    generate(&corpus, 40, 5);
    let lake = w.path().join("lake");
    load(&corpus, &lake, &[]);
    let first = delta_rows(&lake, "figures", Some(0));
    for (i, f) in figure_files(&corpus).iter().take(3).enumerate() {
        let text = fs::read_to_string(f).unwrap();
        fs::write(
            f,
            text.replacen("figtitle: ", &format!("figtitle: V{i} "), 1),
        )
        .unwrap();
        load(&corpus, &lake, &[]);
    }
    let out = maintain(&lake, &["--compact"]);
    assert_ok(&out);
    let figures = lake.join("figures");
    assert!(live_files(&figures, Some(0)).iter().all(|p| p.exists()));
    assert_eq!(delta_rows(&lake, "figures", Some(0)), first);
    assert_eq!(read_version(&figures, 0).unwrap(), first.len());
}

#[test]
fn a_maintenance_racing_a_load_never_loses_a_row() {
    let w = Workdir::new();
    let (corpus, lake) = twelve_loads(&w);
    let records = full_records(&corpus);
    let mut lost = 0;
    for (round, f) in records.iter().take(3).enumerate() {
        let text = fs::read_to_string(f).unwrap();
        fs::write(
            f,
            text.replacen("figtitle: ", &format!("figtitle: Race{round} "), 1),
        )
        .unwrap();
        let loading = load_cmd(&corpus, &lake, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let maintaining = pfocr_etl()
            .args(["maintain", "--quiet", "--compact", "--table"])
            .arg(&lake)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for o in [
            loading.wait_with_output().unwrap(),
            maintaining.wait_with_output().unwrap(),
        ] {
            let err = String::from_utf8_lossy(&o.stderr);
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(5), "round {round}: {err}");
                assert!(err.contains("concurrent maintenance"), "{err}");
                lost += 1;
            }
        }
        // Whatever lost the race, the next load brings the tables to the corpus.
        load(&corpus, &lake, &[]);
        let full = rebuilt(&w, &corpus, &format!("full{round}"));
        assert_tables_equal(&lake, &full);
    }
    eprintln!("maintain racing a load: {lost} of 3 rounds had a loser (exit 5)");
}
