//! The simulation plugin: the core stepped on a fixed timestep, within a
//! frame's time budget, steered by commands from the panels and the keys.

use super::history::History;
use super::record::Recorder;
use crate::scene::Scene;
use crate::sim::{Dynamics, Simulation, StepStats};
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Simulation time a frame may spend before it draws: beyond this the
/// backlog is dropped, so the picture and the panels stay responsive.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// The fixed timestep used for "as fast as it goes": far below any
/// iteration's cost, so the budget alone limits the rate.
const AS_FAST_AS_IT_GOES: Duration = Duration::from_micros(10);

/// The run on screen.
#[derive(Resource)]
pub struct Sim(pub Simulation);

/// The current setup: what a reset rebuilds and what "save as scene" writes.
/// Kept in step with every change of dynamics and phi.
#[derive(Resource, Clone, Debug)]
pub struct Setup {
    /// The scene with the current parameters.
    pub scene: Scene,
    /// Where it was loaded from, if from a file.
    pub path: Option<PathBuf>,
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
    /// Iterations per second over the last second.
    pub rate: f64,
    window_start: Option<Instant>,
    window_steps: u32,
}

/// The plotted history.
#[derive(Resource, Default)]
pub struct PlotHistory(pub History);

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
    /// Loads a scene file; on error the current run goes on.
    Load(PathBuf),
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

/// Steps the simulation; owns its resources.
#[derive(Clone)]
pub struct SimulationPlugin {
    setup: Setup,
    sim: Simulation,
}

impl SimulationPlugin {
    /// The plugin for a scene; fails if the scene does not build a run.
    pub fn new(setup: Setup) -> crate::error::Result<Self> {
        let sim = setup.scene.simulation()?;
        Ok(Self { setup, sim })
    }
}

impl Plugin for SimulationPlugin {
    fn build(&self, app: &mut App) {
        let scene = &self.setup.scene;
        app.insert_resource(Sim(self.sim.clone()))
            .insert_resource(self.setup.clone())
            .insert_resource(SimSettings { playing: true, iterations_per_second: scene.view.iterations_per_second })
            .insert_resource(FrameStart { at: Instant::now(), steps: 0 })
            .init_resource::<LastStats>()
            .init_resource::<PlotHistory>()
            .init_resource::<StatusLine>()
            .init_resource::<Worker>()
            .init_resource::<FrameBudget>()
            .add_message::<SimCommand>()
            .add_systems(First, start_frame)
            .add_systems(
                RunFixedMainLoop,
                (collect, apply_commands, set_timestep)
                    .chain()
                    .in_set(SimSystems::Commands)
                    .in_set(RunFixedMainLoopSystems::BeforeFixedMainLoop),
            )
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

/// Iterations that cost more than a frame's budget run on a worker thread,
/// one at a time, on a copy of the run; the picture shows the last finished
/// iteration meanwhile, and commands wait for the iteration in flight.
#[derive(Resource, Default)]
pub struct Worker {
    task: Option<Task<(Simulation, StepStats, Duration)>>,
    queued: Vec<SimCommand>,
    /// Smoothed cost of one iteration, in seconds.
    cost: f64,
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

/// How much simulation a frame may run before it draws.
#[derive(Resource, Clone, Copy, Debug)]
pub struct FrameBudget(pub Duration);

impl Default for FrameBudget {
    fn default() -> Self {
        Self(FRAME_BUDGET)
    }
}

/// One iteration per fixed tick while the frame has budget. An iteration that
/// costs more than the whole budget goes to the worker; the rest of a backlog
/// is dropped, not replayed.
#[allow(clippy::too_many_arguments)]
fn advance(
    mut sim: ResMut<Sim>,
    settings: Res<SimSettings>,
    budget: Res<FrameBudget>,
    mut frame: ResMut<FrameStart>,
    mut time: ResMut<Time<Fixed>>,
    mut worker: ResMut<Worker>,
    mut last: ResMut<LastStats>,
    mut history: ResMut<PlotHistory>,
    mut recorder: Option<ResMut<Recorder>>,
) {
    let over_budget = frame.steps > 0 && frame.at.elapsed() > budget.0;
    if !settings.playing || over_budget || worker.busy() {
        let overstep = time.overstep();
        time.discard_overstep(overstep);
        return;
    }
    if worker.cost > budget.0.as_secs_f64() {
        let mut copy = sim.0.clone();
        worker.task = Some(AsyncComputeTaskPool::get().spawn(async move {
            let start = Instant::now();
            let stats = copy.step();
            (copy, stats, start.elapsed())
        }));
        let overstep = time.overstep();
        time.discard_overstep(overstep);
        return;
    }
    frame.steps += 1;
    let start = Instant::now();
    run_one(&mut sim.0, &mut last, &mut history.0, recorder.as_deref_mut());
    worker.learn(start.elapsed());
}

/// Takes in the worker's iteration once it is done.
fn collect(
    mut sim: ResMut<Sim>,
    mut worker: ResMut<Worker>,
    mut last: ResMut<LastStats>,
    mut history: ResMut<PlotHistory>,
    mut recorder: Option<ResMut<Recorder>>,
) {
    let Some(task) = worker.task.as_mut() else { return };
    let Some((done, stats, took)) = block_on(future::poll_once(task)) else { return };
    worker.task = None;
    worker.learn(took);
    sim.0 = done;
    record(&mut sim.0, stats, &mut last, &mut history.0, recorder.as_deref_mut());
}

/// One iteration, recorded in the readouts, the plot and any recording.
pub fn run_one(
    sim: &mut Simulation,
    last: &mut LastStats,
    history: &mut History,
    recorder: Option<&mut Recorder>,
) -> StepStats {
    let stats = sim.step();
    record(sim, stats, last, history, recorder);
    stats
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

#[allow(clippy::too_many_arguments)]
fn apply_commands(
    mut commands: MessageReader<SimCommand>,
    mut sim: ResMut<Sim>,
    mut setup: ResMut<Setup>,
    mut settings: ResMut<SimSettings>,
    mut last: ResMut<LastStats>,
    mut history: ResMut<PlotHistory>,
    mut status: ResMut<StatusLine>,
    mut recorder: Option<ResMut<Recorder>>,
    mut worker: ResMut<Worker>,
) {
    // Commands wait while an iteration is in flight, then apply in order.
    worker.queued.extend(commands.read().cloned());
    if worker.busy() {
        return;
    }
    for command in std::mem::take(&mut worker.queued).iter() {
        let result = match command {
            SimCommand::SetDynamics(d) => sim.0.set_dynamics(*d).map(|()| {
                setup.scene.scheme = d.scheme;
                setup.scene.potential = d.potential;
                setup.scene.overlap_tolerance = d.overlap_tolerance;
                history.0.mark(sim.0.iteration(), describe(d));
            }),
            SimCommand::SetPhi(phi) => sim.0.set_phi(*phi).map(|()| {
                setup.scene.phi = *phi;
                history.0.mark(sim.0.iteration(), format!("phi = {phi:.3}"));
            }),
            SimCommand::Step => {
                run_one(&mut sim.0, &mut last, &mut history.0, recorder.as_deref_mut());
                Ok(())
            }
            SimCommand::Advance(steps) => {
                for _ in 0..*steps {
                    if run_one(&mut sim.0, &mut last, &mut history.0, recorder.as_deref_mut()).absorbed {
                        break;
                    }
                }
                Ok(())
            }
            SimCommand::Reset => rebuild(&setup.scene, &mut sim, &mut last, &mut history),
            SimCommand::NewSeed => {
                let mut scene = setup.scene.clone();
                scene.seed = scene.seed.wrapping_add(1);
                rebuild(&scene, &mut sim, &mut last, &mut history).map(|()| setup.scene = scene)
            }
            SimCommand::Rebuild(scene) => {
                scene.validate().and_then(|()| rebuild(scene, &mut sim, &mut last, &mut history)).map(|()| {
                    setup.scene = (**scene).clone();
                })
            }
            SimCommand::Load(path) => Scene::load(path).and_then(|scene| {
                rebuild(&scene, &mut sim, &mut last, &mut history)?;
                settings.iterations_per_second = scene.view.iterations_per_second;
                *setup = Setup { scene, path: Some(path.clone()) };
                Ok(())
            }),
        };
        status.0 = result.err().map(|e| e.to_string());
    }
}

fn rebuild(scene: &Scene, sim: &mut Sim, last: &mut LastStats, history: &mut PlotHistory) -> crate::error::Result<()> {
    sim.0 = scene.simulation()?;
    *last = LastStats::default();
    history.0.clear();
    Ok(())
}

/// A short label for a change of dynamics.
pub fn describe(d: &Dynamics) -> String {
    let s = &d.scheme;
    let params = s.params(Default::default());
    let step: Vec<String> = s
        .parameters()
        .iter()
        .map(|p| {
            let v = match *p {
                "kick" => params.kick,
                "lr" => params.lr,
                _ => params.batch,
            };
            format!("{p} {v:.3}")
        })
        .collect();
    format!("{} {}", s.name(), step.join(" "))
}
