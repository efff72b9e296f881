//! The simulation plugin: the runs the window shows (one, or two compared
//! side by side), their setup and readouts, and the commands from the
//! panels and the keys that steer them. How they step is in `stepping`.

use super::history::History;
use super::limits::DrawLimit;
use super::record::Recorder;
use super::snapshot::{Snapshot, View};
use super::stepping::{
    Away, Books, FrameBudget, FrameStart, MainThreadShare, Worker, advance, collect, set_timestep, start_frame,
};
use crate::scene::Scene;
use crate::sim::describe::Change;
use crate::sim::{Dynamics, Simulation, StepStats};
use bevy::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

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

    /// The run has absorbed (and, while comparing, the run beside it too).
    pub fn absorbed(&self) -> bool {
        self.view().absorbed_at().is_some() && self.partner_view().is_none_or(|b| b.absorbed_at().is_some())
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
    pub(super) fn runs_mut(&mut self) -> Option<(&mut Simulation, Option<&mut Simulation>)> {
        let partner = match self.partner.as_mut() {
            Some(p) => Some(p.run_mut()?),
            None => None,
        };
        Some((self.main.run_mut()?, partner))
    }

    /// Both runs go to the worker together, so that they stay in lockstep.
    pub(super) fn hand_over(&mut self) -> Option<Away> {
        if self.main.home.is_none() || self.partner.as_ref().is_some_and(|p| p.home.is_none()) {
            return None;
        }
        let main = self.main.hand_over()?;
        let partner = self.partner.as_mut().and_then(Slot::hand_over);
        Some(Away { main, partner })
    }

    /// The runs back from the worker, with their snapshots; false if run B
    /// came back to no comparison.
    pub(super) fn take_back(&mut self, main: (Simulation, Snapshot), partner: Option<(Simulation, Snapshot)>) -> bool {
        self.main.take_back(main.0, main.1);
        match (self.partner.as_mut(), partner) {
            (Some(slot), Some((run, shot))) => {
                slot.take_back(run, shot);
                true
            }
            _ => false,
        }
    }

    /// The run, to book the iterations the worker did: reading it (a
    /// recording writes it) leaves the snapshot as it is.
    pub(crate) fn run_to_book(&mut self) -> Option<&mut Simulation> {
        self.main.home.as_mut()
    }
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
    pub(super) window_start: Option<Instant>,
    pub(super) window_steps: u32,
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
            .init_resource::<FrameStart>()
            .insert_resource(LastStats { stats: first, ..LastStats::default() })
            .insert_resource(status)
            .init_resource::<PlotHistory>()
            .init_resource::<Worker>()
            .init_resource::<FrameBudget>()
            .init_resource::<MainThreadShare>()
            .init_resource::<DrawLimit>()
            .init_resource::<Replaying>()
            .add_message::<SimCommand>()
            .configure_sets(RunFixedMainLoop, SimSystems::Commands.in_set(RunFixedMainLoopSystems::BeforeFixedMainLoop))
            .add_systems(First, start_frame)
            .add_systems(RunFixedMainLoop, (collect, apply_commands, set_timestep).chain().in_set(SimSystems::Commands))
            .add_systems(FixedUpdate, advance.in_set(SimSystems::Advance));
    }
}

/// The run has absorbed, and the run beside it too while comparing: the
/// count of iterations stops there.
pub(super) fn both_absorbed(run: &Simulation, partner: Option<&Simulation>) -> bool {
    run.absorbed_at().is_some() && partner.is_none_or(|b| b.absorbed_at().is_some())
}

/// A recording is being replayed in place of the live run (src/app/replay.rs):
/// the run does not iterate and takes no commands until the replay closes.
#[derive(Resource, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replaying(pub bool);

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
    replaying: Res<'w, Replaying>,
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
    if p.replaying.0 {
        // The frame on screen is the recording's: it is not changed, nor stepped.
        p.worker.queued.clear();
        p.status.0 = Some("a recording is being replayed: \"Back to the live run\" first".into());
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
                p.books.step(sim, partner.as_deref_mut());
                if both_absorbed(sim, partner.as_deref()) {
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
pub(super) fn note_changes(
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
/// without, any comparison ends. The plots keep the run before for comparison,
/// unless a scene was loaded.
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
    if path.is_some() {
        // Another scene is another experiment: its curves are not this one's reference.
        p.books.history.previous = None;
    } else if !finished.points().is_empty() {
        p.books.history.previous = Some(finished);
    }
    let path = path.or_else(|| p.setup.path.clone());
    let run = p.setup.run + 1;
    *p.setup = Setup { scene: scene.clone(), path, run };
    Ok(())
}
