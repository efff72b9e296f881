//! Flatness <dU> of a smooth (harmonic) minimum is (sigma_p^2 / 2) trace(H):
//! measured with M = 4000 perturbations and compared with the Hessian trace
//! written out from the pair geometry. Tolerance: 4 standard errors plus 0.5%
//! for the neglected fourth-order term (about sigma_p^2 / r^2 = 3e-4 here).

mod common;

use absorb::sim::observe::{FLATNESS_SAMPLES, FLATNESS_SIGMA, flatness};
use absorb::sim::rng::{Purpose, Stream};
use absorb::sim::{Packing, Potential};
use common::separation;

/// A jittered simple cubic lattice, 3 x 3 x 3 with spacing 0.9 in a box of 2.7:
/// every sphere overlaps its six neighbours by about 0.1 and clears the next
/// shell (at about 1.27) by far more than sigma_p, so U is smooth around it.
fn compressed_lattice() -> Packing {
    let a = 0.9;
    let mut jitter = Stream::keyed(42, Purpose::Position, 0, 0, 0);
    let mut positions = Vec::new();
    for x in 0..3 {
        for y in 0..3 {
            for z in 0..3 {
                for c in [x, y, z] {
                    positions.push(a * c as f64 + 0.02 * (jitter.uniform() - 0.5));
                }
            }
        }
    }
    Packing::new(3, 3.0 * a, vec![0.5; 27], positions).unwrap()
}

/// trace of the Hessian of U = sum (sigma/2)(1 - r/sigma)^2: each overlapping
/// pair adds 2 (u'' + (d - 1) u'/r) with u' = -(1 - r/sigma), u'' = 1/sigma.
fn hessian_trace(p: &Packing) -> (f64, usize) {
    let d = p.dim() as f64;
    let mut trace = 0.0;
    let mut pairs = 0;
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            let r = separation(p, i, j).iter().map(|c| c * c).sum::<f64>().sqrt();
            let sigma = p.radii()[i] + p.radii()[j];
            if r < sigma {
                pairs += 1;
                trace += 2.0 * (1.0 / sigma - (d - 1.0) * (1.0 - r / sigma) / r);
            }
        }
    }
    (trace, pairs)
}

#[test]
fn flatness_of_a_harmonic_minimum_is_half_the_hessian_trace() {
    let p = compressed_lattice();
    let (trace, pairs) = hessian_trace(&p);
    assert_eq!(pairs, 81, "27 spheres with 6 overlapping neighbours each");
    let f = flatness(&p, Potential::HARMONIC, FLATNESS_SAMPLES, FLATNESS_SIGMA, 9).unwrap();
    let want = FLATNESS_SIGMA * FLATNESS_SIGMA / 2.0 * trace;
    let tol = 4.0 * f.error + 0.005 * want;
    assert!((f.mean - want).abs() < tol, "<dU> = {} +- {}, (sigma_p^2/2) tr H = {want}", f.mean, f.error);
    let per = trace / (2.0 * p.len() as f64);
    assert!((f.per_particle_per_variance - per).abs() < tol / (p.len() as f64 * FLATNESS_SIGMA.powi(2)));
}

#[test]
fn flatness_rejects_bad_parameters() {
    let p = compressed_lattice();
    assert!(flatness(&p, Potential::HARMONIC, 1, 0.01, 1).is_err());
    assert!(flatness(&p, Potential::HARMONIC, 100, -0.01, 1).is_err());
    assert!(flatness(&p, Potential::HARMONIC, 100, f64::NAN, 1).is_err());
}
