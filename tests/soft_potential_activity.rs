//! Under a soft potential (m = 2) gradient steps shrink an overlap in
//! proportion to itself, so overlaps close only geometrically: counted with
//! tolerance 0, SGD far below phi_c never reaches f_a = 0. With the soft
//! potentials' default tolerance (10^-3 of the contact distance) it absorbs
//! in finite time far below phi_c, and far above it stays active.
//! Deterministic: fixed seeds, N = 500 in 3D, 3000 iterations at most.

use absorb::scene::Scene;
use absorb::sim::{BatchMode, Potential, Scheme, Simulation};

const MAX_ITERATIONS: u64 = 3000;

fn run(phi: f64, tolerance: Option<f64>, seed: u64) -> (Simulation, Option<u64>) {
    let scene = Scene {
        dim: 3,
        n: 500,
        phi,
        scheme: Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: BatchMode::Probabilistic },
        potential: Potential::HARMONIC,
        overlap_tolerance: tolerance,
        seed,
        ..Scene::default()
    };
    let mut sim = scene.simulation().unwrap();
    for _ in 0..MAX_ITERATIONS {
        if sim.step().absorbed {
            break;
        }
    }
    let absorbed = sim.absorbed_at();
    (sim, absorbed)
}

#[test]
fn harmonic_sgd_far_below_phi_c_absorbs_with_the_default_tolerance() {
    assert_eq!(Potential::HARMONIC.default_overlap_tolerance(), 1e-3);
    for seed in [1, 2, 3] {
        let (_, absorbed) = run(0.45, None, seed);
        assert!(absorbed.is_some(), "seed {seed}: still active after {MAX_ITERATIONS} iterations at phi 0.45");
    }
}

#[test]
fn without_a_tolerance_harmonic_sgd_never_absorbs() {
    let (mut sim, absorbed) = run(0.45, Some(0.0), 1);
    assert_eq!(absorbed, None);
    let last = sim.step();
    assert!(last.activity > 0.1, "f_a = {}", last.activity);
    assert!(last.energy < 1e-6, "e = {}: the overlaps left are tiny", last.energy);
}

#[test]
fn harmonic_sgd_far_above_phi_c_stays_active() {
    let (mut sim, absorbed) = run(0.75, None, 1);
    assert_eq!(absorbed, None);
    let last = sim.step();
    assert!(last.activity > 0.5, "f_a = {}", last.activity);
}
