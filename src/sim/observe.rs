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
        step::scan::contacts_and_energy(&ctx).1
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

/// Particles per task of the structure factor: each task sums into its own
/// accumulator, and the tasks' sums are added in a fixed order, so the result
/// does not depend on the thread count.
const SK_PARTICLES_PER_TASK: usize = 4096;

/// S(k) = |sum_j exp(-i k.x_j)|^2 / N on k = 2 pi n / L, n integer with
/// 0 < |n| <= `max_n`, averaged in shells of width 2 pi / L (shell m holds
/// m - 1/2 < |n| <= m + 1/2). Of each pair +n, -n (equal S) one is kept.
///
/// Wave vectors are walked in rows along the last axis: per particle, the
/// phase of a row is one product, and each vector of the row adds one complex
/// multiply, so the cost is N times the number of vectors, vectorizable.
pub fn structure_factor(packing: &Packing, max_n: usize) -> Vec<Shell> {
    let dim = packing.dim();
    let n = packing.len();
    let m = max_n as i64;
    let rows = half_space_rows(dim, m);
    let total: usize = rows.iter().map(|r| r.len()).sum();
    let width = 2 * max_n + 1;
    let side = packing.side();
    let sums: Vec<Vec<(f64, f64)>> = packing
        .positions()
        .par_chunks(SK_PARTICLES_PER_TASK * dim)
        .map(|chunk| {
            let mut acc = vec![(0.0, 0.0); total];
            // phase[d * width + (q + m)] = exp(-i 2 pi q x_d / L), q in [-m, m]
            let mut phase = vec![(0.0, 0.0); dim * width];
            for x in chunk.chunks_exact(dim) {
                for (d, &xd) in x.iter().enumerate() {
                    let angle = -std::f64::consts::TAU * xd / side;
                    let step = (angle.cos(), angle.sin());
                    let row = &mut phase[d * width..(d + 1) * width];
                    row[max_n] = (1.0, 0.0);
                    for q in 1..=max_n {
                        let next = cmul(row[max_n + q - 1], step);
                        row[max_n + q] = next;
                        row[max_n - q] = (next.0, -next.1);
                    }
                }
                let last = &phase[(dim - 1) * width..dim * width];
                for r in &rows {
                    let mut z = (1.0, 0.0);
                    for (d, &q) in r.head.iter().enumerate() {
                        z = cmul(z, phase[d * width + (q + m) as usize]);
                    }
                    let tail = &last[(r.lo + m) as usize..=(r.hi + m) as usize];
                    for (a, &p) in acc[r.offset..r.offset + r.len()].iter_mut().zip(tail) {
                        let w = cmul(z, p);
                        a.0 += w.0;
                        a.1 += w.1;
                    }
                }
            }
            acc
        })
        .collect();
    let mut acc = vec![(0.0, 0.0); total];
    for part in &sums {
        for (a, p) in acc.iter_mut().zip(part) {
            a.0 += p.0;
            a.1 += p.1;
        }
    }
    let mut per_shell: Vec<Vec<f64>> = vec![Vec::new(); max_n + 1];
    for r in &rows {
        let head2: i64 = r.head.iter().map(|q| q * q).sum();
        for (k, q) in (r.lo..=r.hi).enumerate() {
            let shell = (((head2 + q * q) as f64).sqrt().round() as usize).min(max_n);
            let a = acc[r.offset + k];
            per_shell[shell].push((a.0 * a.0 + a.1 * a.1) / n as f64);
        }
    }
    per_shell
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, s)| !s.is_empty())
        .map(|(shell, s)| {
            let count = s.len();
            let mean = s.iter().sum::<f64>() / count as f64;
            let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count.max(2) - 1) as f64;
            Shell { k: std::f64::consts::TAU * shell as f64 / side, s: mean, error: (var / count as f64).sqrt(), count }
        })
        .collect()
}

/// Wave vectors sharing their first d - 1 components, with the last one
/// running from `lo` to `hi`.
struct Row {
    head: Vec<i64>,
    lo: i64,
    hi: i64,
    offset: usize,
}

impl Row {
    fn len(&self) -> usize {
        (self.hi - self.lo + 1) as usize
    }
}

/// The rows of integer vectors with 0 < |n| <= max + 1/2, one of each +n, -n:
/// those whose first non-zero component is positive.
fn half_space_rows(dim: usize, max: i64) -> Vec<Row> {
    let limit = (max as f64 + 0.5).powi(2);
    let mut rows = Vec::new();
    let mut offset = 0;
    for head in cube(dim - 1, max) {
        let head2: i64 = head.iter().map(|q| q * q).sum();
        let room = limit - head2 as f64;
        if room < 0.0 {
            continue;
        }
        let reach = (room.sqrt().floor() as i64).min(max);
        let (lo, hi) = match head.iter().find(|&&q| q != 0) {
            Some(&q) if q > 0 => (-reach, reach),
            Some(_) => continue,
            None => (1, reach),
        };
        if lo > hi {
            continue;
        }
        let row = Row { head, lo, hi, offset };
        offset += row.len();
        rows.push(row);
    }
    rows
}

/// Every integer vector of `dim` components in [-max, max].
fn cube(dim: usize, max: i64) -> Vec<Vec<i64>> {
    let mut out = vec![Vec::new()];
    for _ in 0..dim {
        out = out.into_iter().flat_map(|v| (-max..=max).map(move |q| [v.clone(), vec![q]].concat())).collect();
    }
    out
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
        let rows = half_space_rows(3, 2);
        let v: Vec<Vec<i64>> =
            rows.iter().flat_map(|r| (r.lo..=r.hi).map(move |q| [r.head.clone(), vec![q]].concat())).collect();
        for a in &v {
            let neg: Vec<i64> = a.iter().map(|q| -q).collect();
            assert!(!v.contains(&neg));
            assert!(a.iter().any(|&q| q != 0));
        }
        // 3D integer vectors with 0 < |n| <= 2.5: 80 of them, half kept.
        assert_eq!(v.len(), 40);
        assert_eq!(rows.iter().map(|r| r.len()).sum::<usize>(), 40);
    }
}
