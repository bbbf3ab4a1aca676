//! What a run tells its user: a progress bar on a terminal, the end-of-run summary, and the
//! `_manifest.json` written last into the output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
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
        // read at a glance.
        let style = ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} records  {rate}  ETA {eta}",
        )
        .expect("static template")
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{} records/s", thousands(state.per_sec() as u64));
        });
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

    /// The human summary printed at the end of a run.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} inputs: {} converted, {} rejected in {:.2} s ({} records/s, {:.1} MB/s)\n",
            thousands(self.inputs),
            thousands(self.converted),
            thousands(self.rejected),
            self.total_seconds,
            thousands(self.records_per_second().round() as u64),
            self.input_bytes as f64 / 1e6 / self.total_seconds.max(1e-9),
        );
        if !self.rejects_by_kind.is_empty() {
            let kinds: Vec<String> = self
                .rejects_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {}", thousands(*n)))
                .collect();
            s.push_str(&format!("rejects: {}\n", kinds.join(", ")));
        }
        let rows: Vec<String> = Table::ALL
            .iter()
            .map(|t| format!("{} {}", t.name(), thousands(self.rows(*t))))
            .collect();
        s.push_str(&format!("rows: {}\n", rows.join(", ")));
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
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(26_079), "26,079");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
