//! The displacement of one iteration has the mean and covariance that MODEL.md
//! gives for every scheme, for one pair and for three mutually overlapping
//! particles (two of them across the periodic boundary).
//!
//! Each case draws M = 20000 iterations from seeds 1000..21000 and compares
//! every entry of the sample mean and covariance with the exact value. The
//! tolerance is 5 standard errors, each estimated from the samples themselves,
//! plus 1e-12 for deterministic entries: with about 80 entries a case, a
//! correct rule fails with probability below 1e-4, while a wrong mean or
//! variance (a factor 1/2, a missing pair, a wrong sign) is off by tens of
//! standard errors.

mod common;

use absorb::sim::{BatchMode, Noise, Packing, Potential, Scheme};
use common::{moments, one_step_samples, packing, separation};

const SAMPLES: usize = 20_000;
const SIGMAS: f64 = 5.0;

/// Random coefficients multiplying fixed vectors: dx = sum_t c_t u_t.
struct Model {
    mean: Vec<f64>,
    cov: Vec<Vec<f64>>,
}

impl Model {
    fn new(len: usize) -> Self {
        Self { mean: vec![0.0; len], cov: vec![vec![0.0; len]; len] }
    }

    /// An independent term c u with E[c] = mu, Var[c] = var.
    fn independent(&mut self, u: &[f64], mu: f64, var: f64) {
        self.mean.iter_mut().zip(u).for_each(|(m, x)| *m += mu * x);
        self.add_outer(var, u, u);
    }

    /// Terms scale * I_t u_t where exactly k of the P indicators I_t are 1,
    /// drawn without replacement.
    fn fixed_batch(&mut self, us: &[Vec<f64>], k: usize, scale: f64) {
        let p = us.len() as f64;
        let q = k as f64 / p;
        let var = q * (1.0 - q);
        let cross = if us.len() > 1 { -(k as f64) * (p - k as f64) / (p * p * (p - 1.0)) } else { 0.0 };
        for (s, us_) in us.iter().enumerate() {
            self.mean.iter_mut().zip(us_).for_each(|(m, x)| *m += scale * q * x);
            for (t, ut) in us.iter().enumerate() {
                self.add_outer(scale * scale * if s == t { var } else { cross }, us_, ut);
            }
        }
    }

    /// cov += c u v^T.
    fn add_outer(&mut self, c: f64, u: &[f64], v: &[f64]) {
        for (row, ua) in self.cov.iter_mut().zip(u) {
            row.iter_mut().zip(v).for_each(|(x, vb)| *x += c * ua * vb);
        }
    }
}

/// An overlapping pair as the core should see it: i < j, unit vector e_ij
/// (from j to i) and force magnitude f.
struct Contact {
    i: usize,
    j: usize,
    e: Vec<f64>,
    f: f64,
}

fn contacts(p: &Packing, potential: Potential) -> Vec<Contact> {
    let mut out = Vec::new();
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            let r = separation(p, i, j);
            let dist = r.iter().map(|c| c * c).sum::<f64>().sqrt();
            let sigma = p.radii()[i] + p.radii()[j];
            if dist < sigma {
                out.push(Contact { i, j, e: r.iter().map(|c| c / dist).collect(), f: potential.force(dist, sigma) });
            }
        }
    }
    out
}

/// A vector of N*d zeros with `v` times `scale` in particle i's block.
fn block(p: &Packing, i: usize, v: &[f64], scale: f64) -> Vec<f64> {
    let d = p.dim();
    let mut u = vec![0.0; p.len() * d];
    for k in 0..d {
        u[i * d + k] = scale * v[k];
    }
    u
}

fn add(a: &mut [f64], b: &[f64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

/// +scale e on i, -scale e on j.
fn pair_vector(p: &Packing, c: &Contact, scale: f64) -> Vec<f64> {
    let mut u = block(p, c.i, &c.e, scale);
    add(&mut u, &block(p, c.j, &c.e, -scale));
    u
}

/// Per particle: sum_j weight(c) e_ij over its contacts.
fn particle_sums(p: &Packing, cs: &[Contact], weight: impl Fn(&Contact) -> f64) -> Vec<Vec<f64>> {
    let mut sums = vec![vec![0.0; p.len() * p.dim()]; p.len()];
    for c in cs {
        add(&mut sums[c.i], &block(p, c.i, &c.e, weight(c)));
        add(&mut sums[c.j], &block(p, c.j, &c.e, -weight(c)));
    }
    sums
}

fn norm(u: &[f64]) -> f64 {
    u.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// MODEL.md's mean and covariance of one iteration's displacement.
fn model(p: &Packing, scheme: Scheme, potential: Potential) -> Model {
    let cs = contacts(p, potential);
    let mut m = Model::new(p.len() * p.dim());
    match scheme {
        Scheme::BroPairwise { kick } => {
            for c in &cs {
                m.independent(&pair_vector(p, c, 1.0), kick / 2.0, kick * kick / 12.0);
            }
        }
        Scheme::BroPairwiseNonreciprocal { kick } => {
            for c in &cs {
                m.independent(&block(p, c.i, &c.e, 1.0), kick / 2.0, kick * kick / 12.0);
                m.independent(&block(p, c.j, &c.e, -1.0), kick / 2.0, kick * kick / 12.0);
            }
        }
        Scheme::BroParticle { kick, normalized } => {
            for s in particle_sums(p, &cs, |_| 1.0) {
                let scale = if normalized { 1.0 / norm(&s) } else { 1.0 };
                let u: Vec<f64> = s.iter().map(|x| x * scale).collect();
                m.independent(&u, kick / 2.0, kick * kick / 12.0);
            }
        }
        Scheme::Sgd { lr, batch, batch_mode } => {
            let us: Vec<Vec<f64>> = cs.iter().map(|c| pair_vector(p, c, c.f)).collect();
            match batch_mode {
                BatchMode::Probabilistic => {
                    us.iter().for_each(|u| m.independent(u, lr * batch, lr * lr * batch * (1.0 - batch)))
                }
                BatchMode::Fixed => m.fixed_batch(&us, (batch * us.len() as f64).round() as usize, lr),
            }
        }
        Scheme::Rcd { lr, batch, batch_mode } => {
            let forces = particle_sums(p, &cs, |c| c.f);
            match batch_mode {
                BatchMode::Probabilistic => {
                    forces.iter().for_each(|u| m.independent(u, lr * batch, lr * lr * batch * (1.0 - batch)))
                }
                BatchMode::Fixed => m.fixed_batch(&forces, (batch * forces.len() as f64).round() as usize, lr),
            }
        }
        Scheme::Gd { lr } => particle_sums(p, &cs, |c| c.f).iter().for_each(|u| m.independent(u, lr, 0.0)),
        Scheme::SaPairwise { noise, h } => {
            let (mu, s) = noise.moments();
            for c in &cs {
                m.independent(&pair_vector(p, c, c.f), mu * h, s * s * h);
            }
        }
        Scheme::SaParticle { noise, h } => {
            let (mu, s) = noise.moments();
            for u in particle_sums(p, &cs, |c| c.f) {
                m.independent(&u, mu * h, s * s * h);
            }
        }
    }
    m
}

fn check(name: &str, p: &Packing, scheme: Scheme, potential: Potential) {
    let samples = one_step_samples(p, scheme, potential, SAMPLES);
    let got = moments(&samples);
    let want = model(p, scheme, potential);
    let n = want.mean.len();
    for a in 0..n {
        let tol = SIGMAS * got.mean_err[a] + 1e-12;
        assert!(
            (got.mean[a] - want.mean[a]).abs() <= tol,
            "{name}, {scheme:?}: mean of coordinate {a} is {} but MODEL.md gives {} (tolerance {tol:.2e}, M = {SAMPLES})",
            got.mean[a],
            want.mean[a]
        );
        for b in 0..n {
            let tol = SIGMAS * got.cov_err[a][b] + 1e-12;
            assert!(
                (got.cov[a][b] - want.cov[a][b]).abs() <= tol,
                "{name}, {scheme:?}: covariance ({a}, {b}) is {} but MODEL.md gives {} (tolerance {tol:.2e}, M = {SAMPLES})",
                got.cov[a][b],
                want.cov[a][b]
            );
        }
    }
}

/// Every scheme with non-default options, the step sizes chosen unequal so a
/// swapped parameter shows.
fn schemes() -> Vec<Scheme> {
    vec![
        Scheme::BroPairwise { kick: 0.1 },
        Scheme::BroPairwiseNonreciprocal { kick: 0.1 },
        Scheme::BroParticle { kick: 0.1, normalized: false },
        Scheme::BroParticle { kick: 0.1, normalized: true },
        Scheme::Sgd { lr: 0.07, batch: 0.5, batch_mode: BatchMode::Probabilistic },
        Scheme::Sgd { lr: 0.07, batch: 0.5, batch_mode: BatchMode::Fixed },
        // round(0.4 P) differs from floor and ceil for P = 3 and is 0 for P = 1.
        Scheme::Sgd { lr: 0.07, batch: 0.4, batch_mode: BatchMode::Fixed },
        Scheme::Sgd { lr: 0.07, batch: 1.0, batch_mode: BatchMode::Probabilistic },
        Scheme::Rcd { lr: 0.07, batch: 0.75, batch_mode: BatchMode::Probabilistic },
        Scheme::Rcd { lr: 0.07, batch: 0.5, batch_mode: BatchMode::Fixed },
        Scheme::Rcd { lr: 0.07, batch: 0.4, batch_mode: BatchMode::Fixed },
        Scheme::Gd { lr: 0.07 },
        Scheme::SaPairwise { noise: Noise::Bro { kick: 0.1 }, h: 1.0 },
        Scheme::SaPairwise { noise: Noise::Sgd { lr: 0.07, batch: 0.25 }, h: 0.5 },
        Scheme::SaParticle { noise: Noise::Bro { kick: 0.1 }, h: 0.3 },
        Scheme::SaParticle { noise: Noise::Sgd { lr: 0.07, batch: 0.75 }, h: 1.0 },
    ]
}

fn one_pair_3d() -> Packing {
    packing(3, 3.0, &[0.5, 0.5], &[&[1.0, 1.0, 1.0], &[1.7, 1.3, 1.1]])
}

/// Three spheres, all overlapping, two pairs across the boundary of a 3-wide box.
fn triangle_3d() -> Packing {
    packing(3, 3.0, &[0.5, 0.5, 0.6], &[&[0.2, 1.0, 1.0], &[2.6, 1.2, 1.0], &[0.5, 1.6, 1.3]])
}

fn one_pair_2d() -> Packing {
    packing(2, 3.0, &[0.5, 0.7], &[&[0.3, 2.2], &[2.6, 2.9]])
}

#[test]
fn the_test_geometries_overlap_as_intended() {
    assert_eq!(contacts(&one_pair_3d(), Potential::LINEAR).len(), 1);
    assert_eq!(contacts(&triangle_3d(), Potential::LINEAR).len(), 3);
    assert_eq!(contacts(&one_pair_2d(), Potential::LINEAR).len(), 1);
}

#[test]
fn one_pair_in_3d_every_scheme() {
    for scheme in schemes() {
        check("one pair, 3D, m = 1", &one_pair_3d(), scheme, Potential::LINEAR);
    }
}

#[test]
fn one_pair_in_2d_every_scheme_harmonic() {
    for scheme in schemes() {
        check("one pair, 2D, m = 2", &one_pair_2d(), scheme, Potential::HARMONIC);
    }
}

#[test]
fn three_particles_every_scheme_linear() {
    for scheme in schemes() {
        check("three particles, 3D, m = 1", &triangle_3d(), scheme, Potential::LINEAR);
    }
}

#[test]
fn three_particles_every_scheme_hertzian() {
    for scheme in schemes() {
        check("three particles, 3D, m = 5/2", &triangle_3d(), scheme, Potential::HERTZIAN);
    }
}
