//! Reciprocal schemes (pairwise BRO, SGD, GD, the pairwise approximation)
//! conserve the centre of mass: the unwrapped displacements sum to zero up to
//! round-off. The particle-wise and non-reciprocal schemes do not, which shows
//! the check can tell them apart.

use absorb::sim::{BatchMode, Dynamics, Noise, Packing, Potential, Radii, Scheme, Simulation};

const ITERATIONS: usize = 50;

fn drift(dim: usize, scheme: Scheme) -> f64 {
    let radii = if dim == 2 { Radii::bidisperse_2d() } else { Radii::Monodisperse };
    let packing = Packing::random(dim, radii.generate(600, 3).unwrap(), 0.7, 3).unwrap();
    let dynamics = Dynamics { scheme, potential: Potential::HARMONIC, overlap_tolerance: 0.0 };
    let mut sim = Simulation::new(packing, dynamics, 11).unwrap();
    for _ in 0..ITERATIONS {
        sim.step();
    }
    let u = sim.displacements();
    (0..dim).map(|k| u.iter().skip(k).step_by(dim).sum::<f64>().powi(2)).sum::<f64>().sqrt()
}

#[test]
fn reciprocal_schemes_conserve_the_centre_of_mass() {
    let reciprocal = [
        Scheme::BroPairwise { kick: 0.1 },
        Scheme::Sgd { lr: 0.1, batch: 0.5, batch_mode: BatchMode::Probabilistic },
        Scheme::Sgd { lr: 0.1, batch: 0.3, batch_mode: BatchMode::Fixed },
        Scheme::Gd { lr: 0.1 },
        Scheme::SaPairwise { noise: Noise::Bro { kick: 0.1 }, h: 1.0 },
    ];
    for dim in [2, 3] {
        for scheme in reciprocal {
            let d = drift(dim, scheme);
            // 600 particles x 50 iterations of sums of O(0.1) terms: round-off is ~1e-13.
            assert!(d < 1e-10, "{} in {dim}D moved the centre of mass by {d:e} in total", scheme.name());
        }
    }
}

#[test]
fn non_reciprocal_schemes_move_the_centre_of_mass() {
    let others = [
        Scheme::BroPairwiseNonreciprocal { kick: 0.1 },
        Scheme::BroParticle { kick: 0.1, normalized: false },
        Scheme::Rcd { lr: 0.1, batch: 0.5, batch_mode: BatchMode::Probabilistic },
        Scheme::SaParticle { noise: Noise::Bro { kick: 0.1 }, h: 1.0 },
    ];
    for scheme in others {
        let d = drift(3, scheme);
        assert!(d > 1e-3, "{} should not conserve the centre of mass, drift {d:e}", scheme.name());
    }
}
