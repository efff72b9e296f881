//! A full scan that looks at each pair once. Each particle sweeps the
//! forward half of the cells around its own (the slots after it in its own
//! cell, the next cell along axis 0, the rows ahead), so every pair is found
//! from exactly one end, its geometry and random numbers computed once, and
//! its terms written to both ends. The sums are in fixed point: the two
//! ends' terms are exactly opposite and the order they arrive in does not
//! matter, so a particle's share has the same bits as when it gathers its
//! contacts itself ([`Context::particle`], the path of the active set).
//!
//! A particle's half reaches no further than the next layer of cells along
//! the last axis. The layers are cut into an even number of slabs; the even
//! slabs are computed in parallel, then the odd ones: a slab writes only
//! into itself and into the first layer of the next slab, which no other
//! task of the same phase touches.

use super::{Contacts, Context, Rule, Share};
use crate::sim::cells::CellList;
use crate::sim::neighbourhood::{Kernel, Neighbourhood};
use crate::sim::potential::Potential;
use crate::sim::quanta::add;
use crate::sim::scheme::Scheme;
use rayon::prelude::*;

/// Whether [`compute_pairs`] can scan `cells`: three or more cells a side
/// (each pair of neighbouring cells distinct) and no strays.
pub(super) fn pairs_apply(cells: &CellList) -> bool {
    cells.per_side() >= 3 && !cells.has_strays()
}

/// The shares of every slot 0..N of `ctx`'s cell list under `rule` into
/// `results` (N, whatever it held), each pair looked at once; returns the
/// energy in quanta, each pair counted twice (as [`super::compute`] gives
/// it).
pub(super) fn compute_pairs<const D: usize>(ctx: &Context<'_, D>, rule: &Rule<'_>, results: &mut [Share<D>]) -> i128 {
    let linear = ctx.potential.is_linear();
    match *rule.scheme {
        Scheme::BroPairwise { kick } if linear => pairs_under(ctx, rule, results, Linear(Bro { kick })),
        Scheme::Sgd { lr, .. } if linear => pairs_under(ctx, rule, results, Linear(Sgd { lr })),
        _ => pairs_under(ctx, rule, results, AnyLaw),
    }
}

/// What a pair's energy, force and terms are under an iteration's rule:
/// looked up at every pair in general ([`AnyLaw`]), known when compiled
/// for the two schemes most runs use under the linear potential (no match
/// on the scheme and no test of the exponent on the path of every pair).
/// Each law computes what [`Context::term`] and
/// [`crate::sim::potential::Potential`] do, by the same functions.
trait Law: Copy + Send + Sync {
    /// The far end's term is the near end's negated.
    fn reciprocal(self, rule: &Rule<'_>) -> bool;
    fn energy<const D: usize>(self, ctx: &Context<'_, D>, dist: f64, sigma: f64) -> f64;
    fn force<const D: usize>(self, ctx: &Context<'_, D>, dist: f64, sigma: f64) -> f64;
    fn term<const D: usize>(
        self,
        ctx: &Context<'_, D>,
        rule: &Rule<'_>,
        i: usize,
        j: usize,
        e: &[f64; D],
        f: f64,
    ) -> [i64; D];
}

/// Any scheme and potential, looked up at every pair.
#[derive(Clone, Copy)]
struct AnyLaw;

impl Law for AnyLaw {
    #[inline(always)]
    fn reciprocal(self, rule: &Rule<'_>) -> bool {
        !matches!(rule.scheme, Scheme::BroPairwiseNonreciprocal { .. })
    }
    #[inline(always)]
    fn energy<const D: usize>(self, ctx: &Context<'_, D>, dist: f64, sigma: f64) -> f64 {
        ctx.potential.energy(dist, sigma)
    }
    #[inline(always)]
    fn force<const D: usize>(self, ctx: &Context<'_, D>, dist: f64, sigma: f64) -> f64 {
        ctx.potential.force(dist, sigma)
    }
    #[inline(always)]
    fn term<const D: usize>(
        self,
        ctx: &Context<'_, D>,
        rule: &Rule<'_>,
        i: usize,
        j: usize,
        e: &[f64; D],
        f: f64,
    ) -> [i64; D] {
        ctx.term(rule, i, j, e, f)
    }
}

/// A reciprocal scheme under the linear potential (energy sigma - r,
/// force 1), with the term of one end given by `T`.
#[derive(Clone, Copy)]
struct Linear<T>(T);

/// The term of one end of an active pair under the linear potential.
trait LinearTerm: Copy + Send + Sync {
    fn term<const D: usize>(self, ctx: &Context<'_, D>, rule: &Rule<'_>, i: usize, j: usize, e: &[f64; D]) -> [i64; D];
}

impl<T: LinearTerm> Law for Linear<T> {
    #[inline(always)]
    fn reciprocal(self, _: &Rule<'_>) -> bool {
        true
    }
    #[inline(always)]
    fn energy<const D: usize>(self, _: &Context<'_, D>, dist: f64, sigma: f64) -> f64 {
        Potential::linear_energy(dist, sigma)
    }
    #[inline(always)]
    fn force<const D: usize>(self, _: &Context<'_, D>, _: f64, _: f64) -> f64 {
        1.0
    }
    #[inline(always)]
    fn term<const D: usize>(
        self,
        ctx: &Context<'_, D>,
        rule: &Rule<'_>,
        i: usize,
        j: usize,
        e: &[f64; D],
        _: f64,
    ) -> [i64; D] {
        self.0.term(ctx, rule, i, j, e)
    }
}

/// `bro-pairwise` with kick `kick`.
#[derive(Clone, Copy)]
struct Bro {
    kick: f64,
}

impl LinearTerm for Bro {
    #[inline(always)]
    fn term<const D: usize>(self, ctx: &Context<'_, D>, rule: &Rule<'_>, i: usize, j: usize, e: &[f64; D]) -> [i64; D] {
        ctx.bro_pairwise_term(rule.quantum, self.kick, i, j, e)
    }
}

/// `sgd` with learning rate `lr` (either kind of batch): the force is 1.
#[derive(Clone, Copy)]
struct Sgd {
    lr: f64,
}

impl LinearTerm for Sgd {
    #[inline(always)]
    fn term<const D: usize>(self, ctx: &Context<'_, D>, rule: &Rule<'_>, i: usize, j: usize, e: &[f64; D]) -> [i64; D] {
        ctx.sgd_term(rule, self.lr, i, j, e, 1.0)
    }
}

/// [`compute_pairs`] under `law`.
fn pairs_under<const D: usize, L: Law>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    results: &mut [Share<D>],
    law: L,
) -> i128 {
    let cells = ctx.cells;
    assert!(pairs_apply(cells), "each pair once needs three cells a side and no strays");
    let layers = cells.per_side();
    let per_layer = cells.cell_count() / layers;
    // Slab k is layers bounds[k]..bounds[k + 1]: one layer each, the last
    // two when the count of layers is odd (the count of slabs is even).
    let slabs = layers - layers % 2;
    let bounds: Vec<usize> = (0..slabs).chain([layers]).collect();
    let slot = |layer: usize| cells.first_slot(layer * per_layer);
    let mut energy = 0;
    for parity in [0, 1] {
        let mut rest = &mut *results;
        let mut taken = 0;
        // The last slab (odd) writes into the first layer too.
        let mut wrapped = None;
        if parity == 1 {
            let (first, others) = std::mem::take(&mut rest).split_at_mut(slot(1));
            (rest, taken) = (others, slot(1));
            wrapped = Some(first);
        }
        let mut tasks = Vec::with_capacity(slabs / 2);
        for k in (parity..slabs).step_by(2) {
            let (lo, hi) = (slot(bounds[k]), slot((bounds[k + 1] + 1).min(layers)));
            let skip = lo - taken;
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(skip);
            let (mine, others) = tail.split_at_mut(hi - lo);
            (rest, taken) = (others, hi);
            let wrapped = if bounds[k + 1] == layers { wrapped.take().expect("the first layer") } else { &mut [][..] };
            // Each slot is set to zero just before its first write (in the
            // cache): by an even slab its own slots and the next slab's
            // first layer; by an odd one its own slots after its first layer.
            let zero = if parity == 0 { 0..hi - lo } else { slot(bounds[k] + 1) - lo..slot(bounds[k + 1]) - lo };
            let window = Window { lo, shares: mine, wrapped };
            tasks.push((bounds[k] * per_layer..bounds[k + 1] * per_layer, zero, window));
        }
        // The slab of two layers first, and every slab a task of its own
        // that an idle thread can take: split in halves as rayon does by
        // default, one thread kept the last two or three slabs of a phase
        // while the other waited (some 0.5 ms of each phase on two threads).
        tasks.sort_by_key(|(numbers, _, _)| std::cmp::Reverse(numbers.len()));
        energy += tasks
            .into_par_iter()
            .with_max_len(1)
            .map(|(numbers, zero, mut window)| {
                window.shares[zero].fill(Share::ZERO);
                match ctx.kernel {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the token proves the processor has AVX2.
                    Kernel::Avx2(_) => unsafe { slab_avx2(ctx, rule, law, numbers, &mut window) },
                    _ => slab(ctx, rule, law, numbers, &mut window),
                }
            })
            .sum::<i128>();
    }
    energy
}

/// The pairs of the particles of cells `numbers` (a slab), into `window`;
/// returns their energy in quanta, twice.
#[inline(always)]
fn slab<const D: usize, L: Law>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    law: L,
    numbers: std::ops::Range<usize>,
    window: &mut Window<'_, D>,
) -> i128 {
    let cells = ctx.cells;
    let (mut nb, mut energy) = (Neighbourhood::default(), 0);
    let mut c = cells.coords_of::<D>(numbers.start);
    // The far ends of a cell's pairs lie mostly in the next layer, whose
    // shares were last touched when all were set to zero: ask for those of
    // a cell a little ahead of the rows the pairs reach now.
    let ahead = cells.cell_count() / cells.per_side() + cells.per_side() + PREFETCH_CELLS;
    for number in numbers {
        if number + ahead < cells.cell_count() {
            window.prefetch(cells.first_slot(number + ahead));
        }
        let members = cells.members(number);
        if !members.is_empty() {
            nb.enter_half(cells, c, number);
            for s in members {
                energy += ctx.pairs_of(&mut nb, rule, law, s, window);
            }
        }
        cells.next_coords(&mut c);
    }
    energy
}

/// [`slab`] compiled for AVX2, so that the sweeps inline into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn slab_avx2<const D: usize, L: Law>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    law: L,
    numbers: std::ops::Range<usize>,
    window: &mut Window<'_, D>,
) -> i128 {
    slab(ctx, rule, law, numbers, window)
}

/// The slots a task of [`compute_pairs`] writes: `lo..lo + shares.len()`,
/// and slots `0..wrapped.len()` for the last slab.
struct Window<'a, const D: usize> {
    lo: usize,
    shares: &'a mut [Share<D>],
    wrapped: &'a mut [Share<D>],
}

/// Cells ahead of the rows it writes now that a slab asks for the shares of.
const PREFETCH_CELLS: usize = 4;

impl<const D: usize> Window<'_, D> {
    /// Asks the processor for the share of slot `t`, if this window holds
    /// it past its first slot (a hint: no effect on results).
    #[inline(always)]
    fn prefetch(&self, t: usize) {
        if let Some(share) = self.shares.get(t.wrapping_sub(self.lo)) {
            crate::sim::memory::prefetch(share);
        }
    }

    /// The share of slot `t`.
    #[inline(always)]
    fn at(&mut self, t: usize) -> &mut Share<D> {
        if t >= self.lo { &mut self.shares[t - self.lo] } else { &mut self.wrapped[t] }
    }
}

impl<const D: usize> Context<'_, D> {
    /// The pairs of the particle in slot `s` with the slots of its forward
    /// half (`nb` holds the runs of its cell's half), into `window`: both
    /// ends' terms and contacts. Returns their energy in quanta, twice.
    #[inline(always)]
    fn pairs_of<L: Law>(
        &self,
        nb: &mut Neighbourhood<D>,
        rule: &Rule<'_>,
        law: L,
        s: usize,
        window: &mut Window<'_, D>,
    ) -> i128 {
        let xi = self.point(s);
        let ri = self.radii[s];
        let i = self.ids[s] as usize;
        nb.sweep_half(self.cells, s, &xi, ri, self.kernel);
        let reciprocal = law.reciprocal(rule);
        let (mut sum, mut mine, mut energy) = ([0; D], Contacts::default(), 0);
        for &t in nb.found() {
            let t = t as usize;
            let r = self.bx.separation(&xi, &self.point(t));
            let r2: f64 = r.iter().map(|c| c * c).sum();
            let sigma = ri + self.radii[t];
            if r2 >= sigma * sigma {
                continue;
            }
            let dist = r2.sqrt();
            energy += self.energy_quantum.quanta(law.energy(self, dist, sigma));
            let active = dist < sigma * self.active_below;
            mine.meet(active);
            let share = window.at(t);
            share.contacts.meet(active);
            if !active {
                continue;
            }
            let j = self.ids[t] as usize;
            let e = self.direction(&r, dist, i, j);
            let f = law.force(self, dist, sigma);
            let mine_term = law.term(self, rule, i, j, &e, f);
            add(&mut sum, &mine_term);
            let theirs = if reciprocal { mine_term.map(|q| -q) } else { law.term(self, rule, j, i, &e.map(|c| -c), f) };
            add(&mut share.sum, &theirs);
        }
        let share = window.at(s);
        add(&mut share.sum, &sum);
        share.contacts.merge(mine);
        2 * energy
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Visit, context, scan};
    use super::*;
    use crate::sim::scheme::{BatchMode, Noise};
    use crate::sim::{Packing, Radii};

    /// Each pair once against each particle gathering its own contacts,
    /// every scheme under the linear potential (some compiled for it) and
    /// the harmonic one, on one configuration: the same shares bit for bit,
    /// the same contacts and energy. Returns the active contacts found.
    fn compare<const D: usize>(packing: &Packing) -> u32 {
        let linear = compare_under::<D>(packing, Potential::LINEAR);
        let harmonic = compare_under::<D>(packing, Potential::HARMONIC);
        assert_eq!(linear, harmonic, "the same contacts under either potential");
        linear
    }

    fn compare_under<const D: usize>(packing: &Packing, potential: Potential) -> u32 {
        let step = 0.05;
        let schemes = [
            Scheme::BroPairwise { kick: step },
            Scheme::BroPairwiseNonreciprocal { kick: step },
            Scheme::BroParticle { kick: step, normalized: true },
            Scheme::Sgd { lr: step, batch: 0.4, batch_mode: BatchMode::Probabilistic },
            Scheme::Sgd { lr: step, batch: 0.4, batch_mode: BatchMode::Fixed },
            Scheme::Rcd { lr: step, batch: 0.4, batch_mode: BatchMode::Fixed },
            Scheme::Gd { lr: step },
            Scheme::SaPairwise { noise: Noise::Sgd { lr: step, batch: 0.4 }, h: 0.5 },
            Scheme::SaParticle { noise: Noise::Bro { kick: step }, h: 0.5 },
        ];
        let mut cells = CellList::default();
        let ctx = context::<D>(packing, &mut cells, potential, 0.01, 5, 3);
        assert!(pairs_apply(ctx.cells), "{D}D, {} cells a side", ctx.cells.per_side());
        let n = packing.len();
        let mut found = 0;
        for scheme in &schemes {
            let rule = Rule::new(&ctx, scheme, Visit::All(n));
            let mut gathered = vec![Share::ZERO; n];
            let gathered_energy = scan::compute_all(&ctx, &rule, n, &mut gathered);
            // What the buffer held before must not matter.
            let mut paired = vec![Share { sum: [7; D], contacts: Contacts::new(3, true) }; n];
            let paired_energy = compute_pairs(&ctx, &rule, &mut paired);
            for s in 0..n {
                assert_eq!(paired[s].sum, gathered[s].sum, "{}, {D}D, slot {s}", scheme.name());
                assert_eq!(paired[s].contacts, gathered[s].contacts, "{}, {D}D, slot {s}", scheme.name());
            }
            assert_eq!(paired_energy, gathered_energy, "{}, {D}D", scheme.name());
            found = paired.iter().map(|p| p.contacts.active()).sum();
        }
        found
    }

    /// Boxes of 3 (the smallest a half shell takes), 5 and 8 cells a side
    /// in 3D (an odd count of layers makes a slab of two), 17 in 2D and 3
    /// in 4D, with sizes mixed.
    #[test]
    fn each_pair_once_gives_the_shares_of_each_particle_gathering_its_own() {
        let mixed = |n, seed| Radii::Uniform { min: 0.35, max: 0.5 }.generate(n, seed).unwrap();
        for (n, seed) in [(60, 1), (300, 2), (1300, 3)] {
            let contacts = compare::<3>(&Packing::random(3, mixed(n, seed), 0.62, seed).unwrap());
            assert!(contacts as usize > 3 * n, "3D, N = {n}: {contacts} contact ends");
        }
        let contacts =
            compare::<2>(&Packing::random(2, Radii::bidisperse_2d().generate(500, 4).unwrap(), 0.85, 4).unwrap());
        assert!(contacts > 1000, "2D: {contacts} contact ends");
        let contacts = compare::<4>(&Packing::random(4, mixed(400, 5), 0.5, 5).unwrap());
        assert!(contacts > 1000, "4D: {contacts} contact ends");
    }
}
