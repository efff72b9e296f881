//! Movies for talks, rendered offscreen frame by frame (`absorb movie`): no
//! window, no dropped frames, the same frames for the same scene and seed.
//! A frame every K iterations is drawn by the window's picture plugin into
//! an image and written as numbered PNGs, a GIF (the `gif` crate, no
//! external program) or an MP4 (H.264, yuv420p, through `ffmpeg`).

use super::camera::{FIELD_OF_VIEW, WorldCamera, fit_distance, fit_height_2d};
use super::movie_sink::{Sink, rgba};
use super::picture::{OffscreenHeight, PicturePlugin};
use super::simulation::{Setup, Sim, SimCommand, SimSettings, SimulationPlugin};
use crate::scene::Scene;
use crate::sim::Simulation;
use bevy::camera::RenderTarget;
use bevy::light::cluster::ClusterConfig;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::Msaa;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest frame: 8K, as for screenshots.
pub const LARGEST: (u32, u32) = (7680, 4320);
/// The smallest frame side.
pub const SMALLEST: u32 = 16;
/// How long a frame may take to come back before the movie gives up (a
/// busy machine renders slowly).
const CAPTURE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);
/// Tries to get a first picture with spheres in it (pipelines compile in the background).
const WARMUP_TRIES: usize = 200;

/// Where the frames go, by the output's extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A folder of `frame-00000.png`, ... (a path without an extension).
    Folder(PathBuf),
    /// An animated GIF.
    Gif(PathBuf),
    /// An H.264 MP4 through ffmpeg.
    Mp4(PathBuf),
}

impl Output {
    /// The output a path names: `.gif`, `.mp4`, or no extension for a folder of PNGs.
    pub fn of(path: &Path) -> Result<Self, String> {
        match path.extension().map(|e| e.to_string_lossy().to_lowercase()) {
            None => Ok(Output::Folder(path.to_path_buf())),
            Some(e) if e == "gif" => Ok(Output::Gif(path.to_path_buf())),
            Some(e) if e == "mp4" => Ok(Output::Mp4(path.to_path_buf())),
            Some(e) => Err(format!(
                "--out {} is not allowed: .{e} is not a movie absorb writes; use .mp4 (needs ffmpeg), \
                 .gif, or a folder name without an extension for numbered PNGs",
                path.display()
            )),
        }
    }
}

/// What to film.
#[derive(Clone, Debug)]
pub struct MovieOptions {
    /// The scene.
    pub scene: Scene,
    /// Iterations filmed (fewer if the run absorbs: its last frame is the absorbed state).
    pub steps: u64,
    /// A frame every this many iterations.
    pub every: u64,
    /// Frame size in pixels.
    pub size: (u32, u32),
    /// Frames per second of the movie.
    pub fps: u32,
    /// Azimuth and elevation in degrees, distance in box sides (3D; default the scene's).
    pub camera: Option<(f32, f32, Option<f32>)>,
    /// Degrees the camera turns about the box each frame (3D).
    pub orbit: f32,
    /// Where the movie goes.
    pub out: Output,
    /// What of the spheres is shown (as the window's "show" control).
    pub show: super::show::ShowMode,
    /// Film the window with its panels (plots beside the picture); needs a
    /// display (`xvfb-run` without one).
    pub panels: bool,
    /// Film this recording instead of running the scene: every `every`-th
    /// of its frames (`steps` is then not used).
    pub replay: Option<crate::io::trajectory::Trajectory>,
    /// Show a progress bar.
    pub progress: bool,
}

impl MovieOptions {
    /// Frames in the movie: the start, then one every `every` iterations.
    pub fn frames(&self) -> u64 {
        if let Some(t) = &self.replay {
            return (t.len() as u64 - 1) / self.every.max(1) + 1;
        }
        (self.steps / self.every.max(1)).saturating_add(1)
    }

    /// Checks everything that can be checked before any work is done.
    pub fn check(&self) -> Result<(), String> {
        let (w, h) = self.size;
        if !(SMALLEST..=LARGEST.0).contains(&w) || !(SMALLEST..=LARGEST.1).contains(&h) {
            return Err(format!(
                "--size {w}x{h} is not allowed: from {SMALLEST}x{SMALLEST} to {}x{} pixels",
                LARGEST.0, LARGEST.1
            ));
        }
        if self.every == 0 {
            return Err("--every 0 is not allowed: a frame every K >= 1 iterations".into());
        }
        if !(1..=120).contains(&self.fps) {
            return Err(format!("--fps {} is not allowed: 1 to 120 frames per second", self.fps));
        }
        if !self.orbit.is_finite() {
            return Err(format!("--orbit {} is not allowed: degrees per frame, a finite number", self.orbit));
        }
        if let Output::Mp4(_) = &self.out
            && !super::movie_sink::ffmpeg_found()
        {
            return Err("an .mp4 needs ffmpeg, which was not found on PATH: install it (apt install ffmpeg), \
                        or write a .gif or a folder of PNGs instead"
                .into());
        }
        Ok(())
    }
}

/// Spheres are on the frame: some of its pixels are coloured (the
/// background and the box's lines are grey; every colouring of the spheres
/// is saturated).
fn spheres_drawn(frame: &Image) -> bool {
    let Ok(pixels) = rgba(frame) else { return false };
    let coloured = pixels
        .chunks_exact(4)
        .filter(|p| p[..3].iter().max().unwrap_or(&0) - p[..3].iter().min().unwrap_or(&0) > SATURATED)
        .count();
    coloured * 1000 > pixels.len() / 4
}

/// The spread of a pixel's channels above which it is coloured, not grey.
const SATURATED: u8 = 60;

/// An app that draws `scene` into an image of `size`, with no window.
fn offscreen_app(
    scene: &Scene,
    sim: Simulation,
    size: (u32, u32),
    show: super::show::ShowMode,
) -> Result<(App, Handle<Image>), String> {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .disable::<bevy::winit::WinitPlugin>()
            .disable::<bevy::log::LogPlugin>(),
    );
    app.insert_resource(Sim::new(sim)).insert_resource(OffscreenHeight(size.1));
    app.insert_resource(super::show::Show { mode: show, ..default() });
    app.add_plugins((SimulationPlugin::new(Setup::new(scene.clone(), None)), PicturePlugin));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    // What App::run does first: wait for the renderer, then finish the plugins.
    while app.plugins_state() == bevy::app::PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    let target = Image::new_target_texture(size.0, size.1, TextureFormat::Rgba8UnormSrgb, None);
    let image = app.world_mut().resource_mut::<Assets<Image>>().add(target);
    let camera = (WorldCamera, Camera3d::default(), RenderTarget::Image(image.clone().into()), Msaa::Off);
    app.world_mut().spawn((camera, ClusterConfig::Single));
    Ok((app, image))
}

/// Points the camera at the box from azimuth `yaw` and elevation `pitch`
/// (degrees), fitted to the frame, or straight down on a 2D box.
fn aim(app: &mut App, scene: &Scene, size: (u32, u32), (yaw, pitch, distance): (f32, f32, Option<f32>)) {
    let side = app.world().resource::<Sim>().view().packing().side() as f32;
    let (w, h) = (size.0 as f32, size.1 as f32);
    let half = Vec2::new(w / 2.0, h / 2.0);
    let (transform, projection) = if app.world().resource::<Sim>().view().packing().dim() >= 3 {
        let fitted = fit_distance(side, h, half).max(scene.view.camera_distance as f32 * side);
        let r = distance.map_or(fitted, |d| d * side);
        let (y, p) = (yaw.to_radians(), pitch.to_radians());
        let eye = r * Vec3::new(p.cos() * y.sin(), p.sin(), p.cos() * y.cos());
        let projection = Projection::Perspective(PerspectiveProjection { fov: FIELD_OF_VIEW, ..default() });
        (Transform::from_translation(eye).looking_at(Vec3::ZERO, Vec3::Y), projection)
    } else {
        let height = fit_height_2d(side, h, half);
        let projection = Projection::Orthographic(OrthographicProjection {
            scaling_mode: bevy::camera::ScalingMode::FixedVertical { viewport_height: height },
            ..OrthographicProjection::default_3d()
        });
        (Transform::from_xyz(0.0, 0.0, 2.0 * side).looking_at(Vec3::ZERO, Vec3::Y), projection)
    };
    let mut cameras = app.world_mut().query_filtered::<Entity, With<WorldCamera>>();
    let cameras: Vec<Entity> = cameras.iter(app.world()).collect();
    for camera in cameras {
        app.world_mut().entity_mut(camera).insert((transform, projection.clone()));
    }
}

/// Renders until the frame now on the image comes back.
fn capture(app: &mut App, image: &Handle<Image>) -> Result<Image, String> {
    let shot: Arc<Mutex<Option<Image>>> = Arc::default();
    let slot = shot.clone();
    app.world_mut().spawn(Screenshot::image(image.clone())).observe(move |captured: On<ScreenshotCaptured>| {
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(captured.image.clone());
        }
    });
    let started = std::time::Instant::now();
    while started.elapsed() < CAPTURE_WAIT {
        app.update();
        if let Some(frame) = shot.lock().ok().and_then(|mut s| s.take()) {
            return Ok(frame);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err("the renderer did not hand back a frame".into())
}

/// Films `options.scene`: the start, then a frame every `every` iterations,
/// into the output; returns the frames written.
pub fn film(options: &MovieOptions) -> Result<u64, String> {
    options.check()?;
    if options.panels {
        return film_window(options);
    }
    // An unwritable output fails here, before anything is rendered; a
    // movie file that gets no frame is removed.
    let sink = Sink::open(options)?;
    let result = film_into(options, sink);
    if result.is_err()
        && let Output::Gif(path) | Output::Mp4(path) = &options.out
    {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// The recorded frame `k` as a run to draw.
fn replayed(trajectory: &crate::io::trajectory::Trajectory, k: usize, scene: &Scene) -> Result<Simulation, String> {
    let frame = trajectory.frame(k).map_err(|e| e.to_string())?;
    let mut run = frame.into_run(scene.dynamics(), scene.seed).map_err(|e| e.to_string())?;
    // Its overlaps measured, so that it is coloured as recorded.
    run.observe();
    Ok(run)
}

fn film_into(options: &MovieOptions, mut sink: Sink) -> Result<u64, String> {
    let scene = &options.scene;
    let run = match &options.replay {
        Some(t) => replayed(t, 0, scene)?,
        None => scene.simulation().map_err(|e| e.to_string())?,
    };
    let (mut app, image) = offscreen_app(scene, run, options.size, options.show)?;
    let (yaw, pitch, distance) =
        options.camera.unwrap_or((scene.view.camera_yaw as f32, scene.view.camera_pitch as f32, None));
    aim(&mut app, scene, options.size, (yaw, pitch, distance));
    // Pipelines compile in the background: the first frames are empty, or
    // hold the box alone (its lines compile first).
    let mut ready = false;
    for _ in 0..WARMUP_TRIES {
        let frame = capture(&mut app, &image)?;
        let compiling = app
            .get_sub_app(bevy::render::RenderApp)
            .and_then(|render| render.world().get_resource::<bevy::render::render_resource::PipelineCache>())
            .is_some_and(|cache| cache.waiting_pipelines().next().is_some());
        if !compiling && spheres_drawn(&frame) {
            ready = true;
            break;
        }
    }
    if !ready {
        return Err("nothing was drawn: the graphics device renders no spheres".into());
    }
    let frames = options.frames();
    let stop = interruption::watch();
    let bar = options.progress.then(|| {
        let bar = indicatif::ProgressBar::new(frames);
        let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames [{elapsed} < {eta}]");
        bar.set_style(style.unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        bar
    });
    let mut written = 0;
    for k in 0..frames {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            // Ctrl-C: the frames so far, in a file that plays.
            break;
        }
        if k > 0 {
            match &options.replay {
                Some(t) => {
                    let next = replayed(t, (k * options.every) as usize, scene)?;
                    if let Some(run) = app.world_mut().resource_mut::<Sim>().run_mut() {
                        *run = next;
                    }
                }
                None => {
                    app.world_mut().write_message(SimCommand::Advance(options.every));
                }
            }
            if options.orbit != 0.0 {
                aim(&mut app, scene, options.size, (yaw + options.orbit * k as f32, pitch, distance));
            }
            app.update();
        }
        let frame = capture(&mut app, &image)?;
        sink.write(k, &frame)?;
        written += 1;
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        if options.replay.is_none() && app.world().resource::<Sim>().absorbed() {
            // Nothing moves any more: the absorbed state is the last frame.
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    sink.finish()?;
    Ok(written)
}

/// Ctrl-C was pressed while filming (the movie then has fewer frames than asked).
pub fn interrupted() -> bool {
    interruption::interrupted()
}

/// Ctrl-C while filming: the loop stops between two frames and the movie is
/// finished with the frames so far, instead of the process dying mid-write.
mod interruption {
    use std::sync::atomic::{AtomicBool, Ordering};

    static STOP: AtomicBool = AtomicBool::new(false);

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    extern "C" fn on_interrupt(_: libc::c_int) {
        STOP.store(true, Ordering::Relaxed);
    }

    /// Ctrl-C was pressed while filming.
    pub fn interrupted() -> bool {
        STOP.load(Ordering::Relaxed)
    }

    /// The flag Ctrl-C sets (from now on, in this process).
    pub fn watch() -> &'static AtomicBool {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, on_interrupt as *const () as libc::sighandler_t);
        }
        &STOP
    }
}

/// Frames the window draws before the first one is filmed: pipelines and
/// panels settle.
const WINDOW_WARMUP: u32 = 60;

/// A movie of the window, panels and all, driven frame by frame.
#[derive(Resource)]
struct WindowMovie {
    sink: Option<Sink>,
    frames: u64,
    every: u64,
    replay: Option<crate::io::trajectory::Trajectory>,
    /// Frames drawn so far, for the warm-up.
    drawn: u32,
    /// The next movie frame.
    next: u64,
    /// The frame asked of the renderer, until it comes back.
    shot: Option<Arc<Mutex<Option<Image>>>>,
    /// A frame was advanced: the next drawn frame shows it.
    advanced: bool,
    result: Arc<Mutex<Result<u64, String>>>,
    progress: Option<indicatif::ProgressBar>,
}

/// Films the window (`--panels`): the window app with the movie's scene, a
/// frame captured after every K iterations.
fn film_window(options: &MovieOptions) -> Result<u64, String> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err("--panels films the window, which needs a display: run it under `xvfb-run -a absorb movie ...` \
                    or without --panels"
            .into());
    }
    let sink = Sink::open(options)?;
    let view = super::ViewOptions {
        scene: options.scene.clone(),
        path: None,
        screenshot: None,
        measure_fps: None,
        measure_without_panels: false,
        color_by: super::picture::ColorMode::Activity,
        size: options.size,
        scan: false,
        lecture: None,
        compare: None,
        replay: None,
    };
    let mut app = super::window_app(view).map_err(|e| e.to_string())?;
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app.insert_resource(super::show::Show { mode: options.show, ..default() });
    if let Some(t) = &options.replay {
        app.world_mut().write_message(super::replay::ReplayCommand::Open(t.path.clone()));
    }
    let result = Arc::new(Mutex::new(Err("the window closed before the movie was made".to_string())));
    let progress = options.progress.then(|| {
        let bar = indicatif::ProgressBar::new(options.frames());
        let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames [{elapsed} < {eta}]");
        bar.set_style(style.unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        bar
    });
    app.insert_resource(WindowMovie {
        sink: Some(sink),
        frames: options.frames(),
        every: options.every,
        replay: options.replay.clone(),
        drawn: 0,
        next: 0,
        shot: None,
        advanced: false,
        result: result.clone(),
        progress,
    })
    .add_systems(Last, drive_window_movie);
    let _ = interruption::watch();
    app.run();
    // The app (and the driver's copy of the result) go first.
    drop(app);
    Arc::try_unwrap(result)
        .ok()
        .and_then(|r| r.into_inner().ok())
        .unwrap_or_else(|| Err("the movie's result was lost".to_string()))
}

fn drive_window_movie(
    mut commands: Commands,
    mut movie: ResMut<WindowMovie>,
    mut replay: ResMut<super::replay::Replay>,
    mut sim: MessageWriter<SimCommand>,
    mut exit: MessageWriter<AppExit>,
) {
    movie.drawn += 1;
    if movie.drawn < WINDOW_WARMUP {
        return;
    }
    let stopped = interruption::watch().load(std::sync::atomic::Ordering::Relaxed);
    if let Some(shot) = movie.shot.clone() {
        let Some(frame) = shot.lock().ok().and_then(|mut s| s.take()) else { return };
        movie.shot = None;
        let k = movie.next;
        let written = movie.sink.as_mut().map(|sink| sink.write(k, &frame));
        if let Some(Err(e)) = written {
            end(&mut movie, Err(e), &mut exit);
            return;
        }
        movie.next += 1;
        if let Some(bar) = &movie.progress {
            bar.inc(1);
        }
        if movie.next == movie.frames || stopped {
            let n = movie.next;
            end(&mut movie, Ok(n), &mut exit);
            return;
        }
        // The next frame: its iterations (or recorded frame), drawn next update.
        match movie.replay.as_ref() {
            Some(t) => {
                let index = ((movie.next * movie.every) as usize).min(t.len() - 1);
                if let Some(state) = replay.state.as_mut() {
                    state.frame = index;
                }
            }
            None => {
                sim.write(SimCommand::Advance(movie.every));
            }
        }
        movie.advanced = true;
        return;
    }
    if movie.advanced {
        // This update applied the advance; the next one draws it.
        movie.advanced = false;
        return;
    }
    let slot: Arc<Mutex<Option<Image>>> = Arc::default();
    let into = slot.clone();
    commands.spawn(Screenshot::primary_window()).observe(move |captured: On<ScreenshotCaptured>| {
        if let Ok(mut s) = into.lock() {
            *s = Some(captured.image.clone());
        }
    });
    movie.shot = Some(slot);
}

/// Finishes the movie with `result` and closes the window.
fn end(movie: &mut WindowMovie, result: Result<u64, String>, exit: &mut MessageWriter<AppExit>) {
    if let Some(bar) = movie.progress.take() {
        bar.finish_and_clear();
    }
    let finished = movie.sink.take().map_or(Ok(()), Sink::finish);
    let result = result.and_then(|n| finished.map(|()| n));
    if let Ok(mut r) = movie.result.lock() {
        *r = result;
    }
    exit.write(AppExit::Success);
}
