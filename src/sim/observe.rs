//! Observables on demand, as pure functions of a configuration or a time
//! series: energy, structure factor S(k), flatness <dU>, tau and f_inf.

use super::cells::CellList;
use super::packing::Packing;
use super::potential::Potential;
use super::rng::{Purpose, Stream};
use super::step;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Total energy U of a configuration.
pub fn energy(packing: &Packing, potential: Potential) -> f64 {
    crate::with_dim!(packing.dim(), D, {
        let mut cells = CellList::default();
        let ctx = step::context::<D>(packing, &mut cells, potential, 0.0, 0, 0);
        step::contacts_and_energy(&ctx).1
    })
}

/// One shell of the structure factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shell {
    /// Mean |k| of the shell's wave vectors, in 1/diameter.
    pub k: f64,
    /// Mean S(k) over the shell.
    pub s: f64,
    /// Standard error of that mean (spread of S over the shell / sqrt(count)).
    pub error: f64,
    /// Number of distinct wave vectors (one of each +k, -k pair).
    pub count: usize,
}

/// S(k) = |sum_j exp(-i k.x_j)|^2 / N on k = 2 pi n / L, n integer with
/// 0 < |n| <= `max_n`, averaged in shells of width 2 pi / L (shell m holds
/// m - 1/2 < |n| <= m + 1/2). Of each pair +n, -n (equal S) one is kept.
pub fn structure_factor(packing: &Packing, max_n: usize) -> Vec<Shell> {
    let dim = packing.dim();
    let n = packing.len();
    let side = packing.side();
    let m = max_n as i64;
    // exp(-i 2 pi q x / L) for q = 0..=max_n by repeated multiplication;
    // negative q are the conjugates.
    let width = max_n + 1;
    let mut phase = vec![(0.0, 0.0); n * dim * width];
    for (c, &x) in packing.positions().iter().enumerate() {
        let angle = -std::f64::consts::TAU * x / side;
        let step = (angle.cos(), angle.sin());
        let row = &mut phase[c * width..(c + 1) * width];
        row[0] = (1.0, 0.0);
        for q in 1..width {
            row[q] = cmul(row[q - 1], step);
        }
    }
    let vectors = half_space_vectors(dim, m);
    let values: Vec<(usize, f64)> = vectors
        .par_iter()
        .map(|nv| {
            let norm = nv.iter().map(|&q| (q * q) as f64).sum::<f64>().sqrt();
            let mut sum = (0.0, 0.0);
            for i in 0..n {
                let mut z = (1.0, 0.0);
                for (d, &q) in nv.iter().enumerate() {
                    let p = phase[(i * dim + d) * width + q.unsigned_abs() as usize];
                    z = cmul(z, if q < 0 { (p.0, -p.1) } else { p });
                }
                sum.0 += z.0;
                sum.1 += z.1;
            }
            (norm.round() as usize, (sum.0 * sum.0 + sum.1 * sum.1) / n as f64)
        })
        .collect();
    let mut shells = Vec::new();
    for shell in 1..=max_n {
        let s: Vec<f64> = values.iter().filter(|v| v.0 == shell).map(|v| v.1).collect();
        if s.is_empty() {
            continue;
        }
        let count = s.len();
        let mean = s.iter().sum::<f64>() / count as f64;
        let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count.max(2) - 1) as f64;
        shells.push(Shell {
            k: std::f64::consts::TAU * shell as f64 / side,
            s: mean,
            error: (var / count as f64).sqrt(),
            count,
        });
    }
    shells
}

/// Integer vectors with 0 < |n| <= max (rounded shell), one of each +n, -n:
/// those whose first non-zero component is positive.
fn half_space_vectors(dim: usize, max: i64) -> Vec<Vec<i64>> {
    let mut out = Vec::new();
    let mut nv = vec![-max; dim];
    let limit = (max as f64 + 0.5).powi(2);
    loop {
        let first = nv.iter().find(|&&q| q != 0);
        let norm2 = nv.iter().map(|&q| (q * q) as f64).sum::<f64>();
        if matches!(first, Some(&q) if q > 0) && norm2 <= limit {
            out.push(nv.clone());
        }
        // odometer over [-max, max]^dim
        let mut d = 0;
        loop {
            if d == dim {
                return out;
            }
            nv[d] += 1;
            if nv[d] <= max {
                break;
            }
            nv[d] = -max;
            d += 1;
        }
    }
}

#[inline(always)]
fn cmul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// The flatness of a minimum: the mean energy rise under random perturbations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flatness {
    /// <dU>, the mean of U(x + delta) - U(x).
    pub mean: f64,
    /// Standard error of `mean`.
    pub error: f64,
    /// <dU> / N.
    pub per_particle: f64,
    /// <dU> / (N sigma_p^2): independent of sigma_p for a smooth minimum,
    /// where <dU> is about (sigma_p^2 / 2) trace(Hessian).
    pub per_particle_per_variance: f64,
    /// Number of samples M.
    pub samples: usize,
    /// Perturbation deviation sigma_p per coordinate, in diameters.
    pub sigma_p: f64,
}

/// Default number of flatness samples (as in the authors' code).
pub const FLATNESS_SAMPLES: usize = 4000;
/// Default flatness perturbation, 0.03 R = 0.015 diameters per coordinate.
pub const FLATNESS_SIGMA: f64 = 0.015;

/// <dU> over `samples` perturbations delta ~ N(0, sigma_p^2) of every
/// coordinate, drawn from `seed`.
pub fn flatness(packing: &Packing, potential: Potential, samples: usize, sigma_p: f64, seed: u64) -> Result<Flatness> {
    if samples < 2 {
        return Err(Error::invalid("flatness samples", samples, "at least 2"));
    }
    if !(sigma_p.is_finite() && sigma_p > 0.0) {
        return Err(Error::invalid("sigma_p", sigma_p, "a finite deviation > 0, in diameters"));
    }
    let base = energy(packing, potential);
    let rises: Vec<f64> = (0..samples)
        .into_par_iter()
        .map(|sample| {
            let mut moved = packing.clone();
            let positions: Vec<f64> = packing
                .positions()
                .chunks_exact(packing.dim())
                .enumerate()
                .flat_map(|(i, x)| {
                    let mut s = Stream::keyed(seed, Purpose::Flatness, sample as u64, i as u64, 0);
                    x.iter().map(move |c| c + sigma_p * s.normal()).collect::<Vec<_>>()
                })
                .collect();
            moved.set_positions(positions);
            energy(&moved, potential) - base
        })
        .collect();
    let m = samples as f64;
    let mean = rises.iter().sum::<f64>() / m;
    let var = rises.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let n = packing.len() as f64;
    Ok(Flatness {
        mean,
        error: (var / m).sqrt(),
        per_particle: mean / n,
        per_particle_per_variance: mean / (n * sigma_p * sigma_p),
        samples,
        sigma_p,
    })
}

/// Relaxation of a run, read off its activity series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relaxation {
    /// The run reached f_a = 0.
    pub absorbed: bool,
    /// Steady-state activity f_inf: 0 if absorbed, else the mean over the plateau.
    pub f_inf: f64,
    /// Relaxation time tau in iterations: the first k with f_a = 0 (absorbed),
    /// or the first k with |f_a(k)/f_inf - 1| < 0.1 (active). None when the
    /// series never got there.
    pub tau: Option<u64>,
}

/// The fraction of an active run taken as its final plateau, by default.
pub const PLATEAU_FRACTION: f64 = 0.5;
/// An active run has relaxed once f_a is within this relative distance of f_inf.
pub const RELAXED_WITHIN: f64 = 0.1;

/// tau and f_inf of an activity series f_a(k), k = 0, 1, ...; the plateau is
/// the last `plateau_fraction` of the series.
pub fn relaxation(activity: &[f64], plateau_fraction: f64) -> Relaxation {
    if let Some(k) = activity.iter().position(|&f| f == 0.0) {
        return Relaxation { absorbed: true, f_inf: 0.0, tau: Some(k as u64) };
    }
    if activity.is_empty() {
        return Relaxation { absorbed: false, f_inf: f64::NAN, tau: None };
    }
    let len = ((activity.len() as f64 * plateau_fraction.clamp(0.0, 1.0)).ceil() as usize).clamp(1, activity.len());
    let plateau = &activity[activity.len() - len..];
    let f_inf = plateau.iter().sum::<f64>() / len as f64;
    let tau = activity.iter().position(|&f| (f / f_inf - 1.0).abs() < RELAXED_WITHIN).map(|k| k as u64);
    Relaxation { absorbed: false, f_inf, tau }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxation_of_absorbed_and_active_series() {
        let absorbed = [0.5, 0.3, 0.1, 0.0, 0.0];
        assert_eq!(relaxation(&absorbed, 0.5), Relaxation { absorbed: true, f_inf: 0.0, tau: Some(3) });
        let active = [0.9, 0.6, 0.42, 0.39, 0.41, 0.4, 0.4, 0.4];
        let r = relaxation(&active, 0.5);
        assert!(!r.absorbed);
        assert!((r.f_inf - 0.4025).abs() < 1e-12);
        assert_eq!(r.tau, Some(2));
    }

    #[test]
    fn half_space_has_one_of_each_pair() {
        let v = half_space_vectors(3, 2);
        for a in &v {
            let neg: Vec<i64> = a.iter().map(|q| -q).collect();
            assert!(!v.contains(&neg));
        }
        // 3D integer vectors with 0 < |n| <= 2.5: 80 of them, half kept.
        assert_eq!(v.len(), 40);
    }
}
