//! `absorb sweep` and `absorb sweep merge`.

use super::args::{parse_phis, with_progress};
use absorb::sim::{BatchMode, SchemeKind};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
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
    /// Schemes, comma-separated names (default: the scene's).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    scheme: Vec<SchemeKind>,
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
    /// A pair counts as active only when its overlap 1 - r/sigma exceeds this
    /// fraction, in [0, 1) (default: the scene's; 0 for m = 1, 0.001 for m > 1).
    #[arg(long, value_name = "TOL", visible_alias = "tolerance")]
    overlap_tolerance: Option<f64>,
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

pub fn sweep(args: SweepArgs) -> Result<()> {
    use absorb::analysis::sweep::{self, Grid, Shard, SweepFile};
    let file = match &args.grid {
        Some(path) => SweepFile::load(path)?,
        None => SweepFile::default(),
    };
    let scene_name = args.scene.clone().or(file.scene.clone());
    let (mut scene, _, _) = super::args::load_scene(&scene_name, true)?;
    if let Some(t) = args.overlap_tolerance {
        super::args::check_overlap_tolerance(t)?;
        scene.overlap_tolerance = Some(t);
    }
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
    let schemes = if args.scheme.is_empty() { file.schemes } else { args.scheme };
    let ns = if !args.n.is_empty() { args.n } else { file.ns };
    let grid = Grid {
        schemes: if schemes.is_empty() { vec![scene.scheme.kind()] } else { schemes },
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
    // Points run one per worker thread: the largest N, that many times at once.
    if grid.base.start == absorb::scene::Start::Random
        && let Some(&n) = grid.ns.iter().max()
    {
        let threads = pool.current_num_threads();
        absorb::budget::check_runs(grid.base.dim, n, threads.min(mine.max(1)), threads, &format!("--n {n}"))?;
    }
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
