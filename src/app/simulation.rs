//! The simulation plugin: the core stepped on a fixed timestep, within a
//! frame's time budget, steered by commands from the panels and the keys.

use super::history::History;
use super::limits::DrawLimit;
use super::record::Recorder;
use super::snapshot::{Snapshot, View};
use crate::scene::Scene;
use crate::sim::describe::Change;
use crate::sim::{Dynamics, Simulation, StepStats};
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};
use std::path::PathBuf;
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

/// One run as the window holds it. While iterations are in flight the
/// worker owns it and the window reads a snapshot of it as it was handed over.
struct Slot {
    /// The run, when on the main thread.
    home: Option<Simulation>,
    /// What the window reads while the run is away.
    shot: Snapshot,
    /// `shot` is of the run as it is now: nothing changed the run since the
    /// worker took the snapshot, so handing it over copies nothing.
    fresh: bool,
    /// A snapshot no longer read, whose buffers the worker's next one reuses.
    spare: Option<Snapshot>,
}

impl Slot {
    fn new(run: Simulation) -> Self {
        Self { shot: Snapshot::of(&run), home: Some(run), fresh: true, spare: None }
    }

    fn view(&self) -> View<'_> {
        self.home.as_ref().map_or_else(|| self.shot.view(), View::of)
    }

    fn run_mut(&mut self) -> Option<&mut Simulation> {
        self.fresh = false;
        self.home.as_mut()
    }

    /// Gives the run to the worker, with a snapshot to fill when it is done;
    /// the window reads the run as it is now meanwhile (copied here only if
    /// it changed since the last snapshot).
    fn hand_over(&mut self) -> Option<(Simulation, Option<Snapshot>)> {
        let run = self.home.take()?;
        if !self.fresh {
            self.shot.retake(&run);
        }
        Some((run, self.spare.take()))
    }

    /// The run back from the worker, with its snapshot of it.
    fn take_back(&mut self, run: Simulation, shot: Snapshot) {
        self.spare = Some(std::mem::replace(&mut self.shot, shot));
        self.fresh = true;
        self.home = Some(run);
    }
}

/// The run on screen and, while two schemes are compared, the second run
/// beside it ("run B"), which steps in lockstep with the first ("run A").
/// While iterations are in flight the worker owns both and the window reads
/// snapshots of them as they were handed over.
#[derive(Resource)]
pub struct Sim {
    main: Slot,
    partner: Option<Slot>,
}

impl Sim {
    /// The window's run.
    pub fn new(run: Simulation) -> Self {
        Self { main: Slot::new(run), partner: None }
    }

    /// What the picture and the panels read: the run, or while the worker
    /// owns it, the snapshot of it as it was handed over.
    pub fn view(&self) -> View<'_> {
        self.main.view()
    }

    /// The compared run as the window reads it, while comparing.
    pub fn partner_view(&self) -> Option<View<'_>> {
        self.partner.as_ref().map(Slot::view)
    }

    /// Two runs are compared side by side.
    pub fn comparing(&self) -> bool {
        self.partner.is_some()
    }

    /// The run, unless the worker owns it now.
    pub fn run(&self) -> Option<&Simulation> {
        self.main.home.as_ref()
    }

    /// The compared run, while comparing and unless the worker owns it now.
    pub fn partner(&self) -> Option<&Simulation> {
        self.partner.as_ref().and_then(|p| p.home.as_ref())
    }

    /// The run to change, unless the worker owns it now.
    pub fn run_mut(&mut self) -> Option<&mut Simulation> {
        self.main.run_mut()
    }

    /// Both runs to step together, unless the worker owns them now.
    fn runs_mut(&mut self) -> Option<(&mut Simulation, Option<&mut Simulation>)> {
        let partner = match self.partner.as_mut() {
            Some(p) => Some(p.run_mut()?),
            None => None,
        };
        Some((self.main.run_mut()?, partner))
    }

    /// Both runs go to the worker together, so that they stay in lockstep.
    fn hand_over(&mut self) -> Option<Away> {
        if self.main.home.is_none() || self.partner.as_ref().is_some_and(|p| p.home.is_none()) {
            return None;
        }
        let main = self.main.hand_over()?;
        let partner = self.partner.as_mut().and_then(Slot::hand_over);
        Some(Away { main, partner })
    }
}

/// The runs while the worker has them, with the snapshots to fill.
struct Away {
    main: (Simulation, Option<Snapshot>),
    partner: Option<(Simulation, Option<Snapshot>)>,
}

/// The current setup: what a reset rebuilds and what "save as scene" writes.
/// Kept in step with every change of dynamics and phi; the panels show it.
#[derive(Resource, Clone, Debug)]
pub struct Setup {
    /// The scene with the current parameters.
    pub scene: Scene,
    /// Where it was loaded from, if from a file.
    pub path: Option<PathBuf>,
    /// Counts the runs started in this window (start-up, reset, new seed, a
    /// new setup, a loaded scene): a new value tells the panels to show the
    /// new run's values everywhere.
    pub run: u64,
}

impl Setup {
    /// The setup of the first run of a window.
    pub fn new(scene: Scene, path: Option<PathBuf>) -> Self {
        Self { scene, path, run: 0 }
    }
}

/// Play state and speed.
#[derive(Resource, Clone, Debug)]
pub struct SimSettings {
    /// Iterations run on their own.
    pub playing: bool,
    /// Target iterations per second; 0 runs as many as fit each frame.
    pub iterations_per_second: f64,
}

/// The observables of the last iteration, and the measured rate.
#[derive(Resource, Default, Debug)]
pub struct LastStats {
    /// Observables of the last iteration run.
    pub stats: Option<StepStats>,
    /// Those of the compared run, while comparing.
    pub partner: Option<StepStats>,
    /// Iterations per second over the last second.
    pub rate: f64,
    window_start: Option<Instant>,
    window_steps: u32,
}

/// The plotted history, and the run before the last restart (drawn faintly
/// for comparison when the plots ask for it).
#[derive(Resource, Default)]
pub struct PlotHistory {
    /// This run.
    pub current: History,
    /// The run before the last reset or new setup, if any.
    pub previous: Option<History>,
    /// The compared run, while comparing.
    pub partner: Option<History>,
    /// The iteration a replay shows, marked on the plots.
    pub cursor: Option<f64>,
}

/// How long after a change another change still counts as part of it, in
/// seconds: a slider dragged in several stops, or phi stepped with the arrow
/// keys, leaves one marker.
pub const MERGE_CHANGES_WITHIN: f64 = 1.0;

/// The last error to show in the window (a bad scene, an invalid value).
#[derive(Resource, Default, Debug)]
pub struct StatusLine(pub Option<String>);

/// What the panels and keys ask of the simulation; applied before the next
/// iteration.
#[derive(Message, Clone, Debug)]
pub enum SimCommand {
    /// New scheme, step size, batch, potential or tolerance; the
    /// configuration is untouched.
    SetDynamics(Dynamics),
    /// New packing fraction, by rescaling the radii.
    SetPhi(f64),
    /// One iteration (while paused).
    Step,
    /// This many iterations at once, stopping early if absorbed (scripted figures).
    Advance(u64),
    /// Back to iteration 0 of the current setup and seed.
    Reset,
    /// Reset with a new seed.
    NewSeed,
    /// A new setup (N, dimension, radii): rebuilds the run.
    Rebuild(Box<Scene>),
    /// Loads a scene file; on error the current run goes on. It ends a comparison.
    Load(PathBuf),
    /// Compares the run with a second one under these dynamics: both start
    /// again from iteration 0 of the setup (the same configuration and seed)
    /// and step in lockstep. A comparison already open takes the new dynamics.
    Compare(Dynamics),
    /// New dynamics for the compared run (run B).
    SetPartnerDynamics(Dynamics),
    /// Ends the comparison: run A goes on where it is, without a reset.
    EndCompare,
}

#[derive(Resource)]
struct FrameStart {
    at: Instant,
    steps: u32,
}

/// System sets of the simulation, in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Commands applied and the timestep set, before the fixed loop.
    Commands,
    /// Iterations on the fixed timestep.
    Advance,
}

/// Steps the simulation; owns its resources. It holds the setup only: the
/// run is the [`Sim`] resource, built from the setup unless the app holds
/// one already (the window builds it first, so that a scene that cannot
/// start is refused before a window opens).
#[derive(Clone)]
pub struct SimulationPlugin {
    setup: Setup,
}

impl SimulationPlugin {
    /// The plugin for a setup.
    pub fn new(setup: Setup) -> Self {
        Self { setup }
    }
}

impl Plugin for SimulationPlugin {
    fn build(&self, app: &mut App) {
        let scene = &self.setup.scene;
        let mut status = StatusLine::default();
        if !app.world().contains_resource::<Sim>() {
            let sim = scene.simulation().unwrap_or_else(|e| {
                status.0 = Some(format!("{e}; showing the default scene instead"));
                Scene::default().simulation().expect("the default scene builds")
            });
            app.insert_resource(Sim::new(sim));
        }
        let first = app.world_mut().resource_mut::<Sim>().run_mut().map(|run| run.observe());
        app.insert_resource(self.setup.clone())
            .insert_resource(SimSettings { playing: true, iterations_per_second: scene.view.iterations_per_second })
            .insert_resource(FrameStart { at: Instant::now(), steps: 0 })
            .insert_resource(LastStats { stats: first, ..LastStats::default() })
            .insert_resource(status)
            .init_resource::<PlotHistory>()
            .init_resource::<Worker>()
            .init_resource::<FrameBudget>()
            .init_resource::<DrawLimit>()
            .add_message::<SimCommand>()
            .configure_sets(RunFixedMainLoop, SimSystems::Commands.in_set(RunFixedMainLoopSystems::BeforeFixedMainLoop))
            .add_systems(First, start_frame)
            .add_systems(RunFixedMainLoop, (collect, apply_commands, set_timestep).chain().in_set(SimSystems::Commands))
            .add_systems(FixedUpdate, advance.in_set(SimSystems::Advance));
    }
}

fn start_frame(mut frame: ResMut<FrameStart>) {
    frame.at = Instant::now();
    frame.steps = 0;
}

fn set_timestep(settings: Res<SimSettings>, mut time: ResMut<Time<Fixed>>) {
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
    queued: Vec<SimCommand>,
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
struct Books<'w> {
    last: ResMut<'w, LastStats>,
    history: ResMut<'w, PlotHistory>,
    recorder: Option<ResMut<'w, Recorder>>,
}

impl Books<'_> {
    /// A recording is being written: it needs every iteration's state.
    fn recording(&self) -> bool {
        self.recorder.as_ref().is_some_and(|r| r.is_recording())
    }

    /// One iteration of `sim` and of the run compared with it, if any, booked.
    fn step(&mut self, sim: &mut Simulation, partner: Option<&mut Simulation>) -> StepStats {
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
    fn note(&mut self, iteration: u64, changes: Vec<Change>, now: f64) {
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
struct Pace<'w> {
    settings: Res<'w, SimSettings>,
    budget: Res<'w, FrameBudget>,
    frame: ResMut<'w, FrameStart>,
    time: ResMut<'w, Time<Fixed>>,
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
fn advance(mut sim: ResMut<Sim>, mut pace: Pace, mut worker: ResMut<Worker>, mut books: Books) {
    let budget = pace.budget.0;
    let over_budget = pace.frame.steps > 0 && pace.frame.at.elapsed() > budget;
    if !pace.settings.playing || over_budget {
        pace.skip();
        return;
    }
    if worker.busy() {
        // Owed to the next batch, which runs them as far as it fits.
        worker.owed = worker.owed.saturating_add(pace.take_owed());
        return;
    }
    if worker.cost > budget.min(MAIN_THREAD_ITERATION).as_secs_f64() {
        let fit = (WORKER_BATCH.as_secs_f64() / worker.cost).max(1.0) as usize;
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
fn collect(mut sim: ResMut<Sim>, mut worker: ResMut<Worker>, mut books: Books) {
    let Some(task) = worker.task.as_mut() else { return };
    let Some(Batch { main, partner, took }) = block_on(future::poll_once(task)) else { return };
    worker.task = None;
    worker.learn(took / main.stats.len().max(1) as u32);
    sim.main.take_back(main.run, main.shot);
    if let (Some(slot), Some(done)) = (sim.partner.as_mut(), partner) {
        slot.take_back(done.run, done.shot);
        for stats in done.stats {
            books.record_partner(stats);
        }
    }
    // Booking reads the run (a recording writes it) but does not change what the window shows.
    let Some(run) = sim.main.home.as_mut() else { return };
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

/// What applying a command touches besides the run itself.
#[derive(bevy::ecs::system::SystemParam)]
struct CommandParams<'w> {
    setup: ResMut<'w, Setup>,
    settings: ResMut<'w, SimSettings>,
    books: Books<'w>,
    status: ResMut<'w, StatusLine>,
    worker: ResMut<'w, Worker>,
    limit: Res<'w, DrawLimit>,
    time: Res<'w, Time<Real>>,
}

fn apply_commands(mut commands: MessageReader<SimCommand>, mut sim: ResMut<Sim>, mut p: CommandParams) {
    // Commands wait while an iteration is in flight, then apply in order.
    p.worker.queued.extend(commands.read().cloned());
    if p.worker.busy() {
        return;
    }
    if p.worker.queued.is_empty() {
        return;
    }
    let now = p.time.elapsed_secs_f64();
    for command in std::mem::take(&mut p.worker.queued).iter() {
        let result = apply(command, &mut sim, &mut p, now);
        p.status.0 = result.err().map(|e| e.to_string());
    }
}

fn apply(command: &SimCommand, both: &mut Sim, p: &mut CommandParams, now: f64) -> crate::error::Result<()> {
    let Sim { main, partner } = both;
    let Some(sim) = main.run_mut() else { return Ok(()) };
    let mut partner = partner.as_mut().and_then(Slot::run_mut);
    match command {
        SimCommand::SetDynamics(d) => {
            let before = *sim.dynamics();
            sim.set_dynamics(*d)?;
            p.setup.scene.scheme = d.scheme;
            p.setup.scene.potential = d.potential;
            p.setup.scene.overlap_tolerance = Some(d.overlap_tolerance);
            p.books.note(sim.iteration(), d.changes_from(&before), now);
            if (d.potential, d.overlap_tolerance) != (before.potential, before.overlap_tolerance) {
                // What counts as active changed: show it before the next iteration.
                p.books.last.stats = Some(sim.observe());
            }
            Ok(())
        }
        SimCommand::SetPhi(phi) => {
            let before = sim.packing().phi();
            if *phi == before {
                return Ok(());
            }
            sim.set_phi(*phi)?;
            if let Some(partner) = partner.as_deref_mut() {
                partner.set_phi(*phi)?;
                p.books.last.partner = Some(partner.observe());
            }
            p.setup.scene.phi = *phi;
            let change = Change { what: "phi".into(), from: number_phi(before), to: number_phi(*phi) };
            p.books.note(sim.iteration(), vec![change], now);
            p.books.last.stats = Some(sim.observe());
            Ok(())
        }
        SimCommand::Step => {
            p.books.step(sim, partner);
            Ok(())
        }
        SimCommand::Advance(steps) => {
            for _ in 0..*steps {
                let a = p.books.step(sim, partner.as_deref_mut()).absorbed;
                if a && partner.as_deref().is_none_or(|b| b.absorbed_at().is_some()) {
                    break;
                }
            }
            Ok(())
        }
        SimCommand::Reset => {
            let scene = p.setup.scene.clone();
            let b = partner.map(|b| *b.dynamics());
            restart(&scene, None, both, b, p)
        }
        SimCommand::NewSeed => {
            let mut scene = p.setup.scene.clone();
            scene.seed = scene.seed.wrapping_add(1);
            let b = partner.map(|b| *b.dynamics());
            restart(&scene, None, both, b, p)
        }
        SimCommand::Rebuild(scene) => {
            scene.validate()?;
            let b = partner.map(|b| *b.dynamics());
            restart(scene, None, both, b, p)
        }
        SimCommand::Load(path) => {
            let scene = Scene::load(path)?;
            restart(&scene, Some(path.clone()), both, None, p)?;
            p.settings.iterations_per_second = scene.view.iterations_per_second;
            Ok(())
        }
        SimCommand::Compare(d) => {
            let scene = p.setup.scene.clone();
            restart(&scene, None, both, Some(*d), p)
        }
        SimCommand::SetPartnerDynamics(d) => {
            let Some(b) = partner else { return Ok(()) };
            let before = *b.dynamics();
            b.set_dynamics(*d)?;
            let history = p.books.history.partner.get_or_insert_with(History::default);
            note_changes(b.iteration(), d.changes_from(&before), history, None, now);
            p.books.last.partner = Some(b.observe());
            Ok(())
        }
        SimCommand::EndCompare => {
            both.partner = None;
            p.books.history.partner = None;
            p.books.last.partner = None;
            // The panels take the one run's values again.
            p.setup.set_changed();
            Ok(())
        }
    }
}

/// phi as the panels show it: four decimals.
fn number_phi(phi: f64) -> String {
    format!("{phi:.4}")
}

/// Marks a change on the plots and writes it into a recording.
fn note_changes(
    iteration: u64,
    changes: Vec<Change>,
    history: &mut History,
    recorder: Option<&mut Recorder>,
    now: f64,
) {
    if changes.is_empty() {
        return;
    }
    if let Some(recorder) = recorder {
        recorder.change(iteration, &changes);
    }
    history.mark(iteration, changes, now, MERGE_CHANGES_WITHIN);
}

/// Replaces the run by iteration 0 of `scene` (refused, with the old run
/// kept, when the window cannot draw it); `path` is where it came from, if
/// it was loaded. With `partner`, a second run under those dynamics starts
/// from the same configuration and seed (twice the spheres to draw);
/// without, any comparison ends. The plots keep the run before for comparison.
fn restart(
    scene: &Scene,
    path: Option<PathBuf>,
    both: &mut Sim,
    partner: Option<Dynamics>,
    p: &mut CommandParams,
) -> crate::error::Result<()> {
    if let Some(limit) = &p.limit.0 {
        limit.check(if partner.is_some() { 2 * scene.n } else { scene.n })?;
    }
    let mut run = scene.simulation()?;
    let mut b = partner.map(|d| Simulation::new(run.packing().clone(), d, scene.seed)).transpose()?;
    // The new runs' state shows at once, not after their first iteration.
    *p.books.last =
        LastStats { stats: Some(run.observe()), partner: b.as_mut().map(|b| b.observe()), ..LastStats::default() };
    let Some(sim) = both.main.run_mut() else { return Ok(()) };
    *sim = run;
    both.partner = b.map(Slot::new);
    p.books.history.partner = both.partner.as_ref().map(|_| History::default());
    let finished = std::mem::take(&mut p.books.history.current);
    if !finished.points().is_empty() {
        p.books.history.previous = Some(finished);
    }
    let path = path.or_else(|| p.setup.path.clone());
    let run = p.setup.run + 1;
    *p.setup = Setup { scene: scene.clone(), path, run };
    Ok(())
}
