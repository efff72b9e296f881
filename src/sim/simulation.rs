//! A run: a packing, its dynamics, a seed and an iteration counter.
//! [`Simulation::step`] reads as its steps: bin the particles, choose whom
//! to visit and compute their shares, apply the moves (a full pass or the
//! active set's), tally the observables.

use super::active::{ActiveSet, crowded};
use super::cells::CellList;
use super::moves::{self, ById, ScanBits, Tally};
use super::packing::{self, Packing};
use super::potential::Potential;
use super::quanta::WideQuantum;
use super::scheme::Scheme;
use super::step::{self, Context, Rule, Share};
use crate::error::{Error, Result};

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
    scratch: step::scan::Scratch,
    /// The work of the next iteration: see [`ActiveSet`].
    active_set: ActiveSet,
    /// Scratch of a full scan.
    scan_bits: ScanBits,
    /// Sum of the squared unwrapped displacements, each in the quanta of
    /// [`WideQuantum::for_squares`]: kept up to date by each move's change,
    /// it is an integer sum, the same bits whatever the order and the
    /// iterations that led here.
    msd_sum: i128,
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
            scratch: step::scan::Scratch::default(),
            active_set: ActiveSet { stale: true, ..ActiveSet::default() },
            scan_bits: ScanBits::default(),
            msd_sum: 0,
        })
    }

    /// The same run counted from iteration `k`: a replayed frame shows the
    /// iteration it was recorded at (stepped on, its random numbers are
    /// keyed by the iterations from `k`).
    pub fn resume_at(mut self, k: u64) -> Self {
        self.iteration = k;
        self
    }

    /// One iteration: measures x^k, moves every active particle, wraps.
    pub fn step(&mut self) -> StepStats {
        crate::with_dim!(self.packing.dim(), D, self.step_d::<D>())
    }

    fn step_d<const D: usize>(&mut self) -> StepStats
    where
        step::scan::Scratch: step::scan::ScratchOf<D>,
    {
        let everyone = self.active_set.visits_everyone();
        self.bin::<D>(everyone);
        let Dynamics { scheme, potential, overlap_tolerance } = self.dynamics;
        let (seed, iteration) = (self.seed, self.iteration);
        let ctx = step::context_over::<D>(&self.packing, &self.cells, potential, overlap_tolerance, seed, iteration);
        let mut results = std::mem::take(step::scan::ScratchOf::<D>::buffers(&mut self.scratch));
        let n = self.packing.len();
        let (rule, energy) = shares(&ctx, &scheme, &mut self.active_set, n, everyone, &mut results);
        let by_id = ById {
            positions: self.packing.points_mut::<D>(),
            unwrapped: self.displacement.as_chunks_mut::<D>().0,
            contacts: &mut self.last_contacts,
            moves: &mut self.last_moves,
        };
        let tally = if everyone {
            moves::full_pass(&ctx, &rule, &results, by_id, &mut self.scan_bits, &mut self.active_set)
        } else {
            moves::active_pass(&ctx, &rule, &results, by_id, &mut self.active_set)
        };
        // Each pair counted at both ends: the sum is even.
        let energy = ctx.energy_quantum.value(energy / 2);
        let visited = results.len();
        *step::scan::ScratchOf::<D>::buffers(&mut self.scratch) = results;
        self.tally(tally, energy, visited, everyone)
    }

    /// The observables of the iteration just done, from its `tally`, its
    /// total `energy` and the number of particles it `visited`; what the
    /// next iteration starts from.
    fn tally(&mut self, tally: Tally, energy: f64, visited: usize, everyone: bool) -> StepStats {
        let n = self.packing.len();
        // The MSD of x^k: the sum of squares before this iteration's moves.
        let msd = self.msd();
        let set = &mut self.active_set;
        set.crowded = crowded(tally.touching + tally.movers, n);
        set.visited_all = everyone;
        set.stale = false;
        if tally.movers > 0 {
            self.cells_stale = true;
        }
        if everyone {
            self.msd_sum = tally.squares;
        } else {
            self.msd_sum += tally.squares;
        }
        let stats = StepStats {
            iteration: self.iteration,
            active_particles: tally.active,
            active_pairs: tally.contact_ends / 2,
            activity: tally.active as f64 / n as f64,
            energy: energy / n as f64,
            msd,
            max_displacement: tally.max_displacement,
            absorbed: tally.active == 0,
            visited,
        };
        if stats.absorbed {
            self.absorbed_at.get_or_insert(self.iteration);
        }
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
            step::scan::contacts_and_energy(&ctx)
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
        WideQuantum::for_squares().value(self.msd_sum) / self.packing.len() as f64
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

    /// Sets what [`Self::last_moves`] reads: for a replayed frame, how far
    /// each particle moved since the frame shown before it (one value a
    /// particle; other lengths are ignored).
    pub fn show_moves(&mut self, moves: Vec<f32>) {
        if moves.len() == self.last_moves.len() {
            self.last_moves = moves;
        }
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

/// Chooses whom the iteration visits (everyone, or the active set) and
/// computes each visited particle's share into `results`, in the order of
/// the visit; returns the iteration's rule and the energy of the visited
/// particles' overlaps (in quanta, each pair counted at both ends).
fn shares<'s, const D: usize>(
    ctx: &Context<'_, D>,
    scheme: &'s Scheme,
    set: &mut ActiveSet,
    n: usize,
    everyone: bool,
    results: &mut Vec<Share<D>>,
) -> (Rule<'s>, i128) {
    if !everyone {
        results.clear();
    }
    // Near absorption `set.slots` is aligned with the results: the movers
    // first where their shares came with the search for whom they overlap.
    let (movers, mut energy) = if everyone { (0, 0) } else { set.choose(ctx, scheme, n, results) };
    let visit = if everyone { step::Visit::All(n) } else { step::Visit::Slots(&set.slots[movers..]) };
    let rule = Rule::new(ctx, scheme, visit);
    energy += step::scan::compute(ctx, &rule, visit, results);
    (rule, energy)
}
