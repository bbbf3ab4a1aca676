//! Test helpers: a temporary work directory, the real binary, and Parquet read back as JSON
//! values (so assertions compare plain values, whatever the Arrow type).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory holding a corpus and outputs.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `rel` under the work directory, creating folders.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let p = self.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, contents).unwrap();
        self
    }

    /// Writes a figure file `corpus/_figures/<name>.md` with the given front matter lines.
    pub fn figure(&self, name: &str, front_matter: &str) -> &Self {
        self.write(
            &format!("corpus/_figures/{name}.md"),
            format!("---\n{front_matter}---\n"),
        )
    }

    /// Writes `corpus/_data/<name>` (a TSV).
    pub fn tsv(&self, name: &str, text: &str) -> &Self {
        self.write(&format!("corpus/_data/{name}"), text)
    }

    pub fn corpus(&self) -> PathBuf {
        self.path().join("corpus")
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Runs `pfocr-etl convert corpus --out out <args>`.
    pub fn convert(&self, args: &[&str]) -> Output {
        let mut cmd = pfocr_etl();
        cmd.arg("convert")
            .arg(self.corpus())
            .arg("--out")
            .arg(self.out())
            .args(args);
        cmd.output().expect("the binary runs")
    }
}

/// True under CI (`CI=true`), where every prerequisite of a test must be there.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A test cannot run here (`why`: no `../shared`, mounting not permitted): under CI that
/// fails the test, elsewhere it is skipped with the reason printed. Call and `return`.
pub fn missing_prerequisite(test: &str, why: &str) {
    assert!(
        !in_ci(),
        "{test}: {why}; under CI=true a missing prerequisite fails the run"
    );
    eprintln!("SKIPPED {test}: {why}");
}

/// The binary under test.
pub fn pfocr_etl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pfocr-etl"))
}

/// Asserts a successful run and returns its stderr.
pub fn assert_ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "exit {:?}\n{err}", out.status.code());
    err
}

/// Reads every part file of `table` under `out` as batches.
pub fn batches(out: &Path, table: &str) -> Vec<RecordBatch> {
    let mut files: Vec<_> = fs::read_dir(out.join(table))
        .unwrap_or_else(|e| panic!("{}/{table}: {e}", out.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            ParquetRecordBatchReaderBuilder::try_new(fs::File::open(f).unwrap())
                .unwrap()
                .build()
                .unwrap()
                .map(|b| b.unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reads `table` under `out` as rows of JSON values keyed by column name.
pub fn rows(out: &Path, table: &str) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for b in batches(out, table) {
        for r in 0..b.num_rows() {
            let mut m = Map::new();
            for (f, col) in b.schema().fields().iter().zip(b.columns()) {
                m.insert(f.name().clone(), value(col.as_ref(), r));
            }
            rows.push(m);
        }
    }
    rows
}

/// One cell as a JSON value.
pub fn value(a: &dyn Array, r: usize) -> Value {
    if a.is_null(r) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => Value::from(a.as_string::<i32>().value(r)),
        DataType::Boolean => Value::from(a.as_boolean().value(r)),
        DataType::Int16 => Value::from(a.as_primitive::<Int16Type>().value(r)),
        DataType::Int32 => Value::from(a.as_primitive::<Int32Type>().value(r)),
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(r)),
        DataType::Float64 => Value::from(a.as_primitive::<Float64Type>().value(r)),
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(r);
            Value::Array((0..items.len()).map(|i| value(items.as_ref(), i)).collect())
        }
        other => panic!("unexpected type {other}"),
    }
}

/// The manifest as JSON.
pub fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join("_manifest.json")).expect("manifest written"))
        .unwrap()
}

/// Every file under `dir` (relative path → bytes), for byte-for-byte comparisons.
pub fn parquet_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "parquet") {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            files.push((rel, fs::read(e.path()).unwrap()));
        }
    }
    files
}
