//! The simulation core: spheres in a periodic box pushed apart by an update
//! scheme. No engine, no files, no clock: [`Simulation::step`] is the contract.

mod active;
pub mod cells;
pub mod describe;
pub mod fixed;
mod memory;
mod neighbourhood;
pub mod observe;
pub mod packing;
pub mod potential;
pub mod rng;
pub mod scheme;
pub mod space;
mod step;

use crate::error::{Error, Result};
use active::{ActiveSet, crowded, list_cap};
use cells::CellList;
use fixed::WideFixed;
use memory::{PREFETCH_AHEAD, Scatter, prefetch};
pub use packing::{Packing, Radii};
pub use potential::Potential;
use rayon::prelude::*;
pub use scheme::{BatchMode, Noise, Scheme, SchemeParams};
use space::PeriodicBox;

/// How particles move: the scheme, the pair potential and the overlap
/// tolerance. Any of it may change between two iterations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dynamics {
    /// The update scheme and its step size.
    pub scheme: Scheme,
    /// The pair potential (forces of SGD, RCD, GD and the approximations; the energy).
    pub potential: Potential,
    /// A pair counts as active only when its overlap 1 - r/sigma exceeds this
    /// (0: every overlap counts).
    pub overlap_tolerance: f64,
}

impl Dynamics {
    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        self.scheme.validate().map_err(|e| e.within("scheme"))?;
        let tol = self.overlap_tolerance;
        if !(0.0..1.0).contains(&tol) {
            return Err(Error::invalid("overlap_tolerance", tol, "a fraction of the contact distance in [0, 1)"));
        }
        Ok(())
    }
}

/// The observables of one iteration, measured on the configuration x^k the
/// iteration started from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    /// The iteration k.
    pub iteration: u64,
    /// Particles with at least one active contact.
    pub active_particles: usize,
    /// Active (overlapping) pairs P.
    pub active_pairs: usize,
    /// Activity f_a = active particles / N.
    pub activity: f64,
    /// Energy per particle e = U / N.
    pub energy: f64,
    /// Mean square displacement since the start, from unwrapped displacements.
    pub msd: f64,
    /// Largest displacement applied in this iteration, in diameters.
    pub max_displacement: f64,
    /// No active pair: nothing moves again (until a parameter changes).
    pub absorbed: bool,
    /// Particles this iteration looked at: N at full activity, about the
    /// active ones and their neighbours near absorption (work, not physics).
    pub visited: usize,
}

/// A run: a packing, its dynamics, a seed and an iteration counter.
#[derive(Clone, Debug)]
pub struct Simulation {
    packing: Packing,
    dynamics: Dynamics,
    seed: u64,
    iteration: u64,
    /// Unwrapped displacement of each particle since the start, N * d.
    displacement: Vec<f64>,
    absorbed_at: Option<u64>,
    /// Active contacts of each particle in the last measured configuration.
    last_contacts: Vec<u16>,
    /// |dx| of each particle in the last iteration, in diameters.
    last_moves: Vec<f32>,
    cells: CellList,
    /// The cells no longer bin the current positions and radii.
    cells_stale: bool,
    scratch: step::Scratch,
    /// The work of the next iteration: see [`ActiveSet`].
    active_set: ActiveSet,
    /// Scratch of a full scan: which ids touch, which moved (a bit each).
    touching_bits: Vec<u64>,
    moved_bits: Vec<u64>,
    /// Sum of the squared unwrapped displacements, each in the quanta of
    /// [`WideFixed::for_squares`]: kept up to date by each move's change,
    /// it is an integer sum, the same bits whatever the order and the
    /// iterations that led here.
    msd_sum: i128,
}

/// Ids per chunk of the pass in id order (a task; a multiple of 64, the
/// bits of a word of the touching and moved lists).
const ID_CHUNK: usize = 4096;

/// Visited particles per task of the active set's pass.
const PASS_CHUNK: usize = 256;

/// What a task of the active set's pass found: its counts and sums, and the
/// ids it visited, of the touching and of the movers (with their new cells).
#[derive(Default)]
struct ActivePass {
    tally: Tally,
    visited: Vec<u32>,
    touching: Vec<u32>,
    movers: Vec<u32>,
    mover_cells: Vec<u32>,
}

/// The counts and sums of an iteration (or of a chunk of its ids).
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    active: usize,
    contact_ends: usize,
    touching: usize,
    movers: usize,
    max_displacement: f64,
    /// The sum of the square displacements after the moves (a full scan,
    /// which sees every particle), or its change (the active set), in quanta.
    squares: i128,
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

impl Simulation {
    /// A run from `packing` with `dynamics`; `seed` keys every random number.
    pub fn new(packing: Packing, dynamics: Dynamics, seed: u64) -> Result<Self> {
        dynamics.validate()?;
        let n = packing.len();
        Ok(Self {
            displacement: vec![0.0; packing.positions().len()],
            packing,
            dynamics,
            seed,
            iteration: 0,
            absorbed_at: None,
            last_contacts: vec![0; n],
            last_moves: vec![0.0; n],
            cells: CellList::default(),
            cells_stale: true,
            scratch: step::Scratch::default(),
            active_set: ActiveSet { stale: true, ..ActiveSet::default() },
            touching_bits: Vec::new(),
            moved_bits: Vec::new(),
            msd_sum: 0,
        })
    }

    /// One iteration: measures x^k, moves every active particle, wraps.
    pub fn step(&mut self) -> StepStats {
        crate::with_dim!(self.packing.dim(), D, self.step_d::<D>())
    }

    fn step_d<const D: usize>(&mut self) -> StepStats
    where
        step::Scratch: step::ScratchOf<D>,
    {
        let Dynamics { scheme, potential, overlap_tolerance } = self.dynamics;
        let msd = self.msd();
        let n = self.packing.len();
        let set = &self.active_set;
        let everyone = set.stale || set.always_full || set.crowded;
        self.bin::<D>(everyone);
        let ctx = step::context_over::<D>(
            &self.packing,
            &self.cells,
            potential,
            overlap_tolerance,
            self.seed,
            self.iteration,
        );
        let set = &mut self.active_set;
        let mut results = std::mem::take(step::ScratchOf::<D>::buffers(&mut self.scratch));
        if !everyone {
            results.clear();
        }
        // Near absorption `set.slots` is aligned with the results: the movers
        // first where their shares came with the search for whom they overlap.
        let (movers, mut energy) = if everyone { (0, 0) } else { set.choose(&ctx, &scheme, n, &mut results) };
        let visit = if everyone { step::Visit::All(n) } else { step::Visit::Slots(&set.slots[movers..]) };
        let rule = step::Rule::new(&ctx, &scheme, visit);
        energy += step::compute(&ctx, &rule, visit, &mut results);
        let visited = results.len();

        // Each particle's move is finished (its draws are keyed by id) and
        // applied. A full scan goes in id order, its results by slot (id i
        // is result slot_of(i)), in parallel chunks of ID_CHUNK ids whose
        // lists of the touching and of the movers come out as bits. The
        // active set goes through its few in the order of its results.
        let enough = list_cap(n);
        let bx = self.packing.periodic_box();
        let squares = WideFixed::for_squares();
        let positions = self.packing.points_mut::<D>();
        let unwrapped = self.displacement.as_chunks_mut::<D>().0;
        let cells = &self.cells;
        let tally = if everyone {
            let words = n.div_ceil(64);
            self.touching_bits.resize(words, 0);
            self.moved_bits.resize(words, 0);
            let chunks: Vec<Tally> = positions
                .par_chunks_mut(ID_CHUNK)
                .zip(unwrapped.par_chunks_mut(ID_CHUNK))
                .zip(self.last_moves.par_chunks_mut(ID_CHUNK))
                .zip(self.last_contacts.par_chunks_mut(ID_CHUNK))
                .zip(self.touching_bits.par_chunks_mut(ID_CHUNK / 64))
                .zip(self.moved_bits.par_chunks_mut(ID_CHUNK / 64))
                .enumerate()
                .map(|(chunk, (((((x, u), moves), readout), touching), moved))| {
                    touching.fill(0);
                    moved.fill(0);
                    let mut t = Tally::default();
                    for k in 0..x.len() {
                        // The results lie in slot order, scattered over
                        // megabytes: ask for those of a later id early.
                        if let Some(&ahead) = cells.slots().get(chunk * ID_CHUNK + k + PREFETCH_AHEAD) {
                            prefetch(&results[ahead as usize]);
                        }
                        let r = cells.slot_of(chunk * ID_CHUNK + k);
                        let c = results[r].contacts;
                        t.count(c);
                        readout[k] = c.readout();
                        touching[k / 64] |= u64::from(c.touching()) << (k % 64);
                        moves[k] = 0.0;
                        let dx = ctx.finish(&rule, chunk * ID_CHUNK + k, &results[r]);
                        // The displacement in registers: read back from
                        // memory just after its three stores, it waited
                        // for them (a load that spans two stores is not
                        // forwarded from them).
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
                for (bits, list) in [(&self.touching_bits, &mut set.touching), (&self.moved_bits, &mut set.movers)] {
                    for (w, &word) in bits.iter().enumerate() {
                        let mut word = word;
                        while word != 0 {
                            list.push((w * 64) as u32 + word.trailing_zeros());
                            word &= word - 1;
                        }
                    }
                }
                set.mover_cells = cells.mover_cells(positions, &set.movers);
            }
            tally
        } else {
            // Readouts: clear what the last iteration wrote, then write this one's.
            if set.visited_all {
                self.last_contacts.iter_mut().for_each(|c| *c = 0);
                self.last_moves.iter_mut().for_each(|m| *m = 0.0);
            } else {
                for &i in &set.visited {
                    self.last_contacts[i as usize] = 0;
                    self.last_moves[i as usize] = 0.0;
                }
            }
            // In parallel chunks of the results (the visited slots), in
            // their order: what comes of it is counts, integer sums and
            // lists whose order nothing depends on. The arrays by id are
            // written at the visited ids, scattered over N.
            let slots = &set.slots[..];
            let (x, u) = (Scatter::new(positions), Scatter::new(unwrapped));
            let (readouts, moves) = (Scatter::new(&mut self.last_contacts[..]), Scatter::new(&mut self.last_moves[..]));
            let chunks: Vec<ActivePass> = slots
                .par_chunks(PASS_CHUNK)
                .zip(results.par_chunks(PASS_CHUNK))
                .with_max_len(1)
                .map(|(slots, results)| {
                    // Room for every visited particle in each list: grown
                    // from nothing, the four lists were reallocated some 30
                    // times a chunk.
                    let room = || Vec::with_capacity(slots.len());
                    let mut out = ActivePass {
                        tally: Tally::default(),
                        visited: room(),
                        touching: room(),
                        movers: room(),
                        mover_cells: room(),
                    };
                    for (r, &s) in slots.iter().enumerate() {
                        // The visited lie scattered over N: ask early for a
                        // later one's entries (each a cache miss otherwise).
                        if let Some(&ahead) = slots.get(r + PREFETCH_AHEAD) {
                            let a = ctx.ids[ahead as usize] as usize;
                            x.prefetch(a);
                            u.prefetch(a);
                            readouts.prefetch(a);
                            moves.prefetch(a);
                        }
                        let id = ctx.ids[s as usize];
                        let i = id as usize;
                        // SAFETY: `i` is the id of slot `s`; the visited
                        // slots are distinct, and so are their ids: no other
                        // task touches entry `i` of these arrays.
                        let (xi, ui, readout, moved) = unsafe { (x.at(i), u.at(i), readouts.at(i), moves.at(i)) };
                        let c = results[r].contacts;
                        out.tally.count(c);
                        out.visited.push(id);
                        *readout = c.readout();
                        if c.touching() {
                            out.touching.push(id);
                        }
                        let dx = ctx.finish(&rule, i, &results[r]);
                        if displaces(&dx) {
                            // The sum of squares changes by this particle's
                            // change (the displacement in registers, as in
                            // a full scan).
                            let mut uk = *ui;
                            let before = squares.quanta_up_to_bound(square(&uk));
                            let old = *xi;
                            let moved_by = apply(xi, &mut uk, &dx, bx);
                            *ui = uk;
                            out.tally.squares += squares.quanta_up_to_bound(square(&uk)) - before;
                            *moved = moved_by as f32;
                            out.tally.moved(moved_by);
                            out.movers.push(id);
                            // Its new cell, found here where both positions
                            // are at hand, for the next iteration's binning.
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
            // Past `enough` either list is of no use (the next iteration
            // scans everyone); the first `enough` are kept as before.
            set.touching.truncate(enough);
            set.movers.truncate(enough);
            set.mover_cells.truncate(enough);
            tally
        };
        let stats = StepStats {
            iteration: self.iteration,
            active_particles: tally.active,
            active_pairs: tally.contact_ends / 2,
            activity: tally.active as f64 / n as f64,
            // Each pair counted at both ends: the sum is even.
            energy: ctx.energy_fixed.value(energy / 2) / n as f64,
            msd,
            max_displacement: tally.max_displacement,
            absorbed: tally.active == 0,
            visited,
        };
        set.crowded = crowded(tally.touching + tally.movers, n);
        if tally.movers > 0 {
            self.cells_stale = true;
        }
        set.visited_all = everyone;
        set.stale = false;
        if everyone {
            self.msd_sum = tally.squares;
        } else {
            self.msd_sum += tally.squares;
        }
        if stats.absorbed {
            self.absorbed_at.get_or_insert(self.iteration);
        }
        *step::ScratchOf::<D>::buffers(&mut self.scratch) = results;
        self.iteration += 1;
        stats
    }

    /// Bins the particles anew if anything moved or the radii changed since
    /// the last time (an absorbed configuration keeps its cells).
    fn bin<const D: usize>(&mut self, everyone: bool) {
        // Near absorption only the movers of the last iteration need binning
        // again (their list is complete whenever the active set is used); a
        // full scan visits slots 0..N, so it wants no strays.
        if self.cells_stale || (everyone && self.cells.has_strays()) {
            let p = &self.packing;
            let set = &self.active_set;
            let updated = !everyone && self.cells.update(p.points::<D>(), p.radii(), &set.movers, &set.mover_cells);
            if !updated {
                self.cells.rebuild(p.points::<D>(), p.radii(), p.periodic_box(), p.max_diameter());
            }
            self.cells_stale = false;
        }
    }

    /// Active contacts of each particle and the total energy U of the current
    /// configuration, without moving it.
    pub fn contacts(&mut self) -> (Vec<u32>, f64) {
        let Dynamics { potential, overlap_tolerance, .. } = self.dynamics;
        crate::with_dim!(self.packing.dim(), D, {
            self.bin::<D>(true);
            let ctx = step::context_over::<D>(&self.packing, &self.cells, potential, overlap_tolerance, self.seed, 0);
            step::contacts_and_energy(&ctx)
        })
    }

    /// The observables of the present configuration x^k, without moving it:
    /// what the next iteration will measure. Its contacts become the ones
    /// [`Self::last_contacts`] shows, so that a run just started, reset or
    /// rescaled shows its state before it moves. The next iteration scans
    /// every particle (same results bit for bit as the active set).
    pub fn observe(&mut self) -> StepStats {
        let (contacts, energy) = self.contacts();
        let n = self.packing.len();
        let active_particles = contacts.iter().filter(|&&c| c > 0).count();
        let active_pairs = (contacts.iter().map(|&c| c as u64).sum::<u64>() / 2) as usize;
        for (shown, &c) in self.last_contacts.iter_mut().zip(&contacts) {
            *shown = c.min(u32::from(u16::MAX)) as u16;
        }
        self.active_set.stale = true;
        StepStats {
            iteration: self.iteration,
            active_particles,
            active_pairs,
            activity: active_particles as f64 / n as f64,
            energy: energy / n as f64,
            msd: self.msd(),
            max_displacement: 0.0,
            absorbed: active_pairs == 0,
            visited: n,
        }
    }

    /// Mean square displacement since the start.
    pub fn msd(&self) -> f64 {
        WideFixed::for_squares().value(self.msd_sum) / self.packing.len() as f64
    }

    /// The configuration.
    pub fn packing(&self) -> &Packing {
        &self.packing
    }

    /// The dynamics in force.
    pub fn dynamics(&self) -> &Dynamics {
        &self.dynamics
    }

    /// The seed that keys every random number of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next iteration's number k (iterations done so far).
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The first iteration found absorbed, if any.
    pub fn absorbed_at(&self) -> Option<u64> {
        self.absorbed_at
    }

    /// Active contacts of each particle in the configuration the last
    /// iteration measured (all zero before the first; 65535 stands for that
    /// many or more).
    pub fn last_contacts(&self) -> &[u16] {
        &self.last_contacts
    }

    /// How far each particle moved in the last iteration, in diameters (in
    /// single precision: a readout for the picture, not part of the state).
    pub fn last_moves(&self) -> &[f32] {
        &self.last_moves
    }

    /// Unwrapped displacement of each particle since the start, N * d.
    pub fn displacements(&self) -> &[f64] {
        &self.displacement
    }

    /// Scans every particle in every iteration instead of following the
    /// active ones: slower near absorption, same results bit for bit (the
    /// reference the fast path is tested against).
    pub fn set_always_full_scan(&mut self, always: bool) {
        self.active_set.always_full = always;
    }

    /// Changes scheme, step size, batch, potential or tolerance from the next
    /// iteration on; the configuration is untouched. Invalid dynamics are
    /// refused and the old ones kept.
    pub fn set_dynamics(&mut self, dynamics: Dynamics) -> Result<()> {
        dynamics.validate()?;
        if dynamics.overlap_tolerance != self.dynamics.overlap_tolerance {
            // Which pairs count as active changed: absorption must be found anew.
            self.absorbed_at = None;
        }
        self.dynamics = dynamics;
        self.active_set.stale = true;
        Ok(())
    }

    /// Changes the scheme from the next iteration on.
    pub fn set_scheme(&mut self, scheme: Scheme) -> Result<()> {
        self.set_dynamics(Dynamics { scheme, ..self.dynamics })
    }

    /// Changes phi by rescaling every radius (positions stay), from the next
    /// iteration on.
    pub fn set_phi(&mut self, phi: f64) -> Result<()> {
        if !(phi.is_finite() && phi > 0.0 && phi <= packing::MAX_PHI) {
            return Err(Error::invalid("phi", phi, format!("a packing fraction in (0, {}]", packing::MAX_PHI)));
        }
        let factor = (phi / self.packing.phi()).powf(1.0 / self.packing.dim() as f64);
        self.packing.scale_radii(factor)?;
        self.absorbed_at = None;
        self.active_set.stale = true;
        self.cells_stale = true;
        Ok(())
    }
}
