//! An absorbed configuration never moves again, under any scheme: once no pair
//! overlaps, every later iteration leaves every coordinate's bits unchanged.

mod common;

use common::every_scheme;

use absorb::sim::{Dynamics, Packing, Potential, Radii, Scheme, Simulation};

#[test]
fn absorbed_runs_stay_put_under_every_scheme() {
    for dim in [2, 3] {
        let radii = Radii::Uniform { min: 0.4, max: 0.6 }.generate(400, 5).unwrap();
        let packing = Packing::random(dim, radii, 0.25, 5).unwrap();
        let mut sim = Simulation::new(packing, Dynamics::default(), 5).unwrap();
        let mut absorbed = false;
        for _ in 0..5000 {
            if sim.step().absorbed {
                absorbed = true;
                break;
            }
        }
        assert!(absorbed, "phi = 0.25 in {dim}D should absorb within 5000 iterations");
        let at = sim.absorbed_at().expect("absorption recorded");
        let frozen = sim.packing().positions().to_vec();
        for scheme in every_scheme(0.3) {
            sim.set_scheme(scheme).unwrap();
            for _ in 0..20 {
                let stats = sim.step();
                assert!(stats.absorbed && stats.active_pairs == 0 && stats.max_displacement == 0.0);
            }
            assert_eq!(sim.packing().positions(), &frozen[..], "{} moved an absorbed packing", scheme.name());
        }
        assert_eq!(sim.absorbed_at(), Some(at), "changing the scheme does not change when the run absorbed");
    }
}

#[test]
fn a_packing_without_overlaps_is_absorbed_at_iteration_zero() {
    let packing = Packing::new(3, 4.0, vec![0.5; 2], vec![0.5, 0.5, 0.5, 2.0, 2.0, 2.0]).unwrap();
    let dynamics = Dynamics { scheme: Scheme::Gd { lr: 1.0 }, potential: Potential::LINEAR, overlap_tolerance: 0.0 };
    let mut sim = Simulation::new(packing.clone(), dynamics, 1).unwrap();
    let stats = sim.step();
    assert!(stats.absorbed);
    assert_eq!(stats.activity, 0.0);
    assert_eq!(stats.energy, 0.0);
    assert_eq!(sim.packing(), &packing);
}
