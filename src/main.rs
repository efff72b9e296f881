//! The `absorb` command line: parse, dispatch, report errors. The commands
//! live in `src/cli/`.

use clap::Parser;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("absorb: {e:#}");
            ExitCode::FAILURE
        }
    }
}
