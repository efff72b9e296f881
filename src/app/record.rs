//! Screenshots and recordings for talks: PNGs of the window (with or without
//! the panels), and trajectories as extended XYZ frames (each header with the
//! full dynamics) with their time series and a log of every change made
//! mid-run, flushed every frame so a crash leaves readable files.

use super::simulation::Sim;
use crate::io::{self, xyz};
use crate::sim::describe::Change;
use crate::sim::{Simulation, StepStats};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A path made absolute against the working directory, for showing.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A screenshot asked for and where screenshots go.
#[derive(Resource, Debug)]
pub struct CaptureRequest {
    pending: Option<Pending>,
    /// Folder of the screenshots.
    pub folder: PathBuf,
    /// What happened to the last one.
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    with_panels: bool,
    frames_left: u8,
}

impl Default for CaptureRequest {
    fn default() -> Self {
        Self { pending: None, folder: PathBuf::from("screenshots"), message: None }
    }
}

impl CaptureRequest {
    /// Asks for a screenshot at the end of the next frame.
    pub fn ask(&mut self, with_panels: bool) {
        self.pending = Some(Pending { with_panels, frames_left: 1 });
    }

    /// The panels are hidden for the frame being captured.
    pub fn hides_panels(&self) -> bool {
        self.pending.is_some_and(|p| !p.with_panels)
    }
}

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

/// Saves screenshots and flushes recordings.
pub struct RecordPlugin;

impl Plugin for RecordPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CaptureRequest>()
            .init_resource::<Recorder>()
            .add_systems(Last, (take_screenshot, flush_recording));
    }
}

fn flush_recording(mut recorder: ResMut<Recorder>) {
    recorder.flush();
}

fn take_screenshot(mut commands: Commands, mut request: ResMut<CaptureRequest>, sim: Res<Sim>) {
    let Some(pending) = request.pending.as_mut() else { return };
    if pending.frames_left > 0 {
        pending.frames_left -= 1;
        return;
    }
    request.pending = None;
    if let Err(e) = std::fs::create_dir_all(&request.folder) {
        request.message = Some(format!("cannot save screenshots in {}: {e}", request.folder.display()));
        return;
    }
    let path = next_free(&request.folder, &format!("absorb-{:06}", sim.0.iteration()));
    commands.spawn(Screenshot::primary_window()).observe(
        move |shot: On<ScreenshotCaptured>, mut req: ResMut<CaptureRequest>| {
            req.message = Some(match save_png(&shot.image, &path) {
                Ok(()) => format!("saved {}", absolute(&path).display()),
                Err(e) => format!("screenshot not saved: {e}"),
            });
        },
    );
}

/// `folder/stem.png`, or `stem-2.png`, ... if taken.
fn next_free(folder: &Path, stem: &str) -> PathBuf {
    let mut path = folder.join(format!("{stem}.png"));
    let mut k = 2;
    while path.exists() {
        path = folder.join(format!("{stem}-{k}.png"));
        k += 1;
    }
    path
}

/// Writes a captured image as PNG, whole or not at all.
pub fn save_png(image: &Image, path: &Path) -> Result<(), String> {
    let rgb = image.clone().try_into_dynamic().map_err(|e| e.to_string())?.to_rgb8();
    let mut bytes = Vec::new();
    rgb.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        bevy::image::ImageFormat::Png.as_image_crate_format().ok_or("no PNG encoder")?,
    )
    .map_err(|e| e.to_string())?;
    io::write_atomically(path, |w| w.write_all(&bytes)).map_err(|e| e.to_string())
}

/// Share of pixels in the central fifth of the image that differ clearly
/// from `background`: 0 for a frame where nothing was drawn yet.
pub fn drawn_fraction(image: &Image, background: [u8; 3]) -> f64 {
    let Ok(dynamic) = image.clone().try_into_dynamic() else { return 0.0 };
    let rgb = dynamic.to_rgb8();
    let (w, h) = (rgb.width(), rgb.height());
    let (x0, x1, y0, y1) = (w * 2 / 5, w * 3 / 5, h * 2 / 5, h * 3 / 5);
    let mut drawn = 0u64;
    let mut total = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = rgb.get_pixel(x, y).0;
            total += 1;
            if p.iter().zip(background).any(|(a, b)| (*a as i32 - b as i32).abs() > 12) {
                drawn += 1;
            }
        }
    }
    if total == 0 { 0.0 } else { drawn as f64 / total as f64 }
}
