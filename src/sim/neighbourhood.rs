//! The candidates of the particles of one cell, copied next to each other:
//! every particle of the cell then sweeps one contiguous block of memory,
//! [`LANES`] candidates at a time and without a branch on the outcome, instead
//! of a dozen short runs of slots. Particles are visited in slot order, so the
//! particles of a cell follow each other and share one gathering.

use super::cells::{CellList, PAD};
use super::space::PeriodicBox;

/// Candidates a sweep looks at together.
pub(crate) const LANES: usize = 4;

/// Slots copied at once from a run (the cell list's padding makes it safe to
/// copy past a run's end).
const COPY: usize = PAD;

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

/// The candidates of every particle in one cell: the particles of that cell
/// and of the cells around it, in the cell list's order, with the shift each
/// one's run needs. Reused from cell to cell by one task.
#[derive(Clone, Debug)]
pub(crate) struct Neighbourhood<const D: usize> {
    /// The cell gathered, None before the first.
    cell: Option<usize>,
    /// Candidates gathered.
    len: usize,
    images: Images,
    /// Coordinates by axis; past `len`, at least LANES entries whose first
    /// axis is +infinity, so that they overlap nothing.
    x: [Vec<f64>; D],
    /// The shift of each candidate's run, by axis (only with `Images::Shifted`).
    shift: [Vec<f64>; D],
    /// Radii.
    r: Vec<f64>,
    /// The cell list's slot of each candidate.
    slot: Vec<u32>,
}

impl<const D: usize> Default for Neighbourhood<D> {
    fn default() -> Self {
        Self {
            cell: None,
            len: 0,
            images: Images::Direct,
            x: std::array::from_fn(|_| Vec::new()),
            shift: std::array::from_fn(|_| Vec::new()),
            r: Vec::new(),
            slot: Vec::new(),
        }
    }
}

impl<const D: usize> Neighbourhood<D> {
    /// Gathers the candidates of the particle in slot `s` of `cells`, unless
    /// those of its cell are already here.
    #[inline]
    pub(crate) fn gather(&mut self, cells: &CellList, s: usize) {
        let c = cells.cell_of_slot::<D>(s);
        let number = cells.cell_number(c);
        if self.cell == Some(number) {
            return;
        }
        self.cell = Some(number);
        let (xs, rs) = (cells.axes::<D>(), cells.sorted_radii());
        let mut len = 0;
        let inner = cells.for_each_inner_run::<D>(c, |run| {
            if self.r.len() < len + run.len() + COPY + LANES {
                self.grow(len + run.len() + COPY + LANES);
            }
            self.copy(&mut len, run, xs, rs, None);
        });
        if inner {
            self.images = Images::Direct;
        } else {
            self.images = if cells.per_side() < 3 { Images::Each } else { Images::Shifted };
            cells.for_each_run_around::<D>(c, |run, shift| {
                if self.r.len() < len + run.len() + COPY + LANES {
                    self.grow(len + run.len() + COPY + LANES);
                }
                self.copy(&mut len, run, xs, rs, Some(shift.unwrap_or([0.0; D])));
            });
        }
        if self.r.len() < len + LANES {
            self.grow(len + LANES);
        }
        self.x[0][len..len + LANES].fill(f64::INFINITY);
        self.len = len;
    }

    /// Appends the candidates in `run` (slots of `xs` and `rs`) at `len`,
    /// with their `shift`; there must be room for COPY more than the run.
    #[inline(always)]
    fn copy(
        &mut self,
        len: &mut usize,
        run: std::ops::Range<usize>,
        xs: [&[f64]; D],
        rs: &[f64],
        shift: Option<[f64; D]>,
    ) {
        // COPY slots at a time, past the run's end (overwritten by the next
        // run, or by the padding): no branch on the run's length, which is
        // mostly below COPY.
        let mut a = run.start;
        let mut l = *len;
        while a < run.end {
            for k in 0..D {
                self.x[k][l..l + COPY].copy_from_slice(&xs[k][a..a + COPY]);
                if let Some(shift) = shift {
                    self.shift[k][l..l + COPY].fill(shift[k]);
                }
            }
            self.r[l..l + COPY].copy_from_slice(&rs[a..a + COPY]);
            for (j, slot) in self.slot[l..l + COPY].iter_mut().enumerate() {
                *slot = (a + j) as u32;
            }
            let m = (run.end - a).min(COPY);
            l += m;
            a += m;
        }
        *len = l;
    }

    /// Makes room for `want` candidates.
    #[cold]
    fn grow(&mut self, want: usize) {
        let size = want.next_power_of_two().max(64);
        for k in 0..D {
            self.x[k].resize(size, 0.0);
            self.shift[k].resize(size, 0.0);
        }
        self.r.resize(size, 0.0);
        self.slot.resize(size, 0);
    }

    /// Calls `keep(slots, mask)` for every LANES candidates in turn, with
    /// bit `lane` of `mask` set when candidate `slots[lane]` overlaps the
    /// sphere of radius `ri` at `xi` (the particle in slot `s`: it finds
    /// itself too, once). Needs the gathering of `s`'s cell.
    #[inline(always)]
    pub(crate) fn sweep(&self, xi: &[f64; D], ri: f64, bx: PeriodicBox, keep: impl FnMut(&[u32; LANES], u32)) {
        match self.images {
            Images::Direct => self.sweep_with(ri, keep, |k, _, x| xi[k] - x),
            Images::Shifted => self.sweep_with(ri, keep, |k, t, x| (xi[k] - x) + self.shift[k][t]),
            Images::Each => self.sweep_with(ri, keep, |k, _, x| bx.image1(xi[k] - x)),
        }
    }

    /// The sweep, with `separation(axis, candidate, x_t[axis])` giving each
    /// axis of the minimum-image separation (the same expression the cell
    /// list's runs imply, so that the same pairs are found, bit for bit).
    #[inline(always)]
    fn sweep_with(
        &self,
        ri: f64,
        mut keep: impl FnMut(&[u32; LANES], u32),
        separation: impl Fn(usize, usize, f64) -> f64,
    ) {
        for base in (0..self.len).step_by(LANES) {
            let mut r2 = [0.0; LANES];
            for k in 0..D {
                let xs: &[f64; LANES] = self.x[k][base..base + LANES].try_into().unwrap();
                for lane in 0..LANES {
                    let r = separation(k, base + lane, xs[lane]);
                    r2[lane] += r * r;
                }
            }
            let rs: &[f64; LANES] = self.r[base..base + LANES].try_into().unwrap();
            let mut mask = 0;
            for lane in 0..LANES {
                let sigma = ri + rs[lane];
                mask |= u32::from(r2[lane] < sigma * sigma) << lane;
            }
            keep(self.slot[base..base + LANES].try_into().unwrap(), mask);
        }
    }
}
