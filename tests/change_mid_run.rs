//! Scheme, step size, batch fraction, potential and phi change between two
//! iterations without touching the configuration, and the next iteration
//! follows the new rule exactly as a run started with it would.

use absorb::sim::{BatchMode, Dynamics, Packing, Potential, Radii, Scheme, Simulation};

fn start() -> Simulation {
    let packing = Packing::random(3, Radii::Monodisperse.generate(800, 2).unwrap(), 0.62, 2).unwrap();
    Simulation::new(packing, Dynamics::default(), 2).unwrap()
}

#[test]
fn a_new_scheme_takes_effect_at_the_next_iteration() {
    let mut a = start();
    for _ in 0..10 {
        a.step();
    }
    let before = a.packing().clone();
    let sgd = Scheme::Sgd { lr: 0.2, batch: 0.3, batch_mode: BatchMode::Fixed };
    a.set_dynamics(Dynamics { scheme: sgd, potential: Potential::HARMONIC, overlap_tolerance: 0.0 }).unwrap();
    assert_eq!(a.packing(), &before, "changing the dynamics moves nothing");
    assert_eq!(a.iteration(), 10);

    // The same configuration and iteration, stepped by a run that had SGD all along.
    let mut b = start();
    for _ in 0..10 {
        b.step();
    }
    b.set_scheme(Scheme::BroPairwise { kick: 0.5 }).unwrap();
    b.set_dynamics(Dynamics { scheme: sgd, potential: Potential::HARMONIC, overlap_tolerance: 0.0 }).unwrap();
    let (sa, sb) = (a.step(), b.step());
    assert_eq!(sa, sb);
    assert_eq!(a.packing(), b.packing());

    // And it is not what the old scheme would have done.
    let mut c = start();
    for _ in 0..11 {
        c.step();
    }
    assert_ne!(c.packing(), a.packing());
}

#[test]
fn invalid_dynamics_are_refused_and_the_old_ones_kept() {
    let mut a = start();
    let old = *a.dynamics();
    assert!(a.set_scheme(Scheme::Sgd { lr: -0.1, batch: 0.5, batch_mode: BatchMode::Probabilistic }).is_err());
    assert!(a.set_scheme(Scheme::Sgd { lr: 0.1, batch: 0.0, batch_mode: BatchMode::Probabilistic }).is_err());
    assert!(a.set_scheme(Scheme::BroPairwise { kick: f64::NAN }).is_err());
    assert_eq!(a.dynamics(), &old);
}

#[test]
fn phi_changes_by_rescaling_the_radii() {
    let mut a = start();
    a.step();
    let positions = a.packing().positions().to_vec();
    let side = a.packing().side();
    a.set_phi(0.3).unwrap();
    assert!((a.packing().phi() - 0.3).abs() < 1e-12);
    assert_eq!(a.packing().positions(), &positions[..]);
    assert_eq!(a.packing().side(), side);
    assert!(a.set_phi(-1.0).is_err());
    assert!(a.set_phi(1.5).is_err(), "phi above 1 is refused");
    assert!((a.packing().phi() - 0.3).abs() < 1e-12);
    // Far below phi_c the rescaled packing absorbs.
    assert!((0..5000).any(|_| a.step().absorbed));
}

#[test]
fn radii_that_no_longer_fit_twice_into_the_box_are_refused() {
    // Four spheres in a box 2.5 wide: a diameter above 1.25 does not fit twice.
    let packing = Packing::new(3, 2.5, vec![0.5; 4], (0..12).map(|i| i as f64 * 0.2).collect()).unwrap();
    let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
    let err = sim.set_phi(0.3).unwrap_err().to_string();
    assert!(err.contains("phi") && err.contains("fits twice"), "{err}");
    sim.set_phi(0.2).unwrap();
}
