//! The measuring commands: `absorb sweep`, `absorb sweep merge`, `absorb
//! analyze critical` and `absorb analyze collapse`. Parse, call the library,
//! report.

use absorb::sim::BatchMode;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, allow_negative_numbers = true)]
pub struct SweepCommand {
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    #[command(flatten)]
    pub run: SweepArgs,
}

#[derive(Subcommand)]
pub enum SweepAction {
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
pub struct SweepArgs {
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
pub enum FigureCommand {
    /// Fig. 5a: MSD after a fixed number of iterations against the kick size,
    /// for pairwise BRO, SGD matched to it and their stochastic approximation.
    MsdVsStep {
        /// Folder for msd-vs-step.csv and msd-vs-step.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        /// Packing fraction.
        #[arg(long, value_name = "PHI")]
        phi: Option<f64>,
        /// Iterations after which the MSD is read.
        #[arg(long, value_name = "K")]
        iterations: Option<u64>,
        /// Runs per scheme and kick size.
        #[arg(long, value_name = "R")]
        replicates: Option<u64>,
    },
    /// Fig. 5b: phi_c against the step size for pairwise BRO, SGD and RCD, by
    /// bisection on where half the runs absorb.
    PhiCVsStep {
        /// Folder for phi-c-vs-step.csv and phi-c-vs-step.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        /// Iterations a run has to absorb.
        #[arg(long, value_name = "K")]
        iterations: Option<u64>,
        /// Runs at each packing fraction tried.
        #[arg(long, value_name = "R")]
        replicates: Option<u64>,
        /// Bisection steps.
        #[arg(long, value_name = "B")]
        bisections: Option<u32>,
    },
    /// Fig. 3: f_inf and tau of SGD against phi for several N and batch
    /// fractions, and their collapse with the 3D Manna exponents. The runs
    /// go to DIR/activity-vs-phi-runs; run again to resume.
    ActivityVsPhi {
        /// Folder for activity-vs-phi.csv, activity-vs-phi-collapse.csv and activity-vs-phi.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particle numbers, comma-separated.
        #[arg(long = "n", value_name = "N", value_delimiter = ',')]
        n: Vec<usize>,
        #[command(flatten)]
        runs: FigureRuns,
    },
    /// Fig. 4b: flatness <dU>/(N sigma_p^2) of the steady state against the
    /// batch fraction, SGD and RCD, at several phi above phi_c. The runs go
    /// to DIR/flatness-vs-batch-runs; run again to resume.
    FlatnessVsBatch {
        /// Folder for flatness-vs-batch.csv and flatness-vs-batch.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        #[command(flatten)]
        runs: FigureRuns,
        /// Perturbations per configuration.
        #[arg(long, value_name = "M")]
        samples: Option<usize>,
    },
}

/// The runs behind a figure that is a sweep of SGD (and RCD) state points.
#[derive(Args)]
pub struct FigureRuns {
    /// Batch fractions, comma-separated.
    #[arg(long, value_name = "B", value_delimiter = ',')]
    batch: Vec<f64>,
    /// Learning rate alpha.
    #[arg(long, value_name = "ALPHA")]
    lr: Option<f64>,
    /// Packing fractions: values and FROM:TO:STEP ranges, comma-separated.
    #[arg(long, value_name = "PHI", value_delimiter = ',')]
    phi: Vec<String>,
    /// Runs per state point, each from its own random start.
    #[arg(long, value_name = "R")]
    replicates: Option<u32>,
    /// Iterations at most per run (it stops early once absorbed).
    #[arg(long, value_name = "T")]
    steps: Option<u64>,
}

impl FigureRuns {
    /// (batches, lr, phis, replicates, steps), each from its flag or from
    /// the given defaults.
    fn pick(&self, batches: &[f64], lr: f64, phis: &[f64], replicates: u32, steps: u64) -> Result<Picked> {
        Ok(Picked {
            batches: if self.batch.is_empty() { batches.to_vec() } else { self.batch.clone() },
            lr: self.lr.unwrap_or(lr),
            phis: if self.phi.is_empty() { phis.to_vec() } else { parse_phis(&self.phi)? },
            replicates: self.replicates.unwrap_or(replicates),
            steps: self.steps.unwrap_or(steps),
        })
    }
}

/// The values of [`FigureRuns`] with the defaults filled in.
struct Picked {
    batches: Vec<f64>,
    lr: f64,
    phis: Vec<f64>,
    replicates: u32,
    steps: u64,
}

/// What a figure command writes: CSV tables and the picture's panels.
struct FigureOutput {
    /// (file stem, header, rows); the first is printed as well.
    tables: Vec<(&'static str, &'static str, Vec<String>)>,
    /// File stem of the PNG.
    name: &'static str,
    /// Panels, `columns` to a row.
    panels: Vec<absorb::analysis::plot::Figure>,
    columns: usize,
}

/// Runs a figure command.
pub fn figure(command: FigureCommand) -> Result<()> {
    use absorb::analysis::figures::{ActivityVsPhi, FlatnessVsBatch, MsdVsStep, PhiCVsStep};
    use absorb::analysis::plot;
    let started = std::time::Instant::now();
    let single = |name, header, rows, figure| FigureOutput {
        tables: vec![(name, header, rows)],
        name,
        panels: vec![figure],
        columns: 1,
    };
    let (out, output) = match command {
        FigureCommand::MsdVsStep { out, n, phi, iterations, replicates } => {
            let d = MsdVsStep::default();
            let spec = MsdVsStep {
                n: n.unwrap_or(d.n),
                phi: phi.unwrap_or(d.phi),
                iterations: iterations.unwrap_or(d.iterations),
                replicates: replicates.unwrap_or(d.replicates),
                ..d
            };
            if spec.replicates == 0 || spec.iterations == 0 {
                anyhow::bail!("--replicates and --iterations must be at least 1");
            }
            let points = spec.run()?;
            let rows: Vec<String> =
                points.iter().map(|p| format!("{},{},{},{}", p.scheme, p.kick, p.msd, p.error)).collect();
            (out, single("msd-vs-step", "scheme,kick,msd,msd_error", rows, spec.figure(&points)))
        }
        FigureCommand::PhiCVsStep { out, n, iterations, replicates, bisections } => {
            let d = PhiCVsStep::default();
            let spec = PhiCVsStep {
                n: n.unwrap_or(d.n),
                iterations: iterations.unwrap_or(d.iterations),
                replicates: replicates.unwrap_or(d.replicates),
                bisections: bisections.unwrap_or(d.bisections),
                ..d
            };
            if spec.replicates == 0 || spec.iterations == 0 || spec.bisections == 0 {
                anyhow::bail!("--replicates, --iterations and --bisections must be at least 1");
            }
            let points = spec.run()?;
            let rows: Vec<String> =
                points.iter().map(|p| format!("{},{},{},{}", p.scheme, p.step, p.phi_c, p.error)).collect();
            (out, single("phi-c-vs-step", "scheme,step,phi_c,phi_c_error", rows, spec.figure(&points)))
        }
        FigureCommand::ActivityVsPhi { out, n, runs } => {
            let d = ActivityVsPhi::default();
            let p = runs.pick(&d.batches, d.lr, &d.phis, d.replicates, d.steps)?;
            let spec = ActivityVsPhi {
                ns: if n.is_empty() { d.ns.clone() } else { n },
                batches: p.batches,
                lr: p.lr,
                phis: p.phis,
                replicates: p.replicates,
                steps: p.steps,
                ..d
            };
            let runs = out.join("activity-vs-phi-runs");
            let result = with_progress(spec.grid().points()?.len(), |tick| spec.run(&runs, tick))?;
            let option = |v: Option<(f64, f64)>| v.map_or(",".to_string(), |(y, e)| format!("{y},{e}"));
            let levels = result
                .levels
                .iter()
                .map(|l| {
                    format!(
                        "{},{},{},{},{},{},{},{}",
                        l.batch,
                        l.n,
                        l.side,
                        l.phi,
                        l.runs,
                        l.absorbed,
                        option(l.f_inf),
                        option(l.tau)
                    )
                })
                .collect();
            let fits = result
                .collapses
                .iter()
                .map(|c| match &c.fit {
                    Ok(f) => format!(
                        "{},{},{},{},{},{},{},",
                        c.batch, c.observable, f.best.phi_c, f.errors.phi_c, f.best.nu, f.best.kappa, f.quality
                    ),
                    Err(why) => format!("{},{},,,,,,\"{}\"", c.batch, c.observable, why.replace('"', "'")),
                })
                .collect();
            let output = FigureOutput {
                tables: vec![
                    (
                        "activity-vs-phi-collapse",
                        "batch,observable,phi_c,phi_c_error,nu_perp,kappa,quality,why_none",
                        fits,
                    ),
                    ("activity-vs-phi", "batch,n,L,phi,runs,absorbed,f_inf,f_inf_error,tau,tau_error", levels),
                ],
                name: "activity-vs-phi",
                panels: spec.figures(&result),
                columns: 4,
            };
            (out, output)
        }
        FigureCommand::FlatnessVsBatch { out, n, runs, samples } => {
            let d = FlatnessVsBatch::default();
            let p = runs.pick(&d.batches, d.lr, &d.phis, d.replicates, d.steps)?;
            let spec = FlatnessVsBatch {
                n: n.unwrap_or(d.n),
                batches: p.batches,
                lr: p.lr,
                phis: p.phis,
                replicates: p.replicates,
                steps: p.steps,
                samples: samples.unwrap_or(d.samples),
                ..d
            };
            if spec.samples < 2 {
                anyhow::bail!("--samples = {} is not allowed: at least 2 perturbations", spec.samples);
            }
            let runs = out.join("flatness-vs-batch-runs");
            let points = with_progress(spec.grid().points()?.len(), |tick| spec.run(&runs, tick))?;
            let rows = points
                .iter()
                .map(|p| {
                    let (f, e) =
                        p.flatness.map_or((String::new(), String::new()), |(f, e)| (f.to_string(), e.to_string()));
                    format!("{},{},{},{},{},{},{f},{e}", p.scheme, p.batch, p.phi, p.runs, p.absorbed, p.f_inf)
                })
                .collect();
            let output = FigureOutput {
                tables: vec![(
                    "flatness-vs-batch",
                    "scheme,batch,phi,runs,absorbed,f_inf,flatness,flatness_error",
                    rows,
                )],
                name: "flatness-vs-batch",
                panels: spec.figures(&points),
                columns: spec.phis.len().min(3),
            };
            (out, output)
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for (name, header, rows) in &output.tables {
        let table = out.join(format!("{name}.csv"));
        absorb::io::write_atomically(&table, |w| {
            writeln!(w, "{header}")?;
            for row in rows {
                writeln!(w, "{row}")?;
            }
            Ok(())
        })?;
        written.push(table.display().to_string());
    }
    let png = out.join(format!("{}.png", output.name));
    let panel = if output.panels.len() == 1 { plot::SIZE } else { plot::PANEL };
    plot::save_panels(&output.panels, output.columns, panel, &png)?;
    if let Some((_, header, rows)) = output.tables.first() {
        println!("{header}");
        for row in rows {
            println!("{row}");
        }
    }
    written.push(png.display().to_string());
    println!("wrote {} in {:.0} s", written.join(", "), started.elapsed().as_secs_f64());
    Ok(())
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

#[derive(Subcommand)]
pub enum AnalyzeCommand {
    /// The finite-size-scaling table of a merged sweep: for one family
    /// (scheme, step, batch, potential, d), the surviving runs' mean f_inf and
    /// its error at each L and phi, as the columns L,phi,y,dy that
    /// `analyze collapse` reads.
    Table {
        /// Table written by `absorb sweep merge`.
        file: PathBuf,
        /// The family to keep, as `analyze critical` names it without n=
        /// (needed when the sweep holds more than one).
        #[arg(long, value_name = "LABEL")]
        family: Option<String>,
        /// Where the table goes (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
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

pub fn sweep(args: SweepArgs) -> Result<()> {
    use absorb::analysis::sweep::{self, Grid, Shard, SweepFile};
    let file = match &args.grid {
        Some(path) => SweepFile::load(path)?,
        None => SweepFile::default(),
    };
    let scene_name = args.scene.clone().or(file.scene.clone());
    let (scene, _, _) = crate::load_scene(&scene_name, true)?;
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
    let mut phis = parse_phis(&args.phi)?;
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
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let done = with_progress(mine, |tick| pool.install(|| sweep::run(&grid, &args.out, shard, tick)))?;
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

pub fn merge(dirs: &[PathBuf], out: Option<PathBuf>) -> Result<()> {
    use absorb::analysis::merge;
    let (rows, unfinished) = merge::gather(dirs)?;
    match &out {
        Some(path) => {
            absorb::io::write_atomically(path, |w| merge::write_csv(&rows, w).map_err(std::io::Error::other))?
        }
        None => merge::write_csv(&rows, std::io::stdout().lock())?,
    }
    eprintln!(
        "{} finished points{}{}",
        rows.len(),
        if unfinished > 0 { format!(", {unfinished} unfinished left out") } else { String::new() },
        out.map_or(String::new(), |p| format!("; wrote {}", p.display()))
    );
    Ok(())
}

pub fn table(file: &std::path::Path, family: Option<&str>, out: Option<&std::path::Path>) -> Result<()> {
    use absorb::analysis::critical;
    let rows = critical::scaling_table(&critical::read_runs(file)?);
    let mut families: Vec<&str> = rows.iter().map(|r| r.family.as_str()).collect();
    families.dedup();
    let chosen = match family {
        Some(f) if families.contains(&f) => f.to_string(),
        Some(f) => anyhow::bail!("--family = {f} is not allowed: one of {}", families.join("; ")),
        None if families.len() == 1 => families[0].to_string(),
        None if families.is_empty() => anyhow::bail!("{}: no packing fraction has a surviving run", file.display()),
        None => anyhow::bail!(
            "{} holds several families: choose one with --family ({})",
            file.display(),
            families.join("; ")
        ),
    };
    let text: String = std::iter::once("L,phi,y,dy\n".to_string())
        .chain(rows.iter().filter(|r| r.family == chosen).map(|r| format!("{},{},{},{}\n", r.side, r.phi, r.y, r.dy)))
        .collect();
    match out {
        Some(path) => {
            absorb::io::write_atomically(path, |w| w.write_all(text.as_bytes()))?;
            eprintln!("wrote {} ({chosen})", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

pub fn critical(file: &std::path::Path, beta: Option<f64>, max_activity: f64) -> Result<()> {
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

pub fn collapse(file: &std::path::Path, exponents: &str, y: &str, dy: &str, png: &std::path::Path) -> Result<()> {
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
        log_x: false,
        log_y: false,
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
