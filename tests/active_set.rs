//! Near absorption an iteration looks only at the particles that overlap or
//! moved and at their neighbours; the trajectory is bit-for-bit the one of a
//! full scan of every particle, for every scheme, with and without an overlap
//! tolerance, through absorption.

mod common;

use absorb::sim::{BatchMode, Dynamics, Packing, Potential, Radii, Scheme, Simulation, StepStats};
use common::{bits_hash, every_scheme};

/// Up to 3000 iterations of N = 1000 below phi_c; the stats of each iteration
/// (work counter aside) and a hash of the final state.
fn run(dim: usize, scheme: Scheme, tolerance: f64, full: bool) -> (Vec<StepStats>, u64, usize) {
    run_n(1000, dim, scheme, tolerance, full)
}

fn run_n(n: usize, dim: usize, scheme: Scheme, tolerance: f64, full: bool) -> (Vec<StepStats>, u64, usize) {
    let radii = if dim == 2 { Radii::bidisperse_2d() } else { Radii::Monodisperse };
    let phi = if dim == 2 { 0.6 } else { 0.4 };
    let packing = Packing::random(dim, radii.generate(n, 4).unwrap(), phi, 4).unwrap();
    let dynamics = Dynamics { scheme, potential: Potential::LINEAR, overlap_tolerance: tolerance };
    let mut sim = Simulation::new(packing, dynamics, 4).unwrap();
    sim.set_always_full_scan(full);
    let mut stats = Vec::new();
    let mut fewest = usize::MAX;
    for _ in 0..3000 {
        let s = sim.step();
        fewest = fewest.min(s.visited);
        stats.push(StepStats { visited: 0, ..s });
        if s.absorbed && stats.len() > 5 && stats[stats.len() - 5].absorbed {
            break;
        }
    }
    let hash = bits_hash(&[sim.packing().positions(), sim.displacements()].concat());
    (stats, hash, fewest)
}

#[test]
fn the_active_set_gives_the_bits_of_a_full_scan() {
    for dim in [2, 3] {
        for scheme in every_scheme(0.1) {
            for tolerance in [0.0, 0.02] {
                let (fast, fast_hash, fewest) = run(dim, scheme, tolerance, false);
                let (full, full_hash, _) = run(dim, scheme, tolerance, true);
                let name = format!("{} in {dim}D, tolerance {tolerance}", scheme.name());
                assert_eq!(fast.len(), full.len(), "{name}: different lengths");
                for (a, b) in fast.iter().zip(&full) {
                    assert_eq!(a, b, "{name}: iteration {} differs", a.iteration);
                }
                assert_eq!(fast_hash, full_hash, "{name}: final states differ");
                // With a tolerance, overlaps below it keep their particles in
                // the set (their energies are re-measured): only then may the
                // full scan stay the cheaper one.
                if tolerance == 0.0 {
                    assert!(fewest < 1000 / 4, "{name}: the active set was never used (fewest visited {fewest})");
                }
            }
        }
    }
}

#[test]
fn the_active_set_gives_the_bits_of_a_full_scan_over_several_chunks_of_ids() {
    // N = 10000: the pass in id order sums over three chunks of 4096 ids, in
    // parallel after a full scan and in order on the active set.
    for scheme in [Scheme::BroPairwise { kick: 0.1 }, Scheme::Sgd { lr: 0.1, batch: 0.4, batch_mode: BatchMode::Fixed }]
    {
        let (fast, fast_hash, fewest) = run_n(10_000, 3, scheme, 0.0, false);
        let (full, full_hash, _) = run_n(10_000, 3, scheme, 0.0, true);
        let name = scheme.name();
        assert_eq!(fast, full, "{name}: the statistics differ");
        assert_eq!(fast_hash, full_hash, "{name}: final states differ");
        assert!(fewest < 10_000 / 4, "{name}: the active set was never used");
    }
}
