//! The headless run: a scene stepped to absorption or to its last iteration,
//! with a progress bar on a terminal, a time series and a final frame.

use crate::error::{Error, Result};
use crate::io::recording::{self, Recording};
use crate::io::{self, AtomicFile, xyz};
use crate::scene::Scene;
use crate::sim::observe::{self, Relaxation};
use std::fmt;
use std::io::Write;
use std::path::Path;

/// Time-series file name inside the output directory.
pub const TIMESERIES_FILE: &str = "timeseries.csv";
/// Final configuration file name inside the output directory.
pub const FINAL_FILE: &str = "final.xyz";

/// Iterations between two refreshes of the progress bar.
const PROGRESS_EVERY: u64 = 16;

/// How a headless run ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Iterations evaluated (the last one is the absorbed or stalled configuration).
    pub iterations: u64,
    /// Activity f_a of the last configuration.
    pub activity: f64,
    /// Energy per particle of the last configuration.
    pub energy: f64,
    /// Stopped because no particle moved farther than the stall tolerance.
    pub stalled: bool,
    /// tau and f_inf of the activity series.
    pub relaxation: Relaxation,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.relaxation.absorbed {
            "absorbed"
        } else if self.stalled {
            "stalled (active, no longer moving)"
        } else {
            "active"
        };
        let tau = self.relaxation.tau.map_or("not reached".to_string(), |t| t.to_string());
        write!(
            f,
            "{state} after {} iterations: f_a = {:.4}, e = {:.4e}, tau = {tau}",
            self.iterations, self.activity, self.energy
        )?;
        if !self.relaxation.absorbed {
            write!(f, ", f_inf = {:.4}", self.relaxation.f_inf)?;
        }
        Ok(())
    }
}

/// Where the time series goes: a file that appears whole when the run
/// ends, or, while recording, a recording's folder written as it goes.
enum Series {
    Whole(AtomicFile),
    Recording { files: Recording, every: u64, path: std::path::PathBuf },
}

impl Series {
    fn row(&mut self, sim: &mut crate::sim::Simulation, stats: &crate::sim::StepStats) -> Result<()> {
        match self {
            Series::Whole(file) => io::timeseries_row(file.writer(), stats).map_err(|e| file.err(e)),
            Series::Recording { files, every, path } => {
                files.row(stats).map_err(|e| Error::io(&*path, e))?;
                if sim.iteration().is_multiple_of(*every) {
                    files.frame(sim).map_err(|e| Error::io(&*path, e))?;
                    files.flush().map_err(|e| Error::io(&*path, e))?;
                }
                Ok(())
            }
        }
    }

    fn finish(self, sim: &mut crate::sim::Simulation) -> Result<()> {
        match self {
            Series::Whole(file) => file.commit(),
            Series::Recording { mut files, path, .. } => {
                // The last configuration ends the trajectory, on the grid or not.
                files.frame(sim).and_then(|()| files.flush()).map_err(|e| Error::io(&path, e))
            }
        }
    }
}

/// Runs `scene` for at most `scene.steps` iterations, writing
/// `out_dir/timeseries.csv` and `out_dir/final.xyz`; with `record_every`
/// = K, also `out_dir/trajectory.xyz` (the configuration at iteration 0,
/// every K-th and the last) and `changes.csv`: the folder the window's
/// Record button writes, with the time series written as the run goes.
pub fn run(scene: &Scene, out_dir: &Path, progress: bool, record_every: Option<u64>) -> Result<Summary> {
    let mut sim = scene.simulation()?;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let mut series = match record_every {
        None => {
            let mut file = AtomicFile::create(&out_dir.join(TIMESERIES_FILE))?;
            writeln!(file.writer(), "{}", io::TIMESERIES_HEADER).map_err(|e| file.err(e))?;
            Series::Whole(file)
        }
        Some(every) => {
            let path = out_dir.join(recording::TRAJECTORY_FILE);
            let mut files = Recording::create(out_dir).map_err(|e| Error::io(out_dir, e))?;
            files.frame(&mut sim).map_err(|e| Error::io(&path, e))?;
            Series::Recording { files, every: every.max(1), path }
        }
    };

    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new(scene.steps);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} iterations, {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut activity = Vec::new();
    let mut last = None;
    let mut stalled = false;
    for _ in 0..scene.steps {
        let stats = sim.step();
        series.row(&mut sim, &stats)?;
        activity.push(stats.activity);
        last = Some(stats);
        if let Some(bar) = &bar
            && stats.iteration % PROGRESS_EVERY == 0
        {
            bar.set_position(stats.iteration);
            bar.set_message(format!("f_a = {:.4}", stats.activity));
        }
        if stats.absorbed {
            break;
        }
        if stats.max_displacement < scene.stall_tolerance {
            stalled = true;
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // `steps` >= 1 is validated, so there is a last iteration.
    let last = last.ok_or_else(|| Error::invalid("steps", 0, "at least 1 iteration"))?;

    let (contacts, _) = sim.contacts();
    io::write_atomically(&out_dir.join(FINAL_FILE), |w| {
        xyz::write_frame(
            w,
            sim.packing(),
            &contacts,
            xyz::FrameInfo { step: sim.iteration(), dynamics: sim.dynamics() },
        )
    })?;
    series.finish(&mut sim)?;
    Ok(Summary {
        iterations: activity.len() as u64,
        activity: last.activity,
        energy: last.energy,
        stalled,
        relaxation: observe::relaxation(&activity, observe::PLATEAU_FRACTION),
    })
}
