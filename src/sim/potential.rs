//! The pair potential u(r) = (sigma/m) (1 - r/sigma)^m for r < sigma, zero beyond.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The overlap tolerance of potentials with m > 1, as a fraction of the
/// contact distance (see [`Potential::default_overlap_tolerance`]).
pub const SOFT_OVERLAP_TOLERANCE: f64 = 1e-3;

/// The exponent m of the pair potential; m = 1 (linear, force of magnitude 1
/// whatever the overlap) is the paper's choice.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Potential {
    exponent: f64,
}

impl Default for Potential {
    fn default() -> Self {
        Self::LINEAR
    }
}

impl Potential {
    /// m = 1: u = sigma - r, the overlap length.
    pub const LINEAR: Self = Self { exponent: 1.0 };
    /// m = 2: harmonic springs.
    pub const HARMONIC: Self = Self { exponent: 2.0 };
    /// m = 5/2: Hertzian contacts.
    pub const HERTZIAN: Self = Self { exponent: 2.5 };

    /// A potential with exponent m >= 1 (below 1 the force diverges at contact).
    pub fn new(exponent: f64) -> Result<Self> {
        if exponent.is_finite() && exponent >= 1.0 {
            Ok(Self { exponent })
        } else {
            Err(Error::invalid("potential", exponent, "an exponent m >= 1 (1 linear, 2 harmonic, 2.5 Hertzian)"))
        }
    }

    /// The overlap tolerance a run with this potential counts activity with
    /// unless told otherwise: 0 for m = 1, [`SOFT_OVERLAP_TOLERANCE`] for
    /// m > 1, whose forces vanish with the overlap so that gradient schemes
    /// close overlaps only geometrically and never reach f_a = 0 exactly
    /// (docs/scenes.md says why this value).
    pub fn default_overlap_tolerance(self) -> f64 {
        if self.is_linear() { 0.0 } else { SOFT_OVERLAP_TOLERANCE }
    }

    /// The exponent m.
    pub fn exponent(self) -> f64 {
        self.exponent
    }

    /// u(r) for an overlapping pair, r < sigma.
    #[inline(always)]
    pub fn energy(self, r: f64, sigma: f64) -> f64 {
        if self.is_linear() {
            return Self::linear_energy(r, sigma);
        }
        let delta = 1.0 - r / sigma;
        (sigma / self.exponent) * self.power(delta, self.exponent)
    }

    /// The potential is linear (m = 1): [`Self::linear_energy`], force 1.
    #[inline(always)]
    pub fn is_linear(self) -> bool {
        self.exponent == 1.0
    }

    /// u(r) of the linear potential: the overlap length, in one rounding
    /// and without a division (on the path of every pair: the division and
    /// the two roundings of sigma (1 - r/sigma) made a long chain there).
    #[inline(always)]
    pub fn linear_energy(r: f64, sigma: f64) -> f64 {
        sigma - r
    }

    /// The repulsion f = -du/dr = (1 - r/sigma)^(m - 1) of an overlapping pair.
    #[inline(always)]
    pub fn force(self, r: f64, sigma: f64) -> f64 {
        if self.is_linear() {
            return 1.0;
        }
        let delta = 1.0 - r / sigma;
        self.power(delta, self.exponent - 1.0)
    }

    /// delta^p with the common exponents spelled out (powf is slow and, at
    /// p = 0, would still be exact; these are the hot cases).
    #[inline(always)]
    fn power(self, delta: f64, p: f64) -> f64 {
        if p == 0.0 {
            1.0
        } else if p == 1.0 {
            delta
        } else if p == 2.0 {
            delta * delta
        } else if p == 1.5 {
            delta * delta.sqrt()
        } else {
            delta.powf(p)
        }
    }
}

impl TryFrom<f64> for Potential {
    type Error = Error;
    fn try_from(m: f64) -> Result<Self> {
        Potential::new(m)
    }
}

impl From<Potential> for f64 {
    fn from(p: Potential) -> f64 {
        p.exponent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_is_minus_the_derivative_of_energy() {
        for m in [1.0, 2.0, 2.5, 3.3] {
            let p = Potential::new(m).unwrap();
            let (sigma, r, h) = (1.2, 0.9, 1e-6);
            let numeric = -(p.energy(r + h, sigma) - p.energy(r - h, sigma)) / (2.0 * h);
            assert!((numeric - p.force(r, sigma)).abs() < 1e-8, "m = {m}");
        }
    }

    #[test]
    fn linear_force_is_one_and_energy_is_overlap() {
        let p = Potential::LINEAR;
        assert_eq!(p.force(0.3, 1.0), 1.0);
        assert!((p.energy(0.7, 1.0) - 0.3).abs() < 1e-15);
        // sigma - r itself, rounded once (as MODEL.md writes it), for 1000
        // pairs of unequal spheres.
        let mut rng = crate::sim::rng::Stream::keyed(7, crate::sim::rng::Purpose::Coincident, 0, 0, 1);
        for _ in 0..1000 {
            let sigma = 0.8 + 0.6 * rng.uniform();
            let r = sigma * (0.5 + 0.5 * rng.uniform());
            assert_eq!(p.energy(r, sigma), sigma - r, "sigma {sigma}, r {r}");
            assert_eq!(p.force(r, sigma), 1.0);
        }
    }
}
