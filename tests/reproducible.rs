//! One seed gives bit-identical trajectories at any thread count: every random
//! number is keyed by (seed, iteration, particle or pair), and every sum runs
//! in an order fixed by the configuration alone.

mod common;

use absorb::sim::{Dynamics, Packing, Potential, Radii, Scheme, Simulation};
use common::{bits_hash, every_scheme};

/// Hash of positions, unwrapped displacements and every step's energy and
/// MSD after 30 iterations of N = 10000 in 3D (three chunks of 4096 ids in
/// the pass that sums them), on a pool of `threads` workers.
fn trajectory_hash(scheme: Scheme, threads: usize) -> u64 {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let packing = Packing::random(3, Radii::Monodisperse.generate(10_000, 1).unwrap(), 0.62, 8).unwrap();
        let dynamics = Dynamics { scheme, potential: Potential::HERTZIAN, overlap_tolerance: 0.0 };
        let mut sim = Simulation::new(packing, dynamics, 8).unwrap();
        let energies: Vec<f64> = (0..30)
            .flat_map(|_| {
                let s = sim.step();
                [s.energy, s.msd]
            })
            .collect();
        bits_hash(&[sim.packing().positions(), sim.displacements(), &energies].concat())
    })
}

#[test]
fn same_bits_with_one_two_and_eight_threads() {
    for scheme in every_scheme(0.1) {
        let one = trajectory_hash(scheme, 1);
        assert_eq!(one, trajectory_hash(scheme, 2), "{}: 2 threads differ from 1", scheme.name());
        assert_eq!(one, trajectory_hash(scheme, 8), "{}: 8 threads differ from 1", scheme.name());
    }
}
