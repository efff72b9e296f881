//! Fig. 3: activity and relaxation time of SGD against phi, and their collapse.

use super::{mean_and_error, run_grid};
use crate::analysis::collapse::{self, Data, Fit, Free, Scaling};
use crate::analysis::critical;
use crate::analysis::merge::Row;
use crate::analysis::plot::{Figure, Series};
use crate::analysis::sweep::{Grid, Outcome, Point};
use crate::error::Result;
use crate::scene::Scene;
use crate::sim::{Radii, Scheme, SchemeKind};
use std::path::Path;

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
            schemes: vec![SchemeKind::Sgd],
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
