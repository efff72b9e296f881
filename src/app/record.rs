//! Recordings for talks: trajectories as extended XYZ frames (each header
//! with the full dynamics) with their time series and a log of every change
//! made mid-run, flushed every frame so a crash leaves readable files.

use crate::io::{self, absolute, xyz};
use crate::sim::describe::Change;
use crate::sim::{Simulation, StepStats};
use bevy::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
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
    dir: PathBuf,
    xyz: BufWriter<File>,
    csv: BufWriter<File>,
    changes: BufWriter<File>,
    frames: u64,
    start_pending: bool,
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

    /// Starts or stops recording.
    pub fn toggle(&mut self) {
        if let Some(s) = self.session.take() {
            self.message = Some(format!("recorded {} frames in {}", s.frames, absolute(&s.dir).display()));
            return;
        }
        match self.open() {
            Ok(s) => {
                self.message = Some(format!("recording into {}", absolute(&s.dir).display()));
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
        std::fs::create_dir_all(&dir)?;
        let xyz = BufWriter::new(File::create(dir.join(TRAJECTORY_FILE))?);
        let mut csv = BufWriter::new(File::create(dir.join(crate::run::TIMESERIES_FILE))?);
        writeln!(csv, "{}", io::TIMESERIES_HEADER)?;
        let mut changes = BufWriter::new(File::create(dir.join(CHANGES_FILE))?);
        writeln!(changes, "{}", io::CHANGES_HEADER)?;
        Ok(Session { dir, xyz, csv, changes, frames: 0, start_pending: true })
    }

    /// The folder being recorded into.
    pub fn folder_in_use(&self) -> Option<&Path> {
        self.session.as_ref().map(|s| s.dir.as_path())
    }

    /// Logs changes made before iteration `step` (they act from it on).
    pub fn change(&mut self, step: u64, changes: &[Change]) {
        let Some(s) = self.session.as_mut() else { return };
        let result = changes.iter().try_for_each(|c| {
            writeln!(s.changes, "{step},{},{},{}", csv_field(&c.what), csv_field(&c.from), csv_field(&c.to))
        });
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
        let mut result = io::timeseries_row(&mut s.csv, stats);
        if result.is_ok() && (s.start_pending || sim.iteration().is_multiple_of(every)) {
            s.start_pending = false;
            result = write_frame(&mut s.xyz, sim);
            s.frames += 1;
        }
        if let Err(e) = result {
            self.message = Some(format!("recording stopped: {e}"));
            self.session = None;
        }
    }

    /// Flushes both files (once a frame).
    pub fn flush(&mut self) {
        if let Some(s) = self.session.as_mut()
            && let Err(e) = s.xyz.flush().and_then(|()| s.csv.flush()).and_then(|()| s.changes.flush())
        {
            self.message = Some(format!("recording stopped: {e}"));
            self.session = None;
        }
    }
}

/// The trajectory's file name in a recording's folder.
pub const TRAJECTORY_FILE: &str = "trajectory.xyz";
/// The change log's file name in a recording's folder.
pub const CHANGES_FILE: &str = "changes.csv";

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

fn write_frame(w: &mut dyn Write, sim: &mut Simulation) -> std::io::Result<()> {
    let (contacts, _) = sim.contacts();
    let info = xyz::FrameInfo { step: sim.iteration(), dynamics: sim.dynamics() };
    xyz::write_frame(w, sim.packing(), &contacts, info)
}

/// Flushes recordings once a frame.
pub struct RecordPlugin;

impl Plugin for RecordPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Recorder>().add_systems(Last, flush_recording);
    }
}

fn flush_recording(mut recorder: ResMut<Recorder>) {
    recorder.flush();
}
