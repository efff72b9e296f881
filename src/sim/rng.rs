//! Counter-based random streams keyed by (seed, purpose, iteration, particle or pair).
//!
//! Every random number of a run is a pure function of its key, never of the
//! order in which threads visit particles. That is what makes a seed give the
//! same bits at any thread count, and what lets a pair's two particles draw the
//! same reciprocal kick independently.

/// Increment of the SplitMix64 sequence (2^64 / golden ratio).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// 2^-53: turns the top 53 bits of a word into a double in [0, 1).
const UNIT_53: f64 = 1.0 / (1u64 << 53) as f64;

/// What a random number is for; part of every key so that two uses never share
/// a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Initial positions.
    Position = 1,
    /// Radii drawn from a distribution.
    Radius = 2,
    /// A pair's kick or noise (BRO xi_ij, SA eta_ij).
    PairNoise = 3,
    /// One side of a pair's kick (non-reciprocal BRO).
    SideNoise = 4,
    /// A particle's kick or noise (particle BRO xi_i, SA eta_i).
    ParticleNoise = 5,
    /// Whether a pair joins the SGD batch.
    PairBatch = 6,
    /// Whether a particle joins the RCD batch.
    ParticleBatch = 7,
    /// Direction that separates two coincident particles.
    Coincident = 8,
    /// Perturbations of the flatness measurement.
    Flatness = 9,
}

/// The SplitMix64 output function: a bijection of u64 with full avalanche.
#[inline(always)]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of one stream: seed, purpose, iteration and up to two more words
/// (particle ids, sample index, side).
#[inline(always)]
pub fn key(seed: u64, purpose: Purpose, iteration: u64, a: u64, b: u64) -> u64 {
    key_from(prefix(seed, purpose, iteration), a, b)
}

/// The part of a key fixed by (seed, purpose, iteration): computed once per
/// iteration, it leaves two mixes per random number.
#[inline(always)]
pub fn prefix(seed: u64, purpose: Purpose, iteration: u64) -> u64 {
    let mut h = mix(seed.wrapping_add(GOLDEN));
    h = mix(h ^ (purpose as u64).wrapping_mul(GOLDEN));
    mix(h ^ iteration)
}

/// The key with this prefix and words a, b: `key_from(prefix(s, p, k), a, b)
/// == key(s, p, k, a, b)`.
#[inline(always)]
pub fn key_from(prefix: u64, a: u64, b: u64) -> u64 {
    mix(mix(prefix ^ a) ^ b.wrapping_add(GOLDEN))
}

/// A uniform double in [0, 1) from a word.
#[inline(always)]
pub fn unit(word: u64) -> f64 {
    (word >> 11) as f64 * UNIT_53
}

/// A short stream of random numbers drawn from one key (SplitMix64).
#[derive(Clone, Debug)]
pub struct Stream {
    state: u64,
}

impl Stream {
    /// The stream of a key made by [`key`].
    #[inline(always)]
    pub fn new(key: u64) -> Self {
        Self { state: key }
    }

    /// The stream for (seed, purpose, iteration, a, b).
    #[inline(always)]
    pub fn keyed(seed: u64, purpose: Purpose, iteration: u64, a: u64, b: u64) -> Self {
        Self::new(key(seed, purpose, iteration, a, b))
    }

    /// Next 64 random bits.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Standard normal, by Box-Muller (one of the pair is discarded so that a
    /// draw depends on its key alone).
    #[inline(always)]
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: the log stays finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The unordered pair (i, j) as (smaller id, larger id): both particles of a
/// pair must draw the same reciprocal number.
#[inline(always)]
pub fn pair_ids(i: usize, j: usize) -> (u64, u64) {
    if i < j { (i as u64, j as u64) } else { (j as u64, i as u64) }
}
