//! `absorb run`: one scene run headless, with its flags' overrides and
//! the memory check before it allocates.

use absorb::scene::Scene;
use absorb::sim::{BatchMode, Param, Potential, SchemeKind};
use anyhow::{Context, Result};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Args, Default)]
pub struct RunArgs {
    /// Scene file, or the name of one in scenes/ (default: the built-in default scene).
    scene: Option<String>,
    #[command(flatten)]
    flags: SceneFlags,
    /// Iterations at most (the run stops early once absorbed).
    #[arg(long, value_name = "T")]
    steps: Option<u64>,
    /// Worker threads (results are the same bits at any count).
    #[arg(long, value_name = "K")]
    threads: Option<usize>,
    /// Output directory (default: out/SCENE).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Record the run as the window's Record button does: a trajectory
    /// frame every K iterations (and the first and last) in
    /// DIR/trajectory.xyz, beside the time series and a change log, for
    /// `absorb view --replay` or OVITO.
    #[arg(long, value_name = "K")]
    record_every: Option<u64>,
}

/// The flags that override a scene's fields: `absorb run`'s and `absorb movie`'s.
#[derive(Args, Default)]
pub struct SceneFlags {
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
    scheme: Option<SchemeKind>,
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
}

impl RunArgs {
    /// A run of `scene` with no flags (what `absorb view` does without the visualizer).
    #[cfg(not(feature = "gui"))]
    pub fn of_scene(scene: Option<String>) -> Self {
        Self { scene, ..Self::default() }
    }
}

pub fn run_headless(args: RunArgs) -> Result<()> {
    let (mut scene, name, path) = super::args::load_scene(&args.scene, false)?;
    check_flags(&args.flags)?;
    if args.threads == Some(0) {
        anyhow::bail!("--threads = 0 is not allowed: at least 1 worker thread");
    }
    if args.record_every == Some(0) {
        anyhow::bail!("--record-every = 0 is not allowed: a frame every K >= 1 iterations");
    }
    apply_overrides(&mut scene, &args.flags)?;
    scene.steps = args.steps.unwrap_or(scene.steps);
    scene.validate().map_err(|e| blame(e, &args.flags, args.steps.is_some(), &path))?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(&name));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    if scene.start == absorb::scene::Start::Random {
        let what = if args.flags.n.is_some() { format!("--n {}", scene.n) } else { format!("{}", path.display()) };
        absorb::budget::check_runs(scene.dim, scene.n, 1, pool.current_num_threads(), &what)?;
    }
    let progress = std::io::stderr().is_terminal();
    let summary = pool.install(|| absorb::run::run(&scene, &out, progress, args.record_every))?;
    println!("{summary}");
    eprintln!(
        "wrote {} and {}",
        out.join(absorb::run::TIMESERIES_FILE).display(),
        out.join(absorb::run::FINAL_FILE).display()
    );
    if args.record_every.is_some() {
        eprintln!("recorded {}", out.join(absorb::io::recording::TRAJECTORY_FILE).display());
    }
    Ok(())
}

/// Checks the flags' own ranges, so that an error names the flag even where
/// the scheme would not use it.
pub fn check_flags(a: &SceneFlags) -> Result<()> {
    use absorb::sim::scheme::{check_batch, check_step};
    let as_flag = |e: absorb::Error| anyhow::anyhow!("--{e}");
    a.kick.map_or(Ok(()), |x| check_step("kick", x)).map_err(as_flag)?;
    a.lr.map_or(Ok(()), |x| check_step("lr", x)).map_err(as_flag)?;
    a.batch.map_or(Ok(()), check_batch).map_err(as_flag)?;
    if let Some(t) = a.overlap_tolerance {
        super::args::check_overlap_tolerance(t)?;
    }
    Ok(())
}

/// An invalid field set by a flag is reported as that flag; any other as a
/// field of the scene file.
pub fn blame(e: absorb::Error, a: &SceneFlags, steps_given: bool, path: &std::path::Path) -> anyhow::Error {
    if let absorb::Error::Invalid { field, .. } = &e {
        if field == "box side" && (a.n.is_some() || a.phi.is_some()) {
            return anyhow::anyhow!("{e}");
        }
        let from_flag = match field.as_str() {
            "dim" => a.dim.is_some(),
            "n" => a.n.is_some(),
            "phi" => a.phi.is_some(),
            "seed" => a.seed.is_some(),
            "steps" => steps_given,
            _ => false,
        };
        if from_flag {
            return anyhow::anyhow!("--{e}");
        }
    }
    anyhow::anyhow!("{}: {e}", path.display())
}

/// Flags override the scene; a changed scheme parameter rebuilds the scheme.
pub fn apply_overrides(scene: &mut Scene, a: &SceneFlags) -> Result<()> {
    scene.dim = a.dim.unwrap_or(scene.dim);
    scene.n = a.n.unwrap_or(scene.n);
    scene.phi = a.phi.unwrap_or(scene.phi);
    scene.seed = a.seed.unwrap_or(scene.seed);
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
        let kind = a.scheme.unwrap_or(scene.scheme.kind());
        scene.scheme = kind.build(&params).map_err(|e| anyhow::anyhow!("--{e}"))?;
        let given = [
            ("kick", Param::Kick, a.kick.is_some()),
            ("lr", Param::Lr, a.lr.is_some()),
            ("batch", Param::Batch, a.batch.is_some()),
            ("fixed-batch", Param::Batch, a.fixed_batch),
        ];
        for (flag, param, given) in given {
            if given && !scene.scheme.parameters().contains(&param) {
                eprintln!("absorb: note: --{flag} does not apply to {kind} and is ignored");
            }
        }
    }
    Ok(())
}
