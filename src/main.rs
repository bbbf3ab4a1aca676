//! The `pfocr-etl` binary: parse arguments, run, map errors to documented exit statuses.

use std::process::ExitCode;

use clap::Parser;
use pfocr_etl::cli::{self, Args};

fn main() -> ExitCode {
    let args = Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (e.g. `| head`) is not a failure.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("pfocr-etl: error: {err:#}");
            let code = err
                .downcast_ref::<pfocr_etl::Error>()
                .map_or(pfocr_etl::EXIT_ERROR, pfocr_etl::Error::exit_code);
            ExitCode::from(code)
        }
    }
}
