//! "Record video": every frame the window shows (or the picture alone at
//! twice the window's size, from a camera of its own where the world camera
//! is), kept as PNGs while recording (written on a thread of their own) and
//! made into an MP4 when stopped, as `absorb movie` makes one (ffmpeg;
//! without it the frames stay as a folder of PNGs, which the message says).

use super::camera::image_views;
use super::screenshot::save_png;
use crate::io::{self, absolute};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The window's video recording.
#[derive(Resource)]
pub struct VideoRecorder {
    /// Where videos go.
    pub folder: PathBuf,
    /// 1: the window as it is; 2: the picture alone at twice its size.
    pub scale: u32,
    /// What happened last (recording, encoding, saved, an error).
    pub message: Arc<Mutex<Option<String>>>,
    session: Option<Session>,
}

impl Default for VideoRecorder {
    fn default() -> Self {
        Self { folder: PathBuf::from("recordings"), scale: 1, message: Arc::default(), session: None }
    }
}

struct Large {
    image: Handle<Image>,
    size: UVec2,
    comparing: bool,
}

struct Session {
    dir: PathBuf,
    /// The picture at twice the window's size: its image and size, and
    /// whether its cameras show two runs side by side.
    large: Option<Large>,
    frames: u64,
    started: Instant,
    /// Frames to write; None: the recording stopped (a capture still in
    /// flight holds a sender, so the end is said, not inferred).
    writer: SyncSender<Option<(u64, Image)>>,
    /// The frames written, once the writer is done.
    done: std::thread::JoinHandle<Result<u64, String>>,
}

/// Captured frames waiting for the PNG writer at most: when encoding falls
/// behind the window, frames are left out (the movie keeps the recorded
/// pace) instead of the window's memory growing without end.
const WAITING_FRAMES: usize = 6;

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
        let (writer, frames) = sync_channel::<Option<(u64, Image)>>(WAITING_FRAMES);
        let into = dir.clone();
        // PNGs are encoded off the main thread, so the window keeps its pace.
        let done = std::thread::spawn(move || {
            // Frames before the picture first appears (a new camera's
            // pipelines compile in the background) are left out.
            let mut k = 0;
            for (_, image) in frames.iter().map_while(|frame| frame) {
                if k == 0 && !has_picture(&image) {
                    continue;
                }
                save_png(&image, &into.join(format!("frame-{k:05}.png")))?;
                k += 1;
            }
            Ok(k)
        });
        Ok(Session { dir, large: None, frames: 0, started: Instant::now(), writer, done })
    }

    /// The frames written, then the MP4 made from them in the background.
    fn finish(&mut self, session: Session) {
        let Session { dir, started, writer, done, .. } = session;
        let _ = writer.send(None);
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        let message = self.message.clone();
        self.say("encoding the frames ...".into());
        std::thread::spawn(move || {
            let result = done.join().unwrap_or_else(|_| Err("the frame writer stopped".into()));
            let text = match result.and_then(|frames| {
                // The movie plays at the pace the window recorded it: the frames written over the time taken.
                let fps = ((frames as f64 / seconds).round() as u32).clamp(1, 120);
                encode(&dir, fps).map(|mp4| (frames, fps, mp4))
            }) {
                Ok((frames, fps, Some(mp4))) => {
                    format!("saved {} ({frames} frames, {fps} per second)", absolute(&mp4).display())
                }
                Ok((frames, _, None)) => format!(
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

/// Something besides one flat colour is on the image.
fn has_picture(image: &Image) -> bool {
    let Some(data) = image.data.as_ref() else { return false };
    let first = data.get(..4).unwrap_or(&[]);
    data.chunks_exact(4).any(|p| p != first)
}

/// The PNGs in `dir` as `dir.mp4` (None: ffmpeg is missing, the PNGs stay).
fn encode(dir: &Path, fps: u32) -> Result<Option<PathBuf>, String> {
    if !super::movie_sink::ffmpeg_found() {
        return Ok(None);
    }
    let mp4 = dir.with_extension("mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-framerate", &fps.to_string(), "-i"])
        .arg(dir.join("frame-%05d.png"))
        .args(super::movie_sink::H264)
        .arg(&mp4)
        .status()
        .map_err(|e| format!("ffmpeg: {e}"))?;
    if !status.success() {
        // No half-written movie: the frames stay.
        let _ = std::fs::remove_file(&mp4);
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
        app.init_resource::<VideoRecorder>().add_systems(Last, (capture_frame, drop_video_camera));
    }
}

/// The order of the first camera of the larger picture.
const VIDEO_ORDER: isize = -20;

/// The world camera, as the larger picture's camera follows it.
type WorldView<'a> = (&'a Transform, &'a Projection);

/// A camera that films the picture at twice the window's size (two while
/// runs are compared).
#[derive(Component)]
struct VideoCamera;

/// Each frame while recording: the window, or the larger picture from a
/// camera that follows the world camera.
fn capture_frame(
    mut commands: Commands,
    mut recorder: ResMut<VideoRecorder>,
    world: Query<WorldView, (With<super::camera::WorldCamera>, Without<VideoCamera>)>,
    mut video: Query<(Entity, &mut Transform, &mut Projection), With<VideoCamera>>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut images: ResMut<Assets<Image>>,
    sim: Res<super::simulation::Sim>,
) {
    let scale = recorder.scale;
    let Some(session) = recorder.session.as_mut() else {
        return;
    };
    if scale > 1 && session.large.is_none() {
        let (Ok(window), Ok((at, projection))) = (windows.single(), world.single()) else { return };
        let size = UVec2::new(window.physical_width(), window.physical_height()) * scale;
        let target = bevy::render::render_resource::TextureFormat::Rgba8UnormSrgb;
        let image = images.add(Image::new_target_texture(size.x, size.y, target, None));
        for view in image_views(&image, size, sim.comparing(), VIDEO_ORDER) {
            commands.spawn((VideoCamera, view, *at, projection.clone()));
        }
        session.large = Some(Large { image, size, comparing: sim.comparing() });
        // Its image is known to the renderer from the next frame on.
        return;
    }
    if let Some(large) = session.large.as_mut()
        && large.comparing != sim.comparing()
        && let Ok((at, projection)) = world.single()
    {
        // A comparison began or ended: the views change, the film goes on.
        for (camera, ..) in &video {
            commands.entity(camera).despawn();
        }
        for view in image_views(&large.image, large.size, sim.comparing(), VIDEO_ORDER) {
            commands.spawn((VideoCamera, view, *at, projection.clone()));
        }
        large.comparing = sim.comparing();
    }
    if let Ok((at, projection)) = world.single() {
        for (_, mut t, mut p) in &mut video {
            t.set_if_neq(*at);
            *p = projection.clone();
        }
    }
    let (k, writer) = (session.frames, session.writer.clone());
    session.frames += 1;
    let shot = match &session.large {
        Some(large) => Screenshot::image(large.image.clone()),
        None => Screenshot::primary_window(),
    };
    commands.spawn(shot).observe(move |shot: On<ScreenshotCaptured>| {
        // Left out when the writer is that far behind.
        let _ = writer.try_send(Some((k, shot.image.clone())));
    });
}

/// The larger picture's cameras go when the recording stops.
fn drop_video_camera(mut commands: Commands, recorder: Res<VideoRecorder>, cameras: Query<Entity, With<VideoCamera>>) {
    if recorder.session.is_none() {
        for camera in &cameras {
            commands.entity(camera).despawn();
        }
    }
}
