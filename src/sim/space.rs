//! The space: its dimension (and the dispatch from a runtime dimension to
//! the const one the core is compiled for), the periodic cubic box with its
//! minimum image and wrapping, volumes and packing fraction.

/// Dimensions the core is compiled for.
pub const DIMENSIONS: std::ops::RangeInclusive<usize> = 2..=4;

/// Runs `$body` with the const `$D` set to a runtime dimension in
/// [`DIMENSIONS`](crate::sim::space::DIMENSIONS).
#[macro_export]
macro_rules! with_dim {
    ($dim:expr, $D:ident, $body:expr) => {
        match $dim {
            2 => {
                const $D: usize = 2;
                $body
            }
            3 => {
                const $D: usize = 3;
                $body
            }
            4 => {
                const $D: usize = 4;
                $body
            }
            d => unreachable!("dimension {d} was validated to lie in 2..=4"),
        }
    };
}

/// Volume of the unit ball in `dim` dimensions, v_d = pi^(d/2) / Gamma(d/2 + 1),
/// by the recurrence v_d = v_(d-2) 2 pi / d.
pub fn unit_ball_volume(dim: usize) -> f64 {
    match dim {
        0 => 1.0,
        1 => 2.0,
        d => unit_ball_volume(d - 2) * std::f64::consts::TAU / d as f64,
    }
}

/// Summed volume of spheres with these radii.
pub fn spheres_volume(dim: usize, radii: &[f64]) -> f64 {
    let vd = unit_ball_volume(dim);
    radii.iter().map(|r| vd * r.powi(dim as i32)).sum()
}

/// Side of the cube in which spheres with these radii fill the fraction `phi`.
pub fn side_for_phi(dim: usize, radii: &[f64], phi: f64) -> f64 {
    (spheres_volume(dim, radii) / phi).powf(1.0 / dim as f64)
}

/// Packing fraction of spheres with these radii in a cube of side `side`.
pub fn packing_fraction(dim: usize, radii: &[f64], side: f64) -> f64 {
    spheres_volume(dim, radii) / side.powi(dim as i32)
}

/// A periodic cube [0, side)^d.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeriodicBox {
    /// Side length, in diameters.
    pub side: f64,
}

impl PeriodicBox {
    /// Minimum image of a separation whose components lie in (-side, side),
    /// as they do for two wrapped positions. Exactly antisymmetric:
    /// `image(a - b) == -image(b - a)` bit for bit, so reciprocal kicks
    /// conserve the centre of mass to round-off.
    #[inline(always)]
    pub fn image<const D: usize>(&self, mut r: [f64; D]) -> [f64; D] {
        for c in &mut r {
            *c = self.image1(*c);
        }
        r
    }

    /// Minimum image of one component of a separation, in (-side, side).
    #[inline(always)]
    pub fn image1(&self, c: f64) -> f64 {
        let half = 0.5 * self.side;
        // Written with selects, not branches: neighbour sweeps call this for
        // dozens of candidates per particle. Adding or subtracting 0.0 leaves
        // every value but the sign of a zero unchanged.
        let down = if c > half { self.side } else { 0.0 };
        let up = if c < -half { self.side } else { 0.0 };
        c - down + up
    }

    /// Minimum-image separation x_i - x_j of two wrapped positions.
    #[inline(always)]
    pub fn separation<const D: usize>(&self, xi: &[f64; D], xj: &[f64; D]) -> [f64; D] {
        let mut r = [0.0; D];
        for k in 0..D {
            r[k] = xi[k] - xj[k];
        }
        self.image(r)
    }

    /// A coordinate brought back into [0, side).
    #[inline(always)]
    pub fn wrap(&self, x: f64) -> f64 {
        if (0.0..self.side).contains(&x) {
            return x;
        }
        let w = x.rem_euclid(self.side);
        // rem_euclid of a tiny negative number rounds to `side` itself.
        if w >= self.side { 0.0 } else { w }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ball_volumes() {
        let pi = std::f64::consts::PI;
        assert!((unit_ball_volume(2) - pi).abs() < 1e-15);
        assert!((unit_ball_volume(3) - 4.0 * pi / 3.0).abs() < 1e-15);
        assert!((unit_ball_volume(4) - pi * pi / 2.0).abs() < 1e-14);
    }

    #[test]
    fn side_and_phi_are_inverse() {
        let radii = [0.5, 0.7, 0.5];
        for dim in 2..=4 {
            let side = side_for_phi(dim, &radii, 0.3);
            assert!((packing_fraction(dim, &radii, side) - 0.3).abs() < 1e-12);
        }
    }

    #[test]
    fn wrap_stays_in_box() {
        let b = PeriodicBox { side: 3.0 };
        assert_eq!(b.wrap(-1e-300), 0.0);
        assert_eq!(b.wrap(3.0), 0.0);
        assert!((b.wrap(-0.5) - 2.5).abs() < 1e-15);
        assert!((b.wrap(7.25) - 1.25).abs() < 1e-15);
    }
}
