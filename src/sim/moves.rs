//! Applying an iteration's moves: each visited particle's share is finished
//! into its displacement (its draws are keyed by id) and applied, and the
//! iteration's counts and sums are tallied. A full scan goes through every
//! id in order; near absorption the active set's pass goes through its few.

use super::active::{ActiveSet, crowded, list_cap};
use super::memory::{PREFETCH_AHEAD, Scatter, prefetch};
use super::quanta::WideQuantum;
use super::space::PeriodicBox;
use super::step::{self, Context, Rule, Share};
use rayon::prelude::*;

/// Ids per chunk of the pass in id order (a task; a multiple of 64, the
/// bits of a word of the touching and moved lists).
const ID_CHUNK: usize = 4096;

/// Visited particles per task of the active set's pass.
const PASS_CHUNK: usize = 256;

/// What an iteration writes, by particle id.
pub(super) struct ById<'a, const D: usize> {
    /// Positions, wrapped into the box.
    pub positions: &'a mut [[f64; D]],
    /// Displacements since the start, unwrapped.
    pub unwrapped: &'a mut [[f64; D]],
    /// Active contacts measured (the readout of the picture).
    pub contacts: &'a mut [u16],
    /// |dx| of this iteration, in diameters (the readout of the picture).
    pub moves: &'a mut [f32],
}

/// Scratch of a full scan: which ids touch, which moved (a bit each).
#[derive(Clone, Debug, Default)]
pub(super) struct ScanBits {
    touching: Vec<u64>,
    moved: Vec<u64>,
}

/// The counts and sums of an iteration (or of a chunk of its ids).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    /// Particles with an active contact.
    pub active: usize,
    /// Active contacts, each pair counted at both ends.
    pub contact_ends: usize,
    /// Particles that overlap something, active or not.
    pub touching: usize,
    /// Particles that moved.
    pub movers: usize,
    /// The largest |dx|, in diameters.
    pub max_displacement: f64,
    /// The sum of the square displacements after the moves (a full scan,
    /// which sees every particle), or its change (the active set), in quanta.
    pub squares: i128,
}

impl Tally {
    fn count(&mut self, c: step::Contacts) {
        self.active += usize::from(c.active() > 0);
        self.contact_ends += c.active() as usize;
        self.touching += usize::from(c.touching());
    }

    fn moved(&mut self, by: f64) {
        self.movers += 1;
        self.max_displacement = self.max_displacement.max(by);
    }

    /// This tally and `next`.
    fn then(self, next: Tally) -> Tally {
        Tally {
            active: self.active + next.active,
            contact_ends: self.contact_ends + next.contact_ends,
            touching: self.touching + next.touching,
            movers: self.movers + next.movers,
            max_displacement: self.max_displacement.max(next.max_displacement),
            squares: self.squares + next.squares,
        }
    }
}

/// What a task of the active set's pass found: its counts and sums, and the
/// ids it visited, of the touching and of the movers (with their new cells).
struct ActivePass {
    tally: Tally,
    visited: Vec<u32>,
    touching: Vec<u32>,
    movers: Vec<u32>,
    mover_cells: Vec<u32>,
}

impl ActivePass {
    /// Room for `visits` particles in each list: grown from nothing, the four
    /// lists were reallocated some 30 times a task.
    fn with_room(visits: usize) -> Self {
        let room = || Vec::with_capacity(visits);
        Self { tally: Tally::default(), visited: room(), touching: room(), movers: room(), mover_cells: room() }
    }
}

/// Whether a displacement moves anything.
#[inline(always)]
fn displaces<const D: usize>(dx: &[f64; D]) -> bool {
    dx.iter().any(|&c| c != 0.0)
}

/// Moves a particle at `x` (wrapped into `bx`) with unwrapped displacement
/// `u` by `dx`; returns |dx|.
#[inline(always)]
fn apply<const D: usize>(x: &mut [f64; D], u: &mut [f64; D], dx: &[f64; D], bx: PeriodicBox) -> f64 {
    for k in 0..D {
        x[k] = bx.wrap(x[k] + dx[k]);
        u[k] += dx[k];
    }
    square(dx).sqrt()
}

/// |v|^2, summed from the first axis up.
#[inline(always)]
fn square<const D: usize>(v: &[f64; D]) -> f64 {
    v.iter().fold(0.0, |s, c| s + c * c)
}

/// The pass of a full scan: every id in order, its share at result slot
/// `slot_of(id)`, in parallel chunks of [`ID_CHUNK`] ids whose lists of the
/// touching and of the movers come out as bits. Leaves in `set` the lists
/// the next iteration's active set starts from, unless it is crowded.
pub(super) fn full_pass<const D: usize>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    results: &[Share<D>],
    by_id: ById<'_, D>,
    bits: &mut ScanBits,
    set: &mut ActiveSet,
) -> Tally {
    let n = by_id.positions.len();
    let (bx, cells) = (ctx.bx, ctx.cells);
    let squares = WideQuantum::for_squares();
    let words = n.div_ceil(64);
    bits.touching.resize(words, 0);
    bits.moved.resize(words, 0);
    let chunks: Vec<Tally> = by_id
        .positions
        .par_chunks_mut(ID_CHUNK)
        .zip(by_id.unwrapped.par_chunks_mut(ID_CHUNK))
        .zip(by_id.moves.par_chunks_mut(ID_CHUNK))
        .zip(by_id.contacts.par_chunks_mut(ID_CHUNK))
        .zip(bits.touching.par_chunks_mut(ID_CHUNK / 64))
        .zip(bits.moved.par_chunks_mut(ID_CHUNK / 64))
        .enumerate()
        .map(|(chunk, (((((x, u), moves), readout), touching), moved))| {
            touching.fill(0);
            moved.fill(0);
            let mut t = Tally::default();
            for k in 0..x.len() {
                // The results lie in slot order, scattered over megabytes:
                // ask for those of a later id early.
                if let Some(&ahead) = cells.slots().get(chunk * ID_CHUNK + k + PREFETCH_AHEAD) {
                    prefetch(&results[ahead as usize]);
                }
                let r = cells.slot_of(chunk * ID_CHUNK + k);
                let c = results[r].contacts;
                t.count(c);
                readout[k] = c.readout();
                touching[k / 64] |= u64::from(c.touching()) << (k % 64);
                moves[k] = 0.0;
                let dx = ctx.finish(rule, chunk * ID_CHUNK + k, &results[r]);
                // The displacement in registers: read back from memory just
                // after its three stores, it waited for them (a load that
                // spans two stores is not forwarded from them).
                let mut uk = u[k];
                if displaces(&dx) {
                    let moved_by = apply(&mut x[k], &mut uk, &dx, bx);
                    u[k] = uk;
                    moves[k] = moved_by as f32;
                    moved[k / 64] |= 1 << (k % 64);
                    t.moved(moved_by);
                }
                t.squares += squares.quanta_up_to_bound(square(&uk));
            }
            t
        })
        .collect();
    let tally = chunks.into_iter().fold(Tally::default(), Tally::then);
    // The lists matter only if the next iteration visits the active set.
    set.touching.clear();
    set.movers.clear();
    set.mover_cells.clear();
    if !crowded(tally.touching + tally.movers, n) {
        for (bits, list) in [(&bits.touching, &mut set.touching), (&bits.moved, &mut set.movers)] {
            for (w, &word) in bits.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    list.push((w * 64) as u32 + word.trailing_zeros());
                    word &= word - 1;
                }
            }
        }
        set.mover_cells = cells.mover_cells(by_id.positions, &set.movers);
    }
    tally
}

/// The active set's pass: the visited slots `set.slots`, aligned with
/// `results`, in parallel chunks of [`PASS_CHUNK`] in their order. What
/// comes of it is counts, integer sums and lists whose order nothing
/// depends on; the arrays by id are written at the visited ids, scattered
/// over N. Leaves in `set` the visited, the touching and the movers.
pub(super) fn active_pass<const D: usize>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    results: &[Share<D>],
    by_id: ById<'_, D>,
    set: &mut ActiveSet,
) -> Tally {
    let n = by_id.positions.len();
    let (bx, cells) = (ctx.bx, ctx.cells);
    let squares = WideQuantum::for_squares();
    // Readouts: clear what the last iteration wrote, then write this one's.
    if set.visited_all {
        by_id.contacts.fill(0);
        by_id.moves.fill(0.0);
    } else {
        for &i in &set.visited {
            by_id.contacts[i as usize] = 0;
            by_id.moves[i as usize] = 0.0;
        }
    }
    let slots = &set.slots[..];
    debug_assert!(distinct(slots), "a slot is visited twice: two tasks would write the same particle");
    let (x, u) = (Scatter::new(by_id.positions), Scatter::new(by_id.unwrapped));
    let (readouts, moves) = (Scatter::new(by_id.contacts), Scatter::new(by_id.moves));
    let chunks: Vec<ActivePass> = slots
        .par_chunks(PASS_CHUNK)
        .zip(results.par_chunks(PASS_CHUNK))
        .with_max_len(1)
        .map(|(slots, results)| {
            let mut out = ActivePass::with_room(slots.len());
            for (r, &s) in slots.iter().enumerate() {
                // The visited lie scattered over N: ask early for a later
                // one's entries (each a cache miss otherwise).
                if let Some(&ahead) = slots.get(r + PREFETCH_AHEAD) {
                    let a = ctx.ids[ahead as usize] as usize;
                    x.prefetch(a);
                    u.prefetch(a);
                    readouts.prefetch(a);
                    moves.prefetch(a);
                }
                let id = ctx.ids[s as usize];
                let i = id as usize;
                // SAFETY: `i` is the id of slot `s`; the visited slots are
                // distinct (asserted above), and so are their ids: no other
                // task touches entry `i` of these arrays.
                let (xi, ui, readout, moved) = unsafe { (x.at(i), u.at(i), readouts.at(i), moves.at(i)) };
                let c = results[r].contacts;
                out.tally.count(c);
                out.visited.push(id);
                *readout = c.readout();
                if c.touching() {
                    out.touching.push(id);
                }
                let dx = ctx.finish(rule, i, &results[r]);
                if displaces(&dx) {
                    // The sum of squares changes by this particle's change
                    // (the displacement in registers, as in a full scan).
                    let mut uk = *ui;
                    let before = squares.quanta_up_to_bound(square(&uk));
                    let old = *xi;
                    let moved_by = apply(xi, &mut uk, &dx, bx);
                    *ui = uk;
                    out.tally.squares += squares.quanta_up_to_bound(square(&uk)) - before;
                    *moved = moved_by as f32;
                    out.tally.moved(moved_by);
                    out.movers.push(id);
                    // Its new cell, found here where both positions are at
                    // hand, for the next iteration's binning.
                    out.mover_cells.push(cells.mover_cell(s as usize, &old, xi));
                }
            }
            out
        })
        .collect();
    set.visited.clear();
    set.touching.clear();
    set.movers.clear();
    set.mover_cells.clear();
    let mut tally = Tally::default();
    for out in chunks {
        tally = tally.then(out.tally);
        set.visited.extend(out.visited);
        set.touching.extend(out.touching);
        set.movers.extend(out.movers);
        set.mover_cells.extend(out.mover_cells);
    }
    // Past `list_cap` either list is of no use (the next iteration scans
    // everyone); the first ones are kept as before.
    let enough = list_cap(n);
    set.touching.truncate(enough);
    set.movers.truncate(enough);
    set.mover_cells.truncate(enough);
    tally
}

/// No slot appears twice in `slots` (checked in debug builds only: it sorts a copy).
fn distinct(slots: &[u32]) -> bool {
    let mut sorted = slots.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).all(|w| w[0] != w[1])
}
