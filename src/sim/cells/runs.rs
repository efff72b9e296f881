//! The runs of slots around a cell: where the neighbours of a particle can
//! sit, as ranges of consecutive slots with the shift that gives each the
//! minimum image, from a table made once per box for each kind of cell.

use super::CellList;

impl CellList {
    /// Sets `per_side` cells of `cell_size` a side, and the tables of runs
    /// that go with them when they change.
    pub(super) fn set_cells<const D: usize>(&mut self, per_side: usize, cell_size: f64) {
        let changed = self.dim != D || self.per_side != per_side;
        if changed {
            self.dim = D;
            self.per_side = per_side;
            self.offsets = neighbour_offsets(D, per_side);
            self.row_offsets = if per_side >= 3 { neighbour_offsets(D - 1, per_side) } else { Vec::new() };
        }
        if changed || self.cell_size != cell_size {
            self.cell_size = cell_size;
            self.cells_per_length = 1.0 / cell_size;
            self.class_templates::<D>();
        }
    }

    /// Calls `visit(t)` for every slot t != s in slot s's cell and the cells
    /// around it, each once, in an order fixed by the configuration alone:
    /// offsets with axis 0 varying fastest, slots ascending within a cell.
    #[inline]
    pub fn for_each_candidate<const D: usize>(&self, s: usize, mut visit: impl FnMut(usize)) {
        self.for_each_run::<D>(s, |run, _| {
            for t in run {
                if t != s {
                    visit(t);
                }
            }
        });
    }

    /// The candidates of [`Self::for_each_candidate`] as runs of consecutive
    /// slots (slot s itself included), in the same order. With three or more
    /// cells a side each run comes with the shift that turns `x_s - x_t` into
    /// the minimum image for every t of the run closer than one cell along
    /// each axis (0 or -/+ side per axis, the very numbers the minimum image
    /// would add, so the bits are the same); with fewer cells, `None`: take the
    /// minimum image of each pair.
    #[inline(always)]
    pub fn for_each_run<const D: usize>(&self, s: usize, visit: impl FnMut(std::ops::Range<usize>, Option<[f64; D]>)) {
        self.for_each_run_around(self.cell_of_slot::<D>(s), visit);
    }

    /// The runs of [`Self::for_each_run`] for any particle in cell `c`.
    #[inline(always)]
    pub(crate) fn for_each_run_around<const D: usize>(
        &self,
        c: [usize; D],
        mut visit: impl FnMut(std::ops::Range<usize>, Option<[f64; D]>),
    ) {
        // The strays of the same cells too, if any.
        let first = self.slots.len();
        let lists = if self.start2.is_empty() { 1 } else { 2 };
        let small = self.per_side < 3;
        self.for_each_cell_run(c, |a, b, shift| {
            for list in 0..lists {
                let range = if list == 0 {
                    self.start[a] as usize..self.start[b] as usize
                } else {
                    first + self.start2[a] as usize..first + self.start2[b] as usize
                };
                visit(range, if small { None } else { Some(shift) });
            }
        });
    }

    /// The runs of cells around cell `c` as `visit(first cell, one past the
    /// last, shift)`: with fewer than three cells a side each distinct
    /// neighbouring cell alone (shift zero: take the minimum image of each
    /// pair), otherwise each row of three cells along axis 0, one run
    /// unless it wraps, then two (the two cells on this side of the face
    /// together, the one across it with its shift).
    #[inline(always)]
    fn for_each_cell_run<const D: usize>(&self, c: [usize; D], mut visit: impl FnMut(usize, usize, [f64; D])) {
        let n = self.per_side;
        let small = n < 3;
        let groups = if small { self.offsets.len() / D } else { self.row_offsets.len() / (D - 1) };
        // Each group of cells (a cell of a small box, a row of three cells
        // along axis 0 otherwise) is up to two runs, visited at one place
        // (so that the compiler inlines `visit` once).
        for g in 0..groups {
            let mut runs = [(0usize, 0usize, 0.0f64); 2];
            let mut count = 1;
            let mut shift = [0.0; D];
            if small {
                let off = &self.offsets[g * D..(g + 1) * D];
                let mut cell = 0usize;
                for k in (0..D).rev() {
                    cell = cell * n + wrap(c[k], off[k], n);
                }
                runs[0] = (cell, cell + 1, 0.0);
            } else {
                let off = &self.row_offsets[g * (D - 1)..(g + 1) * (D - 1)];
                count = self.row_runs(c, off, &mut runs, &mut shift);
            }
            for &(a, b, shift0) in &runs[..count] {
                shift[0] = shift0;
                visit(a, b, shift);
            }
        }
    }

    /// The row of three cells along axis 0 at offsets `off` (axes 1..d)
    /// from cell `c`, with three or more cells a side: its runs of cells
    /// into `runs` (first cell, one past the last, shift along axis 0) and
    /// the shift along the other axes into `shift`; returns how many runs
    /// (one unless it wraps along axis 0, then two).
    #[inline(always)]
    fn row_runs<const D: usize>(
        &self,
        c: [usize; D],
        off: &[i64],
        runs: &mut [(usize, usize, f64); 2],
        shift: &mut [f64; D],
    ) -> usize {
        let n = self.per_side;
        let side = self.cell_size * n as f64;
        let mut row = 0usize;
        for k in (1..D).rev() {
            row = row * n + wrap(c[k], off[k - 1], n);
            shift[k] = wrap_shift(c[k], off[k - 1], n, side);
        }
        let base = row * n;
        let x = c[0];
        if x >= 1 && x + 1 < n {
            runs[0] = (base + x - 1, base + x + 2, 0.0);
            1
        } else if x == 0 {
            runs[0] = (base + n - 1, base + n, wrap_shift(x, -1, n, side));
            runs[1] = (base, base + 2, 0.0);
            2
        } else {
            runs[0] = (base + n - 2, base + n, 0.0);
            runs[1] = (base, base + 1, wrap_shift(x, 1, n, side));
            2
        }
    }

    /// The forward half of the cells around cell `c`, with three or more
    /// cells a side, as `visit(first cell, one past the last, shift)`: every
    /// pair of neighbouring cells is in the half of exactly one of the two.
    /// First the cell itself with the next along axis 0 (one run, or two
    /// where that wraps), then the rows whose first non-zero offset, from
    /// the last axis down, is +1. So a cell's half reaches along the last
    /// axis no further than the next layer of cells.
    #[inline(always)]
    fn for_each_half_cell_run<const D: usize>(&self, c: [usize; D], mut visit: impl FnMut(usize, usize, [f64; D])) {
        let n = self.per_side;
        let side = self.cell_size * n as f64;
        let own = self.cell_number(c);
        if c[0] + 1 < n {
            visit(own, own + 2, [0.0; D]);
        } else {
            visit(own, own + 1, [0.0; D]);
            let mut shift = [0.0; D];
            shift[0] = wrap_shift(c[0], 1, n, side);
            visit(own - c[0], own - c[0] + 1, shift);
        }
        for off in self.row_offsets.chunks_exact(D - 1) {
            if off.iter().rev().find(|&&o| o != 0) != Some(&1) {
                continue;
            }
            let (mut runs, mut shift) = ([(0usize, 0usize, 0.0f64); 2], [0.0; D]);
            let count = self.row_runs(c, off, &mut runs, &mut shift);
            for &(a, b, shift0) in &runs[..count] {
                shift[0] = shift0;
                visit(a, b, shift);
            }
        }
    }

    /// Fills the runs of cells of each class (see `class_first`) from one
    /// cell of each: along each axis cell 0, 1 or per_side - 1.
    fn class_templates<const D: usize>(&mut self) {
        for t in [&mut self.whole, &mut self.half] {
            t.first.clear();
            t.runs.clear();
            t.shifts.clear();
        }
        if self.per_side < 3 {
            return;
        }
        let (mut whole, mut half) = (RunTable::default(), RunTable::default());
        for class in 0..3usize.pow(D as u32) {
            let c: [usize; D] = std::array::from_fn(|k| [0, 1, self.per_side - 1][class / 3usize.pow(k as u32) % 3]);
            let middle = self.cell_number(c) as isize;
            whole.first.push(whole.runs.len());
            self.for_each_cell_run(c, |a, b, shift| whole.push(a, b, middle, &shift));
            half.first.push(half.runs.len());
            self.for_each_half_cell_run(c, |a, b, shift| half.push(a, b, middle, &shift));
        }
        whole.first.push(whole.runs.len());
        half.first.push(half.runs.len());
        (self.whole, self.half) = (whole, half);
    }

    /// The class of cell `c` (see `class_first`), with three or more cells a side.
    #[inline(always)]
    pub(crate) fn class_of<const D: usize>(&self, c: [usize; D]) -> usize {
        c.iter().rev().fold(0, |acc, &ck| {
            acc * 3
                + if ck == 0 {
                    0
                } else if ck + 1 == self.per_side {
                    2
                } else {
                    1
                }
        })
    }

    /// The class of the cells away from every face: all its shifts are zero.
    pub(crate) fn inner_class<const D: usize>() -> usize {
        (0..D).fold(0, |acc, _| acc * 3 + 1)
    }

    /// Calls `visit(run, shift)` for the runs of slots around cell `c`
    /// (number `number`, class `class`), in both lists, with three or more
    /// cells a side: the runs of [`Self::for_each_run_around`], found from
    /// the class's runs of cells without wrapping anything.
    #[inline(always)]
    pub(crate) fn for_each_class_run<const D: usize>(
        &self,
        number: usize,
        class: usize,
        mut visit: impl FnMut(std::ops::Range<usize>, &[f64; D]),
    ) {
        let (runs, shifts) = self.whole.of::<D>(class);
        for (&(a, b), shift) in runs.iter().zip(shifts) {
            let (a, b) = (number.wrapping_add_signed(a), number.wrapping_add_signed(b));
            visit(self.start[a] as usize..self.start[b] as usize, shift);
        }
        if !self.start2.is_empty() {
            let first = self.slots.len();
            for (&(a, b), shift) in runs.iter().zip(shifts) {
                let (a, b) = (number.wrapping_add_signed(a), number.wrapping_add_signed(b));
                visit(first + self.start2[a] as usize..first + self.start2[b] as usize, shift);
            }
        }
    }

    /// Calls `visit(run, shift)` for the runs of slots of the forward half
    /// of the cells around cell number `number` (class `class`), with three
    /// or more cells a side and no strays: first the run from the cell's
    /// own first slot, then the others (see `for_each_half_cell_run`).
    #[inline(always)]
    pub(crate) fn for_each_half_class_run<const D: usize>(
        &self,
        number: usize,
        class: usize,
        mut visit: impl FnMut(std::ops::Range<usize>, &[f64; D]),
    ) {
        debug_assert!(self.start2.is_empty(), "a half shell covers the first list only");
        let (runs, shifts) = self.half.of::<D>(class);
        for (&(a, b), shift) in runs.iter().zip(shifts) {
            let (a, b) = (number.wrapping_add_signed(a), number.wrapping_add_signed(b));
            visit(self.start[a] as usize..self.start[b] as usize, shift);
        }
    }
}

/// Runs of cells by class (see `CellList::whole`): class k's runs are
/// `runs[first[k]..first[k + 1]]`, each the cell numbers from the cell to
/// the run's first cell and to one past its last, with its shift (`dim`
/// numbers each in `shifts`).
#[derive(Clone, Debug, Default)]
pub(super) struct RunTable {
    first: Vec<usize>,
    runs: Vec<(isize, isize)>,
    shifts: Vec<f64>,
}

impl RunTable {
    fn push<const D: usize>(&mut self, a: usize, b: usize, middle: isize, shift: &[f64; D]) {
        self.runs.push((a as isize - middle, b as isize - middle));
        self.shifts.extend(shift);
    }

    /// The runs of class `class` and their shifts.
    #[inline(always)]
    fn of<const D: usize>(&self, class: usize) -> (&[(isize, isize)], &[[f64; D]]) {
        let (a, b) = (self.first[class], self.first[class + 1]);
        (&self.runs[a..b], self.shifts[a * D..b * D].as_chunks::<D>().0)
    }
}

/// Cell coordinate c + off (off in -1, 0, 1) on a ring of n cells.
#[inline(always)]
fn wrap(c: usize, off: i64, n: usize) -> usize {
    let v = c as i64 + off;
    if v < 0 {
        (v + n as i64) as usize
    } else if v >= n as i64 {
        (v - n as i64) as usize
    } else {
        v as usize
    }
}

/// What the minimum image adds to x_s - x_t along one axis when t lies in
/// the cell at offset `off` from s's cell `c` on a ring of n cells: +side when
/// that cell is reached by wrapping below 0 (t's image sits below the box),
/// -side when above, 0 otherwise.
#[inline(always)]
fn wrap_shift(c: usize, off: i64, n: usize, side: f64) -> f64 {
    let v = c as i64 + off;
    if v < 0 {
        side
    } else if v >= n as i64 {
        -side
    } else {
        0.0
    }
}

/// The distinct offset vectors to neighbouring cells, `dim` numbers each.
fn neighbour_offsets(dim: usize, per_side: usize) -> Vec<i64> {
    let along: &[i64] = match per_side {
        1 => &[0],
        2 => &[0, 1],
        _ => &[-1, 0, 1],
    };
    let mut out = Vec::new();
    let count = along.len().pow(dim as u32);
    for mut code in 0..count {
        for _ in 0..dim {
            out.push(along[code % along.len()]);
            code /= along.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Packing, Radii};

    /// Every cell's runs from its class are the runs found by wrapping
    /// around it (the same ranges of slots with the same shifts, both
    /// lists), in 2D, 3D and 4D boxes of 3 to 16 cells a side, with
    /// strays.
    #[test]
    fn the_runs_of_a_class_are_the_runs_around_each_of_its_cells() {
        fn check<const D: usize>(n: usize, seed: u64) {
            let radii = Radii::Uniform { min: 0.3, max: 0.5 }.generate(n, seed).unwrap();
            let mut packing = Packing::random(D, radii, 0.3, seed).unwrap();
            let bx = packing.periodic_box();
            let mut cells = CellList::default();
            cells.rebuild(packing.points::<D>(), packing.radii(), bx, packing.max_diameter());
            // Some strays: every twentieth particle moved by 0.6 cells along
            // each axis (most of them leave their cell).
            let movers: Vec<u32> = (0..n as u32).step_by(20).collect();
            for &m in &movers {
                for xk in packing.points_mut::<D>()[m as usize].iter_mut() {
                    *xk = bx.wrap(*xk + 0.6 * cells.cell_size);
                }
            }
            let moved = cells.mover_cells(packing.points::<D>(), &movers);
            assert!(cells.update(packing.points::<D>(), packing.radii(), &movers, &moved), "{D}D, N = {n}");
            assert!(cells.has_strays() && cells.per_side >= 3, "{D}D, N = {n}");
            let mut c = [0; D];
            for number in 0..cells.cell_count() {
                let mut around = Vec::new();
                cells.for_each_run_around::<D>(c, |run, shift| around.push((run, shift.unwrap())));
                let mut by_class = Vec::new();
                cells.for_each_class_run::<D>(number, cells.class_of(c), |run, shift| by_class.push((run, *shift)));
                let key =
                    |(run, shift): &(std::ops::Range<usize>, [f64; D])| (run.start, run.end, shift.map(f64::to_bits));
                let mut around: Vec<_> = around.iter().map(key).collect();
                let mut by_class: Vec<_> = by_class.iter().map(key).collect();
                around.sort_unstable();
                by_class.sort_unstable();
                assert_eq!(by_class, around, "{D}D, {} cells a side, cell {c:?}", cells.per_side);
                cells.next_coords(&mut c);
            }
        }
        for seed in 0..3 {
            check::<2>(40, seed);
            check::<2>(150, seed);
            check::<3>(60, seed);
            check::<3>(600, seed);
            check::<4>(300, seed);
        }
    }
}
