//! The command line: clap arguments → [`ConvertOptions`] → a run → an exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::floor::{parse_floor, FloorParser};
use crate::generate::{generate, GenerateOptions};
use crate::options::{ConvertOptions, Settings};
use crate::report::Summary;
use crate::{convert, pipeline, EXIT_OK, EXIT_TOO_MANY_REJECTS};

const EXIT_CODES: &str = "\
Exit status:
  0  success (rejected records, if any, are in the rejects table)
  1  more figure files were rejected than --max-rejects allows (the output is still written)
  2  usage error or any other failure
  3  the corpus cannot be read (missing directory, no _figures)
  4  the output cannot be written (permissions, disk full, another run holds it)";

/// Convert the Pathway Figure OCR (PFOCR) corpus into analytics-ready Parquet tables.
#[derive(Debug, Parser)]
#[command(name = "pfocr-etl", version, after_help = EXIT_CODES)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a corpus directory (_figures/*.md + _data/*.tsv) into Parquet tables.
    #[command(after_help = "Example:\n  pfocr-etl convert pfocr-database --out pfocr-parquet --threads 4\n\n\
Writes <OUT>/{figures,figure_genes,figure_chemicals,figure_diseases,rejects}/part-*.parquet\n\
and <OUT>/_manifest.json. The previous output is replaced only when the new one is complete.\n\n"
        .to_owned() + EXIT_CODES)]
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
    #[command(
        after_help = "Example:\n  pfocr-etl generate --count 20000 --seed 1 --out /tmp/corpus20k\n\n\
The same count and seed always give byte-identical files; record i does not depend on --count."
    )]
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
    /// Load a corpus into Delta Lake tables, incrementally (only what changed since the last load).
    #[cfg(feature = "delta")]
    #[command(after_help = "Examples:\n  pfocr-etl load pfocr-database --table /data/lake/pfocr\n  \
pfocr-etl load pfocr-database --table s3://bucket/pfocr --shard 2/4 --summary-json -\n\n\
Writes <TABLE>/{figures,figure_genes,figure_chemicals,figure_diseases,rejects}/ as Delta tables,\n\
and <TABLE>/_pfocr_sources/, the state that makes the next load incremental. Each table gets\n\
one commit per load (none when nothing changed). Object store credentials and endpoints come\n\
from the usual environment variables (AWS_*, GOOGLE_*, AZURE_*).\n\n".to_owned() + EXIT_CODES + LOAD_EXIT_CODES)]
    Load {
        /// The corpus root, holding _figures/ and _data/.
        corpus: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        settings: Settings,
        /// Print nothing but errors (no progress bar, no summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a corpus as convert would decode it, writing nothing: one line per reject.
    #[command(after_help = "Examples:\n  pfocr-etl check pfocr-database\n  \
pfocr-etl check . --format github   # annotations in a GitHub Actions run\n\n\
Exit status:\n  0  every figure file converts and every TSV is used\n  1  something was rejected\n  \
2  usage error or any other failure\n  3  the corpus cannot be read")]
    Check(crate::check::CheckArgs),
    /// Export converted tables: GMT gene sets per organism, or JSON lines per figure.
    #[command(subcommand)]
    Export(crate::export::ExportCommand),
    /// Keep the Delta tables of `load` healthy: compact small files, vacuum removed ones,
    /// write a checkpoint.
    #[cfg(feature = "delta")]
    #[command(after_help = "Examples:\n  pfocr-etl maintain --table /data/lake/pfocr --compact\n  \
pfocr-etl maintain --table s3://bucket/pfocr --retain-hours 0 --allow-short-retention\n\n\
Works on every table under <TABLE> that `load` writes. Files removed by a commit more than\n\
--retain-hours ago are deleted (never a file no commit mentions, so a running load is safe);\n\
with --compact each shard's small files are merged first. A load may run at the same time:\n\
if both replace a same file, the one that commits second stops (status 5) and nothing is lost.\n\
Weekly, from cron:  0 4 * * 0 pfocr-etl maintain --table /data/lake/pfocr --compact --quiet\n\n".to_owned()
        + EXIT_CODES + LOAD_EXIT_CODES)]
    Maintain {
        #[command(flatten)]
        args: MaintainArgs,
        /// Print nothing but errors (no summary).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a pipeline file (input, output and options in YAML).
    #[command(after_help = "Example:\n  pfocr-etl run pipelines/sample.yaml\n\n".to_owned() + EXIT_CODES)]
    Run {
        /// The pipeline file, e.g. pipelines/sample.yaml.
        pipeline: PathBuf,
        /// Print nothing but errors (no progress bar, no summary).
        #[arg(long, short)]
        quiet: bool,
    },
}

#[cfg(feature = "delta")]
const LOAD_EXIT_CODES: &str = "
  5  another load of the same table and shard committed first (concurrent load lost), or a load
     and a `maintain` compaction replaced the same files and the other committed first";

/// The options of `load` beyond the convert settings (also a pipeline file's `load:`).
#[derive(Debug, Clone, Default, PartialEq, clap::Args, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadArgs {
    /// Where the tables live: a local path, file://, s3://, gs:// or az:// URI.
    #[arg(long, value_name = "URI")]
    #[serde(skip)]
    pub table: String,
    /// Load only shard K of N (by a hash of each figure's file name); N loads of the
    /// shards, run anywhere at once, commit side by side into the same tables.
    #[arg(long, value_name = "K/N", default_value = "0/1")]
    #[serde(default)]
    pub shard: Option<String>,
    /// Rebuild every table from the whole corpus instead of loading the changes.
    #[arg(long)]
    #[serde(default)]
    pub full_refresh: bool,
    /// Print what the load would add, change and delete, and write nothing.
    #[arg(long)]
    #[serde(default)]
    pub dry_run: bool,
    /// Read and hash every corpus file instead of trusting the size and mtime of files the
    /// last load saw (catches a change that kept a file's size and set its mtime back).
    #[arg(long)]
    #[serde(default)]
    pub verify: bool,
    /// Write the machine-readable summary (JSON) to FILE, or to stdout with `-`.
    #[arg(long, value_name = "FILE")]
    #[serde(default)]
    pub summary_json: Option<PathBuf>,
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
}

/// Runs the parsed command line and returns the process exit status.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (opts, quiet) = match args.command {
        Command::Convert {
            corpus,
            out,
            settings,
            quiet,
        } => (
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
            let opts = ConvertOptions::from_settings(corpus, PathBuf::new(), &settings)?;
            return run_load(opts, load, quiet);
        }
        Command::Check(args) => return crate::check::run(args),
        Command::Export(command) => return crate::export::run(command),
        #[cfg(feature = "delta")]
        Command::Maintain { args, quiet } => return run_maintain(args, quiet),
        Command::Run { pipeline, quiet } => match pipeline::load(&pipeline)? {
            pipeline::Job::Convert(opts) => (opts, quiet),
            #[cfg(feature = "delta")]
            pipeline::Job::Load(opts, load) => return run_load(opts, load, quiet),
        },
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
            return Ok(ExitCode::SUCCESS);
        }
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
            return Ok(ExitCode::SUCCESS);
        }
    };
    run_convert(opts, quiet)
}

/// Prints what the options changed from the user's settings (even with `--quiet`: the
/// user asked for something the run does not do).
fn print_notes(opts: &ConvertOptions) {
    for note in &opts.notes {
        eprintln!("pfocr-etl: note: {note}");
    }
}

fn run_convert(mut opts: ConvertOptions, quiet: bool) -> anyhow::Result<ExitCode> {
    print_notes(&opts);
    opts.progress = !quiet;
    let summary = convert(&opts)?;
    if !quiet {
        eprint!("{}", summary.to_text());
        eprintln!("output: {}", opts.output.display());
    }
    Ok(ExitCode::from(exit_status(&summary, opts.max_rejects)))
}

#[cfg(feature = "delta")]
fn run_load(mut opts: ConvertOptions, args: LoadArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use crate::delta::{load, LoadOptions, Shard};
    print_notes(&opts);
    opts.progress = !quiet;
    let shard: Shard = match &args.shard {
        Some(s) => s.parse().map_err(crate::Error::Options)?,
        None => Shard::default(),
    };
    let max_rejects = opts.max_rejects;
    let summary = load(&LoadOptions {
        convert: opts,
        table: args.table.clone(),
        shard,
        full_refresh: args.full_refresh,
        dry_run: args.dry_run,
        verify: args.verify,
        storage: Default::default(),
    })?;
    if !quiet {
        eprint!("{}", summary.to_text());
    }
    if args.dry_run && !quiet {
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
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&summary)? + "\n";
        if path.as_os_str() == "-" {
            use std::io::Write;
            std::io::stdout().write_all(json.as_bytes())?;
        } else {
            std::fs::write(path, json)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        }
    }
    let too_many = max_rejects.is_some_and(|max| summary.rejected > max);
    if too_many {
        eprintln!(
            "pfocr-etl: {} figure files were rejected, more than --max-rejects {}",
            summary.rejected,
            max_rejects.unwrap_or_default()
        );
        return Ok(ExitCode::from(EXIT_TOO_MANY_REJECTS));
    }
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(feature = "delta")]
fn run_maintain(args: MaintainArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use crate::delta::{maintain, MaintainOptions};
    let summary = maintain(&MaintainOptions {
        table: args.table.clone(),
        retain_hours: args.retain_hours,
        allow_short_retention: args.allow_short_retention,
        compact: args.compact,
        storage: Default::default(),
    })?;
    if !quiet {
        eprint!("{}", summary.to_text());
    }
    if let Some(path) = &args.summary_json {
        write_summary_json(path, &serde_json::to_string_pretty(&summary)?)?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// Writes a summary JSON to `path`, or to stdout for `-`.
#[cfg(feature = "delta")]
fn write_summary_json(path: &std::path::Path, json: &str) -> anyhow::Result<()> {
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

/// 0, or 1 when more figure files were rejected than allowed.
pub fn exit_status(summary: &Summary, max_rejects: Option<u64>) -> u8 {
    match max_rejects {
        Some(max) if summary.rejected > max => {
            eprintln!(
                "pfocr-etl: {} figure files were rejected, more than --max-rejects {max}",
                summary.rejected
            );
            EXIT_TOO_MANY_REJECTS
        }
        _ => EXIT_OK,
    }
}
