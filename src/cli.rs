//! The command line: clap arguments → the options of `crate::options` (the same builders
//! pipeline files use) → a run → an [`Outcome`] → one exit status ([`exit_status`], the
//! only place that maps results and errors to statuses).
//!
//! Help texts are written for an 80-column terminal: every subcommand ends its `--help`
//! with an "Examples:" block and the exit statuses.

#[cfg(feature = "delta")]
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "dev")]
use crate::dev::{generate, parse_floor, FloorParser, GenerateOptions};
use crate::error::Error;
use crate::options::{ConvertOptions, Settings};
#[cfg(feature = "delta")]
use crate::options::{LoadSettings, StorageArgs};
use crate::{convert, pipeline};

/// The exit statuses as text, a literal for `concat!` (see [`EXIT_STATUS_HELP`]).
macro_rules! exit_status_help {
    () => {
        "Exit status:
  0  success (rejected records, if any, are in the rejects table)
  1  more figure files were rejected than --max-rejects allows (the output is
     still written); for check: something was rejected
  2  usage error or any other failure
  3  the corpus (or the convert output to export) cannot be read
  4  the output cannot be written (permissions, disk full, another run holds it)
  5  load, maintain: another load of the same table and shard committed first,
     or a load and a maintain replaced the same files and the other committed
     first"
    };
}

/// The exit statuses, as the top-level `--help` and the README's "Exit status" table list
/// them; [`exit_status`] is the mapping.
pub const EXIT_STATUS_HELP: &str = exit_status_help!();

/// Convert the Pathway Figure OCR (PFOCR) corpus into analytics-ready Parquet tables
/// (and, built with the `delta` feature, Delta Lake tables).
#[derive(Debug, Parser)]
#[command(
    name = "pfocr-etl",
    version,
    after_help = concat!(
        "Examples:\n",
        "  pfocr-etl convert pfocr-database --out pfocr-parquet\n",
        "  pfocr-etl run pipelines/sample.yaml\n",
        "  pfocr-etl check pfocr-database\n",
        "  pfocr-etl <COMMAND> --help      # options and examples of one command\n\n",
        exit_status_help!()
    )
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a corpus directory (_figures/*.md + _data/*.tsv) into Parquet tables.
    #[command(after_help = concat!(
        "Examples:\n",
        "  pfocr-etl convert pfocr-database --out pfocr-parquet\n",
        "  pfocr-etl convert pfocr-database -o pfocr-parquet --threads 4 --max-rejects 50\n\n",
        "Writes <OUT>/{figures,figure_genes,figure_chemicals,figure_diseases,rejects}/\n",
        "part-*.parquet and <OUT>/_manifest.json. The previous output is replaced only\n",
        "when the new one is complete.\n\n",
        "Exit status: 0 success, 1 more rejects than --max-rejects (output written),\n",
        "2 usage or other error, 3 corpus unreadable, 4 output unwritable."
    ))]
    Convert {
        /// The corpus root, holding _figures/ and _data/.
        corpus: PathBuf,
        /// The output directory.
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        settings: Settings,
        /// Print nothing but errors (no progress bar, no summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a synthetic PFOCR-shaped corpus (both generations, with TSVs) for benchmarks.
    #[cfg(feature = "dev")]
    #[command(after_help = concat!(
        "Example:\n",
        "  pfocr-etl generate --count 20000 --seed 1 --out /tmp/corpus20k\n\n",
        "The same count and seed always give byte-identical files; record i does not\n",
        "depend on --count."
    ))]
    Generate {
        /// Number of figure records.
        #[arg(long)]
        count: usize,
        /// Seed of the pseudo-random generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The corpus directory to write (_figures/ and _data/ are created in it).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Measure the parse floor: read every file and parse each front matter, nothing else.
    #[cfg(feature = "dev")]
    #[command(hide = true)]
    ParseFloor {
        /// The corpus root.
        corpus: PathBuf,
        #[arg(long, short = 'j', default_value_t = 2)]
        threads: usize,
        /// Which parser to run.
        #[arg(long, value_enum, default_value_t = FloorParser::Shipped)]
        parser: FloorParser,
    },
    /// Load a corpus into Delta Lake tables, incrementally (only what changed since the
    /// last load).
    #[cfg(feature = "delta")]
    #[command(after_help = concat!(
        "Examples:\n",
        "  pfocr-etl load pfocr-database --table /data/lake/pfocr\n",
        "  pfocr-etl load pfocr-database --table s3://bucket/pfocr --shard 2/4 \\\n",
        "      --storage-option AWS_REGION=eu-west-1 --summary-json -\n\n",
        "Writes <TABLE>/{figures,figure_genes,figure_chemicals,figure_diseases,rejects}/\n",
        "as Delta tables, and <TABLE>/_pfocr_sources/, the state that makes the next\n",
        "load incremental. Each table gets one commit per load (none when nothing\n",
        "changed). Object store credentials and endpoints come from the usual\n",
        "environment variables (AWS_*, GOOGLE_*, AZURE_*) and --storage-option.\n\n",
        "Exit status: 0 success, 1 more rejects than --max-rejects (tables written),\n",
        "2 usage or other error, 3 corpus unreadable, 4 tables unwritable, 5 another\n",
        "load of the same shard (or a maintain) committed first."
    ))]
    Load {
        /// The corpus root, holding _figures/ and _data/.
        corpus: PathBuf,
        #[command(flatten)]
        load: LoadSettings,
        #[command(flatten)]
        settings: Settings,
        /// Print nothing but errors (no progress bar, no summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a corpus as convert would decode it, writing nothing: one line per reject.
    #[command(after_help = concat!(
        "Examples:\n",
        "  pfocr-etl check pfocr-database\n",
        "  pfocr-etl check . --format github   # annotations in a GitHub Actions run\n\n",
        "Exit status: 0 every figure file converts and every TSV is used, 1 something\n",
        "was rejected, 2 usage or other error, 3 corpus unreadable."
    ))]
    Check(crate::check::CheckArgs),
    /// Export converted tables: GMT gene sets per organism, or JSON lines per figure.
    #[command(
        subcommand,
        after_help = concat!(
            "Examples:\n",
            "  pfocr-etl export gmt pfocr-parquet --out gmt/ --release 20240510\n",
            "  pfocr-etl export jsonl /data/lake/pfocr --out figures.jsonl"
        )
    )]
    Export(crate::export::ExportCommand),
    /// Keep the Delta tables of `load` healthy: compact small files, vacuum removed
    /// ones, write a checkpoint.
    #[cfg(feature = "delta")]
    #[command(after_help = concat!(
        "Examples:\n",
        "  pfocr-etl maintain --table /data/lake/pfocr --compact\n",
        "  pfocr-etl maintain --table s3://bucket/pfocr --retain-hours 0 \\\n",
        "      --allow-short-retention --storage-option AWS_REGION=eu-west-1\n",
        "  # weekly, from cron:\n",
        "  0 4 * * 0 pfocr-etl maintain --table /data/lake/pfocr --compact --quiet\n\n",
        "Works on every table under <TABLE> that `load` writes. Files removed by a\n",
        "commit more than --retain-hours ago are deleted (never a file no commit\n",
        "mentions, so a running load is safe); with --compact each shard's small files\n",
        "are merged first. A load may run at the same time: if both replace a same\n",
        "file, the one that commits second stops (status 5) and nothing is lost.\n\n",
        "Exit status: 0 success, 2 usage or other error, 4 tables unwritable, 5 a load\n",
        "replaced the same files and committed first."
    ))]
    Maintain {
        #[command(flatten)]
        args: MaintainArgs,
        /// Print nothing but errors (no summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a pipeline file: a conversion or a load, with its input, output and options
    /// in YAML.
    #[command(after_help = concat!(
        "Examples:\n",
        "  pfocr-etl run pipelines/sample.yaml    # convert data/sample to out/sample\n",
        "  pfocr-etl run pipelines/nightly.yaml   # incremental load into Delta tables\n\n",
        "Relative paths in the file are relative to the file. Exit statuses are those of\n",
        "convert or load."
    ))]
    Run {
        /// The pipeline file, e.g. pipelines/sample.yaml.
        pipeline: PathBuf,
        /// Print nothing but errors (no progress bar, no summary).
        #[arg(long, short)]
        quiet: bool,
    },
}

/// Columns the help is laid out for: a plain terminal.
pub const HELP_WIDTH: usize = 80;
/// Where clap starts an option's description in the next-line layout.
const HELP_INDENT: usize = 10;

/// The command line as parsed and as `--help` shows it: [`Args`], with every description
/// on the line after its option and wrapped to [`HELP_WIDTH`] columns. (clap wraps help
/// only with its `wrap_help` feature, which needs one more crate; the texts are wrapped
/// here instead.)
pub fn command() -> clap::Command {
    fit_help(<Args as clap::CommandFactory>::command(), HELP_WIDTH)
}

/// Parses the process arguments with [`command`]; on a usage error (or `--help`) it prints
/// and exits as clap does (status 2, or 0 after help).
pub fn parse() -> Args {
    use clap::FromArgMatches;
    Args::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}

/// `cmd` and its subcommands with next-line help and descriptions wrapped to `width`.
fn fit_help(cmd: clap::Command, width: usize) -> clap::Command {
    let wrap_about = |cmd: clap::Command| {
        let about = cmd
            .get_about()
            .map(|a| wrap(&a.to_string(), width - HELP_INDENT));
        let long = cmd.get_long_about().map(|a| wrap(&a.to_string(), width));
        let cmd = match about {
            Some(a) => cmd.about(a),
            None => cmd,
        };
        match long {
            Some(a) => cmd.long_about(a),
            None => cmd,
        }
    };
    let cmd = wrap_about(cmd).next_line_help(true).mut_args(|arg| {
        // The default goes into the text, so that it is wrapped with it.
        let default = default_text(&arg);
        let with_default = |h: Option<&clap::builder::StyledStr>| match (h, &default) {
            (Some(h), Some(d)) => Some(format!("{h} {d}")),
            (Some(h), None) => Some(h.to_string()),
            (None, d) => d.clone(),
        };
        // `-h` puts "[possible values: ..]" after the text, on its last line.
        let tail = possible_values_len(&arg);
        let help = with_default(arg.get_help()).map(|h| wrap_before(&h, width - HELP_INDENT, tail));
        let long = arg.get_long_help().map(|h| {
            wrap(
                &with_default(Some(h)).unwrap_or_default(),
                width - HELP_INDENT,
            )
        });
        let hide = arg.is_hide_default_value_set() || default.is_some();
        let arg = arg.hide_default_value(hide);
        let arg = match help {
            Some(h) => arg.help(h),
            None => arg,
        };
        match long {
            Some(h) => arg.long_help(h),
            None => arg,
        }
    });
    cmd.mut_subcommands(|sub| fit_help(sub, width))
}

/// `[default: V]` for an option that takes a value and shows its default.
fn default_text(arg: &clap::Arg) -> Option<String> {
    let defaults = arg.get_default_values();
    if defaults.is_empty() || arg.is_hide_default_value_set() || !arg.get_action().takes_values() {
        return None;
    }
    let values: Vec<String> = defaults
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    Some(format!("[default: {}]", values.join(" ")))
}

/// The width of what `-h` writes after an option's description: its possible values.
fn possible_values_len(arg: &clap::Arg) -> usize {
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if possible.is_empty() || arg.is_hide_possible_values_set() || !arg.get_action().takes_values()
    {
        return 0;
    }
    " [possible values: ]".len() + possible.join(", ").chars().count()
}

/// [`wrap`], leaving room for `tail` more characters on the last line (or a line break
/// at the end, when they do not fit beside it: clap then writes them on the next line).
fn wrap_before(text: &str, width: usize, tail: usize) -> String {
    if tail == 0 {
        return wrap(text, width);
    }
    let placeholder = "x".repeat(tail.saturating_sub(1).max(1));
    let wrapped = wrap(&format!("{text} {placeholder}"), width);
    let cut = wrapped.len() - placeholder.len();
    let mut out = wrapped[..cut].to_owned();
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// `text` with each line broken at spaces into lines of at most `width` characters; a
/// line's leading spaces are kept, on its continuation lines too, and a longer word stays
/// whole.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        out.push_str(&line[..indent]);
        let mut used = indent;
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            let len = word.chars().count();
            if used > indent && used + 1 + len > width {
                out.push('\n');
                out.push_str(&line[..indent]);
                used = indent;
            } else if used > indent {
                out.push(' ');
                used += 1;
            }
            out.push_str(word);
            used += len;
        }
    }
    out
}

/// The options of `maintain`.
#[cfg(feature = "delta")]
#[derive(Debug, Clone, clap::Args)]
pub struct MaintainArgs {
    /// Where the tables live: the --table of the loads.
    #[arg(long, value_name = "URI")]
    pub table: String,
    /// Delete files removed from the tables more than H hours ago (Delta's default: one
    /// week). Time travel to a version older than that fails afterwards.
    #[arg(long, value_name = "H", default_value_t = crate::delta::DEFAULT_RETAIN_HOURS)]
    pub retain_hours: u64,
    /// Accept a --retain-hours under 168 (readers of older versions, running queries
    /// included, may then fail on deleted files).
    #[arg(long)]
    pub allow_short_retention: bool,
    /// Merge each shard's small files into files of about 128 MiB first.
    #[arg(long)]
    pub compact: bool,
    /// Write the machine-readable summary (JSON) to FILE, or to stdout with `-`.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// How a command that did not fail ended; [`exit_status`] turns it into the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Done,
    /// Done, with more figure files rejected than `--max-rejects` allows.
    TooManyRejects { rejected: u64, max: u64 },
    /// `check` found something to reject.
    Rejected,
}

impl Outcome {
    /// [`Outcome::TooManyRejects`] when `rejected` is over `max_rejects`.
    pub fn of_rejects(rejected: u64, max_rejects: Option<u64>) -> Outcome {
        match max_rejects {
            Some(max) if rejected > max => Outcome::TooManyRejects { rejected, max },
            _ => Outcome::Done,
        }
    }
}

/// The process exit status of a run, for every subcommand: the one mapping of outcomes and
/// errors to the statuses documented in [`EXIT_STATUS_HELP`] and the README. (clap exits
/// with 2 by itself on a usage error, and 0 after `--help`.)
pub fn exit_status(result: &anyhow::Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::TooManyRejects { .. } | Outcome::Rejected) => 1,
        // A closed pipe (e.g. `| head`) is not a failure.
        Err(e) if is_broken_pipe(e) => 0,
        Err(e) => match e.downcast_ref::<Error>() {
            Some(Error::Source { .. } | Error::SourceIo { .. }) => 3,
            Some(Error::Destination { .. } | Error::Parquet { .. }) => 4,
            #[cfg(feature = "delta")]
            Some(Error::Delta { .. } | Error::Store { .. }) => 4,
            Some(Error::ConcurrentLoad { .. }) => 5,
            #[cfg(feature = "delta")]
            Some(Error::ConcurrentMaintenance { .. }) => 5,
            _ => 2,
        },
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints the last line a run owes its user (the error, or why the status is 1) and
/// returns its exit status.
pub fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match &result {
        Ok(Outcome::TooManyRejects { rejected, max }) => {
            eprintln!(
                "pfocr-etl: {rejected} figure files were rejected, more than --max-rejects {max}"
            );
        }
        Err(e) if !is_broken_pipe(e) => eprintln!("pfocr-etl: error: {e:#}"),
        _ => {}
    }
    ExitCode::from(exit_status(&result))
}

/// Runs the parsed command line.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    match args.command {
        Command::Convert {
            corpus,
            out,
            settings,
            quiet,
        } => run_convert(
            ConvertOptions::from_settings(corpus, out, &settings)?,
            quiet,
        ),
        #[cfg(feature = "delta")]
        Command::Load {
            corpus,
            load,
            settings,
            quiet,
        } => {
            let opts = crate::delta::LoadOptions::from_settings(corpus, &settings, &load)?;
            run_load(opts, load.summary_json.as_deref(), quiet)
        }
        Command::Check(args) => Ok(if crate::check::run(args)?.is_clean() {
            Outcome::Done
        } else {
            Outcome::Rejected
        }),
        Command::Export(command) => crate::export::run(command).map(|()| Outcome::Done),
        #[cfg(feature = "delta")]
        Command::Maintain { args, quiet } => run_maintain(args, quiet),
        Command::Run { pipeline, quiet } => match pipeline::load(&pipeline)? {
            pipeline::Job::Convert(opts) => run_convert(opts, quiet),
            #[cfg(feature = "delta")]
            pipeline::Job::Load {
                options,
                summary_json,
            } => run_load(options, summary_json.as_deref(), quiet),
        },
        #[cfg(feature = "dev")]
        Command::ParseFloor {
            corpus,
            threads,
            parser,
        } => {
            let f = parse_floor(&corpus, threads, parser)?;
            println!(
                "parse floor ({parser:?}, {threads} threads): {} files, {} bytes, {} events in {:.3} s",
                f.files, f.bytes, f.events, f.seconds
            );
            Ok(Outcome::Done)
        }
        #[cfg(feature = "dev")]
        Command::Generate { count, seed, out } => {
            let s = generate(&GenerateOptions {
                count,
                seed,
                out: out.clone(),
            })
            .map_err(|e| anyhow::anyhow!("cannot write the corpus at {}: {e}", out.display()))?;
            eprintln!(
                "wrote {} figure files ({} inline, {} tables generation) and {} TSVs, {} bytes, to {}",
                s.figures,
                s.inline_records,
                s.table_records,
                s.tsv_files,
                s.bytes,
                out.display()
            );
            Ok(Outcome::Done)
        }
    }
}

/// Prints what the options changed from the user's settings (even with `--quiet`: the
/// user asked for something the run does not do).
fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("pfocr-etl: note: {note}");
    }
}

fn run_convert(mut opts: ConvertOptions, quiet: bool) -> anyhow::Result<Outcome> {
    print_notes(&opts.run.notes);
    opts.run.progress = !quiet;
    let summary = convert(&opts)?;
    if !quiet {
        eprint!("{}", summary.to_text());
        eprintln!("output: {}", opts.output.display());
    }
    Ok(Outcome::of_rejects(summary.rejected, opts.run.max_rejects))
}

#[cfg(feature = "delta")]
fn run_load(
    mut opts: crate::delta::LoadOptions,
    summary_json: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    print_notes(&opts.convert.notes);
    opts.convert.progress = !quiet;
    let summary = crate::delta::load(&opts)?;
    if !quiet {
        eprint!("{}", summary.to_text());
    }
    if opts.dry_run && !quiet {
        for (what, paths) in [
            ("add", &summary.added),
            ("change", &summary.changed),
            ("delete", &summary.deleted),
        ] {
            for p in paths {
                println!("{what}\t{p}");
            }
        }
    }
    if let Some(path) = summary_json {
        write_summary_json(path, &serde_json::to_string_pretty(&summary)?)?;
    }
    Ok(Outcome::of_rejects(
        summary.rejected,
        opts.convert.max_rejects,
    ))
}

#[cfg(feature = "delta")]
fn run_maintain(args: MaintainArgs, quiet: bool) -> anyhow::Result<Outcome> {
    use crate::delta::{maintain, MaintainOptions};
    let summary = maintain(&MaintainOptions {
        table: args.table.clone(),
        retain_hours: args.retain_hours,
        allow_short_retention: args.allow_short_retention,
        compact: args.compact,
        storage: args.storage.options(),
    })?;
    if !quiet {
        eprint!("{}", summary.to_text());
    }
    if let Some(path) = &args.summary_json {
        write_summary_json(path, &serde_json::to_string_pretty(&summary)?)?;
    }
    Ok(Outcome::Done)
}

/// Writes a summary JSON to `path`, or to stdout for `-`.
#[cfg(feature = "delta")]
fn write_summary_json(path: &Path, json: &str) -> anyhow::Result<()> {
    let json = format!("{json}\n");
    if path.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(json.as_bytes())?;
    } else {
        std::fs::write(path, json)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_and_error_maps_to_its_documented_status() {
        let err = |e: Error| -> anyhow::Result<Outcome> { Err(e.into()) };
        let io = || std::io::Error::other("x");
        assert_eq!(exit_status(&Ok(Outcome::Done)), 0);
        assert_eq!(exit_status(&Ok(Outcome::of_rejects(3, Some(3)))), 0);
        assert_eq!(exit_status(&Ok(Outcome::of_rejects(4, Some(3)))), 1);
        assert_eq!(exit_status(&Ok(Outcome::of_rejects(4, None))), 0);
        assert_eq!(exit_status(&Ok(Outcome::Rejected)), 1);
        assert_eq!(exit_status(&err(Error::Options("x".into()))), 2);
        assert_eq!(exit_status(&Err(anyhow::anyhow!("other"))), 2);
        let source = Error::Source {
            path: "c".into(),
            reason: "gone".into(),
        };
        assert_eq!(exit_status(&err(source)), 3);
        let dest = Error::Destination {
            path: "o".into(),
            source: io(),
        };
        assert_eq!(exit_status(&err(dest)), 4);
        let lost = Error::ConcurrentLoad { table: "t".into() };
        assert_eq!(exit_status(&err(lost)), 5);
        // Wrapped in context, the library error still decides.
        let wrapped = anyhow::Error::from(Error::ConcurrentLoad { table: "t".into() })
            .context("while loading");
        assert_eq!(exit_status(&Err(wrapped)), 5);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(exit_status(&Err(pipe.into())), 0);
    }

    #[test]
    fn wrap_breaks_at_spaces_within_the_width_and_keeps_indentation() {
        assert_eq!(wrap("aa bb cc dd", 5), "aa bb\ncc dd");
        assert_eq!(wrap("  aa bb cc", 7), "  aa bb\n  cc");
        assert_eq!(wrap("a\n\nb", 5), "a\n\nb");
        assert_eq!(wrap("averylongword b", 5), "averylongword\nb");
    }

    #[test]
    fn every_help_line_fits_80_columns() {
        fn walk(cmd: &mut clap::Command, path: &str, long: &mut Vec<String>) {
            for text in [cmd.render_help(), cmd.render_long_help()] {
                for line in text.to_string().lines() {
                    if line.chars().count() > HELP_WIDTH {
                        long.push(format!("{path}: {line}"));
                    }
                }
            }
            for sub in cmd.get_subcommands_mut().filter(|s| !s.is_hide_set()) {
                let path = format!("{path} {}", sub.get_name());
                walk(sub, &path, long);
            }
        }
        let mut cmd = command();
        cmd.build();
        let mut long = Vec::new();
        walk(&mut cmd, "pfocr-etl", &mut long);
        assert!(
            long.is_empty(),
            "lines over 80 columns:\n{}",
            long.join("\n")
        );
    }

    #[test]
    fn the_help_status_table_lists_every_status() {
        for status in 0..=5 {
            assert!(
                EXIT_STATUS_HELP.contains(&format!("\n  {status}  ")),
                "{status}"
            );
        }
        let top = <Args as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        assert!(top.contains(EXIT_STATUS_HELP), "{top}");
    }
}
