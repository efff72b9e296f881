//! Recorded trajectories read back frame by frame: one pass over the file
//! notes where each frame starts (not its contents), so a gigabyte opens in
//! seconds and any frame is read on demand. A file cut off mid-frame is read
//! up to its last whole frame, and says where it stopped.

use crate::error::{Error, Result};
use crate::io::recording::TRAJECTORY_FILE;
use crate::io::xyz;
use crate::sim::{Dynamics, Packing};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// One frame of a recording.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The iteration it was taken at.
    pub step: u64,
    /// The configuration.
    pub packing: Packing,
    /// The dynamics its header names (None for a frame of another program).
    pub dynamics: Option<Dynamics>,
    /// Each sphere's recorded activity (it overlapped another).
    pub active: Vec<bool>,
}

/// A trajectory file with the place of every whole frame in it.
#[derive(Clone, Debug)]
pub struct Trajectory {
    /// The file.
    pub path: PathBuf,
    /// Spheres in every frame.
    pub n: usize,
    /// Where each frame starts, and where the last one ends.
    offsets: Vec<u64>,
    /// The iteration of each frame.
    pub steps: Vec<u64>,
    /// Why the frames stop before the end of the file (a cut-off frame).
    pub stopped: Option<String>,
}

impl Frame {
    /// The frame as a run to show, resumed at its iteration: under its own
    /// dynamics, or `fallback` for a frame of another program.
    pub fn into_run(self, fallback: Dynamics, seed: u64) -> Result<crate::sim::Simulation> {
        let dynamics = self.dynamics.unwrap_or(fallback);
        Ok(crate::sim::Simulation::new(self.packing, dynamics, seed)?.resume_at(self.step))
    }
}

impl Trajectory {
    /// Indexes `path`: a trajectory.xyz, or a recording's folder holding one.
    /// Refused: an empty file, a first frame that does not read, a frame
    /// with another number of spheres or dimension than the first.
    pub fn open(path: &Path) -> Result<Self> {
        let path = if path.is_dir() { path.join(TRAJECTORY_FILE) } else { path.to_path_buf() };
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let bad =
            |line: u64, message: String| Error::Parse { path: path.clone(), line: line as usize, column: 1, message };
        let (mut offsets, mut steps) = (Vec::new(), Vec::new());
        let (mut at, mut line_number) = (0u64, 0u64);
        let mut first: Option<(usize, String)> = None;
        let mut line = String::new();
        let mut stopped = None;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|e| Error::io(&path, e))? as u64;
            if read == 0 {
                break;
            }
            line_number += 1;
            let start = at;
            at += read;
            let Ok(n) = line.trim().parse::<usize>() else {
                if offsets.is_empty() {
                    return Err(bad(line_number, "expected the number of spheres of a frame".into()));
                }
                stopped = Some(format!("line {line_number}: not the start of a frame; read {} frames", offsets.len()));
                break;
            };
            let frame_line = line_number;
            line.clear();
            let comment_bytes = reader.read_line(&mut line).map_err(|e| Error::io(&path, e))? as u64;
            let comment = line.clone();
            // The particle lines are skipped, not parsed: counted by their ends.
            let mut whole = comment_bytes > 0 && comment.ends_with('\n');
            at += comment_bytes;
            line_number += 1;
            for _ in 0..n {
                line.clear();
                let bytes = reader.read_line(&mut line).map_err(|e| Error::io(&path, e))? as u64;
                if bytes == 0 || !line.ends_with('\n') {
                    whole = false;
                    at += bytes;
                    break;
                }
                at += bytes;
                line_number += 1;
            }
            if !whole {
                stopped = Some(format!(
                    "the frame at line {frame_line} is cut off (line {line_number}); read the {} frames before it",
                    offsets.len()
                ));
                break;
            }
            let dim = dim_of(&comment);
            match &first {
                None => first = Some((n, dim.clone())),
                Some((n0, dim0)) if *n0 != n || *dim0 != dim => {
                    return Err(bad(
                        frame_line,
                        format!(
                            "frame {} has {n} spheres in {dim}D, the first {n0} in {dim0}D: one run a file",
                            offsets.len() + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
            let step = xyz::header_values(&comment)
                .into_iter()
                .find(|(k, _)| k == "step")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(offsets.len() as u64);
            offsets.push(start);
            steps.push(step);
        }
        let Some((n, _)) = first else {
            return Err(bad(1, "no whole frame in the file".into()));
        };
        offsets.push(offsets.last().copied().unwrap_or(0));
        // The end of the last whole frame: recomputed from the next start or the scan.
        let ends = offsets.len() - 1;
        offsets[ends] = if stopped.is_some() { last_frame_end(&path, offsets[ends - 1], n)? } else { at };
        let trajectory = Self { path, n, offsets, steps, stopped };
        trajectory.frame(0)?;
        Ok(trajectory)
    }

    /// Frames in the file.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// No frames (never: a file without one is refused).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Frame `k`, read from the file.
    pub fn frame(&self, k: usize) -> Result<Frame> {
        if k >= self.len() {
            return Err(Error::invalid("frame", k, format!("0 to {}", self.len().saturating_sub(1))));
        }
        let (start, end) = (self.offsets[k], self.offsets[k + 1]);
        let mut file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        file.seek(SeekFrom::Start(start)).map_err(|e| Error::io(&self.path, e))?;
        let mut text = String::with_capacity((end - start) as usize);
        file.take(end - start).read_to_string(&mut text).map_err(|e| Error::io(&self.path, e))?;
        let packing = xyz::read_frame(&text, &self.path)?;
        let comment = text.lines().nth(1).unwrap_or("");
        let dynamics = Dynamics::from_fields(&xyz::header_values(comment));
        let active = text.lines().skip(2).map(|l| l.split_whitespace().nth(5) == Some("1")).collect();
        Ok(Frame { step: self.steps[k], packing, dynamics, active })
    }

    /// The frame at or before iteration `step` (the first if none is).
    pub fn at_step(&self, step: u64) -> usize {
        self.steps.partition_point(|&s| s <= step).saturating_sub(1)
    }
}

/// The `dim=` a frame header names (as text; "3" when absent).
fn dim_of(comment: &str) -> String {
    comment.split_whitespace().find_map(|w| w.strip_prefix("dim=")).unwrap_or("3").to_string()
}

/// Where the whole frame of `n` spheres starting at `start` ends.
fn last_frame_end(path: &Path, start: u64, n: usize) -> Result<u64> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    file.seek(SeekFrom::Start(start)).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut at = start;
    let mut line = String::new();
    for _ in 0..n + 2 {
        line.clear();
        at += reader.read_line(&mut line).map_err(|e| Error::io(path, e))? as u64;
    }
    Ok(at)
}
