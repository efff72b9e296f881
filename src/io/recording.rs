//! A recording's folder, as the window's Record button and `absorb run
//! --record-every K` write it: `trajectory.xyz` (extended XYZ frames, each
//! header with the full dynamics), `timeseries.csv` (every iteration) and
//! `changes.csv` (parameters changed mid-run). Flushed as it goes, so a run
//! that stops leaves whole frames and rows behind.

use crate::io::{self, xyz};
use crate::sim::describe::Change;
use crate::sim::{Simulation, StepStats};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The trajectory's file name in a recording's folder.
pub const TRAJECTORY_FILE: &str = "trajectory.xyz";
/// The change log's file name in a recording's folder.
pub const CHANGES_FILE: &str = "changes.csv";

/// The files of a recording being written.
#[derive(Debug)]
pub struct Recording {
    dir: PathBuf,
    xyz: BufWriter<File>,
    csv: BufWriter<File>,
    changes: BufWriter<File>,
    /// Trajectory frames written.
    pub frames: u64,
    last_frame: Option<u64>,
}

impl Recording {
    /// Starts the three files in `dir` (made if missing).
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let xyz = BufWriter::new(File::create(dir.join(TRAJECTORY_FILE))?);
        let mut csv = BufWriter::new(File::create(dir.join(crate::run::TIMESERIES_FILE))?);
        writeln!(csv, "{}", io::TIMESERIES_HEADER)?;
        let mut changes = BufWriter::new(File::create(dir.join(CHANGES_FILE))?);
        writeln!(changes, "{}", io::CHANGES_HEADER)?;
        Ok(Self { dir: dir.to_path_buf(), xyz, csv, changes, frames: 0, last_frame: None })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// One iteration's time-series row.
    pub fn row(&mut self, stats: &StepStats) -> std::io::Result<()> {
        io::timeseries_row(&mut self.csv, stats)
    }

    /// The configuration `sim` is in now, as a trajectory frame (once per iteration).
    pub fn frame(&mut self, sim: &mut Simulation) -> std::io::Result<()> {
        if self.last_frame == Some(sim.iteration()) {
            return Ok(());
        }
        let (contacts, _) = sim.contacts();
        let info = xyz::FrameInfo { step: sim.iteration(), dynamics: sim.dynamics() };
        xyz::write_frame(&mut self.xyz, sim.packing(), &contacts, info)?;
        self.last_frame = Some(sim.iteration());
        self.frames += 1;
        Ok(())
    }

    /// Changes made before iteration `step` (they act from it on).
    pub fn changes(&mut self, step: u64, changes: &[Change]) -> std::io::Result<()> {
        changes.iter().try_for_each(|c| {
            writeln!(self.changes, "{step},{},{},{}", csv_field(&c.what), csv_field(&c.from), csv_field(&c.to))
        })
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.xyz.flush()?;
        self.csv.flush()?;
        self.changes.flush()
    }
}

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}
