//! Recordings for talks: trajectories as extended XYZ frames (each header
//! with the full dynamics) with their time series and a log of every change
//! made mid-run, flushed every frame so a crash leaves readable files.

use crate::io::recording::Recording;
use crate::io::{self, absolute};
use crate::sim::describe::Change;
use crate::sim::{Simulation, StepStats};
use bevy::prelude::*;
use std::path::{Path, PathBuf};

/// Writes the trajectory and time series while recording.
#[derive(Resource, Debug)]
pub struct Recorder {
    /// A trajectory frame every this many iterations.
    pub every: u64,
    /// Folder of the recordings.
    pub folder: PathBuf,
    /// What happened last (started, stopped, an error).
    pub message: Option<String>,
    session: Option<Session>,
}

#[derive(Debug)]
struct Session {
    files: Recording,
    /// The configuration the recording starts from is not written yet.
    start_pending: bool,
    /// Stop was asked: the configuration it stops at is written first.
    stopping: bool,
}

impl Default for Recorder {
    fn default() -> Self {
        Self { every: 10, folder: PathBuf::from("recordings"), message: None, session: None }
    }
}

impl Recorder {
    /// A recording is open.
    pub fn is_recording(&self) -> bool {
        self.session.is_some()
    }

    /// Starts or stops recording. Either takes effect once the run is on
    /// the main thread ([`Recorder::settle`]): the configuration at the start
    /// and at the stop are frames too, so that an absorbed run's last state
    /// is in its recording.
    pub fn toggle(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.stopping = true;
            return;
        }
        match self.open() {
            Ok(s) => {
                self.message = Some(format!("recording into {}", absolute(s.files.dir()).display()));
                self.session = Some(s);
            }
            Err(e) => self.message = Some(format!("cannot record: {e}")),
        }
    }

    /// A new folder `run-DATE-TIME` (UTC; `-2`, `-3`, ... when taken).
    fn open(&self) -> std::io::Result<Session> {
        let stamp = io::timestamp(std::time::SystemTime::now());
        let mut dir = self.folder.join(format!("run-{stamp}"));
        let mut k = 2;
        while dir.exists() {
            dir = self.folder.join(format!("run-{stamp}-{k}"));
            k += 1;
        }
        Ok(Session { files: Recording::create(&dir)?, start_pending: true, stopping: false })
    }

    /// The folder being recorded into.
    pub fn folder_in_use(&self) -> Option<&Path> {
        self.session.as_ref().map(|s| s.files.dir())
    }

    /// Logs changes made before iteration `step` (they act from it on).
    pub fn change(&mut self, step: u64, changes: &[Change]) {
        let Some(s) = self.session.as_mut() else { return };
        let result = s.files.changes(step, changes);
        self.stop_on_error(result);
    }

    /// A write that failed ends the recording, saying why.
    fn stop_on_error(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result {
            self.message = Some(format!("recording stopped: {e}"));
            self.session = None;
        }
    }

    /// Records one iteration: its time-series row and, every `every`
    /// iterations, the configuration it produced.
    pub fn record(&mut self, sim: &mut Simulation, stats: &StepStats) {
        let every = self.every.max(1);
        let Some(s) = self.session.as_mut() else { return };
        let mut result = s.files.row(stats);
        if result.is_ok() && (s.start_pending || sim.iteration().is_multiple_of(every)) {
            s.start_pending = false;
            result = s.files.frame(sim);
        }
        self.stop_on_error(result);
    }

    /// Writes the configuration `sim` is in when the recording has just
    /// started or is stopping (once), and ends a stopping recording. With
    /// the run away on the worker (`None`), a stop ends the recording at
    /// its last frame at once, and the start waits for the first iteration.
    pub fn settle(&mut self, sim: Option<&mut Simulation>) {
        let Some(s) = self.session.as_mut() else { return };
        if !(s.start_pending || s.stopping) {
            return;
        }
        let mut result = Ok(());
        if let Some(sim) = sim {
            s.start_pending = false;
            result = s.files.frame(sim);
        } else if !s.stopping {
            return;
        }
        if s.stopping {
            result = result.and_then(|()| s.files.flush());
            let (frames, dir) = (s.files.frames, absolute(s.files.dir()));
            let noun = if frames == 1 { "frame" } else { "frames" };
            self.message = Some(match &result {
                Ok(()) => format!("recorded {frames} {noun} in {}", dir.display()),
                Err(e) => format!("recording stopped: {e}"),
            });
            self.session = None;
            return;
        }
        self.stop_on_error(result);
    }

    /// Flushes both files (once a frame).
    pub fn flush(&mut self) {
        let result = self.session.as_mut().map_or(Ok(()), |s| s.files.flush());
        self.stop_on_error(result);
    }
}

pub use crate::io::recording::{CHANGES_FILE, TRAJECTORY_FILE};

/// Flushes recordings once a frame.
pub struct RecordPlugin;

impl Plugin for RecordPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Recorder>().add_systems(Last, flush_recording);
    }
}

fn flush_recording(mut recorder: ResMut<Recorder>, mut sim: Option<ResMut<super::simulation::Sim>>) {
    // Reading the run for a frame leaves the picture's snapshot as it is.
    if let Some(sim) = sim.as_mut() {
        recorder.settle(sim.bypass_change_detection().run_to_book());
    }
    recorder.flush();
}
