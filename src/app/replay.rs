//! Replaying a recording (`absorb view --replay PATH`, or "Replay" in the
//! panel): a recorded trajectory shown frame by frame with every colouring
//! and show mode, a timeline to scrub, play and pause at a chosen speed,
//! and the recording's time series on the plots with a cursor at the frame
//! shown. Frames are read from the file on demand (src/io/trajectory.rs).

use super::history::History;
use super::simulation::{LastStats, PlotHistory, Replaying, Setup, Sim, SimCommand, SimSettings, StatusLine};
use super::stepping::Worker;
use crate::io::trajectory::Trajectory;
use crate::sim::{Simulation, StepStats};
use bevy::prelude::*;
use bevy_egui::egui;
use std::path::{Path, PathBuf};

/// Frames a second a replay plays at first.
pub const DEFAULT_SPEED: f64 = 10.0;

/// The recording being replayed, if any.
#[derive(Resource, Default)]
pub struct Replay {
    /// The trajectory and where the timeline is.
    pub state: Option<ReplayState>,
    /// Why the last recording could not be opened.
    pub error: Option<String>,
    /// The path typed in the panel.
    pub path: String,
    /// Commands that wait for the worker's batch to come in.
    waiting: Vec<ReplayCommand>,
    /// Whether the live run played when a recording was asked for (it
    /// stops at once, so that the worker's batch comes in).
    was_playing: Option<bool>,
    /// The live run, set aside while a recording is replayed.
    live: Option<Live>,
}

/// The live run as it was when a replay opened: "Back to the live run"
/// takes it up where it was.
struct Live {
    /// The run (set aside when the first frame takes its place).
    run: Option<Simulation>,
    history: PlotHistory,
    setup: Setup,
    playing: bool,
}

/// A recording open for replay.
pub struct ReplayState {
    /// Its frames.
    pub trajectory: Trajectory,
    /// The frame the timeline is at.
    pub frame: usize,
    /// The frame on screen.
    shown: Option<usize>,
    /// Playing on its own.
    pub playing: bool,
    /// Frames a second while playing.
    pub speed: f64,
    /// Frames owed to the clock while playing.
    owed: f64,
}

/// What the panels and the command line ask of the replay.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum ReplayCommand {
    /// Opens a recording's folder or a trajectory.xyz.
    Open(PathBuf),
    /// Back to the live run of the setup.
    Close,
}

/// Replays recordings.
pub struct ReplayPlugin;

impl Plugin for ReplayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Replay>()
            .add_message::<ReplayCommand>()
            // Before the panels take the setup's values: they then show the
            // recording's, and send none of their own to the frame on screen.
            .add_systems(
                Update,
                (replay_commands, advance_replay, show_frame).chain().before(super::panel_state::UiSystems::Follow),
            );
    }
}

/// The recorded time series beside a trajectory (a recording's
/// timeseries.csv), as far as its rows are whole.
pub fn read_series(trajectory: &Path) -> History {
    let mut history = History::default();
    let dir = if trajectory.is_dir() { trajectory } else { trajectory.parent().unwrap_or(Path::new(".")) };
    let Ok(mut reader) = csv::Reader::from_path(dir.join(crate::run::TIMESERIES_FILE)) else { return history };
    let Ok(header) = reader.headers().cloned() else { return history };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(step), Some(activity), Some(energy), Some(msd)) =
        (column("step"), column("activity"), column("energy"), column("msd"))
    else {
        return history;
    };
    for record in reader.records() {
        // A recording cut off mid-row ends at its last whole row.
        let Ok(record) = record else { break };
        let value = |k: usize| record.get(k).and_then(|v| v.parse::<f64>().ok());
        let (Some(s), Some(a), Some(e), Some(m)) = (value(step), value(activity), value(energy), value(msd)) else {
            break;
        };
        history.push(&StepStats { iteration: s as u64, activity: a, energy: e, msd: m, ..StepStats::default() });
    }
    history
}

/// What replaying touches of the live run.
#[derive(bevy::ecs::system::SystemParam)]
struct LiveParts<'w> {
    settings: ResMut<'w, SimSettings>,
    history: ResMut<'w, PlotHistory>,
    setup: ResMut<'w, Setup>,
    last: ResMut<'w, LastStats>,
    worker: Res<'w, Worker>,
    replaying: ResMut<'w, Replaying>,
    status: ResMut<'w, StatusLine>,
}

fn replay_commands(
    mut commands: MessageReader<ReplayCommand>,
    mut replay: ResMut<Replay>,
    mut live: LiveParts,
    mut both: ResMut<Sim>,
    mut sim: MessageWriter<SimCommand>,
) {
    replay.waiting.extend(commands.read().cloned());
    if replay.waiting.iter().any(|c| matches!(c, ReplayCommand::Open(_))) && replay.was_playing.is_none() {
        replay.was_playing = Some(live.settings.playing);
        live.settings.playing = false;
    }
    // A batch in flight is the live run's: it is booked before the
    // recording's series takes the plots, or the live run is taken back.
    if live.worker.busy() || replay.waiting.is_empty() {
        return;
    }
    let (settings, history) = (&mut live.settings, &mut live.history);
    for command in std::mem::take(&mut replay.waiting) {
        match &command {
            ReplayCommand::Open(_) if both.comparing() => {
                // The recording takes one run's place: two would leave the other live beside it.
                replay.error = Some("close the comparison first: a recording replays in place of one run".into());
            }
            ReplayCommand::Open(path) => match Trajectory::open(path) {
                Ok(trajectory) => {
                    if replay.live.is_none() {
                        let history = std::mem::take(&mut **history);
                        let setup = live.setup.clone();
                        let playing = replay.was_playing.unwrap_or(settings.playing);
                        replay.live = Some(Live { run: None, history, setup, playing });
                    }
                    // The live run stops; the plots show the recording's series.
                    settings.playing = false;
                    history.previous = None;
                    history.partner = None;
                    history.current = read_series(path);
                    replay.error = None;
                    replay.path = path.display().to_string();
                    replay.state = Some(ReplayState {
                        trajectory,
                        frame: 0,
                        shown: None,
                        playing: false,
                        speed: DEFAULT_SPEED,
                        owed: 0.0,
                    });
                }
                Err(e) => replay.error = Some(e.to_string()),
            },
            ReplayCommand::Close => {
                if replay.state.take().is_none() {
                    continue;
                }
                replay.error = None;
                // What the status line said of the replay is over.
                live.status.0 = None;
                let stash = replay.live.take();
                let lockstep = |run: &Simulation| both.partner().is_none_or(|b| b.iteration() == run.iteration());
                match stash {
                    Some(Live { run: Some(mut run), history: h, setup, playing }) if lockstep(&run) => {
                        // The live run where it was, with its plots and setup.
                        live.last.stats = Some(run.observe());
                        if let Some(slot) = both.run_mut() {
                            *slot = run;
                        }
                        **history = h;
                        let next = live.setup.run + 1;
                        *live.setup = Setup { run: next, ..setup };
                        settings.playing = playing;
                    }
                    _ => {
                        // The setup's run again, from its start.
                        history.current = History::default();
                        sim.write(SimCommand::Reset);
                    }
                }
            }
        }
    }
    live.replaying.set_if_neq(Replaying(replay.state.is_some()));
    // A recording that did not open leaves the live run as it was.
    if let Some(playing) = replay.was_playing.take()
        && replay.state.is_none()
    {
        live.settings.playing = playing;
    }
}

fn advance_replay(mut replay: ResMut<Replay>, time: Res<Time>) {
    let Some(state) = replay.state.as_mut() else { return };
    if !state.playing {
        state.owed = 0.0;
        return;
    }
    state.owed += time.delta_secs_f64() * state.speed;
    let steps = state.owed.floor();
    state.owed -= steps;
    let last = state.trajectory.len() - 1;
    state.frame = (state.frame + steps as usize).min(last);
    if state.frame == last {
        state.playing = false;
    }
}

/// The frame the timeline is at replaces the run on screen.
fn show_frame(
    mut replay: ResMut<Replay>,
    mut sim: ResMut<Sim>,
    mut last: ResMut<LastStats>,
    mut history: ResMut<PlotHistory>,
    mut status: ResMut<StatusLine>,
    mut setup: ResMut<Setup>,
) {
    let Replay { state, live, .. } = &mut *replay;
    let Some(state) = state.as_mut() else {
        history.cursor = None;
        return;
    };
    if state.shown == Some(state.frame) {
        return;
    }
    let Some(run) = sim.run_mut() else { return };
    match state.trajectory.frame(state.frame) {
        Ok(frame) => {
            // "Recent displacement": how far each sphere moved since the frame shown before.
            let moves = moves_between(run.packing(), &frame.packing);
            let step = frame.step;
            // A frame of another program names no dynamics: the setup's colour it.
            match frame.into_run(setup.scene.dynamics(), setup.scene.seed) {
                Ok(replayed) => {
                    let live_run = std::mem::replace(run, replayed);
                    if let Some(live) = live.as_mut().filter(|l| l.run.is_none()) {
                        live.run = Some(live_run);
                    }
                    if let Some(moves) = moves {
                        run.show_moves(moves);
                    }
                    follow_recording(&mut setup, run, state.shown.is_none());
                    last.stats = Some(run.observe());
                    history.cursor = Some(step as f64);
                    state.shown = Some(state.frame);
                }
                Err(e) => status.0 = Some(format!("frame {}: {e}", state.frame + 1)),
            }
        }
        Err(e) => {
            status.0 = Some(e.to_string());
            state.playing = false;
            state.shown = Some(state.frame);
        }
    }
}

/// How far each sphere moved from `before` to `after` (nearest periodic
/// image), in diameters; None when they are not the same spheres in the same box.
fn moves_between(before: &crate::sim::Packing, after: &crate::sim::Packing) -> Option<Vec<f32>> {
    let (dim, side) = (after.dim(), after.side());
    if before.len() != after.len() || before.dim() != dim || before.side() != side {
        return None;
    }
    let (a, b) = (before.positions(), after.positions());
    let moves = (0..after.len())
        .map(|i| {
            let squared: f64 = (0..dim)
                .map(|k| {
                    let d = b[i * dim + k] - a[i * dim + k];
                    let d = d - side * (d / side).round();
                    d * d
                })
                .sum();
            squared.sqrt() as f32
        })
        .collect();
    Some(moves)
}

/// The setup takes the recording's values, so that the panels show them
/// (and send nothing else to the frame on screen); the first frame of a
/// recording counts as a new run for the panels.
fn follow_recording(setup: &mut Setup, run: &Simulation, first: bool) {
    let (d, p) = (run.dynamics(), run.packing());
    let scene = &setup.scene;
    let same = scene.scheme == d.scheme
        && scene.potential == d.potential
        && scene.overlap_tolerance() == d.overlap_tolerance
        && scene.n == p.len()
        && scene.dim == p.dim()
        && scene.phi == p.phi();
    if same && !first {
        return;
    }
    let scene = &mut setup.scene;
    scene.scheme = d.scheme;
    scene.potential = d.potential;
    scene.overlap_tolerance = Some(d.overlap_tolerance);
    scene.n = p.len();
    scene.dim = p.dim();
    scene.phi = p.phi();
    if first {
        setup.run += 1;
    }
}

/// The timeline: play and pause, a slider over the frames, the speed, and
/// back to the live run. Returns what was asked.
pub fn replay_ui(ui: &mut egui::Ui, replay: &mut Replay) -> Option<ReplayCommand> {
    let mut asked = None;
    let error = replay.error.clone();
    let state = replay.state.as_mut()?;
    let last = state.trajectory.len() - 1;
    ui.horizontal_wrapped(|ui| {
        ui.strong("Replay");
        if ui.button(if state.playing { "Pause" } else { "Play" }).clicked() {
            if !state.playing && state.frame == last {
                state.frame = 0;
            }
            state.playing = !state.playing;
        }
        if ui.button("<").on_hover_text("The frame before").clicked() {
            state.frame = state.frame.saturating_sub(1);
            state.playing = false;
        }
        if ui.button(">").on_hover_text("The next frame").clicked() {
            state.frame = (state.frame + 1).min(last);
            state.playing = false;
        }
        // Frames counted from 1, as people count them.
        let mut frame = state.frame + 1;
        let step = state.trajectory.steps[state.frame];
        let slider = egui::Slider::new(&mut frame, 1..=last + 1).text(format!("of {} (iteration {step})", last + 1));
        if ui.add(slider).changed() {
            state.frame = frame.clamp(1, last + 1) - 1;
            state.playing = false;
        }
        ui.add(egui::Slider::new(&mut state.speed, 1.0..=120.0).logarithmic(true).text("frames/s"));
        if ui.button("Back to the live run").clicked() {
            asked = Some(ReplayCommand::Close);
        }
    });
    ui.label(egui::RichText::new(state.trajectory.path.display().to_string()).small());
    let warm = egui::Color32::from_rgb(255, 190, 120);
    if let Some(stopped) = &state.trajectory.stopped {
        ui.colored_label(warm, format!("read up to where it stops: {stopped}"));
    }
    if let Some(e) = error {
        ui.colored_label(warm, format!("cannot open: {e}"));
    }
    asked
}
