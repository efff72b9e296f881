//! One synchronous iteration: every displacement is computed from x^k, then all
//! are applied together. Each rule of MODEL.md is one small function of a
//! particle and its overlapping neighbours.
//!
//! Every particle gathers its own displacement from its own contacts, so a
//! pair is looked at from both ends: its reciprocal numbers come from the
//! pair's key and agree, nothing is written by two threads, and the result is
//! the same at any thread count. The sums are in fixed point
//! ([`super::quanta`]): the same bits in whatever order the contacts come.

use super::cells::CellList;
use super::neighbourhood::{Kernel, Neighbourhood};
use super::packing::Packing;
use super::potential::Potential;
use super::quanta::{Quantum, WideQuantum, add};
use super::rng::{self, Purpose, Stream, pair_ids};
use super::scheme::{BatchMode, Scheme};
use super::space::PeriodicBox;
use rayon::iter::Either;
use rayon::prelude::*;

pub(crate) mod fresh;
mod pairs;
pub(crate) mod scan;

/// Below this many particles per task rayon's bookkeeping costs more than it saves.
const MIN_PARTICLES_PER_TASK: usize = 256;

/// A pair's or particle's place in a fixed-size batch: its random key, then
/// its ids to break (astronomically rare) ties, so the choice is exact.
type BatchKey = (u64, u32, u32);

/// Which pairs (SGD) or particles (RCD) are in this iteration's batch.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Batch {
    /// Each with probability b.
    Probability(f64),
    /// Those whose key is at most this one (fixed batch).
    UpTo(BatchKey),
    /// None of them (a fixed batch of size 0).
    Empty,
}

/// The slots an iteration visits.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Visit<'a> {
    /// Every slot, 0..N (a full scan; no list of N slots is kept).
    All(usize),
    /// These slots, ascending.
    Slots(&'a [u32]),
}

impl<'a> Visit<'a> {
    /// Number of slots visited.
    pub(crate) fn len(self) -> usize {
        match self {
            Visit::All(n) => n,
            Visit::Slots(slots) => slots.len(),
        }
    }

    /// The slots, in order, in parallel.
    pub(crate) fn par_iter(self) -> impl IndexedParallelIterator<Item = usize> + 'a {
        match self {
            Visit::All(n) => Either::Left((0..n).into_par_iter()),
            Visit::Slots(slots) => Either::Right(slots.par_iter().map(|&s| s as usize)),
        }
    }
}

/// What stays the same while one iteration's displacements are computed.
/// Particles are visited by slot (cell order); every random number is keyed
/// by particle id, never by slot.
pub(crate) struct Context<'a, const D: usize> {
    /// Positions by slot, one array per axis (with the cell list's padding).
    pub x: [&'a [f64]; D],
    /// Radii by slot.
    pub radii: &'a [f64],
    /// Particle id of each slot.
    pub ids: &'a [u32],
    pub bx: PeriodicBox,
    pub cells: &'a CellList,
    pub potential: Potential,
    /// A pair is active below this fraction of its contact distance: 1 - tolerance.
    pub active_below: f64,
    pub seed: u64,
    pub iteration: u64,
    /// Key prefixes of this iteration, by purpose.
    pub keys: Keys,
    /// How neighbour sweeps compute (the same bits whichever).
    pub kernel: Kernel,
    /// The quantum of energy sums.
    pub energy_quantum: WideQuantum,
}

/// What an iteration does with each contact: the scheme, its batch, and
/// the quantum its sums are taken in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule<'s> {
    pub scheme: &'s Scheme,
    pub batch: Batch,
    pub quantum: Quantum,
}

impl<'s> Rule<'s> {
    /// The rule of an iteration of `scheme` that visits `visit` (a fixed
    /// batch is drawn from the active pairs or particles among them).
    pub(crate) fn new<const D: usize>(ctx: &Context<'_, D>, scheme: &'s Scheme, visit: Visit<'_>) -> Self {
        Self { scheme, batch: ctx.batch(scheme, visit), quantum: Quantum::for_scheme(scheme) }
    }
}

/// The key prefixes of one iteration (see [`rng::prefix`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys {
    pair_noise: u64,
    side_noise: u64,
    pair_batch: u64,
    particle_batch: u64,
}

impl Keys {
    fn new(seed: u64, iteration: u64) -> Self {
        Self {
            pair_noise: rng::prefix(seed, Purpose::PairNoise, iteration),
            side_noise: rng::prefix(seed, Purpose::SideNoise, iteration),
            pair_batch: rng::prefix(seed, Purpose::PairBatch, iteration),
            particle_batch: rng::prefix(seed, Purpose::ParticleBatch, iteration),
        }
    }
}

/// What a particle's scan of its neighbours found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan {
    /// The energy of its overlaps, in quanta (each pair is seen from both
    /// ends: a sum over particles counts it twice).
    pub energy: i128,
    /// Number of active contacts.
    pub contacts: u32,
    /// It overlaps some neighbour, active or below the tolerance.
    pub touching: bool,
}

/// One particle's share of the iteration: the sum of its pair terms, in
/// the quanta of the iteration's [`Rule`] (its move once [`Context::finish`]
/// has scaled it), and its contacts. The energy is summed over the
/// particles as they are visited, so that this is 32 bytes in 3D: one line
/// of memory however the pass in id order reaches it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Share<const D: usize> {
    pub sum: [i64; D],
    pub contacts: Contacts,
}

impl<const D: usize> Share<D> {
    /// No contact: the share of a particle that touches nothing.
    pub(crate) const ZERO: Self = Self { sum: [0; D], contacts: Contacts(0) };
}

/// A particle's number of active contacts, and whether it overlaps some
/// neighbour at all (active or below the tolerance), in one word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Contacts(u32);

impl Contacts {
    const TOUCHING: u32 = 1 << 31;

    fn new(active: u32, touching: bool) -> Self {
        Self(active.min(Self::TOUCHING - 1) | if touching { Self::TOUCHING } else { 0 })
    }

    /// Number of active contacts.
    pub(crate) fn active(self) -> u32 {
        self.0 & !Self::TOUCHING
    }

    /// Number of active contacts in 16 bits, 65535 standing for that many or more.
    pub(crate) fn readout(self) -> u16 {
        self.active().min(u32::from(u16::MAX)) as u16
    }

    /// It overlaps some neighbour, active or below the tolerance.
    pub(crate) fn touching(self) -> bool {
        self.0 & Self::TOUCHING != 0
    }

    /// One more overlap, an active contact or not.
    #[inline(always)]
    fn meet(&mut self, active: bool) {
        self.0 = (self.0 + u32::from(active)) | Self::TOUCHING;
    }

    /// These contacts and `other`'s together.
    #[inline(always)]
    fn merge(&mut self, other: Contacts) {
        self.0 = ((self.0 & !Self::TOUCHING) + (other.0 & !Self::TOUCHING)) | ((self.0 | other.0) & Self::TOUCHING);
    }
}

impl<const D: usize> Context<'_, D> {
    /// Visits the overlapping neighbours of the particle in slot `s`:
    /// shows them all to `seen` (as [`Self::overlapping`] does), sums their
    /// energies and, for each active contact, calls `active(j, e_ij,
    /// f(r_ij))` with j the neighbour's id.
    #[inline(always)]
    fn contacts(
        &self,
        nb: &mut Neighbourhood<D>,
        s: usize,
        seen: &mut impl FnMut(&[u32]),
        mut active: impl FnMut(usize, &[f64; D], f64),
    ) -> Scan {
        self.contacts_each(nb, s, seen, |_, _, contact| {
            if let Some((j, e, f)) = contact {
                active(j, &e, f);
            }
        })
    }

    /// [`Self::contacts`], calling `each(t, energy, contact)` for every
    /// overlapping neighbour: its slot, the pair's energy in quanta and, if
    /// it is an active contact, Some((j, e_ij, f(r_ij))).
    #[inline(always)]
    pub(crate) fn contacts_each(
        &self,
        nb: &mut Neighbourhood<D>,
        s: usize,
        seen: &mut impl FnMut(&[u32]),
        mut each: impl FnMut(usize, i128, Option<(usize, [f64; D], f64)>),
    ) -> Scan {
        let xi = &self.point(s);
        let ri = self.radii[s];
        let i = self.ids[s] as usize;
        let mut energy = 0;
        let mut count = 0;
        let mut touching = false;
        let mut pair = |t: usize, r: [f64; D]| {
            let r2: f64 = r.iter().map(|c| c * c).sum();
            let sigma = ri + self.radii[t];
            if r2 >= sigma * sigma {
                return;
            }
            let dist = r2.sqrt();
            touching = true;
            let quanta = self.energy_quantum.quanta(self.potential.energy(dist, sigma));
            energy += quanta;
            if dist >= sigma * self.active_below {
                each(t, quanta, None);
                return;
            }
            count += 1;
            let j = self.ids[t] as usize;
            each(t, quanta, Some((j, self.direction(&r, dist, i, j), self.potential.force(dist, sigma))));
        };
        self.overlapping(nb, s, |found| {
            seen(found);
            for &t in found {
                if t as usize != s {
                    pair(t as usize, self.bx.separation(xi, &self.point(t as usize)));
                }
            }
        });
        Scan { energy, contacts: count, touching }
    }

    /// Calls `visit` once with the slots of the particles that overlap the
    /// one in slot `s`, `s` itself among them, in the order of the cell
    /// list's runs. `nb` finds the runs of candidate slots around `s`'s cell
    /// (or already holds them).
    #[inline(always)]
    fn overlapping(&self, nb: &mut Neighbourhood<D>, s: usize, visit: impl FnOnce(&[u32])) {
        nb.find_runs(self.cells, s);
        nb.sweep(self.cells, &self.point(s), self.radii[s], self.bx, self.kernel);
        visit(nb.found());
    }

    /// The position in slot `s`.
    #[inline(always)]
    fn point(&self, s: usize) -> [f64; D] {
        std::array::from_fn(|k| self.x[k][s])
    }

    /// The unit vector e_ij from particle j to particle i (ids) of a pair
    /// at separation `r` = x_i - x_j, `dist` = |r|: r times 1/|r|, exactly
    /// opposite at the two ends; for two particles at the same point a
    /// random one, opposite too.
    #[inline(always)]
    fn direction(&self, r: &[f64; D], dist: f64, i: usize, j: usize) -> [f64; D] {
        if dist > 0.0 {
            let inverse = 1.0 / dist;
            r.map(|c| c * inverse)
        } else {
            self.coincident_direction(i, j)
        }
    }

    /// A random unit vector that separates two particles at the same point,
    /// opposite for the two ends of the pair.
    fn coincident_direction(&self, i: usize, j: usize) -> [f64; D] {
        let (lo, hi) = pair_ids(i, j);
        let mut s = Stream::keyed(self.seed, Purpose::Coincident, self.iteration, lo, hi);
        let v: [f64; D] = std::array::from_fn(|_| s.normal());
        let norm = v.iter().map(|c| c * c).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        let sign = if i as u64 == lo { 1.0 } else { -1.0 };
        v.map(|c| sign * c / norm)
    }

    #[inline(always)]
    fn pair_uniform(&self, i: usize, j: usize) -> f64 {
        let (lo, hi) = pair_ids(i, j);
        rng::unit(rng::key_from(self.keys.pair_noise, lo, hi))
    }

    #[inline(always)]
    fn pair_normal(&self, i: usize, j: usize) -> f64 {
        let (lo, hi) = pair_ids(i, j);
        Stream::new(rng::key_from(self.keys.pair_noise, lo, hi)).normal()
    }

    #[inline(always)]
    fn particle_stream(&self, purpose: Purpose, i: usize) -> Stream {
        Stream::keyed(self.seed, purpose, self.iteration, i as u64, 0)
    }

    /// The batch key of pair (i, j) for SGD.
    #[inline(always)]
    pub(crate) fn pair_batch_key(&self, i: usize, j: usize) -> BatchKey {
        let (lo, hi) = pair_ids(i, j);
        (rng::key_from(self.keys.pair_batch, lo, hi), lo as u32, hi as u32)
    }

    /// The batch key of particle i for RCD.
    #[inline(always)]
    pub(crate) fn particle_batch_key(&self, i: usize) -> BatchKey {
        (rng::key_from(self.keys.particle_batch, i as u64, 0), i as u32, 0)
    }

    #[inline(always)]
    fn in_batch(batch: Batch, key: BatchKey) -> bool {
        match batch {
            Batch::Probability(b) => rng::unit(key.0) < b,
            Batch::UpTo(last) => key <= last,
            Batch::Empty => false,
        }
    }

    /// The share of the particle in slot `s` under `rule` and the energy of
    /// its overlaps (in quanta).
    #[inline(always)]
    pub(crate) fn share(&self, nb: &mut Neighbourhood<D>, rule: &Rule<'_>, s: usize) -> (Share<D>, i128) {
        let i = self.ids[s] as usize;
        let mut sum = [0; D];
        let scan = self.contacts(nb, s, &mut |_| {}, |j, e, f| add(&mut sum, &self.term(rule, i, j, e, f)));
        (Share { sum, contacts: Contacts::new(scan.contacts, scan.touching) }, scan.energy)
    }

    /// The term of the active contact of particle `i` with particle `j`
    /// (ids) in `i`'s sum under `rule`, in quanta: e = e_ij, the unit vector
    /// from j to i, and f = f(r_ij).
    #[inline(always)]
    fn term(&self, rule: &Rule<'_>, i: usize, j: usize, e: &[f64; D], f: f64) -> [i64; D] {
        let quantum = rule.quantum;
        match *rule.scheme {
            Scheme::BroPairwise { kick } => self.bro_pairwise_term(quantum, kick, i, j, e),
            // Keyed by (mover, other): the two ends draw independently.
            Scheme::BroPairwiseNonreciprocal { kick } => {
                quantum.term(kick * rng::unit(rng::key_from(self.keys.side_noise, i as u64, j as u64)), e)
            }
            // sum_j e_ij, scaled by `finish`.
            Scheme::BroParticle { .. } => quantum.term(1.0, e),
            Scheme::Sgd { lr, .. } => self.sgd_term(rule, lr, i, j, e, f),
            // F_i, scaled by `finish`.
            Scheme::Rcd { .. } | Scheme::Gd { .. } | Scheme::SaParticle { .. } => quantum.term(f, e),
            Scheme::SaPairwise { noise, h } => {
                let (mu, sd) = noise.moments();
                let (mu, sd) = (mu * h, sd * h.sqrt());
                quantum.term((mu + sd * self.pair_normal(i, j)) * f, e)
            }
        }
    }

    /// [`Self::term`] under `bro-pairwise` with kick `kick`.
    #[inline(always)]
    pub(crate) fn bro_pairwise_term(&self, quantum: Quantum, kick: f64, i: usize, j: usize, e: &[f64; D]) -> [i64; D] {
        quantum.term(kick * self.pair_uniform(i, j), e)
    }

    /// [`Self::term`] under `sgd` with learning rate `lr`: the pair's
    /// force if the pair is in the batch.
    #[inline(always)]
    pub(crate) fn sgd_term(&self, rule: &Rule<'_>, lr: f64, i: usize, j: usize, e: &[f64; D], f: f64) -> [i64; D] {
        if Self::in_batch(rule.batch, self.pair_batch_key(i, j)) { rule.quantum.term(lr * f, e) } else { [0; D] }
    }

    /// The displacement of particle `i` (an id) under `rule`, from its
    /// share: the sum of its pair terms, scaled where the scheme draws or
    /// chooses per particle.
    #[inline(always)]
    pub(crate) fn finish(&self, rule: &Rule<'_>, i: usize, share: &Share<D>) -> [f64; D] {
        let sum = rule.quantum.value(&share.sum);
        let active = share.contacts.active() > 0;
        match *rule.scheme {
            Scheme::BroPairwise { .. }
            | Scheme::BroPairwiseNonreciprocal { .. }
            | Scheme::Sgd { .. }
            | Scheme::SaPairwise { .. } => sum,
            Scheme::BroParticle { kick, normalized } if active => {
                let xi = self.particle_stream(Purpose::ParticleNoise, i).uniform();
                let scale = if normalized { unit_scale(&sum) } else { 1.0 };
                scaled(kick * xi * scale, &sum)
            }
            Scheme::Rcd { lr, .. } if active && Self::in_batch(rule.batch, self.particle_batch_key(i)) => {
                scaled(lr, &sum)
            }
            Scheme::Gd { lr } => scaled(lr, &sum),
            Scheme::SaParticle { noise, h } if active => {
                let (mu, sd) = noise.moments();
                let eta = self.particle_stream(Purpose::ParticleNoise, i).normal();
                scaled(mu * h + sd * h.sqrt() * eta, &sum)
            }
            Scheme::BroParticle { .. } | Scheme::Rcd { .. } | Scheme::SaParticle { .. } => [0.0; D],
        }
    }

    /// The batch of a fixed-size SGD or RCD iteration: draws every active
    /// pair's (particle's) key and keeps the round(b P) (round(b N_active))
    /// smallest. Probabilistic batches need no such pass.
    /// Only `slots` are looked at: every active particle must be among them.
    pub(crate) fn batch(&self, scheme: &Scheme, visit: Visit<'_>) -> Batch {
        let (b, keys): (f64, Vec<BatchKey>) = match *scheme {
            Scheme::Sgd { batch, batch_mode: BatchMode::Fixed, .. } => (
                batch,
                visit
                    .par_iter()
                    .with_min_len(MIN_PARTICLES_PER_TASK)
                    .map_init(Neighbourhood::default, |nb, s| {
                        let i = self.ids[s] as usize;
                        let mut mine = Vec::new();
                        self.contacts(nb, s, &mut |_| {}, |j, _, _| {
                            if i < j {
                                mine.push(self.pair_batch_key(i, j));
                            }
                        });
                        mine
                    })
                    .flatten_iter()
                    .collect(),
            ),
            Scheme::Rcd { batch, batch_mode: BatchMode::Fixed, .. } => (
                batch,
                visit
                    .par_iter()
                    .with_min_len(MIN_PARTICLES_PER_TASK)
                    .map_init(Neighbourhood::default, |nb, s| {
                        let active = self.contacts(nb, s, &mut |_| {}, |_, _, _| {}).contacts > 0;
                        active.then(|| self.particle_batch_key(self.ids[s] as usize))
                    })
                    .flatten_iter()
                    .collect(),
            ),
            Scheme::Sgd { batch, .. } | Scheme::Rcd { batch, .. } => return Batch::Probability(batch),
            _ => return Batch::Empty,
        };
        select_smallest(keys, b)
    }
}

/// Whether `scheme`'s batch is drawn from every active pair's (particle's)
/// key, in a pass over them before any share is computed (fixed-size SGD
/// and RCD batches).
pub(crate) fn needs_batch_pass(scheme: &Scheme) -> bool {
    matches!(
        scheme,
        Scheme::Sgd { batch_mode: BatchMode::Fixed, .. } | Scheme::Rcd { batch_mode: BatchMode::Fixed, .. }
    )
}

/// The batch made of the round(b len) smallest keys.
fn select_smallest(mut keys: Vec<BatchKey>, b: f64) -> Batch {
    let size = (b * keys.len() as f64).round() as usize;
    if size == 0 {
        return Batch::Empty;
    }
    let (_, last, _) = keys.select_nth_unstable(size - 1);
    Batch::UpTo(*last)
}

/// `scale` v.
#[inline(always)]
fn scaled<const D: usize>(scale: f64, v: &[f64; D]) -> [f64; D] {
    v.map(|c| scale * c)
}

/// 1/|v|, or 0 for the zero vector (a particle pushed equally from all sides).
#[inline(always)]
fn unit_scale<const D: usize>(v: &[f64; D]) -> f64 {
    let norm = v.iter().map(|c| c * c).sum::<f64>().sqrt();
    if norm > 0.0 { 1.0 / norm } else { 0.0 }
}

/// Builds the context over `packing` with a fresh cell list in `cells`.
pub(crate) fn context<'a, const D: usize>(
    packing: &'a Packing,
    cells: &'a mut CellList,
    potential: Potential,
    overlap_tolerance: f64,
    seed: u64,
    iteration: u64,
) -> Context<'a, D> {
    cells.rebuild(packing.points::<D>(), packing.radii(), packing.periodic_box(), packing.max_diameter());
    context_over(packing, cells, potential, overlap_tolerance, seed, iteration)
}

/// The context over `packing` with `cells` as they are: their positions must
/// be the packing's, and every particle close enough to its cell.
pub(crate) fn context_over<'a, const D: usize>(
    packing: &Packing,
    cells: &'a CellList,
    potential: Potential,
    overlap_tolerance: f64,
    seed: u64,
    iteration: u64,
) -> Context<'a, D> {
    Context {
        x: cells.axes(),
        radii: cells.sorted_radii(),
        ids: cells.ids(),
        bx: packing.periodic_box(),
        cells,
        potential,
        active_below: 1.0 - overlap_tolerance,
        seed,
        iteration,
        keys: Keys::new(seed, iteration),
        kernel: Kernel::detect(),
        energy_quantum: WideQuantum::for_diameter(packing.max_diameter()),
    }
}
