//! The forward half of a cell's neighbourhood (see
//! [`super::Neighbourhood::enter_half`]) as a list of blocks of [`LANES`]
//! candidate slots, made once for all the members of the cell: each member
//! then sweeps the blocks one after the other, with no run to set up, no
//! run's length to compare and no bounds to check at each block.
//!
//! A sweep does the same operations on the same numbers as [`super::block`],
//! so it finds the same slots, bit for bit, whichever [`Kernel`] computes it.

use super::{Found, Kernel, LANES, Separation};
use crate::sim::cells::CellList;

/// [`LANES`] consecutive slots from `first`, of which those in `keep` (a
/// bit each) belong to the run, whose shift is `shift`.
#[derive(Clone, Copy, Debug)]
struct Block<const D: usize> {
    first: u32,
    keep: u32,
    shift: [f64; D],
}

/// The blocks of one cell's forward half, run after run, the first run
/// starting at the cell's own first slot. Reused from cell to cell.
#[derive(Clone, Debug, Default)]
pub(super) struct Half<const D: usize> {
    blocks: Vec<Block<D>>,
    /// The cell's first slot.
    start: usize,
    /// Whether separations take the runs' shifts (a cell at a face).
    shifted: bool,
    /// Slots of the cell list's arrays that a block may read: every
    /// block's LANES slots lie below this.
    readable: usize,
}

impl<const D: usize> Half<D> {
    /// Lists the blocks of cell `number` (of class `class`; `direct` when
    /// no run needs a shift) in `cells`.
    #[inline(always)]
    pub(super) fn enter(&mut self, cells: &CellList, number: usize, class: usize, direct: bool) {
        self.blocks.clear();
        self.shifted = !direct;
        self.start = cells.members(number).start;
        self.readable = readable::<D>(cells);
        // Every block reads LANES slots from its first (the padding of the
        // cell list's arrays lies past the last run).
        let end = self.readable.saturating_sub(LANES - 1);
        cells.for_each_half_class_run::<D>(number, class, |run, shift| {
            assert!(run.end <= end, "a run ends within the cell list's slots");
            let mut first = run.start;
            while first < run.end {
                let left = run.end - first;
                let keep = if left >= LANES { !0 } else { (1 << left) - 1 };
                self.blocks.push(Block { first: first as u32, keep, shift: *shift });
                first += LANES;
            }
        });
    }

    /// The slots after slot `s` (a member of the cell) that overlap the
    /// sphere of radius `ri` at `xi`, into `found`, by `kernel`; `cells`
    /// must be those [`Self::enter`] saw.
    #[inline(always)]
    pub(super) fn sweep(&self, cells: &CellList, s: usize, xi: &[f64; D], ri: f64, found: &mut Found, kernel: Kernel) {
        assert!(readable::<D>(cells) >= self.readable, "the cell list the blocks were made from");
        let (xs, radii) = (cells.axes::<D>(), cells.sorted_radii());
        // The member's own lane and those before it are not its half.
        let next = s + 1 - self.start;
        let (blocks, first_keep) = (&self.blocks[next / LANES..], !0u32 << (next % LANES));
        match (kernel, self.shifted) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the token proves the processor has AVX2;
            // every block's slots lie within `readable` (asserted).
            (Kernel::Avx2(_), false) => unsafe {
                avx2::sweep::<D, false>(blocks, first_keep, &xs, radii, xi, ri, found)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            (Kernel::Avx2(_), true) => unsafe { avx2::sweep::<D, true>(blocks, first_keep, &xs, radii, xi, ri, found) },
            (_, shifted) => sweep_portable(blocks, first_keep, &xs, radii, xi, ri, shifted, found),
        }
    }
}

/// [`Half::sweep`] by the portable kernel: [`super::block`] at each block's
/// first slot. Kept out of line, so that it does not lengthen the AVX2
/// loop that never runs it (docs/design.md).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn sweep_portable<const D: usize>(
    blocks: &[Block<D>],
    first_keep: u32,
    xs: &[&[f64]; D],
    radii: &[f64],
    xi: &[f64; D],
    ri: f64,
    shifted: bool,
    found: &mut Found,
) {
    sweep_blocks(
        blocks,
        first_keep,
        found,
        |b| {
            let separation = if shifted { Separation::Shifted(&b.shift) } else { Separation::Direct };
            super::block(xs, radii, b.first as usize, xi, ri, separation)
        },
        super::write_lanes,
    );
}

/// The slots that every array of `cells`' positions and radii holds.
#[inline(always)]
fn readable<const D: usize>(cells: &CellList) -> usize {
    cells.axes::<D>().iter().map(|axis| axis.len()).chain([cells.sorted_radii().len()]).min().unwrap_or(0)
}

/// Every block into `found` (whose earlier content is dropped), the first
/// block's lanes limited to `first_keep` too; `mask(block)` gives a block's
/// overlaps and `write(out, first, mask)` writes all LANES entries of
/// `out`, the overlapping slots first.
#[inline(always)]
fn sweep_blocks<const D: usize>(
    blocks: &[Block<D>],
    mut first_keep: u32,
    found: &mut Found,
    mask: impl Fn(&Block<D>) -> u32,
    write: impl Fn(&mut [u32], usize, u32),
) {
    found.spill.clear();
    let mut len = 0;
    for block in blocks {
        let mask = mask(block) & block.keep & first_keep;
        first_keep = !0;
        len = found.keep(len, block.first as usize, mask, &write);
    }
    found.len = len;
}

/// The sweep in AVX2 instructions: [`super::block`]'s operations in the
/// same order (no fused multiply-add), a block in two registers of four,
/// read without bounds checks.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Block, Found, LANES, sweep_blocks};
    use std::arch::x86_64::*;

    const _: () = assert!(LANES == 8);

    /// [`super::Half::sweep`]'s loop over `blocks`. The caller promises
    /// AVX2 and LANES numbers from every block's first slot in every axis
    /// of `xs` and in `radii`.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn sweep<const D: usize, const SHIFTED: bool>(
        blocks: &[Block<D>],
        first_keep: u32,
        xs: &[&[f64]; D],
        radii: &[f64],
        xi: &[f64; D],
        ri: f64,
        found: &mut Found,
    ) {
        let centre: [__m256d; D] = std::array::from_fn(|k| _mm256_set1_pd(xi[k]));
        let ri = _mm256_set1_pd(ri);
        let axes: [*const f64; D] = std::array::from_fn(|k| xs[k].as_ptr());
        let radii = radii.as_ptr();
        sweep_blocks(
            blocks,
            first_keep,
            found,
            // SAFETY: the caller's promise.
            |b| unsafe { mask::<D, SHIFTED>(b, &axes, radii, &centre, ri) },
            |out, first, mask| super::super::avx2::write_lanes(out, first, mask),
        );
    }

    /// [`super::super::block`] of block `b` for the centre `centre` (each axis in
    /// all four lanes) and radius `ri` (the same). The caller promises
    /// LANES numbers from `b.first` in every array.
    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn mask<const D: usize, const SHIFTED: bool>(
        b: &Block<D>,
        axes: &[*const f64; D],
        radii: *const f64,
        centre: &[__m256d; D],
        ri: __m256d,
    ) -> u32 {
        let first = b.first as usize;
        let mut lo = _mm256_setzero_pd();
        let mut hi = _mm256_setzero_pd();
        for k in 0..D {
            // SAFETY: LANES = 8 numbers from `first` (the caller's promise).
            let (a, c) = unsafe {
                let x = axes[k].add(first);
                (_mm256_loadu_pd(x), _mm256_loadu_pd(x.add(4)))
            };
            let (mut ra, mut rc) = (_mm256_sub_pd(centre[k], a), _mm256_sub_pd(centre[k], c));
            if SHIFTED {
                let s = _mm256_set1_pd(b.shift[k]);
                ra = _mm256_add_pd(ra, s);
                rc = _mm256_add_pd(rc, s);
            }
            if k == 0 {
                // 0 + d^2 is d^2 exactly: the portable kernel's first sum.
                (lo, hi) = (_mm256_mul_pd(ra, ra), _mm256_mul_pd(rc, rc));
            } else {
                lo = _mm256_add_pd(lo, _mm256_mul_pd(ra, ra));
                hi = _mm256_add_pd(hi, _mm256_mul_pd(rc, rc));
            }
        }
        // SAFETY: as above.
        let (ra, rc) = unsafe { (_mm256_loadu_pd(radii.add(first)), _mm256_loadu_pd(radii.add(first + 4))) };
        let (sa, sc) = (_mm256_add_pd(ri, ra), _mm256_add_pd(ri, rc));
        let below_lo = _mm256_cmp_pd::<_CMP_LT_OQ>(lo, _mm256_mul_pd(sa, sa));
        let below_hi = _mm256_cmp_pd::<_CMP_LT_OQ>(hi, _mm256_mul_pd(sc, sc));
        (_mm256_movemask_pd(below_lo) | (_mm256_movemask_pd(below_hi) << 4)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::super::Neighbourhood;
    use super::*;
    use crate::sim::{Packing, Radii};
    use std::collections::BTreeSet;

    /// Every pair of overlapping slots of `packing`'s cell list, found by
    /// the half sweeps of every kernel this processor runs: each kernel
    /// finds each pair exactly once, and all kernels the same pairs as a
    /// test of every pair of slots. Returns the count of pairs and the
    /// most that one sweep found.
    fn each_pair_once<const D: usize>(packing: &Packing) -> (usize, usize) {
        let mut cells = CellList::default();
        cells.rebuild(packing.points::<D>(), packing.radii(), packing.periodic_box(), packing.max_diameter());
        assert!(cells.per_side() >= 3, "{D}D: {} cells a side", cells.per_side());
        let (bx, n) = (packing.periodic_box(), packing.len());
        let mut all = BTreeSet::new();
        for s in 0..n {
            for t in s + 1..n {
                let r = bx.separation(&cells.point::<D>(s), &cells.point::<D>(t));
                let sigma = cells.sorted_radii()[s] + cells.sorted_radii()[t];
                if r.iter().map(|c| c * c).sum::<f64>() < sigma * sigma {
                    all.insert((s, t));
                }
            }
        }
        let mut longest = 0;
        for kernel in Kernel::available() {
            let mut nb = Neighbourhood::<D>::default();
            let mut found = BTreeSet::new();
            let mut c = cells.coords_of::<D>(0);
            for number in 0..cells.cell_count() {
                nb.enter_half(&cells, c, number);
                for s in cells.members(number) {
                    nb.sweep_half(&cells, s, &cells.point::<D>(s), cells.sorted_radii()[s], kernel);
                    longest = longest.max(nb.found().len());
                    for &t in nb.found() {
                        let pair = (s.min(t as usize), s.max(t as usize));
                        assert!(found.insert(pair), "{kernel:?}, {D}D: pair {pair:?} found twice");
                    }
                }
                cells.next_coords(&mut c);
            }
            assert_eq!(found, all, "{kernel:?}, {D}D");
        }
        (all.len(), longest)
    }

    /// Boxes of 3 cells a side (every run at a face) and more, sizes
    /// mixed; a crowd of small spheres around large ones, so that some
    /// runs take several blocks and some sweeps spill past the found
    /// slots' capacity.
    #[test]
    fn the_half_sweeps_find_each_overlapping_pair_once() {
        let mixed = |n, seed| Radii::Uniform { min: 0.2, max: 0.5 }.generate(n, seed).unwrap();
        for (n, phi, seed) in [(80, 0.6, 1), (1500, 0.64, 2)] {
            let (pairs, _) = each_pair_once::<3>(&Packing::random(3, mixed(n, seed), phi, seed).unwrap());
            assert!(pairs > n, "3D, N = {n}: {pairs} pairs");
        }
        // 20 spheres of radius 0.5 among 6000 of radius 0.1 in a box of
        // side 5 (4 cells a side): some 40 small ones in a large one's half.
        let side = 5.0;
        let radii: Vec<f64> = (0..6020).map(|i| if i % 301 == 0 { 0.5 } else { 0.1 }).collect();
        let mut key = 7u64;
        let positions = (0..3 * radii.len())
            .map(|_| {
                key = key.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                side * (key >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let (pairs, longest) = each_pair_once::<3>(&Packing::new(3, side, radii, positions).unwrap());
        assert!(longest > super::super::FOUND_CAPACITY, "a sweep spills: at most {longest} found");
        assert!(pairs > 4000, "crowd: {pairs} pairs");
        let (pairs, _) = each_pair_once::<2>(
            &Packing::random(2, Radii::bidisperse_2d().generate(600, 4).unwrap(), 0.85, 4).unwrap(),
        );
        assert!(pairs > 600, "2D: {pairs} pairs");
        let (pairs, _) = each_pair_once::<4>(&Packing::random(4, mixed(500, 5), 0.5, 5).unwrap());
        assert!(pairs > 500, "4D: {pairs} pairs");
    }
}
