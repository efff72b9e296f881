//! The fast path (cell list, slots in cell order, active set, rayon) against a
//! plain reference written from MODEL.md: every pair i < j checked with the
//! minimum image, contributions summed pair by pair, keyed random numbers drawn
//! as the model specifies. Same seed, every scheme, 2D bidisperse and 3D
//! monodisperse, N = 300 near phi_c (and N = 12 in 3D, a box of two cells a
//! side, where the cell list takes the minimum image of each pair): the two
//! trajectories agree for 300 iterations on the active particles, the active
//! pairs and the energy at every iteration, and on the positions to 1e-10
//! diameters.
//!
//! The reference sums each particle's pair terms as the core does, in fixed
//! point (`absorb::sim::quanta`: each term rounded to whole quanta, the
//! integers added), so that the order of the terms cannot matter and the
//! positions agree bit for bit in practice. These dynamics amplify round-off
//! (a difference of 1e-16 grows to 1e-10 in about 110 iterations of pairwise
//! BRO with eps = 0.05 in 2D): two codes that summed doubles in different
//! orders could not be compared over a whole run. The tolerance leaves room
//! for a last bit of the minimum image or of the wrapping into the box.

mod common;

use absorb::sim::quanta::Quantum;
use absorb::sim::rng::{self, Purpose, Stream};
use absorb::sim::{BatchMode, Dynamics, Packing, Potential, Radii, Scheme, Simulation};
use common::every_scheme;

/// (dimension, particles) of the runs compared.
const CASES: [(usize, usize); 3] = [(2, 300), (3, 300), (3, 12)];
const ITERATIONS: usize = 300;
const SEED: u64 = 11;
/// Positions may differ by round-off only: sums are taken in another order.
const POSITION_TOLERANCE: f64 = 1e-10;

/// One overlapping pair of the reference, i < j.
struct Pair {
    i: usize,
    j: usize,
    /// Unit vector from j to i.
    e: Vec<f64>,
    /// Force magnitude -u'(r).
    f: f64,
}

/// What the reference measures on x^k.
#[derive(Debug, PartialEq)]
struct Measured {
    active_particles: usize,
    active_pairs: usize,
    energy: f64,
}

fn min_image(d: f64, side: f64) -> f64 {
    d - side * (d / side).round()
}

/// Every overlapping pair, by checking all N (N - 1) / 2 of them.
fn all_pairs(x: &[Vec<f64>], radii: &[f64], side: f64, potential: Potential) -> (Vec<Pair>, f64) {
    let mut pairs = Vec::new();
    let mut energy = 0.0;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let r: Vec<f64> = (0..x[i].len()).map(|k| min_image(x[i][k] - x[j][k], side)).collect();
            let dist = r.iter().map(|c| c * c).sum::<f64>().sqrt();
            let sigma = radii[i] + radii[j];
            if dist < sigma {
                energy += potential.energy(dist, sigma);
                let inverse = 1.0 / dist;
                let e = r.iter().map(|c| c * inverse).collect();
                pairs.push(Pair { i, j, e, f: potential.force(dist, sigma) });
            }
        }
    }
    (pairs, energy)
}

/// One iteration of `scheme` by the reference: the displacement of every
/// particle and what was measured on the configuration it started from.
fn reference_step(
    x: &[Vec<f64>],
    radii: &[f64],
    side: f64,
    scheme: Scheme,
    potential: Potential,
    k: u64,
) -> (Vec<Vec<f64>>, Measured) {
    let n = x.len();
    let dim = x[0].len();
    let (pairs, energy) = all_pairs(x, radii, side, potential);
    let mut contacts = vec![0usize; n];
    for p in &pairs {
        contacts[p.i] += 1;
        contacts[p.j] += 1;
    }
    let active: Vec<bool> = contacts.iter().map(|&c| c > 0).collect();
    let measured = Measured {
        active_particles: active.iter().filter(|&&a| a).count(),
        active_pairs: pairs.len(),
        energy: energy / n as f64,
    };
    let pair_key = |purpose, p: &Pair| rng::key(SEED, purpose, k, p.i as u64, p.j as u64);
    let particle_stream = |i: usize| Stream::keyed(SEED, Purpose::ParticleNoise, k, i as u64, 0);
    // Sums of pair terms, in quanta.
    let quantum = Quantum::for_scheme(&scheme);
    let mut sums = vec![vec![0i64; dim]; n];
    // Adds s_i e to i and s_j (-e) to j.
    let push = |sums: &mut Vec<Vec<i64>>, p: &Pair, si: f64, sj: f64| {
        for (c, &e) in p.e.iter().enumerate() {
            sums[p.i][c] += quantum.quanta(si, e);
            sums[p.j][c] += quantum.quanta(sj, -e);
        }
    };
    let value = |sums: &Vec<Vec<i64>>| -> Vec<Vec<f64>> {
        sums.iter().map(|v| v.iter().map(|&q| quantum.value_of(q)).collect()).collect()
    };
    // F_i = sum_j f_ij e_ij, and sum_j e_ij.
    let (mut force, mut directions) = (sums.clone(), sums.clone());
    for p in &pairs {
        push(&mut force, p, p.f, p.f);
        push(&mut directions, p, 1.0, 1.0);
    }
    let (force, directions) = (value(&force), value(&directions));
    let mut dx = vec![vec![0.0; dim]; n];
    let add = |dx: &mut Vec<f64>, s: f64, v: &[f64]| dx.iter_mut().zip(v).for_each(|(a, b)| *a += s * b);
    match scheme {
        Scheme::BroPairwise { kick } => {
            for p in &pairs {
                let xi = rng::unit(pair_key(Purpose::PairNoise, p));
                push(&mut sums, p, kick * xi, kick * xi);
            }
        }
        Scheme::BroPairwiseNonreciprocal { kick } => {
            for p in &pairs {
                let xi_i = rng::unit(rng::key(SEED, Purpose::SideNoise, k, p.i as u64, p.j as u64));
                let xi_j = rng::unit(rng::key(SEED, Purpose::SideNoise, k, p.j as u64, p.i as u64));
                push(&mut sums, p, kick * xi_i, kick * xi_j);
            }
        }
        Scheme::BroParticle { kick, normalized } => {
            for i in (0..n).filter(|&i| active[i]) {
                let norm = directions[i].iter().map(|c| c * c).sum::<f64>().sqrt();
                let scale = if !normalized {
                    1.0
                } else if norm > 0.0 {
                    1.0 / norm
                } else {
                    0.0
                };
                add(&mut dx[i], kick * particle_stream(i).uniform() * scale, &directions[i]);
            }
        }
        Scheme::Sgd { lr, batch, batch_mode } => {
            let chosen: Vec<bool> = match batch_mode {
                BatchMode::Probabilistic => {
                    pairs.iter().map(|p| rng::unit(pair_key(Purpose::PairBatch, p)) < batch).collect()
                }
                BatchMode::Fixed => {
                    let mut order: Vec<(u64, usize)> =
                        pairs.iter().enumerate().map(|(q, p)| (pair_key(Purpose::PairBatch, p), q)).collect();
                    order.sort();
                    let size = (batch * pairs.len() as f64).round() as usize;
                    let mut chosen = vec![false; pairs.len()];
                    order.iter().take(size).for_each(|&(_, q)| chosen[q] = true);
                    chosen
                }
            };
            for (p, _) in pairs.iter().zip(&chosen).filter(|(_, c)| **c) {
                push(&mut sums, p, lr * p.f, lr * p.f);
            }
        }
        Scheme::Rcd { lr, batch, batch_mode } => {
            let key = |i: usize| rng::key(SEED, Purpose::ParticleBatch, k, i as u64, 0);
            let candidates: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
            let chosen: Vec<usize> = match batch_mode {
                BatchMode::Probabilistic => candidates.into_iter().filter(|&i| rng::unit(key(i)) < batch).collect(),
                BatchMode::Fixed => {
                    let mut order: Vec<(u64, usize)> = candidates.iter().map(|&i| (key(i), i)).collect();
                    order.sort();
                    let size = (batch * order.len() as f64).round() as usize;
                    order.into_iter().take(size).map(|(_, i)| i).collect()
                }
            };
            for i in chosen {
                add(&mut dx[i], lr, &force[i]);
            }
        }
        Scheme::Gd { lr } => {
            for i in 0..n {
                add(&mut dx[i], lr, &force[i]);
            }
        }
        Scheme::SaPairwise { noise, h } => {
            let (mu, s) = noise.moments();
            for p in &pairs {
                let eta = Stream::new(pair_key(Purpose::PairNoise, p)).normal();
                let m = (mu * h + s * h.sqrt() * eta) * p.f;
                push(&mut sums, p, m, m);
            }
        }
        Scheme::SaParticle { noise, h } => {
            let (mu, s) = noise.moments();
            for i in (0..n).filter(|&i| active[i]) {
                let eta = particle_stream(i).normal();
                add(&mut dx[i], mu * h + s * h.sqrt() * eta, &force[i]);
            }
        }
    }
    // The pairwise schemes' moves are their sums (zero for the others).
    for (d, v) in dx.iter_mut().zip(value(&sums)) {
        add(d, 1.0, &v);
    }
    (dx, measured)
}

/// The first packing of both runs: n spheres just above the 3D phi_c of
/// BRO with these kicks, or bidisperse disks in 2D, so that some regions
/// absorb while others stay active.
fn start(dim: usize, n: usize) -> Packing {
    let (radii, phi) = if dim == 2 { (Radii::bidisperse_2d(), 0.80) } else { (Radii::Monodisperse, 0.55) };
    Packing::random(dim, radii.generate(n, SEED).unwrap(), phi, SEED).unwrap()
}

#[test]
fn the_fast_path_follows_the_all_pairs_reference() {
    for (dim, n) in CASES {
        for scheme in every_scheme(0.05) {
            let name = format!("{} ({scheme:?}), {n} particles in {dim}D", scheme.name());
            let packing = start(dim, n);
            let side = packing.side();
            let radii = packing.radii().to_vec();
            let mut x: Vec<Vec<f64>> = (0..n).map(|i| packing.position(i).to_vec()).collect();
            let dynamics = Dynamics { scheme, potential: Potential::LINEAR, overlap_tolerance: 0.0 };
            let mut sim = Simulation::new(packing, dynamics, SEED).unwrap();
            let mut moved_at_end = 0;
            for k in 0..ITERATIONS as u64 {
                let (dx, want) = reference_step(&x, &radii, side, scheme, Potential::LINEAR, k);
                let got = sim.step();
                assert_eq!(
                    (got.active_particles, got.active_pairs),
                    (want.active_particles, want.active_pairs),
                    "{name}: iteration {k}: active particles and pairs (fast, reference)"
                );
                assert!(
                    (got.energy - want.energy).abs() <= 1e-12 * want.energy.max(1.0),
                    "{name}: iteration {k}: energy {} against {}",
                    got.energy,
                    want.energy
                );
                for i in 0..n {
                    for c in 0..dim {
                        x[i][c] = (x[i][c] + dx[i][c]).rem_euclid(side);
                    }
                }
                let worst = (0..n)
                    .flat_map(|i| (0..dim).map(move |c| (i, c)))
                    .map(|(i, c)| min_image(sim.packing().position(i)[c] - x[i][c], side).abs())
                    .fold(0.0, f64::max);
                assert!(worst <= POSITION_TOLERANCE, "{name}: iteration {k}: positions differ by {worst:e}");
                moved_at_end = got.active_particles;
            }
            // A comparison of two frozen packings would prove nothing.
            assert!(
                moved_at_end > 0 || sim.absorbed_at().is_some_and(|t| t > 10),
                "{name}: the run neither stayed active nor absorbed late"
            );
        }
    }
}
