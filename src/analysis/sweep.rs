//! Sweeps: a grid of state points (scheme and step size x phi x N x
//! replicates) run headless, each in its own directory with `value.json`
//! (its parameters, so a workflow manager such as row or signac can drive
//! it) and, once finished, `result.json`. An interrupted sweep resumes and
//! skips finished points; `--shard I/K` runs a fixed 1/K of the points; the
//! merged table of K shards is the table of the whole sweep.

use crate::error::{Error, Result};
use crate::io;
use crate::scene::Scene;
use crate::sim::observe::{self, PLATEAU_FRACTION};
use crate::sim::{BatchMode, Param, SchemeKind, SchemeParams, rng, scheme};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the files a sweep writes; a directory written by another is refused.
pub const FORMAT: u32 = 1;
/// A point's parameters.
pub const VALUE_FILE: &str = "value.json";
/// A finished point's results.
pub const RESULT_FILE: &str = "result.json";
/// The points live in `DIR/points/ID/`.
pub const POINTS_DIR: &str = "points";
/// Blocks the plateau of an active run is cut into for the error of f_inf.
const ERROR_BLOCKS: usize = 10;

/// One state point: everything that decides its run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Version of the sweep files ([`FORMAT`]).
    pub format: u32,
    /// The scheme (its name in MODEL.md in files).
    pub scheme: SchemeKind,
    /// Kick size eps (BRO, SA matched to BRO), else null.
    pub kick: Option<f64>,
    /// Learning rate alpha (SGD, RCD, GD, SA matched to them), else null.
    pub lr: Option<f64>,
    /// Batch fraction b (SGD, RCD), else null.
    pub batch: Option<f64>,
    /// Exactly round(b P) pairs per batch.
    pub fixed_batch: bool,
    /// Pair potential exponent m.
    pub potential: f64,
    /// Dimension d.
    pub dim: usize,
    /// Number of particles N.
    pub n: usize,
    /// Packing fraction.
    pub phi: f64,
    /// Replicate r = 0, 1, ...: a different seed at the same parameters.
    pub replicate: u32,
    /// The run's seed, derived from the sweep's base seed and the parameters above.
    pub seed: u64,
    /// Iterations at most.
    pub steps: u64,
    /// Iterations after which the MSD is reported.
    pub msd_at: Vec<u64>,
    /// S(k) of the final configuration for 0 < |n| <= this (k = 2 pi n / L), if set.
    #[serde(default)]
    pub structure_factor: Option<usize>,
    /// Flatness <dU> of the final configuration from this many perturbations, if set.
    #[serde(default)]
    pub flatness: Option<usize>,
}

/// The flatness of a point's final configuration (MODEL.md): random
/// perturbations of deviation sigma_p per coordinate raise the energy by <dU>.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flatness {
    /// <dU> / N.
    pub per_particle: f64,
    /// Its standard error.
    pub error: f64,
    /// <dU> / (N sigma_p^2).
    pub per_particle_per_variance: f64,
    /// sigma_p, in diameters.
    pub sigma_p: f64,
    /// Perturbations M.
    pub samples: usize,
}

/// What a finished point measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Box side L, in diameters.
    pub side: f64,
    /// The run reached f_a = 0.
    pub absorbed: bool,
    /// First absorbed iteration, or the relaxation time of an active run (None: not reached).
    pub tau: Option<u64>,
    /// Steady-state activity: 0 if absorbed, else the mean over the last half.
    pub f_inf: f64,
    /// Standard error of f_inf from block averages (0 if absorbed).
    pub f_inf_error: f64,
    /// Energy per particle at the end.
    pub energy: f64,
    /// Iterations run.
    pub iterations: u64,
    /// MSD after each of the point's `msd_at` iterations (the final value
    /// where the run stopped earlier: an absorbed packing no longer moves).
    pub msd: Vec<f64>,
    /// S(k) of the final configuration in shells: (|k| in 1/diameter, S, error).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structure_factor: Vec<(f64, f64, f64)>,
    /// Flatness of the final configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flatness: Option<Flatness>,
    /// Wall-clock seconds (not part of the merged table: it varies).
    pub seconds: f64,
}

/// The grid of a sweep, from the command line or a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Everything a point does not set (radii, potential, tolerance ...).
    pub base: Scene,
    /// The schemes.
    pub schemes: Vec<SchemeKind>,
    /// Kick sizes, for the schemes that take one.
    pub kicks: Vec<f64>,
    /// Learning rates, for the schemes that take one.
    pub lrs: Vec<f64>,
    /// Batch fractions, for the schemes that take one.
    pub batches: Vec<f64>,
    /// Fixed-size batches.
    pub fixed_batch: bool,
    /// Packing fractions.
    pub phis: Vec<f64>,
    /// Particle numbers.
    pub ns: Vec<usize>,
    /// Replicates per parameter set.
    pub replicates: u32,
    /// Base seed the points' seeds derive from.
    pub base_seed: u64,
    /// Iterations at most per run.
    pub steps: u64,
    /// Iterations after which the MSD is reported.
    pub msd_at: Vec<u64>,
    /// Measure S(k) up to this |n| at the end of each run.
    pub structure_factor: Option<usize>,
    /// Measure the flatness with this many perturbations at the end of each run.
    pub flatness: Option<usize>,
}

impl Grid {
    /// Every state point, sorted by id, each with its derived seed; checks
    /// every value first.
    pub fn points(&self) -> Result<Vec<Point>> {
        let nonempty = |name: &str, len: usize| {
            if len == 0 { Err(Error::invalid(name, "an empty list", "at least one value")) } else { Ok(()) }
        };
        nonempty("--scheme", self.schemes.len())?;
        nonempty("--phi", self.phis.len())?;
        nonempty("--n", self.ns.len())?;
        for (flag, values) in [("--kick", &self.kicks), ("--lr", &self.lrs)] {
            for &v in values {
                scheme::check_step(&flag[2..], v).map_err(as_flag)?;
            }
        }
        for &b in &self.batches {
            scheme::check_batch(b).map_err(as_flag)?;
        }
        if self.replicates == 0 {
            return Err(Error::invalid("--replicates", 0, "at least 1 run per parameter set"));
        }
        if self.structure_factor == Some(0) {
            return Err(Error::invalid("--structure-factor", 0, "a largest |n| >= 1 (k = 2 pi n / L)"));
        }
        if self.flatness.is_some_and(|m| m < 2) {
            return Err(Error::invalid("--flatness", self.flatness.unwrap_or(0), "at least 2 perturbations"));
        }
        let mut points = Vec::new();
        for &kind in &self.schemes {
            let takes = kind.parameters(&SchemeParams::default());
            let uses = |p: Param| takes.contains(&p);
            for (param, values) in [(Param::Kick, &self.kicks), (Param::Lr, &self.lrs), (Param::Batch, &self.batches)] {
                if uses(param) && values.is_empty() {
                    let param = param.name();
                    return Err(Error::invalid(
                        format!("--{param}"),
                        "no value",
                        format!("at least one value: {kind} takes a {param}"),
                    ));
                }
            }
            let options = |used: bool, values: &[f64]| -> Vec<Option<f64>> {
                if used { values.iter().copied().map(Some).collect() } else { vec![None] }
            };
            for kick in options(uses(Param::Kick), &self.kicks) {
                for lr in options(uses(Param::Lr), &self.lrs) {
                    for batch in options(uses(Param::Batch), &self.batches) {
                        for &phi in &self.phis {
                            for &n in &self.ns {
                                for replicate in 0..self.replicates {
                                    let mut point = Point {
                                        format: FORMAT,
                                        scheme: kind,
                                        kick,
                                        lr,
                                        batch,
                                        fixed_batch: self.fixed_batch && uses(Param::Batch),
                                        potential: self.base.potential.exponent(),
                                        dim: self.base.dim,
                                        n,
                                        phi,
                                        replicate,
                                        seed: 0,
                                        steps: self.steps,
                                        msd_at: self.msd_at.clone(),
                                        structure_factor: self.structure_factor,
                                        flatness: self.flatness,
                                    };
                                    point.seed = rng::mix(self.base_seed ^ fnv1a(point.id().as_bytes()));
                                    point.scene(&self.base)?;
                                    points.push(point);
                                }
                            }
                        }
                    }
                }
            }
        }
        points.sort_by_key(Point::id);
        Ok(points)
    }
}

/// An invalid value that a sweep flag set, named as that flag.
fn as_flag(e: Error) -> Error {
    match e {
        Error::Invalid { field, value, allowed }
            if ["scheme", "kick", "lr", "batch", "n", "phi"].contains(&field.as_str()) =>
        {
            Error::Invalid { field: format!("--{field}"), value, allowed }
        }
        other => other,
    }
}

/// A sweep file (RON): the grid, field by field as the flags of `absorb
/// sweep` (a flag given as well replaces the field). Every field may be left
/// out; the scene fills what the sweep does not set.
///
/// ```ron
/// (
///     scene: "default",
///     schemes: ["sgd", "rcd"],
///     lrs: [0.05],
///     batches: [0.25, 0.5, 1.0],
///     phi_ranges: [(0.55, 0.65, 0.005)],
///     ns: [1000, 4000],
///     replicates: 4,
///     steps: 20000,
///     msd_at: [100, 1000],
/// )
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepFile {
    /// Scene file or name in scenes/.
    pub scene: Option<String>,
    /// The schemes, by name.
    pub schemes: Vec<SchemeKind>,
    /// Kick sizes.
    pub kicks: Vec<f64>,
    /// Learning rates.
    pub lrs: Vec<f64>,
    /// Batch fractions.
    pub batches: Vec<f64>,
    /// Fixed-size batches.
    pub fixed_batch: bool,
    /// Packing fractions.
    pub phis: Vec<f64>,
    /// Ranges of packing fractions (from, to, step), to included.
    pub phi_ranges: Vec<(f64, f64, f64)>,
    /// Particle numbers.
    pub ns: Vec<usize>,
    /// Runs per parameter set.
    pub replicates: Option<u32>,
    /// Base seed.
    pub seed: Option<u64>,
    /// Iterations at most per run.
    pub steps: Option<u64>,
    /// Iterations after which the MSD is reported.
    pub msd_at: Vec<u64>,
    /// S(k) up to this |n| at the end of each run.
    pub structure_factor: Option<usize>,
    /// Flatness from this many perturbations at the end of each run.
    pub flatness: Option<usize>,
}

impl SweepFile {
    /// Reads and parses a sweep file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // `steps: 500` rather than `steps: Some(500)`.
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        options.from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }
}

/// The values of `from:to:step`, `to` included when the steps land on it
/// (rounded to 12 digits, so 0.55 + 3 * 0.01 is 0.58).
pub fn phi_range(from: f64, to: f64, step: f64) -> Result<Vec<f64>> {
    if !(step > 0.0 && to >= from && (to - from) / step < 1e6) {
        return Err(Error::invalid(
            "--phi",
            format!("{from}:{to}:{step}"),
            "a range FROM:TO:STEP with STEP > 0 and TO >= FROM",
        ));
    }
    let count = ((to - from) / step + 1e-9).floor() as usize + 1;
    Ok((0..count).map(|k| ((from + k as f64 * step) * 1e12).round() / 1e12).collect())
}

/// FNV-1a: a hash of the point's parameters that every platform computes alike.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Point {
    /// The point's directory name: its parameters, readable.
    pub fn id(&self) -> String {
        let mut id = self.scheme.name().to_string();
        for (name, value) in [("kick", self.kick), ("lr", self.lr), ("batch", self.batch)] {
            if let Some(v) = value {
                id.push_str(&format!("_{name}{v}"));
            }
        }
        if self.fixed_batch {
            id.push_str("_fixed");
        }
        if self.potential != 1.0 {
            id.push_str(&format!("_m{}", self.potential));
        }
        id + &format!("_d{}_n{}_phi{}_r{}", self.dim, self.n, self.phi, self.replicate)
    }

    /// The scene of this point's run: the base scene with the point's values.
    pub fn scene(&self, base: &Scene) -> Result<Scene> {
        let mut params = base.scheme.params(SchemeParams::default());
        if let Some(kick) = self.kick {
            params.kick = kick;
        }
        if let Some(lr) = self.lr {
            params.lr = lr;
        }
        if let Some(batch) = self.batch {
            params.batch = batch;
        }
        params.batch_mode = if self.fixed_batch { BatchMode::Fixed } else { BatchMode::Probabilistic };
        let scene = Scene {
            scheme: self.scheme.build(&params).map_err(as_flag)?,
            n: self.n,
            phi: self.phi,
            seed: self.seed,
            steps: self.steps,
            ..base.clone()
        };
        scene.validate().map_err(as_flag)?;
        Ok(scene)
    }

    /// Runs the point's scene to absorption or to its last iteration.
    pub fn run(&self, base: &Scene) -> Result<Outcome> {
        let started = std::time::Instant::now();
        let scene = self.scene(base)?;
        let mut sim = scene.simulation()?;
        let mut activity = Vec::new();
        let mut msd = vec![None; self.msd_at.len()];
        let mut last = None;
        for _ in 0..scene.steps {
            let stats = sim.step();
            // stats.msd is measured before iteration k moves: after k iterations.
            for (slot, &k) in msd.iter_mut().zip(&self.msd_at) {
                if k == stats.iteration {
                    *slot = Some(stats.msd);
                }
            }
            activity.push(stats.activity);
            last = Some(stats);
            if stats.absorbed {
                break;
            }
        }
        // Not reached: the run stopped first, and nothing moves after that.
        let final_msd = sim.msd();
        let msd = msd.into_iter().map(|m| m.unwrap_or(final_msd)).collect();
        let structure_factor = self
            .structure_factor
            .map(|max_n| {
                observe::structure_factor(sim.packing(), max_n)
                    .into_iter()
                    .map(|shell| (shell.k, shell.s, shell.error))
                    .collect()
            })
            .unwrap_or_default();
        let flatness = match self.flatness {
            Some(samples) => {
                let sigma_p = observe::FLATNESS_SIGMA;
                let f = observe::flatness(sim.packing(), scene.potential, samples, sigma_p, self.seed)?;
                Some(Flatness {
                    per_particle: f.per_particle,
                    error: f.error / sim.packing().len() as f64,
                    per_particle_per_variance: f.per_particle_per_variance,
                    sigma_p,
                    samples,
                })
            }
            None => None,
        };
        let relaxation = observe::relaxation(&activity, PLATEAU_FRACTION);
        let f_inf_error = if relaxation.absorbed { 0.0 } else { block_error(&activity, PLATEAU_FRACTION) };
        Ok(Outcome {
            side: sim.packing().side(),
            absorbed: relaxation.absorbed,
            tau: relaxation.tau,
            f_inf: relaxation.f_inf,
            f_inf_error,
            energy: last.map_or(0.0, |s| s.energy),
            iterations: activity.len() as u64,
            msd,
            structure_factor,
            flatness,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Standard error of the plateau mean from ERROR_BLOCKS block means (the
/// samples of a time series are correlated; block means much less so).
fn block_error(activity: &[f64], plateau_fraction: f64) -> f64 {
    let len = ((activity.len() as f64 * plateau_fraction).ceil() as usize).clamp(1, activity.len());
    let plateau = &activity[activity.len() - len..];
    let size = plateau.len() / ERROR_BLOCKS;
    if size == 0 {
        return f64::NAN;
    }
    let means: Vec<f64> =
        plateau.chunks_exact(size).take(ERROR_BLOCKS).map(|b| b.iter().sum::<f64>() / size as f64).collect();
    let mean = means.iter().sum::<f64>() / means.len() as f64;
    let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (means.len() - 1) as f64;
    (var / means.len() as f64).sqrt()
}

/// Which 1/K of the points a process runs: those whose place in the sorted
/// list is I modulo K.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// I, from 0.
    pub index: usize,
    /// K.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `I/K` as written on the command line.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || Error::invalid("--shard", text, "I/K with 0 <= I < K, for example 0/4");
        let (i, k) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, k.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of a SLURM job array task (SLURM_ARRAY_TASK_ID counted from
    /// SLURM_ARRAY_TASK_MIN, out of SLURM_ARRAY_TASK_COUNT), if running in one.
    pub fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) else {
            return Ok(None);
        };
        let number = |name: &str, v: &str| {
            v.trim().parse::<usize>().map_err(|_| Error::invalid(name, v, "a whole number (set by SLURM)"))
        };
        let min = var("SLURM_ARRAY_TASK_MIN").map(|m| number("SLURM_ARRAY_TASK_MIN", &m)).transpose()?.unwrap_or(0);
        let (id, count) = (number("SLURM_ARRAY_TASK_ID", &id)?, number("SLURM_ARRAY_TASK_COUNT", &count)?);
        Shard::parse(&format!("{}/{count}", id.saturating_sub(min))).map(Some)
    }

    /// The points of this shard.
    pub fn select<'a>(&self, points: &'a [Point]) -> Vec<&'a Point> {
        points.iter().enumerate().filter(|(k, _)| k % self.count == self.index).map(|(_, p)| p).collect()
    }
}

/// What a sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// Points run now.
    pub ran: usize,
    /// Points skipped: finished by an earlier run.
    pub skipped: usize,
}

/// Runs the points of `shard` that have no result in `dir` yet, in parallel.
/// `progress` is told each finished point.
pub fn run(grid: &Grid, dir: &Path, shard: Shard, progress: impl Fn(&Point, &Outcome) + Sync) -> Result<Done> {
    let points = grid.points()?;
    let mine = shard.select(&points);
    let mut todo = Vec::new();
    let mut done = Done::default();
    for point in mine {
        let place = dir.join(POINTS_DIR).join(point.id());
        let value = place.join(VALUE_FILE);
        if value.exists() {
            let found: Point = read_json(&value)?;
            if &found != point {
                return Err(Error::InFile {
                    path: value,
                    error: Box::new(Error::invalid(
                        "state point",
                        "other parameters or another version of absorb",
                        "the point this sweep would run there: use a new --out directory",
                    )),
                });
            }
            if place.join(RESULT_FILE).exists() {
                done.skipped += 1;
                continue;
            }
        }
        todo.push((point, place));
    }
    todo.par_iter().with_max_len(1).try_for_each(|(point, place)| -> Result<()> {
        std::fs::create_dir_all(place).map_err(|e| Error::io(place, e))?;
        write_json(&place.join(VALUE_FILE), point)?;
        let outcome = point.run(&grid.base)?;
        write_json(&place.join(RESULT_FILE), &outcome)?;
        progress(point, &outcome);
        Ok(())
    })?;
    done.ran = todo.len();
    Ok(done)
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    io::write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
        writeln!(w)
    })
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::InFile {
        path: path.to_path_buf(),
        error: Box::new(Error::invalid(
            "contents",
            e,
            format!("a {} written by this version of absorb (sweep format {FORMAT})", path.display()),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_the_points() {
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        for bad in ["4/4", "1", "a/b", "0/0"] {
            assert!(Shard::parse(bad).unwrap_err().to_string().contains("--shard"), "{bad}");
        }
        let slurm = |id: &'static str, count: &'static str, min: Option<&'static str>| {
            move |name: &str| match name {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some(count.to_string()),
                "SLURM_ARRAY_TASK_MIN" => min.map(str::to_string),
                _ => None,
            }
        };
        assert_eq!(Shard::from_slurm(slurm("3", "4", Some("1"))).unwrap(), Some(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::from_slurm(slurm("0", "2", None)).unwrap(), Some(Shard { index: 0, count: 2 }));
        assert_eq!(Shard::from_slurm(|_| None).unwrap(), None);
    }

    #[test]
    fn block_error_of_a_constant_plateau_is_zero() {
        let series = vec![0.3; 200];
        assert!(block_error(&series, 0.5).abs() < 1e-15);
        assert!(block_error(&[0.3; 5], 0.5).is_nan());
    }

    #[test]
    fn block_error_of_independent_noise_is_its_standard_error() {
        // 2000 samples, the last 1000 averaged: sigma / sqrt(1000) = 0.00316.
        // Ten blocks estimate it to about 1/sqrt(18) = 24%; allowed 50%.
        let mut noise = rng::Stream::new(3);
        let series: Vec<f64> = (0..2000).map(|_| 0.4 + 0.1 * noise.normal()).collect();
        let want = 0.1 / 1000f64.sqrt();
        let got = block_error(&series, 0.5);
        assert!((got / want - 1.0).abs() < 0.5, "block error {got}, expected about {want}");
    }
}
