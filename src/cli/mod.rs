//! The command line, one file a command: `run` (run.rs), `view` (view.rs),
//! `movie` (movie.rs), `bench` (bench.rs), `sweep` and `sweep merge` (sweep.rs), `figure ...`
//! (figure.rs), `analyze ...` (analyze.rs). Each parses its arguments, calls
//! the library and reports. The command tree is here; what the commands
//! share (scenes named on the command line, phi lists, progress bars, the
//! tolerance's range) is in args.rs.

mod analyze;
mod args;
mod bench;
mod figure;
mod movie;
mod run;
mod sweep;
mod view;

use analyze::AnalyzeCommand;
use anyhow::Result;
use bench::BenchArgs;
use clap::{Parser, Subcommand};
use figure::FigureCommand;
use movie::MovieArgs;
use run::RunArgs;
use sweep::{SweepAction, SweepCommand};
use view::ViewArgs;

/// Watch, steer and measure the absorbing phase transition of SGD.
#[derive(Parser)]
#[command(name = "absorb", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scene without a window: time series, final frame, one-line summary.
    #[command(allow_negative_numbers = true)]
    Run(RunArgs),
    /// Open the visualizer on a scene (the default command).
    View(ViewArgs),
    /// Film a scene offscreen: a frame every K iterations into an MP4, a GIF or PNGs.
    Movie(MovieArgs),
    /// Time the core on fixed workloads; prints one JSON object per line.
    Bench(BenchArgs),
    /// Run a grid of state points headless (`absorb sweep --phi ... --out DIR`),
    /// or gather finished sweeps into one table (`absorb sweep merge DIR...`).
    Sweep(SweepCommand),
    /// Measurements over many runs: finite-size-scaling collapse.
    #[command(subcommand)]
    Analyze(AnalyzeCommand),
    /// The paper's figures at laptop scale: a PNG and the CSV behind it.
    #[command(subcommand)]
    Figure(FigureCommand),
}

/// Runs the command `cli` names (the window when it names none).
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Run(args)) => run::run_headless(args),
        Some(Command::View(args)) => view::view(args),
        Some(Command::Movie(args)) => movie::movie(args),
        Some(Command::Bench(args)) => bench::bench(args),
        Some(Command::Sweep(SweepCommand { action: Some(SweepAction::Merge { dirs, out }), .. })) => {
            sweep::merge(&dirs, out)
        }
        Some(Command::Sweep(SweepCommand { run, .. })) => sweep::sweep(run),
        Some(Command::Figure(command)) => figure::figure(command),
        Some(Command::Analyze(AnalyzeCommand::Table { file, family, out })) => {
            analyze::table(&file, family.as_deref(), out.as_deref())
        }
        Some(Command::Analyze(AnalyzeCommand::Critical { file, beta, max_activity })) => {
            analyze::critical(&file, beta, max_activity)
        }
        Some(Command::Analyze(AnalyzeCommand::Collapse { file, exponents, y, dy, png })) => {
            let png = png.unwrap_or_else(|| file.with_extension("collapse.png"));
            analyze::collapse(&file, &exponents, &y, &dy, &png)
        }
        None => view::view(ViewArgs::default()),
    }
}
