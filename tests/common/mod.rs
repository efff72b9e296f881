//! Helpers shared by the integration tests: small hand-made packings, one
//! iteration's displacement sampled over seeds, and sample moments.
#![allow(dead_code)]

use absorb::sim::{Dynamics, Packing, Potential, Scheme, Simulation};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A folder in the temp directory for a test's output (`absorb-NAME-PID`,
/// emptied first, not created): removed when the test passes, kept when it
/// fails, for a look at what was written.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("absorb-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for Scratch {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A packing from explicit positions and radii.
pub fn packing(dim: usize, side: f64, radii: &[f64], positions: &[&[f64]]) -> Packing {
    let flat: Vec<f64> = positions.iter().flat_map(|p| p.iter().copied()).collect();
    Packing::new(dim, side, radii.to_vec(), flat).expect("valid test packing")
}

/// The displacement of every coordinate in one iteration, for each of
/// `samples` seeds (seed s = 1000 + s).
pub fn one_step_samples(packing: &Packing, scheme: Scheme, potential: Potential, samples: usize) -> Vec<Vec<f64>> {
    let dynamics = Dynamics { scheme, potential, overlap_tolerance: 0.0 };
    (0..samples)
        .map(|s| {
            let mut sim = Simulation::new(packing.clone(), dynamics, 1000 + s as u64).expect("valid dynamics");
            sim.step();
            sim.displacements().to_vec()
        })
        .collect()
}

/// Sample mean and covariance of vectors, with the standard error of every
/// entry estimated from the samples themselves (no assumption on the law).
pub struct Moments {
    pub mean: Vec<f64>,
    pub mean_err: Vec<f64>,
    pub cov: Vec<Vec<f64>>,
    pub cov_err: Vec<Vec<f64>>,
}

pub fn moments(samples: &[Vec<f64>]) -> Moments {
    let m = samples.len() as f64;
    let n = samples[0].len();
    let mean: Vec<f64> = (0..n).map(|a| samples.iter().map(|s| s[a]).sum::<f64>() / m).collect();
    let mean_err = (0..n)
        .map(|a| (samples.iter().map(|s| (s[a] - mean[a]).powi(2)).sum::<f64>() / (m - 1.0) / m).sqrt())
        .collect();
    let mut cov = vec![vec![0.0; n]; n];
    let mut cov_err = vec![vec![0.0; n]; n];
    for a in 0..n {
        for b in 0..n {
            let prods: Vec<f64> = samples.iter().map(|s| (s[a] - mean[a]) * (s[b] - mean[b])).collect();
            let c = prods.iter().sum::<f64>() / (m - 1.0);
            let spread = prods.iter().map(|p| (p - c).powi(2)).sum::<f64>() / (m - 1.0);
            cov[a][b] = c;
            cov_err[a][b] = (spread / m).sqrt();
        }
    }
    Moments { mean, mean_err, cov, cov_err }
}

/// Minimum-image separation x_i - x_j, written out independently of the core.
pub fn separation(p: &Packing, i: usize, j: usize) -> Vec<f64> {
    let l = p.side();
    p.position(i)
        .iter()
        .zip(p.position(j))
        .map(|(a, b)| {
            let d = a - b;
            d - l * (d / l).round()
        })
        .collect()
}

/// Hash of every coordinate's bits: equal hashes mean bit-identical states.
pub fn bits_hash(values: &[f64]) -> u64 {
    // FNV-1a over the IEEE bits.
    values.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
        v.to_bits().to_le_bytes().iter().fold(h, |h, &byte| (h ^ byte as u64).wrapping_mul(0x0100_0000_01b3))
    })
}

/// One variant of every scheme and option, with step size `step` (kick or
/// learning rate) and batch fraction 0.4 (round(0.4 P) differs from floor
/// and ceil for small P).
pub fn every_scheme(step: f64) -> Vec<absorb::sim::Scheme> {
    use absorb::sim::{BatchMode, Noise};
    vec![
        Scheme::BroPairwise { kick: step },
        Scheme::BroPairwiseNonreciprocal { kick: step },
        Scheme::BroParticle { kick: step, normalized: false },
        Scheme::BroParticle { kick: step, normalized: true },
        Scheme::Sgd { lr: step, batch: 0.4, batch_mode: BatchMode::Probabilistic },
        Scheme::Sgd { lr: step, batch: 0.4, batch_mode: BatchMode::Fixed },
        Scheme::Rcd { lr: step, batch: 0.4, batch_mode: BatchMode::Probabilistic },
        Scheme::Rcd { lr: step, batch: 0.4, batch_mode: BatchMode::Fixed },
        Scheme::Gd { lr: step },
        Scheme::SaPairwise { noise: Noise::Bro { kick: step }, h: 1.0 },
        Scheme::SaPairwise { noise: Noise::Sgd { lr: step, batch: 0.4 }, h: 0.5 },
        Scheme::SaParticle { noise: Noise::Bro { kick: step }, h: 0.5 },
        Scheme::SaParticle { noise: Noise::Sgd { lr: step, batch: 0.4 }, h: 1.0 },
    ]
}
