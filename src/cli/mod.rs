//! The command line, one file a command: `run` (run.rs), `view` (view.rs),
//! `bench` (bench.rs), `sweep` and `sweep merge` (sweep.rs), `figure ...`
//! (figure.rs), `analyze ...` (analyze.rs). Each parses its arguments, calls
//! the library and reports; what they share (the command tree, scenes named
//! on the command line, phi lists, progress bars) is here.

mod analyze;
mod bench;
mod figure;
mod run;
mod sweep;
mod view;

use absorb::scene::{self, Scene};
use analyze::AnalyzeCommand;
use anyhow::Result;
use bench::BenchArgs;
use clap::{Parser, Subcommand};
use figure::FigureCommand;
use run::RunArgs;
use std::io::IsTerminal;
use std::path::PathBuf;
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

/// Loads the scene named on the command line, or the built-in default;
/// `checked` validates its values too.
fn load_scene(given: &Option<String>, checked: bool) -> Result<(Scene, String, PathBuf)> {
    Ok(match given {
        None => (Scene::default_scene()?, "default".to_string(), PathBuf::from("scenes/default.ron")),
        Some(given) => {
            let path = scene::resolve(given);
            let name = path.file_stem().map_or("scene".into(), |s| s.to_string_lossy().into_owned());
            let scene = if checked { Scene::load(&path)? } else { Scene::load_unchecked(&path)? };
            (scene, name, path)
        }
    })
}

/// Packing fractions from values and FROM:TO:STEP ranges.
fn parse_phis(items: &[String]) -> Result<Vec<f64>> {
    let mut phis = Vec::new();
    for item in items {
        phis.extend(parse_values(item).map_err(|e| anyhow::anyhow!("--phi = {item} is not allowed: {e}"))?);
    }
    Ok(phis)
}

/// Runs `work` with a progress bar of `total` runs on a terminal; `work`
/// calls the function it is given once per finished run.
fn with_progress<T>(
    total: usize,
    work: impl FnOnce(
        &(dyn Fn(&absorb::analysis::sweep::Point, &absorb::analysis::sweep::Outcome) + Sync),
    ) -> absorb::error::Result<T>,
) -> Result<T> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} points, {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = |point: &absorb::analysis::sweep::Point, outcome: &absorb::analysis::sweep::Outcome| {
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(format!("last {}: f_inf = {:.4}", point.id(), outcome.f_inf));
        }
    };
    let result = work(&tick);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(result?)
}

/// A number, or FROM:TO:STEP (TO included when the steps land on it).
fn parse_values(item: &str) -> std::result::Result<Vec<f64>, String> {
    let number = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("`{t}` is not a number"));
    let parts: Vec<&str> = item.split(':').collect();
    match parts.as_slice() {
        [one] => Ok(vec![number(one)?]),
        [from, to, step] => absorb::analysis::sweep::phi_range(number(from)?, number(to)?, number(step)?)
            .map_err(|_| "a range FROM:TO:STEP needs STEP > 0 and TO >= FROM".to_string()),
        _ => Err("a number or FROM:TO:STEP".into()),
    }
}
