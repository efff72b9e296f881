//! How the run advances: one iteration per tick of the fixed clock while
//! the frame has budget, on the main thread when an iteration is cheap,
//! else in batches on a worker thread that owns the runs while they are
//! away; and where each iteration is booked (readouts, plots, recording).

use super::history::History;
use super::record::Recorder;
use super::simulation::{LastStats, PlotHistory, Sim, SimCommand, SimSettings, note_changes};
use super::snapshot::Snapshot;
use crate::sim::describe::Change;
use crate::sim::{Simulation, StepStats};
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};
use std::time::{Duration, Instant};

/// Simulation time a frame may spend before it draws: beyond this the
/// backlog is dropped, so the picture and the panels stay responsive.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// Iterations that cost more than this run on the worker thread, so that
/// the main thread keeps its time for the picture and the panels.
pub const MAIN_THREAD_ITERATION: Duration = Duration::from_micros(500);

/// The most simulation time the worker takes on at once: enough to keep it
/// stepping through a slow frame, little enough that the picture follows
/// within a frame or two.
pub const WORKER_BATCH: Duration = Duration::from_millis(40);

/// The fixed timestep used for "as fast as it goes": far below any
/// iteration's cost, so the budget alone limits the rate.
const AS_FAST_AS_IT_GOES: Duration = Duration::from_micros(10);

/// When the frame began and how many iterations it has run.
#[derive(Resource)]
pub(super) struct FrameStart {
    at: Instant,
    steps: u32,
}

impl Default for FrameStart {
    fn default() -> Self {
        Self { at: Instant::now(), steps: 0 }
    }
}

pub(super) fn start_frame(mut frame: ResMut<FrameStart>) {
    frame.at = Instant::now();
    frame.steps = 0;
}

pub(super) fn set_timestep(settings: Res<SimSettings>, mut time: ResMut<Time<Fixed>>) {
    let step = if settings.iterations_per_second > 0.0 {
        Duration::from_secs_f64(1.0 / settings.iterations_per_second)
    } else {
        AS_FAST_AS_IT_GOES
    };
    if time.timestep() != step {
        time.set_timestep(step);
    }
}

/// Iterations that cost more than [`MAIN_THREAD_ITERATION`] (or than the
/// frame's whole budget) run on a worker thread, which owns the run while
/// they are in flight; the picture shows the snapshot of the last finished
/// batch meanwhile, and commands wait for the batch in flight.
#[derive(Resource, Default)]
pub struct Worker {
    task: Option<Task<Batch>>,
    pub(super) queued: Vec<SimCommand>,
    /// Smoothed cost of one iteration, in seconds.
    cost: f64,
    /// Iterations owed while a batch was in flight: the next batch runs
    /// them, as far as it fits, so the run keeps its rate.
    owed: usize,
}

impl Worker {
    /// An iteration is running on the worker.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// Iterations a batch takes on at most: [`WORKER_BATCH`] of them.
    fn fit(&self) -> usize {
        (WORKER_BATCH.as_secs_f64() / self.cost).max(1.0) as usize
    }

    fn learn(&mut self, took: Duration) {
        let t = took.as_secs_f64();
        self.cost = if self.cost == 0.0 { t } else { 0.8 * self.cost + 0.2 * t };
    }
}

/// What the worker hands back: the run, its snapshot after the batch, each
/// iteration's observables and the batch's time.
struct Batch {
    main: Done,
    partner: Option<Done>,
    took: Duration,
}

/// One run after a batch: the run, its snapshot and each iteration's observables.
struct Done {
    run: Simulation,
    shot: Snapshot,
    stats: Vec<StepStats>,
}

/// `count` iterations of both runs in lockstep on the worker, then their
/// snapshots (into the spare snapshots' buffers where there are some).
fn run_batch(away: Away, count: usize) -> Batch {
    let Away { main: (mut run, spare), partner } = away;
    let mut partner = partner.map(|(run, spare)| (run, spare, Vec::with_capacity(count)));
    let start = Instant::now();
    let mut stats = Vec::with_capacity(count);
    for _ in 0..count {
        stats.push(run.step());
        if let Some((p, _, p_stats)) = partner.as_mut() {
            p_stats.push(p.step());
        }
        // The count stops at absorption, as on the main thread.
        if super::simulation::both_absorbed(&run, partner.as_ref().map(|(p, ..)| p)) {
            break;
        }
    }
    let took = start.elapsed();
    let snapshot = |run: &Simulation, spare: Option<Snapshot>| match spare {
        Some(mut shot) => {
            shot.retake(run);
            shot
        }
        None => Snapshot::of(run),
    };
    let main = Done { shot: snapshot(&run, spare), run, stats };
    let partner = partner.map(|(run, spare, stats)| Done { shot: snapshot(&run, spare), run, stats });
    Batch { main, partner, took }
}

/// Iterations that cost more than this run on the worker thread
/// ([`MAIN_THREAD_ITERATION`] unless set).
#[derive(Resource, Clone, Copy, Debug)]
pub struct MainThreadShare(pub Duration);

impl Default for MainThreadShare {
    fn default() -> Self {
        Self(MAIN_THREAD_ITERATION)
    }
}

/// How much simulation a frame may run before it draws.
#[derive(Resource, Clone, Copy, Debug)]
pub struct FrameBudget(pub Duration);

impl Default for FrameBudget {
    fn default() -> Self {
        Self(FRAME_BUDGET)
    }
}

/// Where an iteration is booked: the readouts, the plots, any recording.
#[derive(bevy::ecs::system::SystemParam)]
pub(super) struct Books<'w> {
    pub(super) last: ResMut<'w, LastStats>,
    pub(super) history: ResMut<'w, PlotHistory>,
    recorder: Option<ResMut<'w, Recorder>>,
}

impl Books<'_> {
    /// A recording is being written: it needs every iteration's state.
    fn recording(&self) -> bool {
        self.recorder.as_ref().is_some_and(|r| r.is_recording())
    }

    /// One iteration of `sim` and of the run compared with it, if any, booked.
    pub(super) fn step(&mut self, sim: &mut Simulation, partner: Option<&mut Simulation>) -> StepStats {
        let stats = sim.step();
        self.record(sim, stats);
        if let Some(partner) = partner {
            self.record_partner(partner.step());
        }
        stats
    }

    /// Books an iteration of the compared run (plots and readouts; a
    /// recording holds run A only).
    fn record_partner(&mut self, stats: StepStats) {
        self.history.partner.get_or_insert_with(History::default).push(&stats);
        self.last.partner = Some(stats);
    }

    /// Marks a change on the plots and writes it into a recording.
    pub(super) fn note(&mut self, iteration: u64, changes: Vec<Change>, now: f64) {
        note_changes(iteration, changes, &mut self.history.current, self.recorder.as_deref_mut(), now);
    }

    /// Books an iteration that `sim` has just done.
    fn record(&mut self, sim: &mut Simulation, stats: StepStats) {
        record(sim, stats, &mut self.last, &mut self.history.current, self.recorder.as_deref_mut());
    }
}

/// How fast the run goes: the rate asked for, the frame's budget and the
/// fixed clock that paces it.
#[derive(bevy::ecs::system::SystemParam)]
pub(super) struct Pace<'w> {
    settings: Res<'w, SimSettings>,
    budget: Res<'w, FrameBudget>,
    share: Res<'w, MainThreadShare>,
    frame: ResMut<'w, FrameStart>,
    time: ResMut<'w, Time<Fixed>>,
    replaying: Res<'w, super::simulation::Replaying>,
}

impl Pace<'_> {
    /// No iteration this tick: the ticks owed are dropped, not replayed.
    fn skip(&mut self) {
        let overstep = self.time.overstep();
        self.time.discard_overstep(overstep);
    }

    /// Takes the iterations owed now, this tick's and the whole ticks
    /// behind it, off the clock; the part of a tick left over stays owed.
    fn take_owed(&mut self) -> usize {
        let step = self.time.timestep();
        let behind = (self.time.overstep().as_secs_f64() / step.as_secs_f64()).min(1e6) as u32;
        self.time.discard_overstep(step * behind);
        1 + behind as usize
    }
}

/// One iteration per fixed tick while the frame has budget. Costly
/// iterations go to the worker, the ones owed now in one batch (one at a
/// time while recording); the rest of a backlog is dropped, not replayed.
pub(super) fn advance(mut sim: ResMut<Sim>, mut pace: Pace, mut worker: ResMut<Worker>, mut books: Books) {
    let budget = pace.budget.0;
    let over_budget = pace.frame.steps > 0 && pace.frame.at.elapsed() > budget;
    // Nothing moves in an absorbing state: the count stops there (both
    // runs absorbed, while comparing) until a change wakes the run.
    if !pace.settings.playing || over_budget || sim.absorbed() || pace.replaying.0 {
        pace.skip();
        return;
    }
    if worker.busy() {
        // Owed to the next batch, which runs them as far as it fits.
        worker.owed = worker.owed.saturating_add(pace.take_owed());
        return;
    }
    if worker.cost > budget.min(pace.share.0).as_secs_f64() {
        let fit = worker.fit();
        let owed = pace.take_owed().saturating_add(std::mem::take(&mut worker.owed));
        let count = if books.recording() { 1 } else { owed.min(fit) };
        // What the window reads does not change by the handing over.
        if let Some(away) = sim.bypass_change_detection().hand_over() {
            worker.task = Some(AsyncComputeTaskPool::get().spawn(async move { run_batch(away, count) }));
        }
        return;
    }
    let Some((run, partner)) = sim.runs_mut() else { return };
    pace.frame.steps += 1;
    let start = Instant::now();
    books.step(run, partner);
    worker.learn(start.elapsed());
}

/// Takes in the worker's batch once it is done.
pub(super) fn collect(mut sim: ResMut<Sim>, mut worker: ResMut<Worker>, mut books: Books) {
    let Some(task) = worker.task.as_mut() else { return };
    let Some(Batch { main, partner, took }) = block_on(future::poll_once(task)) else { return };
    worker.task = None;
    worker.learn(took / main.stats.len().max(1) as u32);
    let (partner, partner_stats) = partner.map_or((None, Vec::new()), |d| (Some((d.run, d.shot)), d.stats));
    if sim.take_back((main.run, main.shot), partner) {
        for stats in partner_stats {
            books.record_partner(stats);
        }
    }
    // Booking reads the run (a recording writes it) but does not change what the window shows.
    let Some(run) = sim.run_to_book() else { return };
    for stats in main.stats {
        books.record(run, stats);
    }
}

/// Books an iteration that `sim` has just done.
fn record(
    sim: &mut Simulation,
    stats: StepStats,
    last: &mut LastStats,
    history: &mut History,
    recorder: Option<&mut Recorder>,
) {
    history.push(&stats);
    if let Some(recorder) = recorder {
        recorder.record(sim, &stats);
    }
    last.stats = Some(stats);
    let now = Instant::now();
    let start = *last.window_start.get_or_insert(now);
    last.window_steps += 1;
    let span = now.duration_since(start).as_secs_f64();
    if span >= 1.0 {
        last.rate = last.window_steps as f64 / span;
        last.window_start = Some(now);
        last.window_steps = 0;
    }
}

/// The runs while the worker has them, with the snapshots to fill.
pub(super) struct Away {
    pub(super) main: (Simulation, Option<Snapshot>),
    pub(super) partner: Option<(Simulation, Option<Snapshot>)>,
}
