//! What the picture and the panels read of the run. While the run is on the
//! main thread they read it in place; while the worker owns it (an
//! iteration in flight) they read a snapshot of what it was when handed
//! over: positions and radii, contact counts, last moves and the counters.
//! The worker takes the snapshot itself, after its iterations, into a
//! buffer it was lent, so the main thread copies nothing in a steady run.

use crate::sim::{Dynamics, Packing, Simulation};

/// A run as the window reads it, borrowed from the run or from a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    packing: &'a Packing,
    dynamics: &'a Dynamics,
    contacts: &'a [u16],
    moves: &'a [f32],
    iteration: u64,
    absorbed_at: Option<u64>,
}

impl<'a> View<'a> {
    /// The run itself.
    pub fn of(run: &'a Simulation) -> Self {
        Self {
            packing: run.packing(),
            dynamics: run.dynamics(),
            contacts: run.last_contacts(),
            moves: run.last_moves(),
            iteration: run.iteration(),
            absorbed_at: run.absorbed_at(),
        }
    }

    /// The configuration.
    pub fn packing(&self) -> &'a Packing {
        self.packing
    }

    /// The dynamics in force.
    pub fn dynamics(&self) -> &'a Dynamics {
        self.dynamics
    }

    /// Active contacts of each particle in the last measured configuration.
    pub fn last_contacts(&self) -> &'a [u16] {
        self.contacts
    }

    /// How far each particle moved in the last iteration, in diameters.
    pub fn last_moves(&self) -> &'a [f32] {
        self.moves
    }

    /// Iterations done so far.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The first iteration found absorbed, if any.
    pub fn absorbed_at(&self) -> Option<u64> {
        self.absorbed_at
    }
}

/// A copy of what the window reads of a run, kept while the worker owns it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    packing: Packing,
    dynamics: Dynamics,
    contacts: Vec<u16>,
    moves: Vec<f32>,
    iteration: u64,
    absorbed_at: Option<u64>,
}

impl Snapshot {
    /// A snapshot of `run`.
    pub fn of(run: &Simulation) -> Self {
        Self {
            packing: run.packing().clone(),
            dynamics: *run.dynamics(),
            contacts: run.last_contacts().to_vec(),
            moves: run.last_moves().to_vec(),
            iteration: run.iteration(),
            absorbed_at: run.absorbed_at(),
        }
    }

    /// Takes `run` in again, reusing the buffers where the sizes allow.
    pub fn retake(&mut self, run: &Simulation) {
        self.packing.clone_from(run.packing());
        self.dynamics = *run.dynamics();
        run.last_contacts().clone_into(&mut self.contacts);
        run.last_moves().clone_into(&mut self.moves);
        self.iteration = run.iteration();
        self.absorbed_at = run.absorbed_at();
    }

    /// What it holds, as the window reads it.
    pub fn view(&self) -> View<'_> {
        View {
            packing: &self.packing,
            dynamics: &self.dynamics,
            contacts: &self.contacts,
            moves: &self.moves,
            iteration: self.iteration,
            absorbed_at: self.absorbed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize, seed: u64) -> Simulation {
        let packing = Packing::random(3, vec![0.5; n], 0.6, seed).unwrap();
        Simulation::new(packing, Dynamics::default(), seed).unwrap()
    }

    fn same(a: View, b: View) -> bool {
        a.packing() == b.packing()
            && a.dynamics() == b.dynamics()
            && a.last_contacts() == b.last_contacts()
            && a.last_moves() == b.last_moves()
            && (a.iteration(), a.absorbed_at()) == (b.iteration(), b.absorbed_at())
    }

    #[test]
    fn a_snapshot_reads_as_the_run_it_was_taken_of_and_not_as_the_run_since() {
        let mut sim = run(300, 2);
        sim.step();
        let shot = Snapshot::of(&sim);
        assert!(same(shot.view(), View::of(&sim)));
        sim.step();
        assert!(!same(shot.view(), View::of(&sim)), "the run moved on, the snapshot did not");
        assert_eq!(shot.view().iteration(), 1);
    }

    #[test]
    fn retaking_a_snapshot_of_another_run_takes_all_of_it() {
        let mut shot = Snapshot::of(&run(300, 2));
        let mut other = run(120, 7);
        other.step();
        other.step();
        shot.retake(&other);
        assert!(same(shot.view(), View::of(&other)));
        assert_eq!(shot.view().packing().len(), 120);
    }
}
