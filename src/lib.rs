//! absorb: watch, steer and measure the absorbing phase transition of
//! stochastic gradient descent.
//!
//! Spheres in a periodic box stand for neural manifolds; SGD, random
//! coordinate descent and biased random organization push overlapping spheres
//! apart. Below a critical packing fraction phi_c they settle (absorbed), above
//! it they stay active. `sim` is the core (no engine, no files), `analysis` the
//! measurements over many runs (finite-size scaling), `scene` the
//! RON scene format, `io` the writers, `run` the headless driver, `app` (feature `gui`)
//! the Bevy visualizer.
//!
//! ```
//! use absorb::sim::{Dynamics, Packing, Radii, Scheme, Simulation};
//!
//! // 500 spheres of diameter 1 at phi = 0.3 in 3D, pushed apart by SGD.
//! let radii = Radii::Monodisperse.generate(500, 7)?;
//! let packing = Packing::random(3, radii, 0.3, 7)?;
//! let scheme = Scheme::sgd_matched_to_bro(0.1);
//! let mut sim = Simulation::new(packing, Dynamics { scheme, ..Dynamics::default() }, 7)?;
//! let first = sim.step();
//! assert!(first.activity > 0.0);
//! while !sim.step().absorbed {}
//! assert_eq!(sim.step().active_pairs, 0); // far below phi_c it absorbs
//! # Ok::<(), absorb::Error>(())
//! ```
#![warn(missing_docs)]

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod bench;
pub mod budget;
pub mod compare;
pub mod error;
pub mod io;
pub mod lecture;
pub mod run;
pub mod scene;
pub mod sim;

pub use error::{Error, Result};
