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

/// Near absorption (N = 3000 in 3D at phi = 0.5, kicks of 0.1: full scans
/// first, then the active set, whose pass runs in parallel tasks of 256
/// visited particles): the same positions, displacements, readouts and
/// per-step figures with one, two and eight threads, iteration by iteration.
#[test]
fn same_bits_near_absorption_with_one_two_and_eight_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let packing = Packing::random(3, Radii::Monodisperse.generate(3000, 5).unwrap(), 0.5, 5).unwrap();
            let dynamics = Dynamics { scheme: Scheme::BroPairwise { kick: 0.1 }, ..Dynamics::default() };
            let mut sim = Simulation::new(packing, dynamics, 5).unwrap();
            let mut hashes = Vec::new();
            let mut near_absorption = 0;
            for _ in 0..400 {
                let s = sim.step();
                near_absorption += usize::from(s.visited < 3000);
                let moves: Vec<f64> = sim.last_moves().iter().map(|&m| f64::from(m)).collect();
                let readouts: Vec<f64> = sim.last_contacts().iter().map(|&c| f64::from(c)).collect();
                let figures = [s.energy, s.msd, s.activity, s.max_displacement, s.visited as f64];
                hashes.push(bits_hash(
                    &[sim.packing().positions(), sim.displacements(), &moves, &readouts, &figures].concat(),
                ));
                if s.absorbed {
                    break;
                }
            }
            (hashes, near_absorption)
        })
    };
    let (one, near_absorption) = run(1);
    assert!(near_absorption > 50, "only {near_absorption} iterations on the active set");
    for threads in [2, 8] {
        let (other, _) = run(threads);
        assert_eq!(other.len(), one.len(), "{threads} threads: a run of another length");
        if let Some(k) = (0..one.len()).find(|&k| one[k] != other[k]) {
            panic!("{threads} threads differ from 1 at iteration {k}");
        }
    }
}
