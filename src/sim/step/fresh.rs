//! Near absorption, the movers' sweeps give the shares of their fresh
//! partners too. A fresh partner of a mover is a particle that neither
//! moved nor touched anything in the last iteration: each of its overlaps
//! now is new, so is with a particle that moved. Its share is the sum of
//! its pair terms with the movers that overlap it, and each mover's sweep
//! meets that pair anyway: the term from the partner's end is computed
//! there (the same numbers as the partner's own visit would give: x_j - x_i
//! is exactly -(x_i - x_j), and so is e_ji), and the partner needs no
//! sweep of its own. The fixed-point sums make the order the terms come in
//! irrelevant, so the shares have the bits of the partners' own visits.

use super::{Context, MIN_PARTICLES_PER_TASK, Rule, Scheme, Share, Visit, needs_batch_pass};
use crate::sim::neighbourhood::Neighbourhood;
use crate::sim::quanta::add;
use rayon::prelude::*;

/// One overlap of a mover with a fresh partner, as the partner sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fresh<const D: usize> {
    /// The partner's slot.
    slot: u32,
    /// An active contact (else an overlap below the tolerance: no term).
    active: bool,
    /// The pair's term in the partner's sum.
    term: [i64; D],
}

/// The movers' shares of an iteration whose batch needs no pass (see
/// [`needs_batch_pass`]), computed as [`super::compute`] would for the
/// particles in `slots` (ascending) into `results` (as long as `slots`),
/// with the overlaps of their fresh partners (every overlapping particle
/// whose id is not marked in `known`, the movers and the touching), and
/// the energy in quanta of the movers' overlaps and of their partners'
/// ends of them: one sweep a mover finds all three.
pub(crate) fn compute_movers<const D: usize>(
    ctx: &Context<'_, D>,
    scheme: &Scheme,
    slots: &[u32],
    known: &[bool],
    results: &mut [Share<D>],
) -> (Vec<Fresh<D>>, i128) {
    debug_assert!(!needs_batch_pass(scheme), "a fixed batch needs every visited particle first");
    assert!(results.len() == slots.len(), "a share for every mover");
    let rule = Rule::new(ctx, scheme, Visit::Slots(slots));
    // In plain chunks, each with its own neighbourhood (a fold would move
    // the neighbourhood, some hundred bytes, at every particle).
    let chunks: Vec<(Vec<Fresh<D>>, i128)> = slots
        .par_chunks(MIN_PARTICLES_PER_TASK)
        .zip(results.par_chunks_mut(MIN_PARTICLES_PER_TASK))
        .map(|(slots, results)| {
            // Room for a record a mover (tail-3d finds about one in two;
            // grown from nothing, the records were reallocated some eight
            // times a chunk).
            let (mut nb, mut fresh, mut energy) = (Neighbourhood::default(), Vec::with_capacity(slots.len()), 0);
            for (&s, result) in slots.iter().zip(results) {
                let mine;
                (*result, mine) = ctx.mover(&mut nb, &rule, s as usize, known, &mut fresh, &mut energy);
                energy += mine;
            }
            (fresh, energy)
        })
        .collect();
    let mut fresh = Vec::with_capacity(chunks.iter().map(|c| c.0.len()).sum());
    let mut energy = 0;
    for (mine, e) in chunks {
        fresh.extend(mine);
        energy += e;
    }
    (fresh, energy)
}

/// The shares of the fresh partners from their overlaps with the movers:
/// their slots (ascending) onto `slots` and their shares onto `results`;
/// returns how many they are.
pub(crate) fn fresh_shares<const D: usize>(
    mut fresh: Vec<Fresh<D>>,
    slots: &mut Vec<u32>,
    results: &mut Vec<Share<D>>,
) -> usize {
    fresh.sort_unstable_by_key(|f| f.slot);
    let before = slots.len();
    for overlaps in fresh.chunk_by(|a, b| a.slot == b.slot) {
        let mut share = Share::ZERO;
        for f in overlaps {
            add(&mut share.sum, &f.term);
            share.contacts.meet(f.active);
        }
        slots.push(overlaps[0].slot);
        results.push(share);
    }
    slots.len() - before
}

impl<const D: usize> Context<'_, D> {
    /// The share of the mover in slot `s` under `rule` and the energy of
    /// its overlaps in quanta, as [`Self::particle`] gives them; the
    /// overlaps of its fresh partners (ids not marked in `known`) onto
    /// `fresh`, and their ends' energies onto `energy`.
    #[inline(always)]
    fn mover(
        &self,
        nb: &mut Neighbourhood<D>,
        rule: &Rule<'_>,
        s: usize,
        known: &[bool],
        fresh: &mut Vec<Fresh<D>>,
        energy: &mut i128,
    ) -> (Share<D>, i128) {
        let i = self.ids[s] as usize;
        let mut sum = [0; D];
        let scan = self.contacts_each(nb, s, &mut |_| {}, |t, quanta, contact| {
            if let Some((j, e, f)) = contact {
                add(&mut sum, &self.term(rule, i, j, &e, f));
            }
            if known[self.ids[t] as usize] {
                return;
            }
            // The partner's end: e_ji = -e_ij, its own draws where the
            // scheme draws by end.
            let term = match contact {
                Some((j, e, f)) => self.term(rule, j, i, &e.map(|c| -c), f),
                None => [0; D],
            };
            fresh.push(Fresh { slot: t as u32, active: contact.is_some(), term });
            *energy += quanta;
        });
        (Share { sum, contacts: super::Contacts::new(scan.contacts, scan.touching) }, scan.energy)
    }
}
