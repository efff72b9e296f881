//! Sums in fixed point: each term is rounded (to nearest, ties to even) to a
//! whole number of quanta, a power of two, and the integers are added.
//! Integer addition does not depend on the order of the terms, so a
//! particle's displacement and the energy have the same bits whatever order
//! the cells, the threads or a pair loop reach the contacts in, and a pair
//! seen from its two ends gives exactly opposite terms (the rounding is odd).
//!
//! The quantum of a displacement sum is 2^-48 of the largest term the
//! scheme can make (rounded up to a power of two): about 2^-52 diameters
//! for steps of 0.05, finer than the spacing of doubles at positions of a
//! few diameters, and a particle would need 2^15 contacts to overflow. The
//! quantum of the energy is 2^-96 of the largest diameter, in 128 bits;
//! the squared displacements of the MSD are summed in 128 bits too, in
//! quanta of 2^-64 square diameters.

use super::scheme::Scheme;

/// Bits below the largest term in a displacement sum.
const TERM_BITS: i32 = 48;
/// Bits below the bound in a sum in 128 bits (see [`WideQuantum`]).
const WIDE_BITS: i32 = 96;

/// 1.5 2^52: a double |x| < 2^51 added to it is rounded to a whole number,
/// which its low bits then hold.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// `x` rounded to the nearest whole number (ties to even), for |x| < 2^51,
/// in three instructions: no check for overflow or NaN (what `as` would
/// add), which the bounds on the terms rule out.
#[inline(always)]
fn round_small(x: f64) -> i64 {
    (x + MAGIC).to_bits() as i64 - MAGIC.to_bits() as i64
}

/// 2^52: every double at or above it is a whole number.
const WHOLE: f64 = 4_503_599_627_370_496.0;

/// Adds a term in quanta to a sum in quanta (wrapping: the same bits in any
/// order even past the range, which the bounds on the terms rule out).
#[inline(always)]
pub fn add<const D: usize>(sum: &mut [i64; D], term: &[i64; D]) {
    for k in 0..D {
        sum[k] = sum[k].wrapping_add(term[k]);
    }
}

/// The smallest power of two at or above `x` (> 0, finite), as an exponent.
fn exponent_above(x: f64) -> i32 {
    debug_assert!(x.is_finite() && x > 0.0, "a positive bound");
    let e = x.log2().ceil() as i32;
    // log2 may round: make sure 2^e >= x.
    if 2f64.powi(e) < x { e + 1 } else { e }
}

/// 1 / quantum and the quantum, 2^-`bits` of the smallest power of two at
/// or above `bound`.
fn quantum_below(bound: f64, bits: i32) -> (f64, f64) {
    let e = exponent_above(bound) - bits;
    (2f64.powi(-e), 2f64.powi(e))
}

/// The quantum of one iteration's displacement sums: a power of two.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantum {
    /// 1 / quantum.
    per_unit: f64,
    /// The quantum.
    unit: f64,
}

impl Quantum {
    /// Quanta for terms of magnitude at most `bound` on each axis.
    pub fn for_terms_up_to(bound: f64) -> Self {
        let (per_unit, unit) = quantum_below(bound, TERM_BITS);
        Self { per_unit, unit }
    }

    /// Quanta for the sums of `scheme`'s pair terms (see [`Scheme::term_bound`]).
    pub fn for_scheme(scheme: &Scheme) -> Self {
        Self::for_terms_up_to(scheme.term_bound())
    }

    /// The term `c e`, in quanta: (c / quantum) e_k rounded to the nearest
    /// (c / quantum is exact: the quantum is a power of two).
    #[inline(always)]
    pub fn term<const D: usize>(self, c: f64, e: &[f64; D]) -> [i64; D] {
        let c = c * self.per_unit;
        e.map(|e| round_small(c * e))
    }

    /// One axis of [`Self::term`]: `c e` in quanta.
    #[inline(always)]
    pub fn quanta(self, c: f64, e: f64) -> i64 {
        round_small((c * self.per_unit) * e)
    }

    /// A sum of quanta as a number.
    #[inline(always)]
    pub fn value<const D: usize>(self, sum: &[i64; D]) -> [f64; D] {
        sum.map(|q| self.value_of(q))
    }

    /// One axis of [`Self::value`].
    #[inline(always)]
    pub fn value_of(self, sum: i64) -> f64 {
        sum as f64 * self.unit
    }
}

/// The quantum of sums in 128 bits of non-negative numbers up to a bound:
/// 2^-96 of the bound (rounded up to a power of two), so 2^30 of the
/// largest fit. Pair energies (at most the largest diameter, counted from
/// both ends) and squared displacements (see [`Self::for_squares`]) are
/// summed in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WideQuantum {
    per_unit: f64,
    unit: f64,
    /// The largest number a quantity may take ([`Self::quanta_up_to_bound`]).
    bound: f64,
}

/// Square displacements summed for the MSD, in square diameters, at most
/// (2^32: a particle 65536 diameters from its start).
const SQUARE_BOUND: f64 = 4_294_967_296.0;

impl WideQuantum {
    /// Quanta for pair energies of a packing whose largest diameter is `max_diameter`.
    pub fn for_diameter(max_diameter: f64) -> Self {
        let (per_unit, unit) = quantum_below(max_diameter, WIDE_BITS);
        Self { per_unit, unit, bound: max_diameter }
    }

    /// Quanta for squared displacements: 2^-64 square diameters, up to 2^32.
    pub fn for_squares() -> Self {
        let (per_unit, unit) = quantum_below(SQUARE_BOUND, WIDE_BITS);
        Self { per_unit, unit, bound: SQUARE_BOUND }
    }

    /// [`Self::quanta`] of `x` >= 0, or of the bound if `x` is larger.
    #[inline(always)]
    pub fn quanta_up_to_bound(self, x: f64) -> i128 {
        self.quanta(x.min(self.bound))
    }

    /// A pair energy (at most the largest diameter) in quanta, rounded to
    /// the nearest (ties to even). From 2^52 quanta up (every pair but the
    /// tiniest overlaps) the double is a whole number already, taken from
    /// its bits: mantissa shifted by exponent, a short chain on the path of
    /// every pair. Below, as 2^48 hi + lo, each part found by
    /// [`round_small`]. Both give the same integer where both apply.
    #[inline(always)]
    pub fn quanta(self, energy: f64) -> i128 {
        let y = energy * self.per_unit;
        if y >= WHOLE { whole_from_bits(y) } else { split_round(y) }
    }

    /// A sum of quanta as a number.
    pub fn value(self, sum: i128) -> f64 {
        sum as f64 * self.unit
    }
}

/// A double y >= 2^52 as the whole number it is: its mantissa (with the
/// implicit bit) shifted left by its exponent. Exact up to 2^127; the
/// callers stay below 2^97 (their bounds times 2^96).
#[inline(always)]
fn whole_from_bits(y: f64) -> i128 {
    let bits = y.to_bits();
    // The biased exponent is 1075 + e for y in [2^(52 + e), 2^(53 + e)).
    let shift = (bits >> 52) as u32 - 1075;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    i128::from(mantissa).wrapping_shl(shift)
}

/// `y` (0 <= y < 2^99) rounded to the nearest whole number (ties to
/// even), as 2^48 hi + lo: hi 2^48 is y rounded to a multiple of 2^48, and
/// y - hi 2^48 is exact.
#[inline(always)]
fn split_round(y: f64) -> i128 {
    const SPLIT: f64 = (1u64 << 48) as f64;
    let hi = round_small(y * (1.0 / SPLIT));
    let lo = round_small(y - hi as f64 * SPLIT);
    (i128::from(hi) << 48) + i128::from(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Stream;

    #[test]
    fn the_quantum_is_a_power_of_two_just_above_the_bound() {
        for bound in [0.05, 0.0625, 1.0, 3.0, 1e-9, 1e6] {
            let f = Quantum::for_terms_up_to(bound);
            let top = f.unit * 2f64.powi(TERM_BITS);
            assert!(top >= bound && top < 2.0 * bound, "bound {bound}: 2^48 quanta = {top}");
            assert_eq!(f.unit * f.per_unit, 1.0);
            assert_eq!(f.unit.to_bits() & ((1 << 52) - 1), 0, "a power of two");
        }
    }

    /// 2000 terms of random signs and sizes up to the bound, summed forwards,
    /// backwards and shuffled: the same integers; the value within one
    /// quantum a term of the plain sum, and a pair's two ends opposite.
    #[test]
    fn sums_do_not_depend_on_the_order_and_pairs_cancel() {
        let f = Quantum::for_terms_up_to(0.05);
        let mut s = Stream::new(7);
        let terms: Vec<(f64, [f64; 3])> =
            (0..2000).map(|_| (0.05 * s.uniform(), [s.normal(), s.normal(), s.normal()].map(|v| v / 3.0))).collect();
        let sum = |order: &mut dyn Iterator<Item = &(f64, [f64; 3])>| {
            let mut acc = [0i64; 3];
            order.for_each(|(c, e)| add(&mut acc, &f.term(*c, e)));
            acc
        };
        let forward = sum(&mut terms.iter());
        assert_eq!(forward, sum(&mut terms.iter().rev()));
        assert_eq!(forward, sum(&mut terms.iter().step_by(2).chain(terms.iter().skip(1).step_by(2))));
        let plain: f64 = terms.iter().map(|(c, e)| c * e[0]).sum();
        let got = f.value(&forward)[0];
        assert!((got - plain).abs() <= 2000.0 * f.unit, "{got} against {plain}");
        for (c, e) in &terms {
            let back = e.map(|v| -v);
            let (a, b) = (f.term(*c, e), f.term(*c, &back));
            assert_eq!(a.map(|q| -q), b);
        }
    }

    #[test]
    fn squares_keep_small_displacements_and_stop_at_the_bound() {
        let f = WideQuantum::for_squares();
        assert_eq!(f.unit, 2f64.powi(-64));
        // A displacement of 1e-8 diameters keeps its square to 1e-3 (half
        // a quantum in 1800).
        let tiny = 1e-16;
        assert!((f.value(f.quanta_up_to_bound(tiny)) - tiny).abs() <= 1e-3 * tiny);
        let top = f.quanta_up_to_bound(SQUARE_BOUND);
        assert_eq!(f.quanta_up_to_bound(1e30), top);
        assert_eq!(f.value(top), SQUARE_BOUND);
        // 2^20 particles at the bound still sum without overflow.
        assert_eq!(f.value(top * (1 << 20)), SQUARE_BOUND * 2f64.powi(20));
    }

    /// The two ways of rounding agree wherever both apply: 20 000 doubles
    /// with exponents from 52 to 98 (random mantissas: exact, so no
    /// tolerance), and at the edges.
    #[test]
    fn whole_doubles_from_their_bits_as_rounded_in_two_parts() {
        let mut rng = Stream::new(11);
        for k in 0..20_000 {
            let e = 52 + k % 47;
            let y = (1.0 + rng.uniform()) * 2f64.powi(e);
            assert_eq!(whole_from_bits(y), split_round(y), "{y:e}");
        }
        for y in [WHOLE, WHOLE + 2.0, 2.0 * WHOLE - 1.0, 2f64.powi(97), 2f64.powi(98) * (2.0 - f64::EPSILON)] {
            assert_eq!(whole_from_bits(y), split_round(y), "{y:e}");
        }
        // Around the switch from one to the other.
        let f = WideQuantum { per_unit: 1.0, unit: 1.0, bound: 1e30 };
        assert_eq!(f.quanta(WHOLE - 0.5), 1 << 52);
        assert_eq!(f.quanta(WHOLE - 1.5), (1 << 52) - 2);
        assert_eq!(f.quanta(WHOLE), 1 << 52);
        assert_eq!(f.quanta(WHOLE + 2.0), (1 << 52) + 2);
    }

    #[test]
    fn energies_keep_tiny_overlaps() {
        let f = WideQuantum::for_diameter(1.4);
        // The quantum is below 1e-28 diameters: a harmonic pair 1e-10 of a
        // diameter into each other (energy 5e-21) keeps 7 digits.
        assert!(f.unit < 1e-28, "{}", f.unit);
        let tiny = 0.5 * 1e-20;
        let q = f.quanta(tiny);
        assert!((f.value(q) - tiny).abs() <= f.unit && f.unit < 1e-7 * tiny);
        let many: i128 = (0..1000).map(|_| f.quanta(1.4)).sum();
        assert!((f.value(many) - 1400.0).abs() < 1e-9);
    }
}
