//! `pfocr-etl check`: validate a corpus for curators, writing no output.
//!
//! The run is the one `convert` does ([`decode_corpus`] over every figure file, the same
//! decoders, the same merge), into a sink that drops the batches: what `check` reports is
//! exactly what `convert` would put in `rejects`. Each reject is printed in one of three
//! formats ([`CheckFormat`]): compiler-style lines for terminals and editors, GitHub Actions
//! workflow commands (annotations on the pull request), or JSON lines for other tools.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::arrow::record_batch::RecordBatch;

use crate::convert::{decode_corpus, Selection, Sink, TableSink};
use crate::discover::discover;
use crate::error::{Reject, Result};
use crate::options::RunOptions;
use crate::report::{thousands, Summary};
use crate::schema::Table;

/// How `check` prints each reject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// `path:line:col: kind: message` (line, col when known).
    #[default]
    Text,
    /// GitHub Actions annotations (`::error file=…,line=…::msg`).
    Github,
    /// One JSON object per reject.
    Json,
}

/// What a check found: the run's counts and every reject, sorted as in `rejects`.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub summary: Summary,
    pub rejects: Vec<Reject>,
}

impl CheckReport {
    /// True when every figure file converts and no TSV is left unused.
    pub fn is_clean(&self) -> bool {
        self.rejects.is_empty()
    }
}

/// A sink that keeps nothing: the batches are built (the decoders are those of `convert`)
/// and dropped.
struct Discard;

impl TableSink for Discard {
    fn write(&mut self, _batch: &RecordBatch) -> Result<()> {
        Ok(())
    }
}

impl Sink for Discard {
    fn tables(&mut self) -> Vec<Box<dyn TableSink + Send + '_>> {
        Table::ALL
            .iter()
            .map(|_| Box::new(Discard) as Box<dyn TableSink + Send>)
            .collect()
    }
}

/// `pfocr-etl check` arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The corpus root, holding _figures/ and _data/.
    pub corpus: PathBuf,
    /// How to print each reject.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    #[command(flatten)]
    pub settings: crate::options::Settings,
    /// No summary line on stderr (rejects are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `check`: prints every reject on stdout and a summary on stderr, and returns the
/// report (the command line exits with status 0 when it is clean, 1 otherwise).
pub fn run(args: CheckArgs) -> anyhow::Result<CheckReport> {
    let mut opts = RunOptions::from_settings(&args.settings)?;
    opts.progress = !args.quiet;
    let report = check(&args.corpus, &opts)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_rejects(&report, &args.corpus, args.format, &mut out)?;
    out.flush()?;
    if !args.quiet {
        let s = &report.summary;
        eprintln!(
            "{} inputs: {} converted, {} rejected; {} reject rows in {:.2} s",
            thousands(s.inputs),
            thousands(s.converted),
            thousands(s.rejected),
            thousands(report.rejects.len() as u64),
            s.total_seconds
        );
    }
    Ok(report)
}

/// Decodes the corpus at `input` as `convert` would with `opts`, and returns its rejects.
/// Nothing is written.
pub fn check(input: &Path, opts: &RunOptions) -> Result<CheckReport> {
    let started = std::time::Instant::now();
    let mut corpus = discover(input)?;
    let discovered = started.elapsed();
    let inputs = corpus.inputs() as u64;
    let merged = decode_corpus(&mut corpus, Selection::All, opts, &mut Discard)?;
    let mut summary = Summary::new(inputs, &merged);
    summary.set_times(discovered, started.elapsed());
    Ok(CheckReport {
        summary,
        rejects: merged.rejects,
    })
}

/// Writes every reject of `report` to `out` in `format`. Paths are the corpus directory as
/// given (`corpus`) joined with the reject's `source_path`, so they open from where `check`
/// ran (a leading `./` is dropped: in a repository checked out at the working directory,
/// GitHub matches annotations to files by their path from the repository root).
pub fn write_rejects(
    report: &CheckReport,
    corpus: &Path,
    format: CheckFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for r in &report.rejects {
        let path = display_path(corpus, &r.source_path);
        match format {
            CheckFormat::Text => writeln!(out, "{}", text_line(&path, r))?,
            CheckFormat::Github => writeln!(out, "{}", github_line(&path, r))?,
            CheckFormat::Json => writeln!(out, "{}", json_line(&path, r))?,
        }
    }
    out.flush()
}

/// `corpus/source_path` as a forward-slash path without a leading `./`.
pub fn display_path(corpus: &Path, source_path: &str) -> String {
    let joined: PathBuf = corpus.join(source_path);
    let s = joined.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_owned()
}

/// `path:line:column: kind: message`, leaving out the line and column when unknown.
pub fn text_line(path: &str, r: &Reject) -> String {
    let mut s = path.to_owned();
    if let Some(line) = r.line {
        s.push_str(&format!(":{line}"));
        if let Some(col) = r.column {
            s.push_str(&format!(":{col}"));
        }
    }
    format!("{s}: {}: {}", r.kind, one_line(r.detail()))
}

/// A GitHub Actions `::error` workflow command for the reject.
pub fn github_line(path: &str, r: &Reject) -> String {
    let mut props = format!("file={}", escape_property(path));
    if let Some(line) = r.line {
        props.push_str(&format!(",line={line}"));
        if let Some(col) = r.column {
            props.push_str(&format!(",col={col}"));
        }
    }
    props.push_str(&format!(
        ",title={}",
        escape_property(&format!("pfocr {}", r.kind))
    ));
    format!("::error {props}::{}", escape_data(r.detail()))
}

/// One JSON object: path, source_path, line, column, field, kind, message.
pub fn json_line(path: &str, r: &Reject) -> String {
    serde_json::json!({
        "path": path,
        "source_path": r.source_path,
        "line": r.line,
        "column": r.column,
        "field": r.field,
        "kind": r.kind.as_str(),
        "message": r.detail(),
    })
    .to_string()
}

/// The message of a workflow command: GitHub's runner decodes `%25`, `%0D` and `%0A`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command: as data, plus `:` and `,`, which end a value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A message on one line (a YAML error can quote a line break).
fn one_line(s: &str) -> String {
    s.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Problem, RejectKind};

    fn reject() -> Reject {
        Problem::new(
            RejectKind::BadValue,
            "expected a whole number, found '5%,x:y'",
        )
        .at(7, 9)
        .in_field("year")
        .into_reject("_figures/a,b.md")
    }

    #[test]
    fn text_line_has_position_kind_and_message_once() {
        let r = reject();
        assert_eq!(
            text_line("corpus/_figures/a,b.md", &r),
            "corpus/_figures/a,b.md:7:9: bad_value: field 'year': expected a whole number, found '5%,x:y'"
        );
        let mut r = r;
        r.column = None;
        r.message = "_figures/a,b.md, line 7: x".into();
        assert_eq!(text_line("p", &r), "p:7: bad_value: x");
        r.line = None;
        r.message = "_figures/a,b.md: y\nz".into();
        assert_eq!(text_line("p", &r), "p: bad_value: y z");
    }

    #[test]
    fn github_line_escapes_properties_and_data() {
        let mut r = reject();
        r.message.push_str("\r\nnext");
        assert_eq!(
            github_line("c:/_figures/a,b.md", &r),
            "::error file=c%3A/_figures/a%2Cb.md,line=7,col=9,title=pfocr bad_value::\
             field 'year': expected a whole number, found '5%25,x:y'%0D%0Anext"
        );
    }

    #[test]
    fn json_line_round_trips() {
        let v: serde_json::Value = serde_json::from_str(&json_line("p", &reject())).unwrap();
        assert_eq!(v["line"], 7);
        assert_eq!(v["column"], 9);
        assert_eq!(v["field"], "year");
        assert_eq!(v["kind"], "bad_value");
        assert_eq!(v["source_path"], "_figures/a,b.md");
        assert_eq!(
            v["message"],
            "field 'year': expected a whole number, found '5%,x:y'"
        );
    }

    #[test]
    fn display_path_drops_dot_slash() {
        assert_eq!(
            display_path(Path::new("."), "_figures/x.md"),
            "_figures/x.md"
        );
        assert_eq!(
            display_path(Path::new("db"), "_figures/x.md"),
            "db/_figures/x.md"
        );
    }
}
