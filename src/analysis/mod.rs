//! Many runs: finite-size scaling now; sweeps and phi_c estimates to come
//! (issue 5).

pub mod collapse;
pub mod sweep;
