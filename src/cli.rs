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
        Command::Run { pipeline, quiet } => (pipeline::load(&pipeline)?, quiet),
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

fn run_convert(mut opts: ConvertOptions, quiet: bool) -> anyhow::Result<ExitCode> {
    opts.progress = !quiet;
    let summary = convert(&opts)?;
    if !quiet {
        eprint!("{}", summary.to_text());
        eprintln!("output: {}", opts.output.display());
    }
    Ok(ExitCode::from(exit_status(&summary, opts.max_rejects)))
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
