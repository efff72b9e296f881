//! Criterion benchmarks of the core: one iteration of the step kernels at full
//! activity (3D and 2D, pairwise BRO and SGD) and the structure factor.
//! `absorb bench` runs the larger fixed workloads of the speed targets.

use absorb::sim::observe::structure_factor;
use absorb::sim::{BatchMode, Dynamics, Packing, Radii, Scheme, Simulation};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn simulation(dim: usize, n: usize, phi: f64, scheme: Scheme) -> Simulation {
    let radii = if dim == 2 { Radii::bidisperse_2d() } else { Radii::Monodisperse };
    let packing = Packing::random(dim, radii.generate(n, 1).unwrap(), phi, 1).unwrap();
    let mut sim = Simulation::new(packing, Dynamics { scheme, ..Dynamics::default() }, 1).unwrap();
    for _ in 0..10 {
        sim.step();
    }
    sim
}

fn step_kernels(c: &mut Criterion) {
    let cases = [
        ("bro-pairwise 3D N=10^4 phi=0.64", 3, 0.64, Scheme::BroPairwise { kick: 0.05 }),
        ("sgd 3D N=10^4 phi=0.64", 3, 0.64, Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: BatchMode::Probabilistic }),
        ("sgd fixed batch 3D N=10^4", 3, 0.64, Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: BatchMode::Fixed }),
        ("bro-pairwise 2D N=10^4 phi=0.86", 2, 0.86, Scheme::BroPairwise { kick: 0.05 }),
    ];
    let mut group = c.benchmark_group("step");
    group.sample_size(20);
    for (name, dim, phi, scheme) in cases {
        let mut sim = simulation(dim, 10_000, phi, scheme);
        group.bench_function(name, |b| b.iter(|| black_box(sim.step())));
    }
    group.finish();
}

fn structure_factor_bench(c: &mut Criterion) {
    let packing = Packing::random(3, Radii::Monodisperse.generate(10_000, 1).unwrap(), 0.64, 1).unwrap();
    let mut group = c.benchmark_group("structure factor");
    group.sample_size(10);
    group.bench_function("3D N=10^4 |k| <= 20 (2 pi / L)", |b| b.iter(|| black_box(structure_factor(&packing, 20))));
    group.finish();
}

criterion_group!(benches, step_kernels, structure_factor_bench);
criterion_main!(benches);
