//! The `absorb` command line: parse, dispatch, report errors.

use absorb::scene::{self, Scene};
use absorb::sim::{BatchMode, Potential, Scheme};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

mod measure;
use measure::{AnalyzeCommand, FigureCommand, SweepAction, SweepCommand};

/// Watch, steer and measure the absorbing phase transition of SGD.
#[derive(Parser)]
#[command(name = "absorb", version, about)]
struct Cli {
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

#[derive(Args)]
struct BenchArgs {
    /// Worker threads; several (`--threads 1,2`) take turns in every round.
    #[arg(long, value_name = "K", value_delimiter = ',', default_value = "2")]
    threads: Vec<usize>,
    /// A subset that finishes in under a minute.
    #[arg(long)]
    quick: bool,
    /// Only the workloads with these names (active-3d, active-sgd-3d, tail-3d,
    /// absorb-3d, active-2d, scaling-1e4, scaling-1e5, scaling-1e6,
    /// structure-factor).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    only: Vec<String>,
    /// Timed iterations per workload (absorb-3d runs to absorption whatever this says).
    #[arg(long, value_name = "T", default_value_t = 50)]
    iterations: u64,
    /// Rounds of every workload at every thread count; with more than one,
    /// a summary line per workload and thread count follows: the median of
    /// the rounds, the speedup over one thread, the tail's share of active-3d.
    /// (Peak memory is the process's own: measure it in a run of its own.)
    #[arg(long, value_name = "R", default_value_t = 1)]
    repeat: usize,
}

#[derive(Args, Default)]
struct ViewArgs {
    /// Scene file, or the name of one in scenes/ (default: the built-in default scene).
    scene: Option<String>,
    /// Run, render, save this PNG and exit (non-zero if nothing could be drawn).
    #[arg(long, value_name = "PATH")]
    screenshot: Option<PathBuf>,
    /// Frames rendered before the screenshot.
    #[arg(long, value_name = "K", default_value_t = 30)]
    frames: u32,
    /// Iterations run before the first frame of a screenshot.
    #[arg(long, value_name = "T", default_value_t = 0)]
    steps: u64,
    /// Leave the panels out of the screenshot.
    #[arg(long)]
    no_panels: bool,
    /// Number of particles (overrides the scene).
    #[arg(long = "n", value_name = "N")]
    n: Option<usize>,
    /// Print the median frames per second over this many seconds, then exit.
    #[arg(long, value_name = "SECONDS")]
    measure_fps: Option<f64>,
    /// Colour spheres by activity, overlaps or displacement.
    #[arg(long, value_name = "MODE")]
    color_by: Option<String>,
    /// Window size in logical pixels, WIDTHxHEIGHT (default 1280x720).
    #[arg(long, value_name = "WxH")]
    size: Option<String>,
}

#[derive(Args, Default)]
struct RunArgs {
    /// Scene file, or the name of one in scenes/ (default: the built-in default scene).
    scene: Option<String>,
    /// Spatial dimension: 2, 3 or 4.
    #[arg(long = "dim", value_name = "D")]
    dim: Option<usize>,
    /// Number of particles.
    #[arg(long = "n", value_name = "N")]
    n: Option<usize>,
    /// Packing fraction of the random start.
    #[arg(long, value_name = "PHI")]
    phi: Option<f64>,
    /// Update scheme: bro-pairwise, bro-pairwise-nonreciprocal, bro-particle, sgd, rcd, gd, sa-pairwise, sa-particle.
    #[arg(long, value_name = "NAME")]
    scheme: Option<String>,
    /// Kick size eps of BRO (and of SA matched to BRO), in diameters.
    #[arg(long = "kick", value_name = "EPS")]
    kick: Option<f64>,
    /// Learning rate alpha of SGD, RCD, GD (and of SA matched to them), in diameters.
    #[arg(long = "lr", value_name = "ALPHA")]
    lr: Option<f64>,
    /// Batch fraction b of SGD and RCD, in (0, 1].
    #[arg(long = "batch", value_name = "B")]
    batch: Option<f64>,
    /// Draw exactly round(b P) pairs (round(b N_active) particles) per batch.
    #[arg(long)]
    fixed_batch: bool,
    /// Exponent m of the pair potential (1 linear, 2 harmonic, 2.5 Hertzian).
    #[arg(long, value_name = "M")]
    potential: Option<f64>,
    /// A pair counts as active only when its overlap 1 - r/sigma exceeds this
    /// fraction, in [0, 1) (default: 0 for m = 1, 0.001 for m > 1).
    #[arg(long, value_name = "TOL", visible_alias = "tolerance")]
    overlap_tolerance: Option<f64>,
    /// Seed of the initial configuration and of every random number.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Iterations at most (the run stops early once absorbed).
    #[arg(long, value_name = "T")]
    steps: Option<u64>,
    /// Worker threads (results are the same bits at any count).
    #[arg(long, value_name = "K")]
    threads: Option<usize>,
    /// Output directory (default: out/SCENE).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("absorb: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Run(args)) => run_headless(args),
        Some(Command::View(args)) => view(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Sweep(SweepCommand { action: Some(SweepAction::Merge { dirs, out }), .. })) => {
            measure::merge(&dirs, out)
        }
        Some(Command::Sweep(SweepCommand { run, .. })) => measure::sweep(run),
        Some(Command::Figure(command)) => measure::figure(command),
        Some(Command::Analyze(AnalyzeCommand::Table { file, family, out })) => {
            measure::table(&file, family.as_deref(), out.as_deref())
        }
        Some(Command::Analyze(AnalyzeCommand::Critical { file, beta, max_activity })) => {
            measure::critical(&file, beta, max_activity)
        }
        Some(Command::Analyze(AnalyzeCommand::Collapse { file, exponents, y, dy, png })) => {
            let png = png.unwrap_or_else(|| file.with_extension("collapse.png"));
            measure::collapse(&file, &exponents, &y, &dy, &png)
        }
        None => view(ViewArgs::default()),
    }
}

fn bench(args: BenchArgs) -> Result<()> {
    if let Some(bad) = args.threads.iter().find(|&&t| t == 0) {
        anyhow::bail!("--threads = {bad} is not allowed: at least 1 worker thread");
    }
    if args.repeat == 0 {
        anyhow::bail!("--repeat = 0 is not allowed: at least 1 round");
    }
    let all = absorb::bench::workloads(args.quick);
    let known: Vec<&str> = all.iter().map(|w| w.name).chain(["structure-factor"]).collect();
    if let Some(bad) = args.only.iter().find(|o| !known.contains(&o.as_str())) {
        anyhow::bail!("--only = {bad} is not allowed: one of {}", known.join(", "));
    }
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let iterations = if args.quick { args.iterations.min(20) } else { args.iterations };
    let pools = args
        .threads
        .iter()
        .map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().context("starting worker threads"))
        .collect::<Result<Vec<_>>>()?;
    let mut measured = Vec::new();
    // Thread counts take turns within each round, so that a slow spell of a
    // shared machine falls on all of them alike.
    for _ in 0..args.repeat {
        for (pool, &threads) in pools.iter().zip(&args.threads) {
            pool.install(|| -> Result<()> {
                for w in all.iter().filter(|w| wanted(w.name)) {
                    let m = absorb::bench::measure(w, iterations, threads)?;
                    println!("{}", m.to_json());
                    measured.push(m);
                }
                if wanted("structure-factor") {
                    let m = absorb::bench::measure_structure_factor(threads)?;
                    println!("{}", m.to_json());
                    measured.push(m);
                }
                Ok(())
            })?;
        }
    }
    if args.repeat > 1 || args.threads.len() > 1 {
        for summary in absorb::bench::summarize(&measured) {
            println!("{}", summary.to_json());
        }
    }
    Ok(())
}

/// Loads the scene named on the command line, or the built-in default;
/// `checked` validates its values too.
pub(crate) fn load_scene(given: &Option<String>, checked: bool) -> Result<(Scene, String, PathBuf)> {
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

#[cfg(feature = "gui")]
fn view(args: ViewArgs) -> Result<()> {
    let (mut scene, _, path) = load_scene(&args.scene, true)?;
    if let Some(n) = args.n {
        scene.n = n;
        scene.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    }
    if let Some(s) = args.measure_fps
        && !(s.is_finite() && s > 0.0)
    {
        anyhow::bail!("--measure-fps = {s} is not allowed: a duration > 0 in seconds");
    }
    let color_by = match args.color_by.as_deref() {
        None => Default::default(),
        Some(name) => absorb::app::picture::ColorMode::from_name(name)
            .ok_or_else(|| anyhow::anyhow!("--color-by = {name} is not allowed: activity, overlaps or displacement"))?,
    };
    let screenshot = args.screenshot.map(|path| absorb::app::ScriptedShot {
        path,
        frames: args.frames,
        steps: args.steps,
        no_panels: args.no_panels,
    });
    let path = args.scene.is_some().then_some(path);
    let size = match args.size.as_deref() {
        None => absorb::app::WINDOW_SIZE,
        Some(text) => parse_size(text)?,
    };
    match absorb::app::run(absorb::app::ViewOptions {
        scene,
        path,
        screenshot,
        measure_fps: args.measure_fps,
        color_by,
        size,
    })? {
        bevy::app::AppExit::Success => Ok(()),
        // The visualizer has said why already.
        bevy::app::AppExit::Error(code) => std::process::exit(i32::from(code.get())),
    }
}

/// `1920x1080` as (1920, 1080); each side from 200 to 8192 pixels.
#[cfg(feature = "gui")]
fn parse_size(text: &str) -> Result<(u32, u32)> {
    let parsed = text.split_once(['x', 'X']).and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) if (200..=8192).contains(&w) && (200..=8192).contains(&h) => Ok((w, h)),
        _ => anyhow::bail!("--size = {text} is not allowed: WIDTHxHEIGHT in pixels, each from 200 to 8192"),
    }
}

#[cfg(not(feature = "gui"))]
fn view(args: ViewArgs) -> Result<()> {
    if args.screenshot.is_some() {
        anyhow::bail!("this absorb was built without the visualizer (feature `gui`): no screenshots");
    }
    eprintln!("absorb: built without the visualizer (feature `gui`); running the scene headless");
    run_headless(RunArgs { scene: args.scene, ..RunArgs::default() })
}

fn run_headless(args: RunArgs) -> Result<()> {
    let (mut scene, name, path) = load_scene(&args.scene, false)?;
    check_flags(&args)?;
    apply_overrides(&mut scene, &args)?;
    scene.validate().map_err(|e| blame(e, &args, &path))?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(&name));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    if scene.start == absorb::scene::Start::Random {
        let what = if args.n.is_some() { format!("--n {}", scene.n) } else { format!("{}", path.display()) };
        absorb::budget::check_runs(scene.dim, scene.n, 1, pool.current_num_threads(), &what)?;
    }
    let summary = pool.install(|| absorb::run::run(&scene, &out, std::io::stderr().is_terminal()))?;
    println!("{summary}");
    eprintln!(
        "wrote {} and {}",
        out.join(absorb::run::TIMESERIES_FILE).display(),
        out.join(absorb::run::FINAL_FILE).display()
    );
    Ok(())
}

/// Checks the flags' own ranges, so that an error names the flag even where
/// the scheme would not use it.
fn check_flags(a: &RunArgs) -> Result<()> {
    use absorb::sim::scheme::{check_batch, check_step};
    let as_flag = |e: absorb::Error| anyhow::anyhow!("--{e}");
    a.kick.map_or(Ok(()), |x| check_step("kick", x)).map_err(as_flag)?;
    a.lr.map_or(Ok(()), |x| check_step("lr", x)).map_err(as_flag)?;
    a.batch.map_or(Ok(()), check_batch).map_err(as_flag)?;
    if let Some(t) = a.overlap_tolerance {
        check_overlap_tolerance(t)?;
    }
    if a.threads == Some(0) {
        anyhow::bail!("--threads = 0 is not allowed: at least 1 worker thread");
    }
    Ok(())
}

/// The overlap tolerance's range, named as its flag.
pub(crate) fn check_overlap_tolerance(t: f64) -> Result<()> {
    if (0.0..1.0).contains(&t) {
        Ok(())
    } else {
        anyhow::bail!("--overlap-tolerance = {t} is not allowed: a fraction of the contact distance in [0, 1)")
    }
}

/// An invalid field set by a flag is reported as that flag; any other as a
/// field of the scene file.
fn blame(e: absorb::Error, a: &RunArgs, path: &std::path::Path) -> anyhow::Error {
    if let absorb::Error::Invalid { field, .. } = &e {
        if field == "box side" && (a.n.is_some() || a.phi.is_some()) {
            return anyhow::anyhow!("{e}");
        }
        let from_flag = match field.as_str() {
            "dim" => a.dim.is_some(),
            "n" => a.n.is_some(),
            "phi" => a.phi.is_some(),
            "seed" => a.seed.is_some(),
            "steps" => a.steps.is_some(),
            _ => false,
        };
        if from_flag {
            return anyhow::anyhow!("--{e}");
        }
    }
    anyhow::anyhow!("{}: {e}", path.display())
}

/// Flags override the scene; a changed scheme parameter rebuilds the scheme by name.
fn apply_overrides(scene: &mut Scene, a: &RunArgs) -> Result<()> {
    scene.dim = a.dim.unwrap_or(scene.dim);
    scene.n = a.n.unwrap_or(scene.n);
    scene.phi = a.phi.unwrap_or(scene.phi);
    scene.seed = a.seed.unwrap_or(scene.seed);
    scene.steps = a.steps.unwrap_or(scene.steps);
    if a.overlap_tolerance.is_some() {
        scene.overlap_tolerance = a.overlap_tolerance;
    }
    if let Some(m) = a.potential {
        scene.potential = Potential::new(m).map_err(|e| anyhow::anyhow!("--{e}"))?;
    }
    let touches_scheme = a.scheme.is_some() || a.kick.is_some() || a.lr.is_some() || a.batch.is_some() || a.fixed_batch;
    if touches_scheme {
        let mut params = scene.scheme.params(Default::default());
        if let Some(kick) = a.kick {
            params.kick = kick;
            params.sa_matches_sgd = false;
        }
        if let Some(lr) = a.lr {
            params.lr = lr;
            params.sa_matches_sgd = true;
        }
        params.batch = a.batch.unwrap_or(params.batch);
        if a.fixed_batch {
            params.batch_mode = BatchMode::Fixed;
        }
        let name = a.scheme.as_deref().unwrap_or(scene.scheme.name());
        scene.scheme = Scheme::from_name(name, &params).map_err(|e| anyhow::anyhow!("--{e}"))?;
        let given =
            [("kick", "kick", a.kick.is_some()), ("lr", "lr", a.lr.is_some()), ("batch", "batch", a.batch.is_some())];
        for (flag, param, given) in given.into_iter().chain([("fixed-batch", "batch", a.fixed_batch)]) {
            if given && !scene.scheme.parameters().contains(&param) {
                eprintln!("absorb: note: --{flag} does not apply to {name} and is ignored");
            }
        }
    }
    Ok(())
}
