//! The simulation core: spheres in a periodic box pushed apart by an update
//! scheme. No engine, no files, no clock: [`Simulation::step`] is the contract.

mod active;
pub mod cells;
pub mod describe;
mod memory;
mod moves;
mod neighbourhood;
pub mod observe;
pub mod packing;
pub mod potential;
pub mod quanta;
pub mod rng;
pub mod scheme;
mod simulation;
pub mod space;
mod step;

use crate::error::{Error, Result};
pub use packing::{Packing, Radii};
pub use potential::Potential;
pub use scheme::{BatchMode, Noise, Param, Scheme, SchemeKind, SchemeParams};
pub use simulation::Simulation;

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
