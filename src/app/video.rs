//! "Record video": every frame the window shows, kept as PNGs while
//! recording (written on a thread of their own) and made into an MP4 when
//! stopped, as `absorb movie` makes one (ffmpeg; without it the frames stay
//! as a folder of PNGs, which the message says).

use super::screenshot::save_png;
use crate::io::{self, absolute};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The window's video recording.
#[derive(Resource)]
pub struct VideoRecorder {
    /// Where videos go.
    pub folder: PathBuf,
    /// What happened last (recording, encoding, saved, an error).
    pub message: Arc<Mutex<Option<String>>>,
    session: Option<Session>,
}

impl Default for VideoRecorder {
    fn default() -> Self {
        Self { folder: PathBuf::from("recordings"), message: Arc::default(), session: None }
    }
}

struct Session {
    dir: PathBuf,
    frames: u64,
    started: Instant,
    writer: Sender<(u64, Image)>,
    done: std::thread::JoinHandle<Result<(), String>>,
}

impl VideoRecorder {
    /// A video is being recorded.
    pub fn is_recording(&self) -> bool {
        self.session.is_some()
    }

    /// What to show under the button.
    pub fn status(&self) -> Option<String> {
        self.message.lock().ok().and_then(|m| m.clone())
    }

    fn say(&self, text: String) {
        if let Ok(mut m) = self.message.lock() {
            *m = Some(text);
        }
    }

    /// Starts, or stops and encodes.
    pub fn toggle(&mut self) {
        match self.session.take() {
            Some(session) => self.finish(session),
            None => match self.start() {
                Ok(session) => {
                    self.say(format!("recording video frames into {}", absolute(&session.dir).display()));
                    self.session = Some(session);
                }
                Err(e) => self.say(format!("cannot record video: {e}")),
            },
        }
    }

    fn start(&self) -> Result<Session, String> {
        let stamp = io::timestamp(std::time::SystemTime::now());
        let dir = self.folder.join(format!("video-{stamp}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (writer, frames) = channel::<(u64, Image)>();
        let into = dir.clone();
        // PNGs are encoded off the main thread, so the window keeps its pace.
        let done = std::thread::spawn(move || {
            for (k, image) in frames {
                save_png(&image, &into.join(format!("frame-{k:05}.png")))?;
            }
            Ok(())
        });
        Ok(Session { dir, frames: 0, started: Instant::now(), writer, done })
    }

    /// The frames written, then the MP4 made from them in the background.
    fn finish(&mut self, session: Session) {
        let Session { dir, frames, started, writer, done } = session;
        drop(writer);
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        // The movie plays at the pace the window recorded it.
        let fps = ((frames as f64 / seconds).round() as u32).clamp(1, 120);
        let message = self.message.clone();
        self.say(format!("encoding {frames} frames ..."));
        std::thread::spawn(move || {
            let result = done.join().unwrap_or_else(|_| Err("the frame writer stopped".into()));
            let text = match result.and_then(|()| encode(&dir, fps)) {
                Ok(Some(mp4)) => format!("saved {} ({frames} frames, {fps} per second)", absolute(&mp4).display()),
                Ok(None) => format!(
                    "saved {frames} frames in {} (no ffmpeg on PATH to make an MP4 of them)",
                    absolute(&dir).display()
                ),
                Err(e) => format!("video not saved: {e}"),
            };
            if let Ok(mut m) = message.lock() {
                *m = Some(text);
            }
        });
    }
}

/// The PNGs in `dir` as `dir.mp4` (None: ffmpeg is missing, the PNGs stay).
fn encode(dir: &Path, fps: u32) -> Result<Option<PathBuf>, String> {
    if std::process::Command::new("ffmpeg").arg("-version").output().is_err() {
        return Ok(None);
    }
    let mp4 = dir.with_extension("mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-framerate", &fps.to_string(), "-i"])
        .arg(dir.join("frame-%05d.png"))
        .args(["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&mp4)
        .status()
        .map_err(|e| format!("ffmpeg: {e}"))?;
    if !status.success() {
        return Err(format!("ffmpeg could not make {} ({status}); the frames are in {}", mp4.display(), dir.display()));
    }
    // The movie holds them now.
    let _ = std::fs::remove_dir_all(dir);
    Ok(Some(mp4))
}

/// Records the window's frames while a video is recording.
pub struct VideoPlugin;

impl Plugin for VideoPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<VideoRecorder>().add_systems(Last, capture_frame);
    }
}

fn capture_frame(mut commands: Commands, mut recorder: ResMut<VideoRecorder>) {
    let Some(session) = recorder.session.as_mut() else { return };
    let (k, writer) = (session.frames, session.writer.clone());
    session.frames += 1;
    commands.spawn(Screenshot::primary_window()).observe(move |shot: On<ScreenshotCaptured>| {
        let _ = writer.send((k, shot.image.clone()));
    });
}
