//! What a run tells its user: a progress bar on a terminal, the end-of-run summary, and the
//! `_manifest.json` written last into the output.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::Serialize;

use crate::options::ConvertOptions;
use crate::schema::{Table, SCHEMA_VERSION};
use crate::write::TableOutput;

/// A progress bar on stderr, drawn only when stderr is a terminal and progress is wanted.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar over `total` records (nothing is drawn when `enabled` is false or stderr is not a
    /// terminal).
    pub fn new(total: u64, enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        // indicatif's own `{per_sec}` prints `26079.0122/s`; whole records with separators
        // read at a glance. The bar takes what the text leaves of the terminal's width (a
        // fixed 40 made the line 90 columns, wrapped on an 80-column terminal).
        let style = ProgressStyle::with_template(
            "{wide_bar} {human_pos}/{human_len} records  {rate}  ETA {eta}",
        )
        .expect("static template")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{} records/s", thousands(state.per_sec() as u64));
            },
        );
        bar.set_style(style);
        Progress(Some(bar))
    }

    /// Adds `n` finished records.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// `n` with a comma between thousands (`26079` → `26,079`), as people read counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Columns of a summary line.
const SUMMARY_WIDTH: usize = 80;

/// `label` and `items` joined by ", ", broken after a comma into lines of at most
/// [`SUMMARY_WIDTH`] columns, continuation lines indented under the first item.
fn labelled_list(label: &str, items: &[String]) -> String {
    let indent = " ".repeat(label.len());
    let mut out = label.to_owned();
    let mut used = label.len();
    for (i, item) in items.iter().enumerate() {
        let comma = usize::from(i + 1 < items.len());
        if i > 0 {
            if used + 1 + item.len() + comma > SUMMARY_WIDTH {
                out.push('\n');
                out.push_str(&indent);
                used = indent.len();
            } else {
                out.push(' ');
                used += 1;
            }
        }
        out.push_str(item);
        used += item.len();
        if comma == 1 {
            out.push(',');
            used += 1;
        }
    }
    out.push('\n');
    out
}

/// The outcome of a run: counts, rows per table, timings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Figure files found (converted + rejected).
    pub inputs: u64,
    pub converted: u64,
    /// Figure files rejected.
    pub rejected: u64,
    /// Every reject row by kind, including unused TSVs (`orphan_table`, `conflicting_table`).
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Rows and files per table, by table name.
    pub tables: BTreeMap<String, TableOutput>,
    /// Files of `_data` that are neither entity TSVs nor map files (not inputs), sorted.
    pub ignored_files: Vec<String>,
    /// Bytes of figure and TSV files read.
    pub input_bytes: u64,
    /// Seconds spent listing the corpus.
    pub discover_seconds: f64,
    /// Seconds for the whole run.
    pub total_seconds: f64,
}

impl Summary {
    /// The counts of a finished merge over `inputs` figure files.
    pub fn new(inputs: u64, merged: &crate::merge::Merged) -> Self {
        let mut s = Summary {
            inputs,
            converted: merged.converted,
            rejected: merged.rejected,
            input_bytes: merged.bytes_read,
            ..Summary::default()
        };
        for r in &merged.rejects {
            *s.rejects_by_kind
                .entry(r.kind.as_str().to_owned())
                .or_default() += 1;
        }
        debug_assert_eq!(s.inputs, s.converted + s.rejected);
        s
    }

    /// Rows of `table`.
    pub fn rows(&self, table: Table) -> u64 {
        self.tables.get(table.name()).map_or(0, |t| t.rows)
    }

    /// Figure files per second.
    pub fn records_per_second(&self) -> f64 {
        self.inputs as f64 / self.total_seconds.max(1e-9)
    }

    /// The human summary printed at the end of a run, in lines of at most 80 columns (a
    /// list that does not fit goes on, indented, on the next line).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} inputs: {} converted, {} rejected\n",
            thousands(self.inputs),
            thousands(self.converted),
            thousands(self.rejected),
        );
        s.push_str(&format!(
            "time: {:.2} s ({} records/s, {:.1} MB/s)\n",
            self.total_seconds,
            thousands(self.records_per_second().round() as u64),
            self.input_bytes as f64 / 1e6 / self.total_seconds.max(1e-9),
        ));
        if !self.rejects_by_kind.is_empty() {
            let kinds: Vec<String> = self
                .rejects_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {}", thousands(*n)))
                .collect();
            s.push_str(&labelled_list("rejects: ", &kinds));
        }
        let rows: Vec<String> = Table::ALL
            .iter()
            .map(|t| format!("{} {}", t.name(), thousands(self.rows(*t))))
            .collect();
        s.push_str(&labelled_list("rows: ", &rows));
        if !self.ignored_files.is_empty() {
            s.push_str(&format!(
                "ignored: {} other file(s) in _data, not inputs (listed in _manifest.json)\n",
                self.ignored_files.len()
            ));
        }
        s
    }

    /// Sets the timing fields.
    pub fn set_times(&mut self, discover: Duration, total: Duration) {
        self.discover_seconds = discover.as_secs_f64();
        self.total_seconds = total.as_secs_f64();
    }
}

/// The `_manifest.json` document.
#[derive(Debug, Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    tool_version: &'static str,
    schema_version: u32,
    input_root: String,
    options: &'a ConvertOptions,
    inputs: u64,
    converted: u64,
    rejected: u64,
    rejects_by_kind: &'a BTreeMap<String, u64>,
    /// Files of `_data` that are no input (neither entity TSVs nor maps).
    ignored_files: &'a [String],
    tables: BTreeMap<&'static str, &'a TableOutput>,
    input_bytes: u64,
    durations: BTreeMap<&'static str, f64>,
}

/// Renders the manifest of a finished run.
pub fn manifest_json(summary: &Summary, opts: &ConvertOptions) -> String {
    let root = std::fs::canonicalize(&opts.input).unwrap_or_else(|_| opts.input.clone());
    let m = Manifest {
        tool: "pfocr-etl",
        tool_version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        input_root: root.display().to_string(),
        options: opts,
        inputs: summary.inputs,
        converted: summary.converted,
        rejected: summary.rejected,
        rejects_by_kind: &summary.rejects_by_kind,
        ignored_files: &summary.ignored_files,
        tables: Table::ALL
            .iter()
            .filter_map(|t| summary.tables.get(t.name()).map(|o| (t.name(), o)))
            .collect(),
        input_bytes: summary.input_bytes,
        durations: BTreeMap::from([
            ("discover_seconds", summary.discover_seconds),
            ("total_seconds", summary.total_seconds),
        ]),
    };
    serde_json::to_string_pretty(&m).expect("the manifest serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::{labelled_list, thousands, Summary};

    #[test]
    fn the_summary_fits_80_columns() {
        let mut s = Summary {
            inputs: 1_234_567,
            converted: 1_234_000,
            rejected: 567,
            total_seconds: 61.5,
            input_bytes: 9_000_000_000,
            ..Summary::default()
        };
        for kind in [
            "bad_tsv",
            "bad_value",
            "conflicting_table",
            "duplicate_figid",
            "yaml",
        ] {
            s.rejects_by_kind.insert(kind.into(), 123_456);
        }
        let text = s.to_text();
        assert!(text.starts_with("1,234,567 inputs: 1,234,000 converted, 567 rejected\n"));
        assert!(
            text.contains("time: 61.50 s (20,074 records/s, 146.3 MB/s)\n"),
            "{text}"
        );
        for line in text.lines() {
            assert!(line.len() <= 80, "{line}");
        }
        let list = labelled_list("rows: ", &["a 1".into(), "b 2".into()]);
        assert_eq!(list, "rows: a 1, b 2\n");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(26_079), "26,079");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
