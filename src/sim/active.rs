//! Which particles an iteration must look at near absorption: those that
//! overlapped, those that moved and whatever a mover overlaps now, and when
//! following them is worth it.

use super::scheme::Scheme;
use super::step::{self, Context, Share};

/// Which particles the next iteration must look at. A particle with no
/// overlap, none of whose neighbours moved, still has no overlap: its share of
/// the iteration is zero and is skipped. So near absorption the work follows
/// the few active particles instead of N, with the same bits as a full scan.
#[derive(Clone, Debug, Default)]
pub(super) struct ActiveSet {
    /// Scan every particle next time (at the start and after a change of
    /// phi or of the dynamics).
    pub(super) stale: bool,
    /// Always scan every particle: the reference the active set is tested against.
    pub(super) always_full: bool,
    /// Ids that overlapped something in the last configuration measured.
    pub(super) touching: Vec<u32>,
    /// Ids that moved in the last iteration.
    pub(super) movers: Vec<u32>,
    /// The cell each of them moved to, as [`super::cells::CellList::update`]
    /// takes it (found in the pass that moved them).
    pub(super) mover_cells: Vec<u32>,
    /// Too many particles touched or moved in the last iteration to follow
    /// them (see [`crowded`]; the two lists are then incomplete).
    pub(super) crowded: bool,
    /// Ids visited in the last iteration (their readouts are non-zero).
    pub(super) visited: Vec<u32>,
    /// The last iteration visited every particle.
    pub(super) visited_all: bool,
    /// Scratch: which ids are visited next (all false between iterations),
    /// the ids set in it, and the slots visited.
    pub(super) mark: Vec<bool>,
    pub(super) chosen: Vec<u32>,
    pub(super) slots: Vec<u32>,
}

/// While the particles that touch plus those that moved number at most this
/// fraction of N (numerator, denominator), an iteration visits only those
/// and their neighbours; above, finding them costs more than visiting
/// everyone (how 3/4 was chosen: docs/design.md, "The active set").
const ACTIVE_SET_LIMIT: (usize, usize) = (3, 4);

/// More particles touched plus moved (`count`, out of `n`) than the active
/// set is worth following (see [`ACTIVE_SET_LIMIT`]).
pub(super) fn crowded(count: usize, n: usize) -> bool {
    count * ACTIVE_SET_LIMIT.1 > n * ACTIVE_SET_LIMIT.0
}

/// How long the lists of the touching and of the movers need grow, out of
/// `n`: past this many in either, the iteration is [`crowded`] anyway.
pub(super) fn list_cap(n: usize) -> usize {
    n * ACTIVE_SET_LIMIT.0 / ACTIVE_SET_LIMIT.1 + 1
}

impl ActiveSet {
    /// The next iteration scans every particle: the set is stale, always
    /// full, or was crowded last time.
    pub(super) fn visits_everyone(&self) -> bool {
        self.stale || self.always_full || self.crowded
    }

    /// Chooses the slots the next iteration visits, into `slots`: the
    /// touching, the movers and whatever a mover overlaps now in `ctx`.
    /// Where the movers' shares come with the search for whom they overlap
    /// (see [`step::needs_batch_pass`]), their slots lead `slots`, then
    /// those of their fresh partners (see [`step::fresh::compute_movers`]), and
    /// the shares of both are appended to `results`; returns how many they
    /// are (0 otherwise) and the energy of their overlaps (in quanta, as
    /// [`step::scan::compute`] gives it). The rest of `slots` is ascending and
    /// still to be computed.
    pub(super) fn choose<const D: usize>(
        &mut self,
        ctx: &Context<'_, D>,
        scheme: &Scheme,
        n: usize,
        results: &mut Vec<Share<D>>,
    ) -> (usize, i128) {
        // `mark` is all false between iterations; `chosen` lists what is set.
        self.mark.resize(n, false);
        self.chosen.clear();
        self.slots.clear();
        if !step::needs_batch_pass(scheme) {
            return self.choose_sweeping_movers(ctx, scheme, results);
        }
        // The touching, the movers and whatever a mover overlaps now.
        let overlapped = step::scan::overlapping_ids(ctx, &self.movers);
        for &i in self.touching.iter().chain(&self.movers).chain(overlapped.iter().flatten()) {
            if !self.mark[i as usize] {
                self.mark[i as usize] = true;
                self.chosen.push(i);
            }
        }
        for &i in &self.chosen {
            self.mark[i as usize] = false;
        }
        ctx.cells.append_sorted_slots(&self.chosen, &mut self.slots);
        (0, 0)
    }

    /// [`Self::choose`] where one sweep a mover gives its share, whom it
    /// overlaps now and the shares of its fresh partners: the touching that
    /// did not move are left to visit.
    fn choose_sweeping_movers<const D: usize>(
        &mut self,
        ctx: &Context<'_, D>,
        scheme: &Scheme,
        results: &mut Vec<Share<D>>,
    ) -> (usize, i128) {
        for &i in self.movers.iter().chain(&self.touching) {
            self.mark[i as usize] = true;
        }
        ctx.cells.append_sorted_slots(&self.movers, &mut self.slots);
        let (m, first) = (self.slots.len(), results.len());
        results.resize(first + m, Share::ZERO);
        let (fresh, energy) = step::fresh::compute_movers(ctx, scheme, &self.slots, &self.mark, &mut results[first..]);
        let partners = step::fresh::fresh_shares(fresh, &mut self.slots, results);
        for &i in &self.movers {
            self.mark[i as usize] = false;
        }
        for &i in &self.touching {
            if std::mem::take(&mut self.mark[i as usize]) {
                self.chosen.push(i);
            }
        }
        ctx.cells.append_sorted_slots(&self.chosen, &mut self.slots);
        (m + partners, energy)
    }
}
