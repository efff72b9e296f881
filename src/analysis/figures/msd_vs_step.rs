//! Fig. 5a: mean square displacement against the kick size.

use crate::analysis::plot::{Figure, Series};
use crate::error::Result;
use crate::scene::Scene;
use crate::sim::{Noise, Radii, Scheme, SchemeKind};
use rayon::prelude::*;

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
    /// The scheme.
    pub scheme: SchemeKind,
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
                    scheme: matched(job[0].1)[job[0].0].kind(),
                    kick: job[0].1,
                    msd: mean,
                    error: (var / reps as f64).sqrt(),
                }
            })
            .collect())
    }

    /// The picture of `points`: log-log, one series per scheme.
    pub fn figure(&self, points: &[MsdPoint]) -> Figure {
        let kinds = [SchemeKind::BroPairwise, SchemeKind::Sgd, SchemeKind::SaPairwise];
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
            series: kinds
                .iter()
                .zip(labels)
                .map(|(kind, label)| Series {
                    label: label.to_string(),
                    points: points.iter().filter(|p| p.scheme == *kind).map(|p| (p.kick, p.msd, p.error)).collect(),
                })
                .collect(),
        }
    }
}
