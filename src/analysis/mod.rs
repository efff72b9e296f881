//! Many runs: sweeps of state points, phi_c from a merged sweep, and the
//! finite-size-scaling collapse.

pub mod collapse;
pub mod critical;
pub mod figures;
pub mod merge;
pub mod plot;
pub mod sweep;
