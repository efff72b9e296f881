//! The `absorb` command line: parse, dispatch, report errors. The commands
//! live in `src/cli/`.

use clap::Parser;
use clap::error::ErrorKind;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // A value a flag does not take (`--scheme adam`): one line that names
        // the flag, the value and what is allowed, as every other refusal.
        Err(e) if e.kind() == ErrorKind::ValueValidation => {
            let message = e.render().to_string();
            let first = message.lines().next().unwrap_or_default();
            eprintln!("absorb: {}", first.strip_prefix("error: ").unwrap_or(first));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("absorb: {e:#}");
            ExitCode::FAILURE
        }
    }
}
