//! The simulation core: spheres in a periodic box pushed apart by an update
//! scheme. No engine, no files, no clock: [`Simulation::step`] is the contract.

pub mod cells;
pub mod observe;
pub mod packing;
pub mod potential;
pub mod rng;
pub mod scheme;
pub mod space;
mod step;

use crate::error::{Error, Result};
use cells::CellList;
pub use packing::{Packing, Radii};
pub use potential::Potential;
pub use scheme::{BatchMode, Noise, Scheme, SchemeParams};

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
    last_contacts: Vec<u32>,
    /// |dx| of each particle in the last iteration, in diameters.
    last_moves: Vec<f64>,
    cells: CellList,
    scratch: step::Scratch,
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
            scratch: step::Scratch::default(),
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
        let ctx =
            step::context::<D>(&self.packing, &mut self.cells, potential, overlap_tolerance, self.seed, self.iteration);
        let (mut by_slot, mut out) = std::mem::take(step::ScratchOf::<D>::buffers(&mut self.scratch));
        step::compute(&ctx, &scheme, &mut by_slot, &mut out);

        let n = out.len();
        let active_particles = out.iter().filter(|p| p.contacts > 0).count();
        let contact_ends: usize = out.iter().map(|p| p.contacts as usize).sum();
        let energy: f64 = out.iter().map(|p| p.half_energy).sum();
        let mut stats = StepStats {
            iteration: self.iteration,
            active_particles,
            active_pairs: contact_ends / 2,
            activity: active_particles as f64 / n as f64,
            energy: energy / n as f64,
            msd: self.msd(),
            max_displacement: 0.0,
            absorbed: active_particles == 0,
        };
        self.last_contacts.clear();
        self.last_contacts.extend(out.iter().map(|p| p.contacts));
        self.last_moves.clear();
        if stats.absorbed {
            self.absorbed_at.get_or_insert(self.iteration);
            self.last_moves.resize(n, 0.0);
        } else {
            self.last_moves.extend(out.iter().map(|p| p.dx.iter().map(|c| c * c).sum::<f64>().sqrt()));
            stats.max_displacement = self.last_moves.iter().cloned().fold(0.0, f64::max);
            self.apply::<D>(&out);
        }
        *step::ScratchOf::<D>::buffers(&mut self.scratch) = (by_slot, out);
        self.iteration += 1;
        stats
    }

    /// Moves every particle by its dx and wraps it into the box.
    fn apply<const D: usize>(&mut self, out: &[step::Particle<D>]) {
        let bx = self.packing.periodic_box();
        let unwrapped = self.displacement.as_chunks_mut::<D>().0;
        for ((x, u), p) in self.packing.points_mut::<D>().iter_mut().zip(unwrapped).zip(out) {
            for k in 0..D {
                x[k] = bx.wrap(x[k] + p.dx[k]);
                u[k] += p.dx[k];
            }
        }
    }

    /// Active contacts of each particle and the total energy U of the current
    /// configuration, without moving it.
    pub fn contacts(&mut self) -> (Vec<u32>, f64) {
        let Dynamics { potential, overlap_tolerance, .. } = self.dynamics;
        crate::with_dim!(self.packing.dim(), D, {
            let ctx = step::context::<D>(&self.packing, &mut self.cells, potential, overlap_tolerance, self.seed, 0);
            step::contacts_and_energy(&ctx)
        })
    }

    /// Mean square displacement since the start.
    pub fn msd(&self) -> f64 {
        let n = self.packing.len() as f64;
        self.displacement.iter().map(|u| u * u).sum::<f64>() / n
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
    /// iteration measured (all zero before the first).
    pub fn last_contacts(&self) -> &[u32] {
        &self.last_contacts
    }

    /// How far each particle moved in the last iteration, in diameters.
    pub fn last_moves(&self) -> &[f64] {
        &self.last_moves
    }

    /// Unwrapped displacement of each particle since the start, N * d.
    pub fn displacements(&self) -> &[f64] {
        &self.displacement
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
        Ok(())
    }
}
