//! Fig. 4b: flatness of the steady state against the batch fraction.

use super::{mean_and_error, run_grid};
use crate::analysis::merge::Row;
use crate::analysis::plot::{Figure, Series};
use crate::analysis::sweep::{Grid, Outcome, Point};
use crate::error::Result;
use crate::scene::Scene;
use crate::sim::{Radii, Scheme, SchemeKind};
use std::path::Path;

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
    /// SGD or RCD.
    pub scheme: SchemeKind,
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
            schemes: vec![SchemeKind::Sgd, SchemeKind::Rcd],
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
        let mut groups: std::collections::BTreeMap<(SchemeKind, u64, u64), Vec<&Row>> = Default::default();
        for row in &rows {
            let p = &row.point;
            groups.entry((p.scheme, p.batch.unwrap_or(1.0).to_bits(), p.phi.to_bits())).or_default().push(row);
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
                series: [
                    (SchemeKind::Sgd, "SGD (pairs in the batch)"),
                    (SchemeKind::Rcd, "RCD (particles in the batch)"),
                ]
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
