//! A short trajectory pinned bit for bit: a change to a rule, to the random
//! streams or to the order of a sum shows here first.
//!
//! If this fails after an intended change (a new rule, a different stream),
//! run `cargo test --release --test golden -- --nocapture`, copy the printed
//! hash into GOLDEN below, and say in the commit message why the
//! trajectories changed. If the change was meant to be bit-for-bit neutral
//! (speed work), it was not: find out why. The Gaussian draws go through the
//! platform's `ln` and `cos`, so the pins hold for x86-64 Linux with glibc, the
//! machines CI runs on.

mod common;

use absorb::scene::Scene;
use absorb::sim::Scheme;
use common::bits_hash;

/// (scheme, dimension, expected hash of positions and energies).
const GOLDEN: [(&str, usize, u64); 4] = [
    ("bro-pairwise", 3, 0x27737312dcfebf58),
    ("sgd", 3, 0xa0780269855c033b),
    ("rcd", 2, 0xdeff2ba868da4a89),
    ("sa-pairwise", 2, 0x61f78392e1d77c1c),
];

fn trajectory(name: &str, dim: usize) -> u64 {
    let mut scene = Scene { dim, n: 300, phi: 0.6, seed: 2024, ..Scene::default() };
    if dim == 2 {
        scene.radii = absorb::sim::Radii::bidisperse_2d();
        scene.phi = 0.82;
    }
    scene.scheme = Scheme::from_name(name, &Default::default()).unwrap();
    let mut sim = scene.simulation().unwrap();
    let energies: Vec<f64> = (0..40).map(|_| sim.step().energy).collect();
    bits_hash(&[sim.packing().positions(), &energies].concat())
}

#[test]
fn pinned_trajectories() {
    let mut wrong = Vec::new();
    for (name, dim, want) in GOLDEN {
        let got = trajectory(name, dim);
        println!("(\"{name}\", {dim}, {got:#018x}),");
        if got != want {
            wrong.push(format!("{name} in {dim}D: got {got:#018x}, pinned {want:#018x}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "pinned trajectories changed:\n{}\nIf intended, run `cargo test --release --test golden -- --nocapture`, \
         paste the printed lines into GOLDEN in tests/golden.rs and explain the change in the commit message.",
        wrong.join("\n")
    );
}
