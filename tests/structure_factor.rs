//! S(k) of uniform random points is 1 in every shell, within its error; a
//! perfect lattice has S = 0 away from its Bragg peaks and S = N on them.

use absorb::sim::observe::structure_factor;
use absorb::sim::{Packing, Radii};

#[test]
fn uniform_random_points_have_s_equal_to_one() {
    // N = 3000 points; each S(k) is exponential with mean 1 and sd 1, so a shell
    // of `count` independent wave vectors has error 1/sqrt(count). 5 errors per shell.
    for dim in [2, 3] {
        let p = Packing::random(dim, Radii::Monodisperse.generate(3000, 0).unwrap(), 0.2, 17).unwrap();
        let shells = structure_factor(&p, 8);
        assert_eq!(shells.len(), 8);
        for s in shells {
            let err = 1.0 / (s.count as f64).sqrt();
            assert!((s.s - 1.0).abs() < 5.0 * err, "{dim}D shell k = {:.3}: S = {} (count {})", s.k, s.s, s.count);
        }
    }
}

#[test]
fn a_lattice_scatters_only_at_its_bragg_peaks() {
    // 4 x 4 x 4 simple cubic lattice: S(k) = N where every n is a multiple of 4, else 0.
    let (m, a) = (4usize, 1.2);
    let mut positions = Vec::new();
    for x in 0..m {
        for y in 0..m {
            for z in 0..m {
                positions.extend([x as f64 * a + 0.1, y as f64 * a + 0.3, z as f64 * a + 0.2]);
            }
        }
    }
    let p = Packing::new(3, m as f64 * a, vec![0.5; m * m * m], positions).unwrap();
    let shells = structure_factor(&p, 4);
    for s in &shells[..3] {
        assert!(s.s.abs() < 1e-9, "shell {:.3}: S = {}", s.k, s.s);
    }
    // Shell |n| = 4 holds the 3 peaks (4,0,0), (0,4,0), (0,0,4) among its vectors.
    let peak = &shells[3];
    let expected = 3.0 * (m * m * m) as f64 / peak.count as f64;
    assert!((peak.s - expected).abs() < 1e-6, "shell 4: S = {}, expected {expected}", peak.s);
}
