//! The candidates of the particles of one cell: the runs of slots around it,
//! found once for all the particles of the cell (they follow each other in
//! slot order), each swept [`LANES`] slots at a time without a branch on the
//! outcome or on the run's length.

mod half;

use super::cells::{CellList, PAD};
use super::space::PeriodicBox;

/// Slots a sweep looks at together: most runs (three cells of about 1.2
/// particles each at phi = 0.64) fit in one such block.
pub(crate) const LANES: usize = 8;
const _: () = assert!(LANES <= PAD, "a block may read LANES - 1 slots past a run's end");

/// How the separation of two particles is found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Images {
    /// An inner cell: x_s - x_t is the minimum image.
    #[default]
    Direct,
    /// A cell at the box's face: (x_s - x_t) + the run's shift.
    Shifted,
    /// Fewer than three cells a side: the minimum image of each pair.
    Each,
}

/// The runs of candidate slots of every particle in one cell, in the cell
/// list's order, with the shift each needs. Reused from cell to cell by one task.
#[derive(Clone, Debug, Default)]
pub(crate) struct Neighbourhood<const D: usize> {
    /// The cell found, None before the first.
    cell: Option<usize>,
    /// Its slots in the cell list's first list.
    members: std::ops::Range<usize>,
    images: Images,
    /// First slot and number of slots of each non-empty run.
    runs: Vec<(usize, usize)>,
    /// The shift of each run (only with `Images::Shifted`).
    shifts: Vec<[f64; D]>,
    /// The forward half of a cell (see [`Self::enter_half`]).
    half: half::Half<D>,
    /// What the last sweep found.
    found: Found,
}

impl<const D: usize> Neighbourhood<D> {
    /// Finds the runs of the particle in slot `s` of `cells`, unless those of
    /// its cell are already here.
    #[inline]
    pub(crate) fn find_runs(&mut self, cells: &CellList, s: usize) {
        // The next particle of the same cell, found without computing its cell.
        if self.members.contains(&s) {
            return;
        }
        let c = cells.cell_of_slot::<D>(s);
        let number = cells.cell_number(c);
        if self.cell != Some(number) {
            self.enter(cells, c, number);
        }
    }

    /// Finds the runs of the particles of the cell with coordinates `c`
    /// and number `number` in `cells`.
    #[inline]
    pub(crate) fn enter(&mut self, cells: &CellList, c: [usize; D], number: usize) {
        self.cell = Some(number);
        self.members = cells.members(number);
        self.runs.clear();
        self.shifts.clear();
        if cells.per_side() < 3 {
            self.images = Images::Each;
            cells.for_each_run_around::<D>(c, |run, _| {
                if !run.is_empty() {
                    self.runs.push((run.start, run.len()));
                }
            });
            return;
        }
        let (class, direct) = self.class_images(cells, c);
        cells.for_each_class_run::<D>(number, class, |run, shift| {
            if !run.is_empty() {
                self.keep(run, shift, direct);
            }
        });
    }

    /// The class of cell `c` (three or more cells a side) and whether it is
    /// away from every face; sets how its separations are found (a cell away
    /// from every face needs no shifts).
    #[inline(always)]
    fn class_images(&mut self, cells: &CellList, c: [usize; D]) -> (usize, bool) {
        let class = cells.class_of(c);
        let direct = class == CellList::inner_class::<D>();
        self.images = if direct { Images::Direct } else { Images::Shifted };
        (class, direct)
    }

    /// Keeps `run`, with its shift unless the cell is `direct`.
    #[inline(always)]
    fn keep(&mut self, run: std::ops::Range<usize>, shift: &[f64; D], direct: bool) {
        self.runs.push((run.start, run.len()));
        if !direct {
            self.shifts.push(*shift);
        }
    }

    /// Finds the forward half of the cells around the cell with coordinates
    /// `c` and number `number` in `cells` (three or more cells a side, no
    /// strays), for [`Self::sweep_half`]: the slots after the cell's own
    /// first slot in that cell and in the next cell along axis 0, and the
    /// rows of cells whose first non-zero offset, from the last axis down,
    /// is +1.
    #[inline]
    pub(crate) fn enter_half(&mut self, cells: &CellList, c: [usize; D], number: usize) {
        debug_assert!(cells.per_side() >= 3 && !cells.has_strays());
        let class = cells.class_of(c);
        self.half.enter(cells, number, class, class == CellList::inner_class::<D>());
    }

    /// Sweeps the forward half found by [`Self::enter_half`] for the
    /// particle in slot `s` of that cell, with position `xi` and radius
    /// `ri`: of its own cell only the slots after `s`, so that each pair is
    /// found once, from its first slot. The overlaps are in [`Self::found`].
    #[inline(always)]
    pub(crate) fn sweep_half(&mut self, cells: &CellList, s: usize, xi: &[f64; D], ri: f64, kernel: Kernel) {
        self.half.sweep(cells, s, xi, ri, &mut self.found, kernel);
    }

    /// Sweeps the runs for the sphere of radius `ri` at `xi` (the particle
    /// in slot `s`: it finds itself too, once), block by block, and keeps
    /// the slots that overlap it for [`Self::found`]. Needs the runs of
    /// `s`'s cell, from the same `cells`. Every [`Kernel`] does the same
    /// operations on the same numbers, so finds the same slots.
    #[inline(always)]
    pub(crate) fn sweep(&mut self, cells: &CellList, xi: &[f64; D], ri: f64, bx: PeriodicBox, kernel: Kernel) {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the token proves the processor has AVX2.
            Kernel::Avx2(_) => unsafe { self.sweep_avx2(cells, xi, ri, bx) },
            _ => {
                let (xs, radii) = (cells.axes::<D>(), cells.sorted_radii());
                self.sweep_with(bx, |base, separation| block(&xs, radii, base, xi, ri, separation), write_lanes);
            }
        }
    }

    /// The sweep compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn sweep_avx2(&mut self, cells: &CellList, xi: &[f64; D], ri: f64, bx: PeriodicBox) {
        let (xs, radii) = (cells.axes::<D>(), cells.sorted_radii());
        self.sweep_with(
            bx,
            |base, separation| avx2::block(&xs, radii, base, xi, ri, separation),
            |out, first, mask| avx2::write_lanes(out, first, mask),
        );
    }

    /// The slots the last sweep found (the particle's own among them), in
    /// the order of the runs.
    pub(crate) fn found(&mut self) -> &[u32] {
        let found = &mut self.found;
        if found.spill.is_empty() {
            &found.slots[..found.len]
        } else {
            found.spill.extend_from_slice(&found.slots[..found.len]);
            found.len = 0;
            &found.spill
        }
    }

    /// The sweep with `kernel(first, separation)` giving the overlaps of a
    /// block and `write` keeping them: one loop for each way of finding
    /// separations, so that none decides it again for every block.
    #[inline(always)]
    fn sweep_with(
        &mut self,
        bx: PeriodicBox,
        kernel: impl Fn(usize, Separation<'_, D>) -> u32,
        write: impl Fn(&mut [u32], usize, u32),
    ) {
        let Self { images, runs, shifts, found, .. } = self;
        match images {
            Images::Direct => sweep_runs(runs, found, |base, _| kernel(base, Separation::Direct), write),
            Images::Shifted => {
                sweep_runs(runs, found, |base, run| kernel(base, Separation::Shifted(&shifts[run])), write)
            }
            Images::Each => sweep_runs(runs, found, |base, _| kernel(base, Separation::Each(bx)), write),
        }
    }
}

/// Overlaps a sweep holds before it spills into a vector (a crowd of more
/// than this lands there).
pub(crate) const FOUND_CAPACITY: usize = 32;

/// The slots a sweep found: `slots[..len]`, after `spill` if that is not empty.
#[derive(Clone, Debug, Default)]
struct Found {
    slots: [u32; FOUND_CAPACITY],
    len: usize,
    spill: Vec<u32>,
}

impl Found {
    /// Keeps the overlapping slots of a block (the set bits of `mask`, of
    /// the LANES slots from `first`) after the `len` kept so far, written by
    /// `write` (all LANES entries, the overlapping first); returns how many
    /// are kept now. Where a block might not fit, what was kept goes to
    /// `spill` first. The sweeps keep `len` themselves and set it at the end.
    #[inline(always)]
    fn keep(&mut self, mut len: usize, first: usize, mask: u32, write: impl Fn(&mut [u32], usize, u32)) -> usize {
        if len + LANES > FOUND_CAPACITY {
            self.spill.extend_from_slice(&self.slots[..len]);
            len = 0;
        }
        write(&mut self.slots[len..len + LANES], first, mask);
        len + mask.count_ones() as usize
    }
}

/// Every block of every run into `found`, one block for most runs;
/// `block(first, run)` gives the overlaps of the LANES slots from `first`
/// (lanes past the run are masked off here) and `write(out, first, mask)`
/// writes all LANES entries of `out`, the overlapping slots first, without
/// a branch on the mask.
#[inline(always)]
fn sweep_runs(
    runs: &[(usize, usize)],
    found: &mut Found,
    block: impl Fn(usize, usize) -> u32,
    write: impl Fn(&mut [u32], usize, u32),
) {
    found.spill.clear();
    let mut len = 0;
    for (run, &(first, n)) in runs.iter().enumerate() {
        let mut done = 0;
        loop {
            let mask = block(first + done, run) & ((1 << (n - done).min(LANES)) - 1);
            len = found.keep(len, first + done, mask, &write);
            done += LANES;
            if done >= n {
                break;
            }
        }
    }
    found.len = len;
}

/// Writes `first + lane` for the set bits of `mask` into `out`, in
/// ascending order, then LANES minus that many more entries of no meaning.
#[inline(always)]
fn write_lanes(out: &mut [u32], first: usize, mask: u32) {
    let lanes = &LANES_OF[mask as usize];
    for (f, &lane) in out.iter_mut().zip(lanes) {
        *f = (first + usize::from(lane)) as u32;
    }
}

/// How each axis of a separation x_s - x_t is found (the expression the
/// cell list's runs imply, so that the same pairs are found, bit for bit).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Separation<'a, const D: usize> {
    /// x_s - x_t.
    Direct,
    /// (x_s - x_t) + shift.
    Shifted(&'a [f64; D]),
    /// The minimum image of x_s - x_t.
    Each(PeriodicBox),
}

/// For each mask of LANES bits, the lanes of its set bits in ascending
/// order (then zeros): a block's overlaps are written without a branch.
pub(crate) const LANES_OF: [[u8; LANES]; 1 << LANES] = {
    let mut table = [[0u8; LANES]; 1 << LANES];
    let mut mask = 0;
    while mask < 1 << LANES {
        let (mut count, mut lane) = (0, 0);
        while lane < LANES {
            if (mask >> lane) & 1 == 1 {
                table[mask][count] = lane as u8;
                count += 1;
            }
            lane += 1;
        }
        mask += 1;
    }
    table
};

/// How a sweep computes its blocks: the same operations on the same
/// numbers whichever it is, in the widest instructions the processor has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Plain Rust, for any processor.
    Portable,
    /// AVX2 and POPCNT: a block in two registers of four. Only
    /// [`Kernel::detect`] can make its token.
    #[cfg(target_arch = "x86_64")]
    Avx2(cpu::Avx2),
}

/// Proof that the processor runs an instruction set.
pub(crate) mod cpu {
    /// This processor has AVX2 and POPCNT: made only by [`Avx2::detect`],
    /// so a `Kernel::Avx2` cannot be chosen without the detection.
    #[cfg(target_arch = "x86_64")]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct Avx2(());

    #[cfg(target_arch = "x86_64")]
    impl Avx2 {
        /// The token, if this processor has AVX2 and POPCNT.
        pub(crate) fn detect() -> Option<Self> {
            let has = std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt");
            has.then_some(Self(()))
        }
    }
}

impl Kernel {
    /// The fastest kernel this processor runs.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = cpu::Avx2::detect() {
            return Self::Avx2(token);
        }
        Self::Portable
    }

    /// Every kernel this processor runs, the portable one first.
    #[cfg(test)]
    fn available() -> Vec<Self> {
        let mut kernels = vec![Self::Portable];
        if Self::detect() != Self::Portable {
            kernels.push(Self::detect());
        }
        kernels
    }
}

/// Which of the LANES slots from `base` overlap the sphere of radius `ri`
/// at `xi` (a bit each), with the positions `xs` (by axis) and `radii` of
/// the cell list. Reads up to LANES - 1 slots past the last one (the cell
/// list's padding).
#[inline(always)]
fn block<const D: usize>(
    xs: &[&[f64]; D],
    radii: &[f64],
    base: usize,
    xi: &[f64; D],
    ri: f64,
    separation: Separation<'_, D>,
) -> u32 {
    let mut r2 = [0.0; LANES];
    for k in 0..D {
        let x: &[f64; LANES] = xs[k][base..base + LANES].try_into().unwrap();
        for lane in 0..LANES {
            let r = match separation {
                Separation::Direct => xi[k] - x[lane],
                Separation::Shifted(shift) => (xi[k] - x[lane]) + shift[k],
                Separation::Each(bx) => bx.image1(xi[k] - x[lane]),
            };
            r2[lane] += r * r;
        }
    }
    let radii: &[f64; LANES] = radii[base..base + LANES].try_into().unwrap();
    let mut mask = 0;
    for lane in 0..LANES {
        let sigma = ri + radii[lane];
        mask |= u32::from(r2[lane] < sigma * sigma) << lane;
    }
    mask
}

/// [`block`] in AVX2 instructions: the same operations in the same order
/// (no fused multiply-add), eight slots in two registers.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LANES, LANES_OF, Separation};
    use std::arch::x86_64::*;

    const _: () = assert!(LANES == 8);

    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) fn block<const D: usize>(
        xs: &[&[f64]; D],
        radii: &[f64],
        base: usize,
        xi: &[f64; D],
        ri: f64,
        separation: Separation<'_, D>,
    ) -> u32 {
        let mut lo = _mm256_setzero_pd();
        let mut hi = _mm256_setzero_pd();
        for k in 0..D {
            let x = &xs[k][base..base + LANES];
            // SAFETY: `x` holds LANES = 8 numbers: two loads of four.
            let (a, b) = unsafe { (_mm256_loadu_pd(x.as_ptr()), _mm256_loadu_pd(x.as_ptr().add(4))) };
            let c = _mm256_set1_pd(xi[k]);
            let (mut ra, mut rb) = (_mm256_sub_pd(c, a), _mm256_sub_pd(c, b));
            match separation {
                Separation::Direct => {}
                Separation::Shifted(shift) => {
                    let s = _mm256_set1_pd(shift[k]);
                    ra = _mm256_add_pd(ra, s);
                    rb = _mm256_add_pd(rb, s);
                }
                Separation::Each(bx) => {
                    ra = image(ra, bx.side);
                    rb = image(rb, bx.side);
                }
            }
            lo = _mm256_add_pd(lo, _mm256_mul_pd(ra, ra));
            hi = _mm256_add_pd(hi, _mm256_mul_pd(rb, rb));
        }
        let radii = &radii[base..base + LANES];
        // SAFETY: `radii` holds eight numbers.
        let (ra, rb) = unsafe { (_mm256_loadu_pd(radii.as_ptr()), _mm256_loadu_pd(radii.as_ptr().add(4))) };
        let r = _mm256_set1_pd(ri);
        let (sa, sb) = (_mm256_add_pd(r, ra), _mm256_add_pd(r, rb));
        let below_lo = _mm256_cmp_pd::<_CMP_LT_OQ>(lo, _mm256_mul_pd(sa, sa));
        let below_hi = _mm256_cmp_pd::<_CMP_LT_OQ>(hi, _mm256_mul_pd(sb, sb));
        (_mm256_movemask_pd(below_lo) | (_mm256_movemask_pd(below_hi) << 4)) as u32
    }

    /// [`super::write_lanes`] in three instructions: the lanes of the set
    /// bits, widened to 32 bits, plus `first`, stored at once.
    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) fn write_lanes(out: &mut [u32], first: usize, mask: u32) {
        let out = &mut out[..LANES];
        let lanes = &LANES_OF[mask as usize];
        // SAFETY: `lanes` holds 8 bytes and `out` 8 numbers of 32 bits.
        unsafe {
            let lanes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(lanes.as_ptr().cast()));
            let slots = _mm256_add_epi32(lanes, _mm256_set1_epi32(first as i32));
            _mm256_storeu_si256(out.as_mut_ptr().cast(), slots);
        }
    }

    /// [`crate::sim::space::PeriodicBox::image1`] of four separations.
    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    fn image(c: __m256d, side: f64) -> __m256d {
        let half = _mm256_set1_pd(0.5 * side);
        let minus_half = _mm256_set1_pd(-(0.5 * side));
        let side = _mm256_set1_pd(side);
        let down = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(c, half), side);
        let up = _mm256_and_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(c, minus_half), side);
        _mm256_add_pd(_mm256_sub_pd(c, down), up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Packing, Radii};

    /// A block by `kernel`, which this processor must run.
    fn block_by(
        kernel: Kernel,
        xs: &[&[f64]; 3],
        radii: &[f64],
        base: usize,
        xi: &[f64; 3],
        ri: f64,
        separation: Separation<'_, 3>,
    ) -> u32 {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the token proves the processor has AVX2.
            Kernel::Avx2(_) => unsafe { avx2::block(xs, radii, base, xi, ri, separation) },
            _ => block(xs, radii, base, xi, ri, separation),
        }
    }

    /// `write_lanes` by `kernel`, which this processor must run.
    fn write_by(kernel: Kernel, out: &mut [u32], first: usize, mask: u32) {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the token proves the processor has AVX2.
            Kernel::Avx2(_) => unsafe { avx2::write_lanes(out, first, mask) },
            _ => write_lanes(out, first, mask),
        }
    }

    /// Every kernel this processor runs, on every block of candidates of
    /// `packing` around every particle, with each way of finding
    /// separations: the same masks as the portable kernel. Returns the
    /// overlaps found (each particle finds itself).
    fn compare_kernels(packing: &Packing) -> u32 {
        let mut cells = CellList::default();
        cells.rebuild(packing.points::<3>(), packing.radii(), packing.periodic_box(), packing.max_diameter());
        let bx = packing.periodic_box();
        let shift = [bx.side, 0.0, -bx.side];
        let (xs, radii) = (cells.axes::<3>(), cells.sorted_radii());
        let mut overlaps = 0;
        for s in 0..packing.len() {
            let (xi, ri) = (cells.point::<3>(s), cells.sorted_radii()[s]);
            for separation in [Separation::Direct, Separation::Shifted(&shift), Separation::Each(bx)] {
                for base in (0..packing.len()).step_by(LANES) {
                    let portable = block(&xs, radii, base, &xi, ri, separation);
                    for kernel in Kernel::available() {
                        let fast = block_by(kernel, &xs, radii, base, &xi, ri, separation);
                        assert_eq!(fast, portable, "{kernel:?}, slot {s}, block {base}, {separation:?}");
                    }
                    overlaps += portable.count_ones();
                }
            }
        }
        overlaps
    }

    /// Random spheres of several sizes, and a cubic lattice of unit spheres
    /// whose neighbours sit exactly at contact (r^2 = sigma^2 in exact
    /// arithmetic: not an overlap). On a processor without AVX2 only the
    /// portable kernel runs.
    #[test]
    fn every_kernel_finds_what_the_portable_kernel_finds() {
        let radii = Radii::Uniform { min: 0.3, max: 0.7 }.generate(400, 5).unwrap();
        let found = compare_kernels(&Packing::random(3, radii, 0.6, 5).unwrap());
        assert!(found > 3 * 400, "{found} overlaps");
        let lattice: Vec<f64> = (0..64).flat_map(|i| [i % 4, i / 4 % 4, i / 16].map(f64::from)).collect();
        let packing = Packing::new(3, 4.0, vec![0.5; 64], lattice).unwrap();
        // Only each sphere with itself, directly and through the minimum
        // image (the test's shift moves it a box away from itself).
        assert_eq!(compare_kernels(&packing), 2 * 64);
    }

    #[test]
    fn the_lanes_table_lists_the_set_bits_in_order() {
        for (mask, lanes) in LANES_OF.iter().enumerate() {
            let set: Vec<u8> = (0..LANES as u8).filter(|&l| mask >> l & 1 == 1).collect();
            assert_eq!(&lanes[..set.len()], &set[..], "mask {mask:08b}");
        }
    }

    /// Every writer puts the slots of the set bits first, in order, for
    /// every mask (the rest of the block is of no meaning).
    #[test]
    fn the_writers_keep_the_overlapping_slots_in_order() {
        let first = 1_000_003;
        for mask in 0..1u32 << LANES {
            let set: Vec<u32> = (0..LANES as u32).filter(|&l| mask >> l & 1 == 1).map(|l| first as u32 + l).collect();
            for kernel in Kernel::available() {
                let mut out = [0u32; LANES];
                write_by(kernel, &mut out, first, mask);
                assert_eq!(&out[..set.len()], &set[..], "{kernel:?}, mask {mask:08b}");
            }
        }
    }
}
