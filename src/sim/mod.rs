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

pub use packing::{Packing, Radii};
pub use potential::Potential;
pub use scheme::{BatchMode, Noise, Param, Scheme, SchemeKind, SchemeParams};
pub use simulation::{Dynamics, Simulation, StepStats};
