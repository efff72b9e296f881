//! absorb: watch, steer and measure the absorbing phase transition of
//! stochastic gradient descent.
//!
//! Spheres in a periodic box stand for neural manifolds; SGD, random
//! coordinate descent and biased random organization push overlapping spheres
//! apart. Below a critical packing fraction phi_c they settle (absorbed), above
//! it they stay active. `sim` is the core (no engine, no files), `scene` the
//! RON scene format, `io` the writers, `run` the headless driver.
#![warn(missing_docs)]

pub mod error;
pub mod io;
pub mod run;
pub mod scene;
pub mod sim;

pub use error::{Error, Result};
