//! `pfocr-etl export jsonl`: one JSON object per figure, for search indexes.
//!
//! Each line is a `figures` row — every column of the stored schema, in its order, so a
//! column added to the contract appears without code change — followed by `genes`,
//! `chemicals` and `diseases`: arrays of that figure's child rows (every column but
//! `figid`, in `ordinal` order). Lines are in `figid` order (byte order).
//!
//! Memory stays flat when the tables are stored in figid order, as a `convert` output of a
//! corpus whose file names are its figids is: the four tables are then read side by side,
//! batch by batch, and merge-joined on `figid`. A table stored in another order (a Delta
//! table after incremental loads, file names that sort unlike their figids) is first
//! written, one JSON fragment per figure, to a temporary spill file with an index of
//! figid → byte ranges, and read back from there in figid order: memory then grows with the
//! index (one figid and a range per figure), not with the rows.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use crate::arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, Int64Type};

use super::tables::{Scan, Tables};
use crate::error::{Error, Result};
use crate::schema::Table;

/// The child tables and the key each gets in a figure's object.
const CHILDREN: [(Table, &str); 3] = [
    (Table::FigureGenes, "genes"),
    (Table::FigureChemicals, "chemicals"),
    (Table::FigureDiseases, "diseases"),
];

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct JsonlSummary {
    /// Lines (figures) written.
    pub figures: u64,
    /// Tables that were not stored in figid order and went through a spill file.
    pub spilled: Vec<&'static str>,
}

/// Writes one JSON line per figure of `tables` to `out`, in figid order.
pub fn export_jsonl(tables: &Tables, out: &mut dyn Write) -> Result<JsonlSummary> {
    let mut summary = JsonlSummary::default();
    let mut children = Vec::with_capacity(CHILDREN.len());
    for (table, key) in CHILDREN {
        let source = if in_figid_order(tables, table, false)? {
            Children::Sorted(Box::new(SortedChildren::new(tables.scan(table, None))))
        } else {
            summary.spilled.push(table.name());
            Children::Spilled(SpilledChildren::new(tables.scan(table, None))?)
        };
        children.push((key, source));
    }
    let figures_sorted = in_figid_order(tables, Table::Figures, true)?;
    if !figures_sorted {
        summary.spilled.push(Table::Figures.name());
    }
    let io = |source| Error::Destination {
        path: PathBuf::from("-"),
        source,
    };
    let mut written = 0u64;
    let mut line = Vec::with_capacity(64 << 10);
    let mut emit = |figid: &str, head: &[u8], line: &mut Vec<u8>| -> Result<()> {
        line.clear();
        line.extend_from_slice(head);
        for (key, source) in children.iter_mut() {
            line.extend_from_slice(b",\"");
            line.extend_from_slice(key.as_bytes());
            line.extend_from_slice(b"\":");
            source.take(figid, line)?;
        }
        line.extend_from_slice(b"}\n");
        out.write_all(line).map_err(io)?;
        written += 1;
        Ok(())
    };
    if figures_sorted {
        each_figure(tables, |figid, head| emit(figid, head, &mut line))?;
    } else {
        let mut spill = SpillWriter::new()?;
        let mut index: Vec<(String, u64, u32)> = Vec::new();
        each_figure(tables, |figid, head| {
            let (offset, len) = spill.append(head)?;
            index.push((figid.to_owned(), offset, len));
            Ok(())
        })?;
        let mut head = Vec::new();
        index.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut spill = spill.finish()?;
        for (figid, offset, len) in &index {
            head.clear();
            spill.read_into(*offset, *len, &mut head)?;
            emit(figid, &head, &mut line)?;
        }
    }
    out.flush().map_err(io)?;
    summary.figures = written;
    summary.spilled.sort();
    Ok(summary)
}

/// Hands each figure row, in stored order, to `f` with its figid and its JSON object left
/// open (the child arrays follow).
fn each_figure(tables: &Tables, mut f: impl FnMut(&str, &[u8]) -> Result<()>) -> Result<()> {
    let mut head = Vec::new();
    for batch in tables.scan(Table::Figures, None) {
        let batch = batch?;
        let enc = RowEncoder::new(&batch, false)?;
        for r in 0..batch.num_rows() {
            head.clear();
            enc.encode_open(r, &mut head)?;
            f(enc.figid.value(r), &head)?;
        }
    }
    Ok(())
}

/// True when `table`'s figids never decrease in stored order (strictly increase when
/// `strict`). Reads only the figid column.
fn in_figid_order(tables: &Tables, table: Table, strict: bool) -> Result<bool> {
    let mut last: Option<String> = None;
    for batch in tables.scan(table, Some(&["figid"][..])) {
        let batch = batch?;
        let figids = figid_column(&batch)?;
        for r in 0..batch.num_rows() {
            let f = figids.value(r);
            if let Some(prev) = &last {
                let ord = prev.as_str().cmp(f);
                if ord.is_gt() || (strict && ord.is_eq()) {
                    return Ok(false);
                }
                if ord.is_eq() {
                    continue;
                }
            }
            last = Some(f.to_owned());
        }
    }
    Ok(true)
}

fn figid_column(batch: &RecordBatch) -> Result<StringArray> {
    let col = batch.column_by_name("figid").ok_or_else(|| Error::Source {
        path: "figid".into(),
        reason: "a table has no figid column".into(),
    })?;
    let figids = col.as_string_opt::<i32>().ok_or_else(|| Error::Source {
        path: "figid".into(),
        reason: "the figid column is not Utf8".into(),
    })?;
    if figids.null_count() > 0 {
        return Err(Error::Source {
            path: "figid".into(),
            reason: "the figid column holds NULLs".into(),
        });
    }
    Ok(figids.clone())
}

/// Where one child table's rows come from.
enum Children<'a> {
    Sorted(Box<SortedChildren<'a>>),
    Spilled(SpilledChildren),
}

impl Children<'_> {
    /// Appends the JSON array of `figid`'s rows. Calls come in increasing figid order.
    fn take(&mut self, figid: &str, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'[');
        match self {
            Children::Sorted(s) => s.take(figid, out)?,
            Children::Spilled(s) => s.take(figid, out)?,
        }
        out.push(b']');
        Ok(())
    }
}

/// A child table stored in figid order, read alongside the figures.
struct SortedChildren<'a> {
    scan: Scan<'a>,
    batch: Option<(RowEncoder, usize)>,
}

impl<'a> SortedChildren<'a> {
    fn new(scan: Scan<'a>) -> Self {
        SortedChildren { scan, batch: None }
    }

    fn take(&mut self, figid: &str, out: &mut Vec<u8>) -> Result<()> {
        let mut first = true;
        loop {
            let exhausted = match &self.batch {
                Some((enc, row)) => *row >= enc.rows,
                None => true,
            };
            if exhausted {
                match self.scan.next() {
                    Some(batch) => {
                        self.batch = Some((RowEncoder::new(&batch?, true)?, 0));
                        continue;
                    }
                    None => return Ok(()),
                }
            }
            let (enc, row) = self.batch.as_mut().expect("a batch with rows left");
            match enc.figid.value(*row).cmp(figid) {
                // A row of a figure that is not in `figures` (not written by convert/load).
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    enc.encode_open(*row, out)?;
                    out.push(b'}');
                }
                std::cmp::Ordering::Greater => return Ok(()),
            }
            *row += 1;
        }
    }
}

/// A child table in another order: its rows as JSON fragments in a spill file.
struct SpilledChildren {
    spill: SpillReader,
    /// figid → the byte ranges of its rows' objects (comma-separated within a range).
    index: HashMap<String, Vec<(u64, u32)>>,
}

impl SpilledChildren {
    fn new(scan: Scan<'_>) -> Result<Self> {
        let mut spill = SpillWriter::new()?;
        let mut index: HashMap<String, Vec<(u64, u32)>> = HashMap::new();
        let mut run: Vec<u8> = Vec::new();
        let mut run_figid: Option<String> = None;
        let mut flush = |figid: &str, run: &mut Vec<u8>, spill: &mut SpillWriter| -> Result<()> {
            let range = spill.append(run)?;
            index.entry(figid.to_owned()).or_default().push(range);
            run.clear();
            Ok(())
        };
        for batch in scan {
            let enc = RowEncoder::new(&batch?, true)?;
            for r in 0..enc.rows {
                let f = enc.figid.value(r);
                match &run_figid {
                    Some(cur) if cur == f => run.push(b','),
                    Some(cur) => {
                        flush(cur, &mut run, &mut spill)?;
                        run_figid = Some(f.to_owned());
                    }
                    None => run_figid = Some(f.to_owned()),
                }
                enc.encode_open(r, &mut run)?;
                run.push(b'}');
            }
        }
        if let Some(cur) = &run_figid {
            flush(cur, &mut run, &mut spill)?;
        }
        Ok(SpilledChildren {
            spill: spill.finish()?,
            index,
        })
    }

    fn take(&mut self, figid: &str, out: &mut Vec<u8>) -> Result<()> {
        let Some(ranges) = self.index.remove(figid) else {
            return Ok(());
        };
        for (i, (offset, len)) in ranges.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.spill.read_into(offset, len, out)?;
        }
        Ok(())
    }
}

/// Encodes the rows of one batch as JSON objects.
struct RowEncoder {
    rows: usize,
    figid: StringArray,
    /// `"name":` (escaped) and the column, for every column written.
    columns: Vec<(Vec<u8>, ArrayRef)>,
}

impl RowEncoder {
    /// An encoder of `batch`'s columns (without `figid` when `skip_figid`).
    fn new(batch: &RecordBatch, skip_figid: bool) -> Result<Self> {
        let figid = figid_column(batch)?;
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
            if skip_figid && field.name() == "figid" {
                continue;
            }
            check_type(field.name(), col.data_type())?;
            let mut key = Vec::with_capacity(field.name().len() + 3);
            json_str(&mut key, field.name());
            key.push(b':');
            columns.push((key, col.clone()));
        }
        Ok(RowEncoder {
            rows: batch.num_rows(),
            figid,
            columns,
        })
    }

    /// Appends `{"a":1,"b":"x"` — the object of row `r` without its closing brace.
    fn encode_open(&self, r: usize, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'{');
        for (i, (key, col)) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            value(col.as_ref(), r, out);
        }
        Ok(())
    }
}

/// The column types the writer knows (those of the contract); others are refused up front.
fn check_type(name: &str, ty: &DataType) -> Result<()> {
    let ok = match ty {
        DataType::Utf8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float64 => true,
        DataType::List(item) => item.data_type() == &DataType::Utf8,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Source {
            path: name.into(),
            reason: format!("column '{name}' has type {ty}, which export jsonl does not write"),
        })
    }
}

/// Appends the JSON value of cell `r` (types checked by [`check_type`]).
fn value(a: &dyn Array, r: usize, out: &mut Vec<u8>) {
    if a.is_null(r) {
        out.extend_from_slice(b"null");
        return;
    }
    match a.data_type() {
        DataType::Utf8 => json_str(out, a.as_string::<i32>().value(r)),
        DataType::Int16 => number(out, a.as_primitive::<Int16Type>().value(r)),
        DataType::Int32 => number(out, a.as_primitive::<Int32Type>().value(r)),
        DataType::Int64 => number(out, a.as_primitive::<Int64Type>().value(r)),
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().value(r);
            // NaN and infinities have no JSON form.
            serde_json::to_writer(&mut *out, &v).expect("writing to a Vec");
        }
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(r);
            out.push(b'[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push(b',');
                }
                value(items.as_ref(), i, out);
            }
            out.push(b']');
        }
        _ => out.extend_from_slice(b"null"),
    }
}

fn number(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    write!(out, "{v}").expect("writing to a Vec");
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing to a Vec");
}

/// A temporary file of JSON fragments, removed when dropped.
struct SpillWriter {
    file: BufWriter<File>,
    path: TempPath,
    len: u64,
}

impl SpillWriter {
    fn new() -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "pfocr-etl-spill-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| Error::Destination {
                path: path.clone(),
                source,
            })?;
        Ok(SpillWriter {
            file: BufWriter::with_capacity(1 << 20, file),
            path: TempPath(path),
            len: 0,
        })
    }

    /// Appends `bytes`, returning where they are.
    fn append(&mut self, bytes: &[u8]) -> Result<(u64, u32)> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| Error::Internal("a figure's JSON is larger than 4 GiB".into()))?;
        self.file
            .write_all(bytes)
            .map_err(|source| Error::Destination {
                path: self.path.0.clone(),
                source,
            })?;
        let offset = self.len;
        self.len += u64::from(len);
        Ok((offset, len))
    }

    fn finish(self) -> Result<SpillReader> {
        let SpillWriter { file, path, .. } = self;
        let file = file.into_inner().map_err(|e| Error::Destination {
            path: path.0.clone(),
            source: e.into_error(),
        })?;
        Ok(SpillReader { file, path })
    }
}

/// A temporary file's path: the file is removed when this is dropped.
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The spill file, read back by byte range.
struct SpillReader {
    file: File,
    path: TempPath,
}

impl SpillReader {
    fn read_into(&mut self, offset: u64, len: u32, out: &mut Vec<u8>) -> Result<()> {
        let path = &self.path.0;
        let io = |source| Error::Destination {
            path: path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        let start = out.len();
        out.resize(start + len as usize, 0);
        self.file.read_exact(&mut out[start..]).map_err(io)
    }
}
