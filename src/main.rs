//! The `absorb` command line: parse, dispatch, report errors.

use absorb::scene::{self, Scene};
use absorb::sim::{BatchMode, Potential, Scheme};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, allow_negative_numbers = true)]
struct SweepCommand {
    #[command(subcommand)]
    action: Option<SweepAction>,
    #[command(flatten)]
    run: SweepArgs,
}

#[derive(Subcommand)]
enum SweepAction {
    /// Gather the finished points of sweep directories into one CSV table.
    Merge {
        /// Sweep directories (each with a points/ folder), for example the shards of one sweep.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the table goes (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct SweepArgs {
    /// Scene every point starts from (default: the built-in default scene).
    scene: Option<String>,
    /// Scheme names, comma-separated (default: the scene's).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    scheme: Vec<String>,
    /// Kick sizes eps, for the schemes that take one (default: the scene's).
    #[arg(long, value_name = "EPS", value_delimiter = ',')]
    kick: Vec<f64>,
    /// Learning rates alpha, for the schemes that take one (default: the scene's).
    #[arg(long, value_name = "ALPHA", value_delimiter = ',')]
    lr: Vec<f64>,
    /// Batch fractions b, for the schemes that take one (default: the scene's).
    #[arg(long, value_name = "B", value_delimiter = ',')]
    batch: Vec<f64>,
    /// Fixed-size batches (round(b P) pairs).
    #[arg(long)]
    fixed_batch: bool,
    /// Packing fractions: values and FROM:TO:STEP ranges, comma-separated (default: the scene's).
    #[arg(long, value_name = "PHI", value_delimiter = ',')]
    phi: Vec<String>,
    /// Particle numbers, comma-separated (default: the scene's).
    #[arg(long = "n", value_name = "N", value_delimiter = ',')]
    n: Vec<usize>,
    /// Runs per parameter set, each with its own seed (default 1).
    #[arg(long, value_name = "R")]
    replicates: Option<u32>,
    /// Base seed the points' seeds derive from (default: the scene's).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Iterations at most per run (default: the scene's).
    #[arg(long, value_name = "T")]
    steps: Option<u64>,
    /// Report the MSD after these iterations, comma-separated.
    #[arg(long, value_name = "K", value_delimiter = ',')]
    msd_at: Vec<u64>,
    /// Measure S(k) of each final configuration for 0 < |n| <= MAX_N (k = 2 pi n / L).
    #[arg(long, value_name = "MAX_N")]
    structure_factor: Option<usize>,
    /// Measure the flatness <dU> of each final configuration from M perturbations.
    #[arg(long, value_name = "M")]
    flatness: Option<usize>,
    /// Sweep file (RON) holding the grid; flags given as well replace its fields.
    #[arg(long, value_name = "FILE")]
    grid: Option<PathBuf>,
    /// Run the points whose place in the sorted list is I modulo K (default:
    /// from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT when set, else all).
    #[arg(long, value_name = "I/K")]
    shard: Option<String>,
    /// Worker threads.
    #[arg(long, value_name = "K")]
    threads: Option<usize>,
    /// Sweep directory: one folder per point under DIR/points.
    #[arg(long, value_name = "DIR", default_value = "sweep")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum AnalyzeCommand {
    /// phi_c of each scheme, step size and N in a merged sweep: the phi where
    /// half the runs are absorbed, and a fit of f_inf = A (phi - phi_c)^beta.
    Critical {
        /// Table written by `absorb sweep merge`.
        file: PathBuf,
        /// Fix beta (for example 0.84, the 3D Manna value) instead of fitting it.
        #[arg(long, value_name = "BETA")]
        beta: Option<f64>,
        /// Fit only the packing fractions whose mean surviving activity is at
        /// most this (the power law holds near phi_c; far above, f_inf -> 1).
        #[arg(long, value_name = "F", default_value_t = absorb::analysis::critical::DEFAULT_MAX_ACTIVITY)]
        max_activity: f64,
    },
    /// Finite-size-scaling collapse of a table with columns L,phi,y,dy: prints
    /// phi_c, nu_perp and the exponent of y with errors, and the quality S.
    Collapse {
        /// CSV table with a header naming (at least) the columns L, phi, y and dy.
        file: PathBuf,
        /// Fixed exponents of a universality class, or free (all three fitted).
        #[arg(long, value_name = "SET", default_value = "free")]
        exponents: String,
        /// Column holding y (for example f_inf of a merged sweep).
        #[arg(long, value_name = "COLUMN", default_value = "y")]
        y: String,
        /// Column holding the error of y (for example f_inf_error).
        #[arg(long, value_name = "COLUMN", default_value = "dy")]
        dy: String,
        /// Picture of the collapsed data (default: the table's name with .collapse.png).
        #[arg(long, value_name = "PATH")]
        png: Option<PathBuf>,
    },
}

#[derive(Args)]
struct BenchArgs {
    /// Worker threads.
    #[arg(long, value_name = "K", default_value_t = 2)]
    threads: usize,
    /// A subset that finishes in under a minute.
    #[arg(long)]
    quick: bool,
    /// Only the workloads with these names (active-3d, active-sgd-3d, tail-3d,
    /// active-2d, scaling-1e4, scaling-1e5, scaling-1e6, structure-factor).
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Timed iterations per workload.
    #[arg(long, value_name = "T", default_value_t = 50)]
    iterations: u64,
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
        Some(Command::Sweep(SweepCommand { action: Some(SweepAction::Merge { dirs, out }), .. })) => merge(&dirs, out),
        Some(Command::Sweep(SweepCommand { run, .. })) => sweep(run),
        Some(Command::Analyze(AnalyzeCommand::Critical { file, beta, max_activity })) => {
            critical(&file, beta, max_activity)
        }
        Some(Command::Analyze(AnalyzeCommand::Collapse { file, exponents, y, dy, png })) => {
            let png = png.unwrap_or_else(|| file.with_extension("collapse.png"));
            collapse(&file, &exponents, &y, &dy, &png)
        }
        None => view(ViewArgs::default()),
    }
}

fn bench(args: BenchArgs) -> Result<()> {
    if args.threads == 0 {
        anyhow::bail!("--threads = 0 is not allowed: at least 1 worker thread");
    }
    let all = absorb::bench::workloads(args.quick);
    let known: Vec<&str> = all.iter().map(|w| w.name).chain(["structure-factor"]).collect();
    if let Some(bad) = args.only.iter().find(|o| !known.contains(&o.as_str())) {
        anyhow::bail!("--only = {bad} is not allowed: one of {}", known.join(", "));
    }
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let iterations = if args.quick { args.iterations.min(20) } else { args.iterations };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build().context("starting worker threads")?;
    pool.install(|| -> Result<()> {
        for w in all.iter().filter(|w| wanted(w.name)) {
            println!("{}", absorb::bench::measure(w, iterations, args.threads)?.to_json());
        }
        if wanted("structure-factor") {
            println!("{}", absorb::bench::measure_structure_factor(args.threads)?.to_json());
        }
        Ok(())
    })
}

fn sweep(args: SweepArgs) -> Result<()> {
    use absorb::analysis::sweep::{self, Grid, Shard, SweepFile};
    let file = match &args.grid {
        Some(path) => SweepFile::load(path)?,
        None => SweepFile::default(),
    };
    let scene_name = args.scene.clone().or(file.scene.clone());
    let (scene, _, _) = load_scene(&scene_name, true)?;
    let params = scene.scheme.params(Default::default());
    // A flag replaces the file's field; either replaces the scene's value.
    let pick = |flag: Vec<f64>, field: &[f64], default: f64| {
        if !flag.is_empty() {
            flag
        } else if !field.is_empty() {
            field.to_vec()
        } else {
            vec![default]
        }
    };
    let mut phis = Vec::new();
    for item in &args.phi {
        phis.extend(parse_values(item).map_err(|e| anyhow::anyhow!("--phi = {item} is not allowed: {e}"))?);
    }
    if args.phi.is_empty() {
        phis.extend(&file.phis);
        for &(from, to, step) in &file.phi_ranges {
            phis.extend(sweep::phi_range(from, to, step)?);
        }
    }
    if args.threads == Some(0) {
        anyhow::bail!("--threads = 0 is not allowed: at least 1 worker thread");
    }
    let or_file = |flag: Vec<String>, field: Vec<String>| if flag.is_empty() { field } else { flag };
    let schemes = or_file(args.scheme, file.schemes);
    let ns = if !args.n.is_empty() { args.n } else { file.ns };
    let grid = Grid {
        schemes: if schemes.is_empty() { vec![scene.scheme.name().to_string()] } else { schemes },
        kicks: pick(args.kick, &file.kicks, params.kick),
        lrs: pick(args.lr, &file.lrs, params.lr),
        batches: pick(args.batch, &file.batches, params.batch),
        fixed_batch: args.fixed_batch || file.fixed_batch || params.batch_mode == BatchMode::Fixed,
        phis: if phis.is_empty() { vec![scene.phi] } else { phis },
        ns: if ns.is_empty() { vec![scene.n] } else { ns },
        replicates: args.replicates.or(file.replicates).unwrap_or(1),
        base_seed: args.seed.or(file.seed).unwrap_or(scene.seed),
        steps: args.steps.or(file.steps).unwrap_or(scene.steps),
        msd_at: if args.msd_at.is_empty() { file.msd_at } else { args.msd_at },
        structure_factor: args.structure_factor.or(file.structure_factor),
        flatness: args.flatness.or(file.flatness),
        base: scene,
    };
    let shard = match &args.shard {
        Some(text) => Shard::parse(text)?,
        None => Shard::from_slurm(|name| std::env::var(name).ok())?.unwrap_or(Shard::ALL),
    };
    let points = grid.points()?;
    let mine = shard.select(&points).len();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(mine as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} points, {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let done = pool.install(|| {
        sweep::run(&grid, &args.out, shard, |point, outcome| {
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(format!("last {}: f_inf = {:.4}", point.id(), outcome.f_inf));
            }
        })
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!(
        "{} points of {} in shard {}/{}: {} run now, {} finished before; results in {}",
        mine,
        points.len(),
        shard.index,
        shard.count,
        done.ran,
        done.skipped,
        args.out.join(sweep::POINTS_DIR).display()
    );
    Ok(())
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

fn merge(dirs: &[PathBuf], out: Option<PathBuf>) -> Result<()> {
    use absorb::analysis::sweep;
    let (rows, unfinished) = sweep::gather(dirs)?;
    match &out {
        Some(path) => {
            absorb::io::write_atomically(path, |w| sweep::write_csv(&rows, w).map_err(std::io::Error::other))?
        }
        None => sweep::write_csv(&rows, std::io::stdout().lock())?,
    }
    eprintln!(
        "{} finished points{}{}",
        rows.len(),
        if unfinished > 0 { format!(", {unfinished} unfinished left out") } else { String::new() },
        out.map_or(String::new(), |p| format!("; wrote {}", p.display()))
    );
    Ok(())
}

fn critical(file: &std::path::Path, beta: Option<f64>, max_activity: f64) -> Result<()> {
    use absorb::analysis::critical;
    if let Some(b) = beta
        && !(b.is_finite() && b > 0.0)
    {
        anyhow::bail!("--beta = {b} is not allowed: an exponent > 0");
    }
    if !(max_activity > 0.0 && max_activity <= 1.0) {
        anyhow::bail!("--max-activity = {max_activity} is not allowed: an activity in (0, 1]");
    }
    let runs = critical::read_runs(file)?;
    for e in critical::estimate(&runs, beta, max_activity) {
        println!("{}:", e.group);
        let levels: Vec<String> =
            e.levels.iter().map(|l| format!("{} ({}/{} absorbed)", l.phi, l.absorbed, l.runs)).collect();
        println!("  runs at phi: {}", levels.join(", "));
        match e.half_absorbed {
            Some((phi, lo, hi)) => println!("  half the runs absorbed at phi = {phi:.4} (between {lo} and {hi})"),
            None => println!("  the absorbed fraction never crosses one half in this range of phi"),
        }
        match e.power_law {
            Ok(p) => {
                let beta = if p.beta.1 == 0.0 {
                    format!("{} (fixed)", p.beta.0)
                } else {
                    format!("{:.3} +- {:.3}", p.beta.0, p.beta.1)
                };
                println!(
                    "  f_inf = A (phi - phi_c)^beta: phi_c = {:.4} +- {:.4}, beta = {beta}, A = {:.3} +- {:.3}, chi2/dof = {:.2} ({} phi)",
                    p.phi_c.0, p.phi_c.1, p.amplitude.0, p.amplitude.1, p.chi2_per_dof, p.points
                );
            }
            Err(why) => println!("  no power-law fit: {why}"),
        }
    }
    Ok(())
}

fn collapse(file: &std::path::Path, exponents: &str, y: &str, dy: &str, png: &std::path::Path) -> Result<()> {
    use absorb::analysis::collapse::{self, Free, Scaling};
    let data = collapse::read_table(file, y, dy)?;
    let (free, fixed) = match exponents {
        "free" => (Free::All, Scaling { phi_c: 0.0, nu: 0.6, kappa: 1.0 }),
        other => (
            Free::PhiC,
            collapse::exponents(other).ok_or_else(|| {
                anyhow::anyhow!("--exponents = {other} is not allowed: manna-3d, manna-2d, mean-field or free")
            })?,
        ),
    };
    let phis: Vec<f64> = data.rows.iter().map(|r| r[1]).collect();
    let start = Scaling { phi_c: phis.iter().sum::<f64>() / phis.len().max(1) as f64, ..fixed };
    let span =
        phis.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - phis.iter().cloned().fold(f64::INFINITY, f64::min);
    let steps = Scaling { phi_c: 0.1 * span.max(1e-6), nu: 0.1, kappa: 0.2 };
    let fit = collapse::fit(&data, start, steps, free).with_context(|| format!("collapsing {}", file.display()))?;
    let (b, e) = (fit.best, fit.errors);
    println!("phi_c = {:.5} +- {:.5}", b.phi_c, e.phi_c);
    let fixed_note = |err: f64| if err == 0.0 { " (fixed)".to_string() } else { format!(" +- {err:.4}") };
    println!("nu_perp = {:.4}{}", b.nu, fixed_note(e.nu));
    println!("exponent of y (y L^kappa) = {:.4}{}", b.kappa, fixed_note(e.kappa));
    println!("quality S = {:.3} ({} sizes, {} points)", fit.quality, data.sizes().len(), data.rows.len());
    let figure = absorb::analysis::plot::Figure {
        title: format!(
            "collapse: phi_c = {:.4}, nu_perp = {:.3}, kappa = {:.3}, S = {:.2}",
            b.phi_c, b.nu, b.kappa, fit.quality
        ),
        x_label: "(phi - phi_c) L^(1/nu_perp)   (L in diameters)".into(),
        y_label: format!("{y} L^kappa"),
        series: data
            .sizes()
            .into_iter()
            .zip(data.scaled(b))
            .map(|(l, c)| absorb::analysis::plot::Series {
                label: format!("L = {l:.1}"),
                points: c.x.iter().zip(&c.y).zip(&c.dy).map(|((&x, &y), &e)| (x, y, e)).collect(),
            })
            .collect(),
    };
    figure.save_png(png)?;
    println!("wrote {}", png.display());
    Ok(())
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
    match absorb::app::run(absorb::app::ViewOptions {
        scene,
        path,
        screenshot,
        measure_fps: args.measure_fps,
        color_by,
    })? {
        bevy::app::AppExit::Success => Ok(()),
        // The visualizer has said why already.
        bevy::app::AppExit::Error(code) => std::process::exit(i32::from(code.get())),
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
    if a.threads == Some(0) {
        anyhow::bail!("--threads = 0 is not allowed: at least 1 worker thread");
    }
    Ok(())
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
