//! How an iteration goes over its particles: every slot, cell by cell (a
//! full scan), or the slots of the active set near absorption; and the
//! buffers the shares land in.

use super::{Context, MIN_PARTICLES_PER_TASK, Rule, Share, Visit};
use crate::sim::neighbourhood::Neighbourhood;
use rayon::prelude::*;

/// Computes the share of one iteration of the particles `visit` names and
/// appends them to `results` (aligned with its slots, after what it held;
/// a full scan, [`Visit::All`], takes the whole buffer and overwrites what
/// it held); returns the energy of their overlaps, in quanta, each pair
/// counted at both ends. Every particle outside them must have no overlap:
/// its share is zero.
pub(crate) fn compute<const D: usize>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    visit: Visit<'_>,
    results: &mut Vec<Share<D>>,
) -> i128 {
    // Every entry is written below; this only sets the length. A full scan
    // finds the buffer of the last one, already N long (a fill with zeros
    // of N shares, some hundreds of microseconds at 10^5, in no thread's
    // part of the work).
    let first = if matches!(visit, Visit::All(_)) { 0 } else { results.len() };
    results.resize(first + visit.len(), Share::ZERO);
    let results = &mut results[first..];
    match visit {
        Visit::All(_) if super::pairs::pairs_apply(ctx.cells) => super::pairs::compute_pairs(ctx, rule, results),
        Visit::All(n) => compute_all(ctx, rule, n, results),
        Visit::Slots(_) => visit
            .par_iter()
            .zip(results.par_iter_mut())
            .with_min_len(MIN_PARTICLES_PER_TASK)
            .map_init(Neighbourhood::default, |nb, (s, result)| {
                let energy;
                (*result, energy) = ctx.share(nb, rule, s);
                energy
            })
            .sum(),
    }
}

/// Particles a task of a full scan handles, at least (whole cells).
const PARTICLES_PER_TASK: usize = 1024;

/// [`compute`] for every slot 0..n of a cell list without strays, cell by
/// cell: each task takes whole cells in order and finds each cell's runs
/// once, without looking for the cell of each particle.
pub(super) fn compute_all<const D: usize>(
    ctx: &Context<'_, D>,
    rule: &Rule<'_>,
    n: usize,
    results: &mut [Share<D>],
) -> i128 {
    let cells = ctx.cells;
    assert!(!cells.has_strays(), "a full scan visits the slots of a cell list without strays");
    assert!(results.len() == n, "a share for every slot");
    // Task boundaries: the first cell at or after every PARTICLES_PER_TASK-th slot.
    let mut bounds = vec![0];
    for k in 1..n.div_ceil(PARTICLES_PER_TASK) {
        let c = cells.first_cell_from(k * PARTICLES_PER_TASK);
        if c > bounds[bounds.len() - 1] && c < cells.cell_count() {
            bounds.push(c);
        }
    }
    bounds.push(cells.cell_count());
    let mut tasks = Vec::with_capacity(bounds.len());
    let mut rest = results;
    for pair in bounds.windows(2) {
        let len = cells.first_slot(pair[1]) - cells.first_slot(pair[0]);
        let (mine, others) = std::mem::take(&mut rest).split_at_mut(len);
        tasks.push((pair[0]..pair[1], mine));
        rest = others;
    }
    debug_assert!(rest.is_empty(), "the cells hold every slot");
    tasks
        .into_par_iter()
        .map(|(numbers, results)| {
            let (mut nb, mut energy) = (Neighbourhood::default(), 0);
            let mut c = cells.coords_of::<D>(numbers.start);
            let mut out = results.iter_mut();
            for number in numbers {
                nb.enter(cells, c, number);
                for s in cells.members(number) {
                    let result = out.next().expect("a result for every slot");
                    let mine;
                    (*result, mine) = ctx.share(&mut nb, rule, s);
                    energy += mine;
                }
                cells.next_coords(&mut c);
            }
            energy
        })
        .sum()
}

/// The ids of the particles that overlap one of `movers` (ids) in the
/// current configuration, with repeats and the movers themselves (a list
/// for each chunk of movers).
pub(crate) fn overlapping_ids<const D: usize>(ctx: &Context<'_, D>, movers: &[u32]) -> Vec<Vec<u32>> {
    let mut slots = Vec::with_capacity(movers.len());
    ctx.cells.append_sorted_slots(movers, &mut slots);
    // In plain chunks, each with its own neighbourhood (a fold would move
    // the neighbourhood, some hundred bytes, at every particle).
    slots
        .par_chunks(MIN_PARTICLES_PER_TASK)
        .map(|slots| {
            let (mut ids, mut nb) = (Vec::new(), Neighbourhood::default());
            for &s in slots {
                ctx.overlapping(&mut nb, s as usize, |found| ids.extend(found.iter().map(|&t| ctx.ids[t as usize])));
            }
            ids
        })
        .collect()
}

/// Energy U and active contacts of each particle (by id), without moving anything.
pub(crate) fn contacts_and_energy<const D: usize>(ctx: &Context<'_, D>) -> (Vec<u32>, f64) {
    let by_slot: Vec<(i128, u32)> = (0..ctx.ids.len())
        .into_par_iter()
        .with_min_len(MIN_PARTICLES_PER_TASK)
        .map_init(Neighbourhood::default, |nb, s| {
            let scan = ctx.contacts(nb, s, &mut |_| {}, |_, _, _| {});
            (scan.energy, scan.contacts)
        })
        .collect();
    let mut contacts = vec![0; by_slot.len()];
    for (p, &id) in by_slot.iter().zip(ctx.ids) {
        contacts[id as usize] = p.1;
    }
    // Each pair counted at both ends: the sum is even.
    let energy: i128 = by_slot.iter().map(|p| p.0).sum();
    (contacts, ctx.energy_quantum.value(energy / 2))
}

/// Reusable per-particle buffers, one per compiled dimension, so an iteration
/// allocates nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    d2: Buffers<2>,
    d3: Buffers<3>,
    d4: Buffers<4>,
}

/// Per-particle results aligned with the visited slots.
pub(crate) type Buffers<const D: usize> = Vec<Share<D>>;

/// The buffers of dimension `D` in a [`Scratch`].
pub(crate) trait ScratchOf<const D: usize> {
    fn buffers(&mut self) -> &mut Buffers<D>;
}

impl ScratchOf<2> for Scratch {
    fn buffers(&mut self) -> &mut Buffers<2> {
        &mut self.d2
    }
}

impl ScratchOf<3> for Scratch {
    fn buffers(&mut self) -> &mut Buffers<3> {
        &mut self.d3
    }
}

impl ScratchOf<4> for Scratch {
    fn buffers(&mut self) -> &mut Buffers<4> {
        &mut self.d4
    }
}
