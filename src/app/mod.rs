//! The Bevy front end: one plugin per concern, wiring the core to the screen.
//! `absorb view` and `cargo run --release` start it.

pub mod camera;
pub mod compare;
pub mod controls;
pub mod flatness;
pub mod history;
pub mod impostor;
pub mod keys;
pub mod lecture;
pub mod limits;
pub mod movie;
pub mod movie_sink;
pub mod panel_state;
pub mod phase_panel;
pub mod pick;
pub mod picture;
pub mod picture_panel;
pub mod plots;
mod probe;
pub mod readouts;
pub mod record;
pub mod replay;
pub mod scan;
pub mod screenshot;
pub mod show;
pub mod sight;
pub mod simulation;
pub mod snapshot;
pub mod stepping;
pub mod ui;
pub mod video;

use crate::scene::Scene;
use bevy::diagnostic::FrameTimeDiagnosticsPlugin;
use bevy::prelude::*;
use bevy::render::error_handler::{RenderError, RenderErrorPolicy};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::{PresentMode, WindowResolution};
use simulation::{Setup, Sim, SimSettings, SimulationPlugin};
use std::path::PathBuf;

/// Window size at start, in logical pixels: fits a 1280 x 720 projector.
pub const WINDOW_SIZE: (u32, u32) = (1280, 720);
/// Frames a smoke test may wait past `--frames` for the picture to appear
/// (pipelines compile in the background on a software renderer).
const SMOKE_RETRY_FRAMES: u32 = 600;
/// Frames the panels get to settle after a scripted scan has finished.
const SETTLE_FRAMES: u32 = 10;
/// Share of the central region that must differ from the background for a
/// screenshot to count as not blank.
const SMOKE_MIN_DRAWN: f64 = 0.02;

/// How to open the window.
#[derive(Clone, Debug)]
pub struct ViewOptions {
    /// The scene and where it came from.
    pub scene: Scene,
    /// Its file, if any.
    pub path: Option<PathBuf>,
    /// Run `steps` iterations, render `frames` frames, save a PNG here and exit.
    pub screenshot: Option<ScriptedShot>,
    /// Measure frames per second for this many seconds, print them and exit.
    pub measure_fps: Option<f64>,
    /// Measure with the panels hidden: the picture's own frame rate.
    pub measure_without_panels: bool,
    /// What the sphere colours show at start.
    pub color_by: picture::ColorMode,
    /// Window size in logical pixels.
    pub size: (u32, u32),
    /// Start a scan of phi and show the phase diagram.
    pub scan: bool,
    /// Open this lecture at this step (from 0).
    pub lecture: Option<(PathBuf, usize)>,
    /// Compare side by side with a second run under these dynamics.
    pub compare: Option<crate::sim::Dynamics>,
    /// Replay this recording.
    pub replay: Option<PathBuf>,
}

/// The scripted-figure mode of `absorb view --screenshot`.
#[derive(Clone, Debug)]
pub struct ScriptedShot {
    /// Where the PNG goes.
    pub path: PathBuf,
    /// Frames rendered before the capture.
    pub frames: u32,
    /// Iterations run before the first frame.
    pub steps: u64,
    /// Hide the panels in the picture.
    pub no_panels: bool,
}

/// Runs the window until it is closed (or the screenshot is saved).
pub fn run(options: ViewOptions) -> anyhow::Result<AppExit> {
    Ok(window_app(options)?.run())
}

/// The window's app, ready to run.
pub fn window_app(options: ViewOptions) -> anyhow::Result<App> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        anyhow::bail!(
            "no display to open a window on (DISPLAY is not set): run under a desktop session, \
             or headless with `xvfb-run -a absorb view ...`; `absorb run` needs no window"
        );
    }
    keep_freed_memory();
    explain_panics();
    let setup = Setup::new(options.scene.clone(), options.path.clone());
    // Built here, so that a scene that cannot start is refused before a window opens.
    let sim = Sim::new(setup.scene.simulation()?);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "absorb: the absorbing transition of SGD".into(),
            resolution: WindowResolution::new(options.size.0, options.size.1),
            present_mode: PresentMode::AutoNoVsync,
            ..default()
        }),
        ..default()
    }))
    .add_plugins(FrameTimeDiagnosticsPlugin::default())
    .add_plugins(bevy_egui::EguiPlugin::default());
    app.insert_resource(bevy::render::error_handler::RenderErrorHandler(on_render_error));
    app.insert_resource(sim).add_plugins(AbsorbPlugins { sim: SimulationPlugin::new(setup) });
    app.insert_resource(options.color_by);
    let lecture = options.lecture.is_some();
    if let Some((path, step)) = options.lecture {
        app.world_mut().write_message(lecture::LectureCommand::Open(path, step));
    }
    if options.scan {
        app.world_mut().write_message(scan::ScanCommand::Start);
        app.world_mut().resource_mut::<panel_state::UiState>().plots.tab = plots::PlotTab::PhaseDiagram;
    }
    if let Some(path) = options.replay {
        app.world_mut().write_message(replay::ReplayCommand::Open(path));
    }
    if let Some(d) = options.compare {
        app.world_mut().write_message(simulation::SimCommand::Compare(d));
    }
    if let Some(shot) = options.screenshot {
        // A lecture's step loads its scene in the first frames: the
        // iterations asked for run after it, not before.
        let advance = if lecture {
            Some(shot.steps)
        } else {
            app.world_mut().write_message(simulation::SimCommand::Advance(shot.steps));
            None
        };
        app.world_mut().resource_mut::<SimSettings>().playing = false;
        app.insert_resource(SmokeTest { shot, frame: 0, tries: 0, advance }).add_systems(Last, smoke_test);
    }
    if let Some(seconds) = options.measure_fps {
        app.add_plugins(probe::ProbePlugin { seconds });
        if options.measure_without_panels {
            app.world_mut().resource_mut::<panel_state::UiState>().panels = panel_state::PanelsShown::Nothing;
        }
    }
    Ok(app)
}

/// A render error ends the window with a message that says what happened
/// and what to try, instead of a silent exit.
fn on_render_error(error: &RenderError, main_world: &mut World, _: &mut World) -> RenderErrorPolicy {
    let n = main_world.get_resource::<Setup>().map_or(0, |s| s.scene.n);
    eprintln!(
        "absorb: the graphics device failed ({:?}) while drawing {n} spheres: {}\n\
         absorb: try fewer spheres (--n), switch \"smooth edges\" off, or update the graphics driver; \
         `absorb run` needs no window",
        error.ty,
        error.description.lines().next().unwrap_or("no description")
    );
    main_world.write_message(AppExit::error());
    RenderErrorPolicy::StopRendering
}

/// A window that cannot go on (no graphics device, a driver that fails)
/// says so in a sentence with what to do, instead of a bare panic; the
/// details follow with RUST_BACKTRACE set.
fn explain_panics() {
    let details = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message =
            payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
        let message = message.unwrap_or_default();
        eprintln!("absorb: the window stopped: {}", message.lines().next().unwrap_or(""));
        if message.contains("GPU") || message.contains("adapter") {
            eprintln!(
                "absorb: no graphics device was found: install a Vulkan driver (without a GPU, Mesa's \
                 mesa-vulkan-drivers renders in software); `absorb run` needs no window"
            );
        } else {
            eprintln!("absorb: run it again with RUST_BACKTRACE=1 for the details; `absorb run` needs no window");
        }
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            details(info);
        }
    }));
}

/// Software renderers allocate and free large buffers every frame. glibc's
/// default gives the freed pages back to the system at once and faults them in
/// again on the next frame: with 10^4 spheres under Mesa's lavapipe that was a
/// sixth of the main thread's time and 8.5 instead of 11 to 12 frames per second.
/// Keeping freed memory for reuse costs nothing else; the picture's working set
/// stays the same from frame to frame.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two allocator thresholds; it takes no pointers
    // and is called before the app starts its threads.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

/// Every plugin of the front end, in the order they depend on each other.
pub struct AbsorbPlugins {
    /// The simulation to show.
    pub sim: SimulationPlugin,
}

impl Plugin for AbsorbPlugins {
    fn build(&self, app: &mut App) {
        app.add_plugins(self.sim.clone()).add_plugins((
            record::RecordPlugin,
            replay::ReplayPlugin,
            video::VideoPlugin,
            scan::ScanPlugin,
            flatness::FlatnessPlugin,
            lecture::LecturePlugin,
            screenshot::ScreenshotPlugin,
            picture::PicturePlugin,
            pick::PickPlugin,
            camera::CameraPlugin,
            ui::UiPlugin,
        ));
    }
}

#[derive(Resource)]
struct SmokeTest {
    shot: ScriptedShot,
    frame: u32,
    tries: u32,
    /// Iterations to run once a lecture's step has loaded its scene.
    advance: Option<u64>,
}

/// Frames a lecture's step takes to load its scene: the step is chosen in
/// the first, its scene loaded in the second.
const LECTURE_LOAD_FRAMES: u32 = 3;

/// Renders the frames, then captures until the picture has content; exits
/// with an error if it never does.
fn smoke_test(
    mut commands: Commands,
    mut smoke: ResMut<SmokeTest>,
    mut ui: ResMut<panel_state::UiState>,
    diagram: Res<scan::PhaseDiagram>,
    mut exit: MessageWriter<AppExit>,
    mut sim: MessageWriter<simulation::SimCommand>,
) {
    smoke.frame += 1;
    if smoke.frame >= LECTURE_LOAD_FRAMES
        && let Some(steps) = smoke.advance.take()
    {
        sim.write(simulation::SimCommand::Advance(steps));
        smoke.frame = 0;
    }
    if smoke.advance.is_some() {
        return;
    }
    if diagram.busy() {
        // A scripted phase diagram is taken once its scan has finished and
        // the panels have had some frames to show it.
        smoke.frame = smoke.frame.min(smoke.shot.frames.saturating_sub(SETTLE_FRAMES));
        return;
    }
    ui.panels = if smoke.shot.no_panels { panel_state::PanelsShown::Nothing } else { panel_state::PanelsShown::All };
    if smoke.frame < smoke.shot.frames.max(1) || smoke.tries > 0 && !smoke.frame.is_multiple_of(10) {
        return;
    }
    if smoke.tries * 10 > SMOKE_RETRY_FRAMES {
        eprintln!(
            "absorb: the picture stayed blank for {} frames: no screenshot saved to {}",
            smoke.frame,
            smoke.shot.path.display()
        );
        exit.write(AppExit::error());
        return;
    }
    smoke.tries += 1;
    let path = smoke.shot.path.clone();
    commands.spawn(Screenshot::primary_window()).observe(
        move |shot: On<ScreenshotCaptured>, clear: Res<ClearColor>, mut exit: MessageWriter<AppExit>| {
            let bg = clear.0.to_srgba();
            let background = [bg.red, bg.green, bg.blue].map(|c| (c * 255.0).round() as u8);
            if screenshot::drawn_fraction(&shot.image, background) < SMOKE_MIN_DRAWN {
                return; // not drawn yet: the next try comes in a few frames
            }
            match screenshot::save_png(&shot.image, &path) {
                Ok(()) => {
                    println!("saved {}", path.display());
                    exit.write(AppExit::Success);
                }
                Err(e) => {
                    eprintln!("absorb: no screenshot saved: {e}");
                    exit.write(AppExit::error());
                }
            }
        },
    );
}
