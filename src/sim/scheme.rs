//! The update schemes of MODEL.md: data for choosing (a serde enum), with the
//! matching between them. The rules themselves live in `step.rs`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Kick size used when a scheme is chosen without one, in diameters.
pub const DEFAULT_KICK: f64 = 0.05;
/// Learning rate used when a scheme is chosen without one, in diameters.
pub const DEFAULT_LR: f64 = 0.05;
/// Batch fraction used when a scheme is chosen without one.
pub const DEFAULT_BATCH: f64 = 0.5;
/// The batch fraction at which SGD (RCD) has the mean and variance of pairwise
/// (particle) BRO: (1 - b)/b = 1/3.
pub const MATCHED_BATCH: f64 = 0.75;

/// How the SGD or RCD batch is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchMode {
    /// Each active pair (particle) joins independently with probability b.
    #[default]
    Probabilistic,
    /// Exactly round(b P) active pairs (round(b N_active) particles), drawn
    /// without replacement.
    Fixed,
}

/// The Gaussian noise of a stochastic approximation: mean mu and deviation s
/// of the multiplier of each force, matched to a discrete scheme.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Noise {
    /// Matched to BRO with kick `kick`: mu = kick/2, s = kick/sqrt(12).
    Bro {
        /// Kick size eps, in diameters.
        kick: f64,
    },
    /// Matched to SGD or RCD: mu = b lr, s = lr sqrt(b (1 - b)).
    Sgd {
        /// Learning rate alpha, in diameters.
        lr: f64,
        /// Batch fraction b in (0, 1].
        batch: f64,
    },
}

impl Noise {
    /// (mu, s) for one iteration (h = 1).
    pub fn moments(self) -> (f64, f64) {
        match self {
            Noise::Bro { kick } => (0.5 * kick, kick / 12f64.sqrt()),
            Noise::Sgd { lr, batch } => (batch * lr, lr * (batch * (1.0 - batch)).sqrt()),
        }
    }

    fn validate(self) -> Result<()> {
        match self {
            Noise::Bro { kick } => check_step("kick", kick),
            Noise::Sgd { lr, batch } => {
                check_step("lr", lr)?;
                check_batch(batch)
            }
        }
    }
}

/// A step parameter that schemes share: what a sweep varies and a flag sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Kick size eps (BRO, and SA matched to BRO).
    Kick,
    /// Learning rate alpha (SGD, RCD, GD, and SA matched to them).
    Lr,
    /// Batch fraction b (SGD, RCD, and SA matched to them).
    Batch,
}

impl Param {
    /// Its name in scenes and flags.
    pub fn name(self) -> &'static str {
        match self {
            Param::Kick => "kick",
            Param::Lr => "lr",
            Param::Batch => "batch",
        }
    }
}

/// Which scheme, without its parameters: what a menu, a sweep's list and
/// the command line choose. Its name (MODEL.md's) exists only at the edges:
/// [`FromStr`] and [`fmt::Display`] on the command line, a string in RON
/// and CSV files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemeKind {
    /// [`Scheme::BroPairwise`].
    BroPairwise,
    /// [`Scheme::BroPairwiseNonreciprocal`].
    BroPairwiseNonreciprocal,
    /// [`Scheme::BroParticle`].
    BroParticle,
    /// [`Scheme::Sgd`].
    Sgd,
    /// [`Scheme::Rcd`].
    Rcd,
    /// [`Scheme::Gd`].
    Gd,
    /// [`Scheme::SaPairwise`].
    SaPairwise,
    /// [`Scheme::SaParticle`].
    SaParticle,
}

impl SchemeKind {
    /// Every scheme, in MODEL.md's order.
    pub const ALL: [SchemeKind; 8] = [
        SchemeKind::BroPairwise,
        SchemeKind::BroPairwiseNonreciprocal,
        SchemeKind::BroParticle,
        SchemeKind::Sgd,
        SchemeKind::Rcd,
        SchemeKind::Gd,
        SchemeKind::SaPairwise,
        SchemeKind::SaParticle,
    ];

    /// Its name in MODEL.md, on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            SchemeKind::BroPairwise => "bro-pairwise",
            SchemeKind::BroPairwiseNonreciprocal => "bro-pairwise-nonreciprocal",
            SchemeKind::BroParticle => "bro-particle",
            SchemeKind::Sgd => "sgd",
            SchemeKind::Rcd => "rcd",
            SchemeKind::Gd => "gd",
            SchemeKind::SaPairwise => "sa-pairwise",
            SchemeKind::SaParticle => "sa-particle",
        }
    }

    /// This scheme with its parameters taken from `params` (unchecked: see
    /// [`Self::build`]).
    pub fn with(self, p: &SchemeParams) -> Scheme {
        let noise =
            if p.sa_matches_sgd { Noise::Sgd { lr: p.lr, batch: p.batch } } else { Noise::Bro { kick: p.kick } };
        match self {
            SchemeKind::BroPairwise => Scheme::BroPairwise { kick: p.kick },
            SchemeKind::BroPairwiseNonreciprocal => Scheme::BroPairwiseNonreciprocal { kick: p.kick },
            SchemeKind::BroParticle => Scheme::BroParticle { kick: p.kick, normalized: p.normalized },
            SchemeKind::Sgd => Scheme::Sgd { lr: p.lr, batch: p.batch, batch_mode: p.batch_mode },
            SchemeKind::Rcd => Scheme::Rcd { lr: p.lr, batch: p.batch, batch_mode: p.batch_mode },
            SchemeKind::Gd => Scheme::Gd { lr: p.lr },
            SchemeKind::SaPairwise => Scheme::SaPairwise { noise, h: p.h },
            SchemeKind::SaParticle => Scheme::SaParticle { noise, h: p.h },
        }
    }

    /// This scheme with its parameters from `params`, checked; the error
    /// names the parameter that is out of range.
    pub fn build(self, params: &SchemeParams) -> Result<Scheme> {
        let scheme = self.with(params);
        scheme.validate()?;
        Ok(scheme)
    }

    /// The step parameters this scheme uses with `params` (the stochastic
    /// approximations take those of the scheme they match).
    pub fn parameters(self, params: &SchemeParams) -> &'static [Param] {
        self.with(params).parameters()
    }
}

impl fmt::Display for SchemeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SchemeKind {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|kind| kind.name()).collect();
            Error::invalid("scheme", name, format!("one of {}", names.join(", ")))
        })
    }
}

impl Serialize for SchemeKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SchemeKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

fn one() -> f64 {
    1.0
}

/// An update scheme and its parameters. In a scene: `BroPairwise(kick: 0.05)`,
/// `Sgd(lr: 0.05, batch: 0.5)`, `SaPairwise(noise: Bro(kick: 0.05), h: 0.5)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Scheme {
    /// `bro-pairwise`: one xi_ij ~ U[0,1) per active pair; i moves by
    /// kick xi_ij e_ij and j by the opposite (eq. 1).
    BroPairwise {
        /// Kick size eps, in diameters.
        kick: f64,
    },
    /// `bro-pairwise-nonreciprocal`: as `BroPairwise` with independent xi for
    /// i and for j.
    BroPairwiseNonreciprocal {
        /// Kick size eps, in diameters.
        kick: f64,
    },
    /// `bro-particle`: one xi_i per active particle, kick xi_i sum_j e_ij (eq. A1).
    BroParticle {
        /// Kick size eps, in diameters.
        kick: f64,
        /// Kick along the unit vector of sum_j e_ij instead.
        #[serde(default)]
        normalized: bool,
    },
    /// `sgd`: each active pair joins the batch with probability b (or exactly
    /// round(b P) pairs); each pair in it moves by lr F_ij.
    Sgd {
        /// Learning rate alpha, in diameters (multiplies a force of magnitude 1 for m = 1).
        lr: f64,
        /// Batch fraction b in (0, 1].
        batch: f64,
        /// Probabilistic (default) or fixed batch size.
        #[serde(default)]
        batch_mode: BatchMode,
    },
    /// `rcd`: each active particle joins the batch with probability b (or
    /// exactly round(b N_active)); each one in it moves by lr F_i.
    Rcd {
        /// Learning rate alpha, in diameters.
        lr: f64,
        /// Batch fraction b in (0, 1].
        batch: f64,
        /// Probabilistic (default) or fixed batch size.
        #[serde(default)]
        batch_mode: BatchMode,
    },
    /// `gd`: every particle moves by lr F_i.
    Gd {
        /// Learning rate alpha, in diameters.
        lr: f64,
    },
    /// `sa-pairwise`: one eta_ij ~ N(0,1) per pair, i moves by
    /// (mu h + s sqrt(h) eta_ij) F_ij (eqs. 4, 6, A13).
    SaPairwise {
        /// The discrete scheme whose mean and variance the noise matches.
        noise: Noise,
        /// Euler-Maruyama step in (0, 1], in iterations; 1 is the discrete approximation.
        #[serde(default = "one")]
        h: f64,
    },
    /// `sa-particle`: one eta_i per particle, i moves by (mu h + s sqrt(h) eta_i) F_i
    /// (eqs. A3, A8).
    SaParticle {
        /// The discrete scheme whose mean and variance the noise matches.
        noise: Noise,
        /// Euler-Maruyama step in (0, 1], in iterations.
        #[serde(default = "one")]
        h: f64,
    },
}

impl Default for Scheme {
    fn default() -> Self {
        Scheme::BroPairwise { kick: DEFAULT_KICK }
    }
}

/// The parameters any scheme can be built from ([`SchemeKind::with`]): what the command line
/// and the visualizer's sliders hold while the scheme changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SchemeParams {
    /// Kick size eps (BRO, and SA matched to BRO), in diameters.
    pub kick: f64,
    /// Learning rate alpha (SGD, RCD, GD, and SA matched to them), in diameters.
    pub lr: f64,
    /// Batch fraction b.
    pub batch: f64,
    /// Batch mode of SGD and RCD.
    pub batch_mode: BatchMode,
    /// Normalized particle BRO.
    pub normalized: bool,
    /// Euler-Maruyama step of the stochastic approximations.
    pub h: f64,
    /// Whether the stochastic approximations match SGD/RCD (true) or BRO (false).
    pub sa_matches_sgd: bool,
}

impl Default for SchemeParams {
    fn default() -> Self {
        Self {
            kick: DEFAULT_KICK,
            lr: DEFAULT_LR,
            batch: DEFAULT_BATCH,
            batch_mode: BatchMode::Probabilistic,
            normalized: false,
            h: 1.0,
            sa_matches_sgd: false,
        }
    }
}

impl Scheme {
    /// The largest magnitude, on any axis, of one pair's term in a
    /// particle's sum (forces are at most 1, unit vectors at most 1 on an
    /// axis, uniforms below 1 and Box-Muller normals below 8.6 in
    /// magnitude): it sets the quantum of the sums (see [`crate::sim::quanta`]).
    pub fn term_bound(&self) -> f64 {
        match *self {
            // kick xi_ij e_ij, lr f_ij e_ij.
            Scheme::BroPairwise { kick } | Scheme::BroPairwiseNonreciprocal { kick } => kick,
            Scheme::Sgd { lr, .. } => lr,
            // sum_j e_ij or F_i, scaled afterwards.
            Scheme::BroParticle { .. } | Scheme::Rcd { .. } | Scheme::Gd { .. } | Scheme::SaParticle { .. } => 1.0,
            // (mu h + s sqrt(h) eta_ij) f_ij e_ij.
            Scheme::SaPairwise { noise, h } => {
                let (mu, sd) = noise.moments();
                (mu * h).abs() + 9.0 * sd * h.sqrt()
            }
        }
    }

    /// Which scheme this is, without its parameters.
    pub fn kind(&self) -> SchemeKind {
        match self {
            Scheme::BroPairwise { .. } => SchemeKind::BroPairwise,
            Scheme::BroPairwiseNonreciprocal { .. } => SchemeKind::BroPairwiseNonreciprocal,
            Scheme::BroParticle { .. } => SchemeKind::BroParticle,
            Scheme::Sgd { .. } => SchemeKind::Sgd,
            Scheme::Rcd { .. } => SchemeKind::Rcd,
            Scheme::Gd { .. } => SchemeKind::Gd,
            Scheme::SaPairwise { .. } => SchemeKind::SaPairwise,
            Scheme::SaParticle { .. } => SchemeKind::SaParticle,
        }
    }

    /// This scheme's name in MODEL.md.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The step parameters this scheme uses.
    pub fn parameters(&self) -> &'static [Param] {
        match self {
            Scheme::BroPairwise { .. } | Scheme::BroPairwiseNonreciprocal { .. } | Scheme::BroParticle { .. } => {
                &[Param::Kick]
            }
            Scheme::Sgd { .. } | Scheme::Rcd { .. } => &[Param::Lr, Param::Batch],
            Scheme::Gd { .. } => &[Param::Lr],
            Scheme::SaPairwise { noise, .. } | Scheme::SaParticle { noise, .. } => match noise {
                Noise::Bro { .. } => &[Param::Kick],
                Noise::Sgd { .. } => &[Param::Lr, Param::Batch],
            },
        }
    }

    /// The parameters this scheme sets, over `base` for those it does not.
    pub fn params(&self, base: SchemeParams) -> SchemeParams {
        let mut p = base;
        match *self {
            Scheme::BroPairwise { kick } | Scheme::BroPairwiseNonreciprocal { kick } => p.kick = kick,
            Scheme::BroParticle { kick, normalized } => {
                p.kick = kick;
                p.normalized = normalized;
            }
            Scheme::Sgd { lr, batch, batch_mode } | Scheme::Rcd { lr, batch, batch_mode } => {
                p.lr = lr;
                p.batch = batch;
                p.batch_mode = batch_mode;
            }
            Scheme::Gd { lr } => p.lr = lr,
            Scheme::SaPairwise { noise, h } | Scheme::SaParticle { noise, h } => {
                p.h = h;
                match noise {
                    Noise::Bro { kick } => {
                        p.kick = kick;
                        p.sa_matches_sgd = false;
                    }
                    Noise::Sgd { lr, batch } => {
                        p.lr = lr;
                        p.batch = batch;
                        p.sa_matches_sgd = true;
                    }
                }
            }
        }
        p
    }

    /// Checks every parameter; the error names it (`kick`, `batch`, ...).
    pub fn validate(&self) -> Result<()> {
        match *self {
            Scheme::BroPairwise { kick }
            | Scheme::BroPairwiseNonreciprocal { kick }
            | Scheme::BroParticle { kick, .. } => check_step("kick", kick),
            Scheme::Sgd { lr, batch, .. } | Scheme::Rcd { lr, batch, .. } => {
                check_step("lr", lr)?;
                check_batch(batch)
            }
            Scheme::Gd { lr } => check_step("lr", lr),
            Scheme::SaPairwise { noise, h } | Scheme::SaParticle { noise, h } => {
                noise.validate()?;
                if h.is_finite() && h > 0.0 && h <= 1.0 {
                    Ok(())
                } else {
                    Err(Error::invalid("h", h, "an Euler-Maruyama step in (0, 1] iterations"))
                }
            }
        }
    }

    /// SGD matched to pairwise BRO with kick eps: b = 3/4, alpha = 2 eps/3, so
    /// that each pair's kick has BRO's mean eps/2 and variance eps^2/12.
    pub fn sgd_matched_to_bro(kick: f64) -> Self {
        Scheme::Sgd { lr: 2.0 * kick / 3.0, batch: MATCHED_BATCH, batch_mode: BatchMode::Probabilistic }
    }

    /// RCD matched to particle BRO with kick eps: b = 3/4, alpha = 2 eps/3.
    pub fn rcd_matched_to_particle_bro(kick: f64) -> Self {
        Scheme::Rcd { lr: 2.0 * kick / 3.0, batch: MATCHED_BATCH, batch_mode: BatchMode::Probabilistic }
    }

    /// The gradient scheme with this BRO's per-pair (per-particle) mean and
    /// variance: SGD for pairwise BRO, RCD for (unnormalized) particle BRO.
    /// None for every other scheme.
    pub fn gradient_match(&self) -> Option<Self> {
        match *self {
            Scheme::BroPairwise { kick } => Some(Self::sgd_matched_to_bro(kick)),
            Scheme::BroParticle { kick, normalized: false } => Some(Self::rcd_matched_to_particle_bro(kick)),
            _ => None,
        }
    }

    /// The stochastic approximation of this scheme (step h = 1): `sa-pairwise`
    /// for pairwise BRO and SGD, `sa-particle` for particle BRO and RCD.
    pub fn stochastic_approximation(&self) -> Option<Self> {
        match *self {
            Scheme::BroPairwise { kick } => Some(Scheme::SaPairwise { noise: Noise::Bro { kick }, h: 1.0 }),
            Scheme::Sgd { lr, batch, .. } => Some(Scheme::SaPairwise { noise: Noise::Sgd { lr, batch }, h: 1.0 }),
            Scheme::BroParticle { kick, normalized: false } => {
                Some(Scheme::SaParticle { noise: Noise::Bro { kick }, h: 1.0 })
            }
            Scheme::Rcd { lr, batch, .. } => Some(Scheme::SaParticle { noise: Noise::Sgd { lr, batch }, h: 1.0 }),
            _ => None,
        }
    }

    /// The typical step size (kick or learning rate), in diameters.
    pub fn step_size(&self) -> f64 {
        match *self {
            Scheme::BroPairwise { kick }
            | Scheme::BroPairwiseNonreciprocal { kick }
            | Scheme::BroParticle { kick, .. } => kick,
            Scheme::Sgd { lr, .. } | Scheme::Rcd { lr, .. } | Scheme::Gd { lr } => lr,
            Scheme::SaPairwise { noise, .. } | Scheme::SaParticle { noise, .. } => match noise {
                Noise::Bro { kick } => kick,
                Noise::Sgd { lr, .. } => lr,
            },
        }
    }
}

/// A step size (kick or learning rate) must be finite and > 0; the error names `field`.
pub fn check_step(field: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(field, value, "a finite step size > 0, in diameters"))
    }
}

/// A batch fraction must lie in (0, 1].
pub fn check_batch(b: f64) -> Result<()> {
    if b > 0.0 && b <= 1.0 { Ok(()) } else { Err(Error::invalid("batch", b, "a batch fraction in (0, 1]")) }
}
