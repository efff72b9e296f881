//! The paper's figures at laptop scale, each one function that runs what it
//! needs and returns the table behind the picture.

use super::collapse::{self, Data, Fit, Free, Scaling};
use super::critical;
use super::merge::{self, Row};
use super::plot::{Figure, Series};
use super::sweep::{self, Grid, Outcome, Point, Shard};
use crate::error::Result;
use crate::scene::Scene;
use crate::sim::{Noise, Radii, Scheme};
use rayon::prelude::*;
use std::path::Path;

/// Fig. 5a: the mean square displacement after a fixed number of iterations
/// against the kick size, for pairwise BRO, SGD matched to it (b = 3/4,
/// alpha = 2 eps / 3) and its stochastic approximation, each replicate
/// starting from the same configuration for every scheme.
#[derive(Clone, Debug, PartialEq)]
pub struct MsdVsStep {
    /// Dimension.
    pub dim: usize,
    /// Particles.
    pub n: usize,
    /// Packing fraction.
    pub phi: f64,
    /// Iterations after which the MSD is read.
    pub iterations: u64,
    /// Runs per scheme and kick (initial configurations).
    pub replicates: u64,
    /// Kick sizes eps, in diameters.
    pub kicks: Vec<f64>,
    /// Seed of the first replicate.
    pub seed: u64,
}

impl Default for MsdVsStep {
    /// 3D, N = 2000 at phi = 0.60, MSD after 1000 iterations, 3 replicates,
    /// eps from 0.005 to 0.2: about a minute on 2 cores.
    fn default() -> Self {
        Self {
            dim: 3,
            n: 2000,
            phi: 0.60,
            iterations: 1000,
            replicates: 3,
            kicks: vec![0.005, 0.01, 0.02, 0.05, 0.1, 0.2],
            seed: 1,
        }
    }
}

/// One point of Fig. 5a: a scheme at one kick size.
#[derive(Clone, Debug, PartialEq)]
pub struct MsdPoint {
    /// The scheme's name.
    pub scheme: &'static str,
    /// The BRO kick size it is matched to.
    pub kick: f64,
    /// Mean MSD over the replicates, in diameters squared.
    pub msd: f64,
    /// Its standard error.
    pub error: f64,
}

/// The schemes of Fig. 5a matched to BRO with kick `eps`.
fn matched(eps: f64) -> [Scheme; 3] {
    [
        Scheme::BroPairwise { kick: eps },
        Scheme::sgd_matched_to_bro(eps),
        Scheme::SaPairwise { noise: Noise::Bro { kick: eps }, h: 1.0 },
    ]
}

impl MsdVsStep {
    /// Runs every scheme, kick and replicate (in parallel) and averages.
    pub fn run(&self) -> Result<Vec<MsdPoint>> {
        let jobs: Vec<(usize, f64, u64)> = (0..3)
            .flat_map(|s| self.kicks.iter().flat_map(move |&k| (0..self.replicates).map(move |r| (s, k, r))))
            .collect();
        let msds: Vec<f64> = jobs
            .par_iter()
            .with_max_len(1)
            .map(|&(s, eps, r)| {
                let scene = Scene {
                    dim: self.dim,
                    n: self.n,
                    phi: self.phi,
                    radii: Radii::Monodisperse,
                    scheme: matched(eps)[s],
                    seed: self.seed + r,
                    steps: self.iterations,
                    ..Scene::default()
                };
                scene.validate()?;
                let mut sim = scene.simulation()?;
                for _ in 0..self.iterations {
                    if sim.step().absorbed {
                        break;
                    }
                }
                Ok(sim.msd())
            })
            .collect::<Result<_>>()?;
        let reps = self.replicates as usize;
        Ok(jobs
            .chunks(reps)
            .zip(msds.chunks(reps))
            .map(|(job, m)| {
                let mean = m.iter().sum::<f64>() / reps as f64;
                let var =
                    if reps > 1 { m.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (reps - 1) as f64 } else { 0.0 };
                MsdPoint {
                    scheme: matched(job[0].1)[job[0].0].name(),
                    kick: job[0].1,
                    msd: mean,
                    error: (var / reps as f64).sqrt(),
                }
            })
            .collect())
    }

    /// The picture of `points`: log-log, one series per scheme.
    pub fn figure(&self, points: &[MsdPoint]) -> Figure {
        let names = ["bro-pairwise", "sgd", "sa-pairwise"];
        let labels = ["pairwise BRO, kick eps", "SGD, b = 3/4, alpha = 2 eps/3", "stochastic approximation of BRO"];
        Figure {
            title: format!(
                "MSD after {} iterations, d = {}, N = {}, phi = {}",
                self.iterations, self.dim, self.n, self.phi
            ),
            x_label: "kick size eps (diameters)".into(),
            y_label: "MSD (diameters^2)".into(),
            log_x: true,
            log_y: true,
            series: names
                .iter()
                .zip(labels)
                .map(|(name, label)| Series {
                    label: label.to_string(),
                    points: points.iter().filter(|p| p.scheme == *name).map(|p| (p.kick, p.msd, p.error)).collect(),
                })
                .collect(),
        }
    }
}

/// Fig. 5b: phi_c against the step size (eps for BRO, alpha for SGD and
/// RCD), by bisection on the packing fraction where half the runs absorb
/// within a fixed number of iterations.
#[derive(Clone, Debug, PartialEq)]
pub struct PhiCVsStep {
    /// Dimension.
    pub dim: usize,
    /// Particles.
    pub n: usize,
    /// Step sizes (kick eps or learning rate alpha), in diameters.
    pub steps: Vec<f64>,
    /// Batch fraction of SGD and RCD.
    pub batch: f64,
    /// A run that has not absorbed after this many iterations counts as active.
    pub iterations: u64,
    /// Runs at each packing fraction tried.
    pub replicates: u64,
    /// Bisection steps, from the interval (low, high).
    pub bisections: u32,
    /// The packing fractions the bisection starts between.
    pub low: f64,
    /// See `low`.
    pub high: f64,
    /// Seed every run's seed derives from.
    pub seed: u64,
}

impl Default for PhiCVsStep {
    /// 3D, N = 1000, step sizes 0.025 to 0.4, b = 0.5, 20000 iterations, 3
    /// runs per phi, 7 bisections of (0.30, 0.66): phi_c to +- 0.0014.
    fn default() -> Self {
        Self {
            dim: 3,
            n: 1000,
            steps: vec![0.025, 0.05, 0.1, 0.2, 0.4],
            batch: 0.5,
            iterations: 20_000,
            replicates: 3,
            bisections: 7,
            low: 0.30,
            high: 0.66,
            seed: 1,
        }
    }
}

/// One point of Fig. 5b.
#[derive(Clone, Debug, PartialEq)]
pub struct PhiCPoint {
    /// The scheme's name.
    pub scheme: &'static str,
    /// Its step size.
    pub step: f64,
    /// phi_c: the middle of the last bisection interval.
    pub phi_c: f64,
    /// Half the width of that interval.
    pub error: f64,
}

impl PhiCVsStep {
    /// The schemes of Fig. 5b at step size `h`.
    fn schemes(&self, h: f64) -> [Scheme; 3] {
        use crate::sim::BatchMode::Probabilistic;
        [
            Scheme::BroPairwise { kick: h },
            Scheme::Sgd { lr: h, batch: self.batch, batch_mode: Probabilistic },
            Scheme::Rcd { lr: h, batch: self.batch, batch_mode: Probabilistic },
        ]
    }

    /// Whether a run at `phi` absorbs within the iteration budget.
    fn absorbs(&self, scheme: Scheme, phi: f64, seed: u64) -> Result<bool> {
        let scene = Scene { dim: self.dim, n: self.n, phi, scheme, seed, steps: self.iterations, ..Scene::default() };
        scene.validate()?;
        let mut sim = scene.simulation()?;
        Ok((0..self.iterations).any(|_| sim.step().absorbed))
    }

    /// Bisects every scheme and step size (in parallel).
    pub fn run(&self) -> Result<Vec<PhiCPoint>> {
        let jobs: Vec<(usize, f64)> = (0..3).flat_map(|s| self.steps.iter().map(move |&h| (s, h))).collect();
        jobs.par_iter()
            .with_max_len(1)
            .map(|&(s, h)| {
                let scheme = self.schemes(h)[s];
                let (mut lo, mut hi) = (self.low, self.high);
                for round in 0..self.bisections {
                    let phi = 0.5 * (lo + hi);
                    let mut absorbed = 0;
                    for r in 0..self.replicates {
                        let seed = crate::sim::rng::mix(self.seed ^ (u64::from(round) << 40) ^ (r << 20) ^ s as u64);
                        absorbed += u64::from(self.absorbs(scheme, phi, seed)?);
                    }
                    if 2 * absorbed >= self.replicates {
                        lo = phi;
                    } else {
                        hi = phi;
                    }
                }
                Ok(PhiCPoint { scheme: scheme.name(), step: h, phi_c: 0.5 * (lo + hi), error: 0.5 * (hi - lo) })
            })
            .collect()
    }

    /// The picture of `points`: phi_c against the step size, log x.
    pub fn figure(&self, points: &[PhiCPoint]) -> Figure {
        let names = ["bro-pairwise", "sgd", "rcd"];
        let labels = [
            "pairwise BRO (step = eps)".to_string(),
            format!("SGD (step = alpha, b = {})", self.batch),
            format!("RCD (step = alpha, b = {})", self.batch),
        ];
        Figure {
            title: format!("phi_c against step size, d = {}, N = {}, {} iterations", self.dim, self.n, self.iterations),
            x_label: "step size eps or alpha (diameters)".into(),
            y_label: "phi_c (half the runs absorbed)".into(),
            log_x: true,
            log_y: false,
            series: names
                .iter()
                .zip(labels)
                .map(|(name, label)| Series {
                    label,
                    points: points.iter().filter(|p| p.scheme == *name).map(|p| (p.step, p.phi_c, p.error)).collect(),
                })
                .collect(),
        }
    }
}

/// Fig. 3: the steady-state activity f_inf and the relaxation time tau of
/// SGD against phi for several N and batch fractions, and their
/// finite-size-scaling collapse with the 3D Manna exponents. The runs are a
/// sweep (one directory per run, so an interrupted figure resumes).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityVsPhi {
    /// Dimension.
    pub dim: usize,
    /// Particle numbers.
    pub ns: Vec<usize>,
    /// Batch fractions b.
    pub batches: Vec<f64>,
    /// Learning rate alpha, in diameters.
    pub lr: f64,
    /// Packing fractions.
    pub phis: Vec<f64>,
    /// Runs per N, b and phi.
    pub replicates: u32,
    /// Iterations at most per run.
    pub steps: u64,
    /// Base seed of the sweep.
    pub seed: u64,
}

impl Default for ActivityVsPhi {
    /// 3D, N = 500 to 4000, b = 0.25, 0.5 and 1, alpha = 0.1, phi from 0.505
    /// to 0.5275 in steps of 0.0025 (phi_c is about 0.51 here), 3 runs of at
    /// most 16000 iterations each.
    fn default() -> Self {
        Self {
            dim: 3,
            ns: vec![500, 1000, 2000, 4000],
            batches: vec![0.25, 0.5, 1.0],
            lr: 0.1,
            phis: (0..10).map(|k| ((0.505 + 0.0025 * k as f64) * 1e12).round() / 1e12).collect(),
            replicates: 3,
            steps: 16_000,
            seed: 1,
        }
    }
}

/// The runs of Fig. 3 at one b, N and phi.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityLevel {
    /// Batch fraction.
    pub batch: f64,
    /// Particles.
    pub n: usize,
    /// Mean box side of the runs at this N (all phi), in diameters.
    pub side: f64,
    /// Packing fraction.
    pub phi: f64,
    /// Runs.
    pub runs: usize,
    /// Of which absorbed within the iteration budget.
    pub absorbed: usize,
    /// Mean f_inf of the surviving runs and its error (None: all absorbed).
    pub f_inf: Option<(f64, f64)>,
    /// Mean tau and its standard error over the runs that reached it
    /// (absorption time or relaxation to the plateau; None: fewer than two).
    pub tau: Option<(f64, f64)>,
}

/// One collapse of Fig. 3.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityCollapse {
    /// Batch fraction.
    pub batch: f64,
    /// `f_inf` or `tau`.
    pub observable: &'static str,
    /// The best phi_c with the exponents fixed, or why there is none.
    pub fit: std::result::Result<Fit, String>,
}

/// Everything behind Fig. 3.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityResult {
    /// By b, N and phi.
    pub levels: Vec<ActivityLevel>,
    /// By b: f_inf, then tau.
    pub collapses: Vec<ActivityCollapse>,
}

/// The 3D Manna exponents (MODEL.md): beta, nu_perp and z.
const MANNA_3D: (f64, f64, f64) = (0.840, 0.593, 1.823);

impl ActivityVsPhi {
    /// The sweep behind the figure.
    pub fn grid(&self) -> Grid {
        use crate::sim::BatchMode::Probabilistic;
        Grid {
            base: Scene {
                dim: self.dim,
                radii: Radii::Monodisperse,
                scheme: Scheme::Sgd { lr: self.lr, batch: 0.5, batch_mode: Probabilistic },
                seed: self.seed,
                steps: self.steps,
                ..Scene::default()
            },
            schemes: vec!["sgd".into()],
            kicks: vec![],
            lrs: vec![self.lr],
            batches: self.batches.clone(),
            fixed_batch: false,
            phis: self.phis.clone(),
            ns: self.ns.clone(),
            replicates: self.replicates,
            base_seed: self.seed,
            steps: self.steps,
            msd_at: vec![],
            structure_factor: None,
            flatness: None,
        }
    }

    /// Runs what `dir` does not hold yet (`progress` hears of each run),
    /// then gathers and collapses every run of the grid.
    pub fn run(&self, dir: &Path, progress: impl Fn(&Point, &Outcome) + Sync) -> Result<ActivityResult> {
        let rows = run_grid(&self.grid(), dir, progress)?;
        let levels = activity_levels(&rows);
        let collapses = self
            .batches
            .iter()
            .flat_map(|&b| {
                let at_b: Vec<&ActivityLevel> = levels.iter().filter(|l| l.batch == b).collect();
                let (beta, nu, z) = MANNA_3D;
                [("f_inf", beta / nu), ("tau", -z)].map(|(observable, kappa)| {
                    let rows = at_b
                        .iter()
                        .filter_map(|l| {
                            let y = if observable == "f_inf" { l.f_inf } else { l.tau };
                            y.filter(|&(_, e)| e > 0.0).map(|(y, dy)| [l.side, l.phi, y, dy])
                        })
                        .collect();
                    let data = Data { rows };
                    ActivityCollapse {
                        batch: b,
                        observable,
                        fit: collapse_phi_c(&data, &self.phis, nu, kappa).map_err(|e| e.to_string()),
                    }
                })
            })
            .collect();
        Ok(ActivityResult { levels, collapses })
    }

    /// The picture: a row per batch fraction with f_inf against phi, its
    /// collapse, tau against phi and its collapse.
    pub fn figures(&self, result: &ActivityResult) -> Vec<Figure> {
        let (beta, nu, z) = MANNA_3D;
        let mut panels = Vec::new();
        for &b in &self.batches {
            let fits: Vec<&ActivityCollapse> = result.collapses.iter().filter(|c| c.batch == b).collect();
            let fit_of = |name: &str| fits.iter().find(|c| c.observable == name).and_then(|c| c.fit.as_ref().ok());
            let series = |pick: &dyn Fn(&ActivityLevel) -> Option<(f64, f64)>, scaled: Option<(&Fit, f64)>| {
                self.ns
                    .iter()
                    .map(|&n| {
                        let at: Vec<&ActivityLevel> =
                            result.levels.iter().filter(|l| l.batch == b && l.n == n).collect();
                        let side = at.first().map_or(0.0, |l| l.side);
                        Series {
                            label: format!("N = {n} (L = {side:.1})"),
                            points: at
                                .iter()
                                .filter_map(|l| {
                                    let (y, e) = pick(l)?;
                                    Some(match scaled {
                                        None => (l.phi, y, e),
                                        Some((fit, kappa)) => {
                                            let f = l.side.powf(kappa);
                                            ((l.phi - fit.best.phi_c) * l.side.powf(1.0 / nu), y * f, e * f)
                                        }
                                    })
                                })
                                .collect(),
                        }
                    })
                    .filter(|s| !s.points.is_empty())
                    .collect::<Vec<_>>()
            };
            let about = |fit: Option<&Fit>| match fit {
                Some(f) => {
                    // Two significant digits of the error, at least four decimals.
                    let e = f.errors.phi_c;
                    let decimals =
                        if e > 0.0 && e.is_finite() { (1 - e.log10().floor() as i32).clamp(4, 8) as usize } else { 4 };
                    format!("phi_c = {:.*} +- {:.*}, S = {:.2}", decimals, f.best.phi_c, decimals, e, f.quality)
                }
                None => "no collapse".into(),
            };
            let panel = |title: String, x: &str, y: &str, log_y: bool, series: Vec<Series>| Figure {
                title,
                x_label: x.into(),
                y_label: y.into(),
                log_x: false,
                log_y,
                series,
            };
            let f_fit = fit_of("f_inf");
            let tau_fit = fit_of("tau");
            panels.push(panel(
                format!("SGD b = {b}, alpha = {}: activity", self.lr),
                "packing fraction phi",
                "f_inf (surviving runs)",
                false,
                series(&|l| l.f_inf, None),
            ));
            panels.push(panel(
                format!("collapse, 3D Manna: {}", about(f_fit)),
                "(phi - phi_c) L^(1/nu_perp)",
                "f_inf L^(beta/nu_perp)",
                false,
                f_fit.map(|f| series(&|l| l.f_inf, Some((f, beta / nu)))).unwrap_or_default(),
            ));
            panels.push(panel(
                format!("SGD b = {b}: relaxation time"),
                "packing fraction phi",
                "tau (iterations)",
                true,
                series(&|l| l.tau, None),
            ));
            panels.push(panel(
                format!("collapse, 3D Manna: {}", about(tau_fit)),
                "(phi - phi_c) L^(1/nu_perp)",
                "tau L^(-z)",
                true,
                tau_fit.map(|f| series(&|l| l.tau, Some((f, -z)))).unwrap_or_default(),
            ));
        }
        panels
    }
}

/// Mean and standard error of `values` (None for fewer than two).
fn mean_and_error(values: &[f64]) -> Option<(f64, f64)> {
    let k = values.len() as f64;
    (values.len() >= 2).then(|| {
        let mean = values.iter().sum::<f64>() / k;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
        (mean, (var / k).sqrt())
    })
}

/// The runs of a Fig. 3 sweep by b, N and phi.
fn activity_levels(rows: &[Row]) -> Vec<ActivityLevel> {
    let key = |r: &Row| (r.point.batch.unwrap_or(1.0).to_bits(), r.point.n, r.point.phi.to_bits());
    let mut groups: std::collections::BTreeMap<(u64, usize, u64), Vec<&Row>> = Default::default();
    let mut sides: std::collections::BTreeMap<(u64, usize), Vec<f64>> = Default::default();
    for row in rows {
        groups.entry(key(row)).or_default().push(row);
        sides.entry((key(row).0, row.point.n)).or_default().push(row.outcome.side);
    }
    groups
        .into_iter()
        .map(|((b, n, _), runs)| {
            let side = &sides[&(b, n)];
            let survivors: Vec<(f64, f64)> =
                runs.iter().filter(|r| !r.outcome.absorbed).map(|r| (r.outcome.f_inf, r.outcome.f_inf_error)).collect();
            let taus: Vec<f64> = runs.iter().filter_map(|r| r.outcome.tau.map(|t| t as f64)).collect();
            ActivityLevel {
                batch: f64::from_bits(b),
                n,
                side: side.iter().sum::<f64>() / side.len() as f64,
                phi: runs[0].point.phi,
                runs: runs.len(),
                absorbed: runs.len() - survivors.len(),
                f_inf: critical::survivors_mean(&survivors),
                tau: mean_and_error(&taus),
            }
        })
        .collect()
}

/// The phi_c that collapses `data` best with nu_perp and kappa fixed: the
/// best of a scan over the packing fractions measured, refined by Nelder-Mead.
fn collapse_phi_c(data: &Data, phis: &[f64], nu: f64, kappa: f64) -> Result<Fit> {
    data.validate()?;
    let lo = phis.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = phis.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let at = |phi_c: f64| Scaling { phi_c, nu, kappa };
    let start = (0..=200)
        .map(|k| lo + (hi - lo) * k as f64 / 200.0)
        .map(|phi_c| (phi_c, data.quality(at(phi_c))))
        .filter(|(_, s)| s.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(phi_c, _)| phi_c)
        .ok_or_else(|| {
            crate::error::Error::invalid("collapse", "no overlap", "curves of different L that overlap in x")
        })?;
    collapse::fit(data, at(start), at((hi - lo).max(1e-3) / 20.0), Free::PhiC)
}

/// Fig. 4b: the flatness <dU> / (N sigma_p^2) of the steady state against the
/// batch fraction, for SGD and RCD at several packing fractions above phi_c.
/// The runs are a sweep (one directory per run, so an interrupted figure
/// resumes).
#[derive(Clone, Debug, PartialEq)]
pub struct FlatnessVsBatch {
    /// Dimension.
    pub dim: usize,
    /// Particles.
    pub n: usize,
    /// Learning rate alpha of both schemes, in diameters.
    pub lr: f64,
    /// Batch fractions b.
    pub batches: Vec<f64>,
    /// Packing fractions (above phi_c).
    pub phis: Vec<f64>,
    /// Runs per scheme, b and phi.
    pub replicates: u32,
    /// Iterations before the flatness is measured.
    pub steps: u64,
    /// Perturbations per final configuration.
    pub samples: usize,
    /// Base seed of the sweep.
    pub seed: u64,
}

impl Default for FlatnessVsBatch {
    /// 3D, N = 2000, alpha = 0.03 (phi_c about 0.60), b from 0.1 to 1, phi =
    /// 0.62, 0.64 and 0.66, 4 runs of 6000 iterations each, 4000
    /// perturbations of sigma_p = 0.015 diameters per configuration.
    fn default() -> Self {
        Self {
            dim: 3,
            n: 2000,
            lr: 0.03,
            batches: vec![0.1, 0.25, 0.5, 0.75, 1.0],
            phis: vec![0.62, 0.64, 0.66],
            replicates: 4,
            steps: 6000,
            samples: crate::sim::observe::FLATNESS_SAMPLES,
            seed: 1,
        }
    }
}

/// One point of Fig. 4b.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatnessPoint {
    /// `sgd` or `rcd`.
    pub scheme: String,
    /// Batch fraction.
    pub batch: f64,
    /// Packing fraction.
    pub phi: f64,
    /// Runs.
    pub runs: usize,
    /// Of which absorbed (left out of the mean: no steady state above phi_c).
    pub absorbed: usize,
    /// Mean steady-state activity of the active runs.
    pub f_inf: f64,
    /// Mean <dU> / (N sigma_p^2) of the active runs and its standard error
    /// (the spread between runs; None with fewer than two).
    pub flatness: Option<(f64, f64)>,
}

impl FlatnessVsBatch {
    /// The sweep behind the figure.
    pub fn grid(&self) -> Grid {
        use crate::sim::BatchMode::Probabilistic;
        Grid {
            base: Scene {
                dim: self.dim,
                radii: Radii::Monodisperse,
                scheme: Scheme::Sgd { lr: self.lr, batch: 0.5, batch_mode: Probabilistic },
                seed: self.seed,
                steps: self.steps,
                ..Scene::default()
            },
            schemes: vec!["sgd".into(), "rcd".into()],
            kicks: vec![],
            lrs: vec![self.lr],
            batches: self.batches.clone(),
            fixed_batch: false,
            phis: self.phis.clone(),
            ns: vec![self.n],
            replicates: self.replicates,
            base_seed: self.seed,
            steps: self.steps,
            msd_at: vec![],
            structure_factor: None,
            flatness: Some(self.samples),
        }
    }

    /// Runs what `dir` does not hold yet (`progress` hears of each run),
    /// then averages every run of the grid.
    pub fn run(&self, dir: &Path, progress: impl Fn(&Point, &Outcome) + Sync) -> Result<Vec<FlatnessPoint>> {
        let rows = run_grid(&self.grid(), dir, progress)?;
        let mut groups: std::collections::BTreeMap<(String, u64, u64), Vec<&Row>> = Default::default();
        for row in &rows {
            let p = &row.point;
            groups.entry((p.scheme.clone(), p.batch.unwrap_or(1.0).to_bits(), p.phi.to_bits())).or_default().push(row);
        }
        Ok(groups
            .into_iter()
            .map(|((scheme, b, phi), runs)| {
                let active: Vec<&&Row> = runs.iter().filter(|r| !r.outcome.absorbed).collect();
                let values: Vec<f64> = active
                    .iter()
                    .filter_map(|r| r.outcome.flatness.as_ref().map(|f| f.per_particle_per_variance))
                    .collect();
                FlatnessPoint {
                    scheme,
                    batch: f64::from_bits(b),
                    phi: f64::from_bits(phi),
                    runs: runs.len(),
                    absorbed: runs.len() - active.len(),
                    f_inf: active.iter().map(|r| r.outcome.f_inf).sum::<f64>() / active.len().max(1) as f64,
                    flatness: mean_and_error(&values),
                }
            })
            .collect())
    }

    /// The picture: a panel per packing fraction, SGD and RCD against b.
    pub fn figures(&self, points: &[FlatnessPoint]) -> Vec<Figure> {
        self.phis
            .iter()
            .map(|&phi| Figure {
                title: format!("phi = {phi}, d = {}, N = {}, alpha = {}", self.dim, self.n, self.lr),
                x_label: "batch fraction b".into(),
                y_label: "<dU> / (N sigma_p^2)".into(),
                log_x: false,
                log_y: false,
                series: [("sgd", "SGD (pairs in the batch)"), ("rcd", "RCD (particles in the batch)")]
                    .iter()
                    .map(|(name, label)| Series {
                        label: label.to_string(),
                        points: points
                            .iter()
                            .filter(|p| p.scheme == *name && p.phi == phi)
                            .filter_map(|p| p.flatness.map(|(f, e)| (p.batch, f, e)))
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Runs the points of `grid` that `dir` does not hold yet and returns every
/// finished run of the grid (not other points the directory may hold).
fn run_grid(grid: &Grid, dir: &Path, progress: impl Fn(&Point, &Outcome) + Sync) -> Result<Vec<Row>> {
    sweep::run(grid, dir, Shard::ALL, progress)?;
    let wanted: std::collections::BTreeSet<String> = grid.points()?.iter().map(Point::id).collect();
    let (rows, _) = merge::gather(&[dir.to_path_buf()])?;
    Ok(rows.into_iter().filter(|r| wanted.contains(&r.id)).collect())
}
