//! Fig. 5b: phi_c against the step size.

use crate::analysis::plot::{Figure, Series};
use crate::error::Result;
use crate::scene::Scene;
use crate::sim::{Scheme, SchemeKind};
use rayon::prelude::*;

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
    /// The scheme.
    pub scheme: SchemeKind,
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
                Ok(PhiCPoint { scheme: scheme.kind(), step: h, phi_c: 0.5 * (lo + hi), error: 0.5 * (hi - lo) })
            })
            .collect()
    }

    /// The picture of `points`: phi_c against the step size, log x.
    pub fn figure(&self, points: &[PhiCPoint]) -> Figure {
        let kinds = [SchemeKind::BroPairwise, SchemeKind::Sgd, SchemeKind::Rcd];
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
            series: kinds
                .iter()
                .zip(labels)
                .map(|(kind, label)| Series {
                    label,
                    points: points.iter().filter(|p| p.scheme == *kind).map(|p| (p.step, p.phi_c, p.error)).collect(),
                })
                .collect(),
        }
    }
}
