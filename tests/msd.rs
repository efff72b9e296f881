//! The MSD a run reports is the mean of the squared unwrapped displacements
//! of the configuration it is measured on, however the iterations that led
//! there went (full scans, the active set near absorption, several threads).

use absorb::sim::quanta::WideQuantum;
use absorb::sim::{Dynamics, Packing, Radii, Scheme, Simulation};

/// The MSD computed afresh from the displacements: the same fixed-point
/// sum, and the plain mean in doubles.
fn afresh(sim: &Simulation) -> (f64, f64) {
    let d = sim.packing().dim();
    let squares = WideQuantum::for_squares();
    let n = sim.packing().len() as f64;
    let (mut sum, mut plain) = (0i128, 0.0);
    for u in sim.displacements().chunks(d) {
        let square = u.iter().fold(0.0, |s, c| s + c * c);
        sum += squares.quanta_up_to_bound(square);
        plain += square;
    }
    (squares.value(sum) / n, plain / n)
}

/// N = 2000 in 3D at phi = 0.5 with kicks of 0.1 (it absorbs within a few
/// hundred iterations: full scans first, then the active set), on one and
/// on two threads: at every iteration the reported MSD is the fixed-point
/// sum taken afresh, bit for bit, and the plain mean to 1e-12.
#[test]
fn the_msd_is_the_mean_square_displacement_at_every_iteration() {
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let packing = Packing::random(3, Radii::Monodisperse.generate(2000, 3).unwrap(), 0.5, 3).unwrap();
            let dynamics = Dynamics { scheme: Scheme::BroPairwise { kick: 0.1 }, ..Dynamics::default() };
            let mut sim = Simulation::new(packing, dynamics, 3).unwrap();
            let (mut iterations, mut near_absorption) = (0, 0);
            loop {
                let (exact, plain) = afresh(&sim);
                let stats = sim.step();
                assert_eq!(stats.msd.to_bits(), exact.to_bits(), "{threads} threads, iteration {}", stats.iteration);
                assert!(
                    (stats.msd - plain).abs() <= 1e-12 * plain,
                    "{threads} threads, iteration {}: {} against {plain}",
                    stats.iteration,
                    stats.msd
                );
                iterations += 1;
                near_absorption += usize::from(stats.visited < 2000);
                if stats.absorbed || iterations == 3000 {
                    break;
                }
            }
            assert!(sim.absorbed_at().is_some(), "absorbs within 3000 iterations");
            assert!(near_absorption > 10, "{near_absorption} iterations followed the active set");
            assert!(sim.msd() > 1e-3, "the particles moved: MSD {}", sim.msd());
        });
    }
}
