//! The cell list finds exactly the overlapping pairs that checking all pairs
//! finds: polydisperse packings in 2D, 3D and 4D, in boxes of two and of three
//! cells a side (where neighbouring cells wrap onto each other) and larger.

use absorb::sim::rng::{Purpose, Stream};
use absorb::sim::{Packing, Radii};

/// Radii in [0.3, 0.7]: the largest diameter is 1.4 (when drawn), and cells are
/// at least that wide.
fn check(dim: usize, n: usize, side_in_max_diameters: f64, seed: u64) {
    let radii = Radii::Uniform { min: 0.3, max: 0.7 }.generate(n, seed).unwrap();
    let max_d = 2.0 * radii.iter().cloned().fold(0.0, f64::max);
    let side = side_in_max_diameters * max_d;
    let mut stream = Stream::keyed(seed, Purpose::Position, 7, 0, 0);
    let positions = (0..n * dim).map(|_| side * stream.uniform()).collect();
    let p = Packing::new(dim, side, radii, positions).unwrap();
    let fast = p.contact_pairs();
    let slow = p.contact_pairs_brute();
    assert!(!slow.is_empty(), "the test packing should have overlaps");
    assert_eq!(fast, slow, "{dim}D, N = {n}, L = {side:.3} ({side_in_max_diameters} diameters), seed {seed}");
}

#[test]
fn two_cells_a_side() {
    for seed in 0..20 {
        check(2, 12, 2.0, seed);
        check(2, 12, 2.9, seed);
        check(3, 20, 2.0, seed);
        check(3, 20, 2.5, seed);
    }
}

#[test]
fn three_cells_a_side() {
    for seed in 0..20 {
        check(2, 25, 3.2, seed);
        check(3, 50, 3.5, seed);
        check(4, 90, 3.1, seed);
    }
}

#[test]
fn larger_boxes() {
    for seed in 0..5 {
        check(2, 2000, 20.0, seed);
        check(3, 3000, 8.0, seed);
        check(4, 2000, 4.5, seed);
    }
}

/// The spheres of `p`, each as the bits of its position and radius, sorted.
fn spheres(p: &Packing) -> Vec<Vec<u64>> {
    let dim = p.dim();
    let mut all: Vec<Vec<u64>> = (0..p.len())
        .map(|i| p.positions()[i * dim..(i + 1) * dim].iter().chain([&p.radii()[i]]).map(|x| x.to_bits()).collect())
        .collect();
    all.sort();
    all
}

/// Numbering a packing in cell order keeps every sphere (position and
/// radius together) and changes the labels only; a random packing comes
/// numbered so, and a rebuild of its cell list lists its ids in order.
#[test]
fn random_packings_are_numbered_in_cell_order() {
    for (dim, n, seed) in [(2, 700, 1), (3, 2000, 2), (4, 900, 3)] {
        let radii = Radii::Uniform { min: 0.3, max: 0.5 }.generate(n, seed).unwrap();
        let side = 12.0;
        let mut stream = Stream::keyed(seed, Purpose::Position, 7, 0, 0);
        let positions = (0..n * dim).map(|_| side * stream.uniform()).collect();
        let drawn = Packing::new(dim, side, radii, positions).unwrap();
        let ordered = drawn.clone().in_cell_order();
        assert_eq!(spheres(&ordered), spheres(&drawn), "{dim}D: the same spheres");
        assert_ne!(ordered.positions(), drawn.positions(), "{dim}D: numbered anew");

        let random =
            Packing::random(dim, Radii::Uniform { min: 0.3, max: 0.5 }.generate(n, seed).unwrap(), 0.5, seed).unwrap();
        let ids = absorb::with_dim!(dim, D, {
            let mut cells = absorb::sim::cells::CellList::default();
            cells.rebuild(random.points::<D>(), random.radii(), random.periodic_box(), random.max_diameter());
            cells.ids().to_vec()
        });
        assert!(ids.iter().enumerate().all(|(k, &i)| i as usize == k), "{dim}D: ids in cell order");
    }
}
