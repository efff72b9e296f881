//! Observing a configuration in place measures exactly what the next
//! iteration measures on it (f_a, P, e, MSD), shows its contacts, and leaves
//! the trajectory the same bits: the window uses it to show a run that was
//! just started, reset or rescaled before it moves.

use absorb::scene::Scene;
use absorb::sim::{Potential, Scheme};

#[test]
fn observing_measures_what_the_next_iteration_measures_and_moves_nothing() {
    for (dim, potential, tolerance) in [(3, Potential::LINEAR, None), (2, Potential::HARMONIC, Some(0.01))] {
        let scene = Scene {
            dim,
            n: 400,
            phi: 0.6,
            scheme: Scheme::BroPairwise { kick: 0.1 },
            potential,
            overlap_tolerance: tolerance,
            seed: 3,
            ..Scene::default()
        };
        let mut watched = scene.simulation().unwrap();
        let mut plain = scene.simulation().unwrap();
        for k in 0..40 {
            let seen = watched.observe();
            assert!(watched.last_contacts().iter().filter(|&&c| c > 0).count() == seen.active_particles);
            let stepped = watched.step();
            assert_eq!(plain.step(), stepped, "iteration {k}: observing changed the run");
            assert_eq!(seen.iteration, stepped.iteration);
            assert_eq!(seen.active_pairs, stepped.active_pairs, "iteration {k}");
            assert_eq!(seen.active_particles, stepped.active_particles, "iteration {k}");
            assert_eq!(seen.energy, stepped.energy, "iteration {k}");
            assert_eq!(seen.msd, stepped.msd, "iteration {k}");
        }
        assert_eq!(watched.packing(), plain.packing());
    }
}
