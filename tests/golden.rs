//! A short trajectory pinned bit for bit: a change to a rule, to the random
//! streams or to the order of a sum shows here first.
//!
//! If this fails after an intended change (a new rule, a different stream),
//! run `cargo test --release --test golden -- --nocapture`, copy the printed
//! hash into GOLDEN below, and say in the commit message why the
//! trajectories changed. If the change was meant to be bit-for-bit neutral
//! (speed work), it was not: find out why. The schemes of `PORTABLE` use only
//! uniform draws and correctly rounded arithmetic (IEEE sums, products,
//! quotients and square roots; integer sums in fixed point), so their pins
//! hold on every platform. The Gaussian draws of the stochastic
//! approximations go through the platform's `ln` and `cos`, so the pin of
//! `GLIBC_X86_64` holds for x86-64 Linux with glibc, the machines CI runs on,
//! and is checked there only.

mod common;

use absorb::scene::Scene;
use absorb::sim::SchemeKind::{self, BroPairwise, Rcd, SaPairwise, Sgd};
use common::bits_hash;

/// (scheme, dimension, expected hash of positions and energies): pins that
/// hold on every platform.
const PORTABLE: [(SchemeKind, usize, u64); 3] =
    [(BroPairwise, 3, 0x27737312dcfebf58), (Sgd, 3, 0xa0780269855c033b), (Rcd, 2, 0xdeff2ba868da4a89)];

/// Pins that depend on the platform's libm (`ln`, `cos` of the Gaussian draws).
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
const GLIBC_X86_64: [(SchemeKind, usize, u64); 1] = [(SaPairwise, 2, 0x61f78392e1d77c1c)];

fn trajectory(kind: SchemeKind, dim: usize) -> u64 {
    let mut scene = Scene { dim, n: 300, phi: 0.6, seed: 2024, ..Scene::default() };
    if dim == 2 {
        scene.radii = absorb::sim::Radii::bidisperse_2d();
        scene.phi = 0.82;
    }
    scene.scheme = kind.build(&Default::default()).unwrap();
    let mut sim = scene.simulation().unwrap();
    let energies: Vec<f64> = (0..40).map(|_| sim.step().energy).collect();
    bits_hash(&[sim.packing().positions(), &energies].concat())
}

#[test]
fn pinned_trajectories() {
    check(&PORTABLE, "PORTABLE");
}

#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
fn pinned_trajectories_with_gaussian_draws() {
    check(&GLIBC_X86_64, "GLIBC_X86_64");
}

fn check(pins: &[(SchemeKind, usize, u64)], list: &str) {
    let mut wrong = Vec::new();
    for &(kind, dim, want) in pins {
        let got = trajectory(kind, dim);
        println!("({kind:?}, {dim}, {got:#018x}),");
        if got != want {
            wrong.push(format!("{kind} in {dim}D: got {got:#018x}, pinned {want:#018x}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "pinned trajectories changed:\n{}\nIf intended, run `cargo test --release --test golden -- --nocapture`, \
         paste the printed lines into {list} in tests/golden.rs and explain the change in the commit message.",
        wrong.join("\n")
    );
}
