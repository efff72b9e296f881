//! `absorb view` (and `absorb` alone): the window on a scene, or a scripted
//! screenshot or frame-rate measurement of it.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Default)]
pub struct ViewArgs {
    /// Scene file, or the name of one in scenes/ (default: the built-in default scene).
    scene: Option<String>,
    /// Run, render, save this PNG and exit (non-zero if nothing could be drawn).
    #[arg(long, value_name = "PATH")]
    screenshot: Option<PathBuf>,
    /// Frames rendered before the screenshot.
    #[arg(long, value_name = "K", default_value_t = 30)]
    frames: u32,
    /// Iterations run before the first frame of a screenshot.
    #[arg(long, value_name = "T", default_value_t = 0)]
    steps: u64,
    /// Leave the panels out of the screenshot or the frame-rate measurement.
    #[arg(long)]
    no_panels: bool,
    /// Number of particles (overrides the scene).
    #[arg(long = "n", value_name = "N")]
    n: Option<usize>,
    /// Print the median frames per second over this many seconds, then exit.
    #[arg(long, value_name = "SECONDS")]
    measure_fps: Option<f64>,
    /// Colour spheres by activity, overlaps or displacement.
    #[arg(long, value_name = "MODE")]
    color_by: Option<String>,
    /// Window size in logical pixels, WIDTHxHEIGHT (default 1280x720).
    #[arg(long, value_name = "WxH")]
    size: Option<String>,
    /// Start a scan of phi at once and show the phase diagram (a screenshot
    /// waits for the scan to finish).
    #[arg(long)]
    scan: bool,
    /// Open a lecture file (RON, see lectures/): Page Down / Page Up move between its steps.
    #[arg(long, value_name = "FILE")]
    lecture: Option<PathBuf>,
    /// The lecture's step to start at, from 1.
    #[arg(long, value_name = "K", requires = "lecture")]
    step: Option<usize>,
    /// Compare side by side with a second run from the same start and seed:
    /// SGD matched to the scene's pairwise BRO (RCD to particle BRO) when no
    /// scheme is named, else that scheme with the scene's parameters. Put
    /// the scene before it: `absorb view SCENE --compare`.
    #[arg(long, value_name = "SCHEME", num_args = 0..=1, default_missing_value = "matched")]
    compare: Option<String>,
    /// Replay a recording: its folder (the window's Record button, or
    /// `absorb run --record-every K`) or a trajectory.xyz.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["compare", "lecture", "scan"])]
    replay: Option<PathBuf>,
}

#[cfg(feature = "gui")]
pub fn view(args: ViewArgs) -> Result<()> {
    let (mut scene, _, path) = super::args::load_scene(&args.scene, true)?;
    if let Some(n) = args.n {
        scene.n = n;
        scene.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    }
    if let Some(s) = args.measure_fps
        && !(s.is_finite() && s > 0.0)
    {
        anyhow::bail!("--measure-fps = {s} is not allowed: a duration > 0 in seconds");
    }
    let color_by = match args.color_by.as_deref() {
        None => Default::default(),
        Some(name) => absorb::app::picture::ColorMode::from_name(name)
            .ok_or_else(|| anyhow::anyhow!("--color-by = {name} is not allowed: activity, overlaps or displacement"))?,
    };
    let screenshot = args.screenshot.map(|path| absorb::app::ScriptedShot {
        path,
        frames: args.frames,
        steps: args.steps,
        no_panels: args.no_panels,
    });
    let path = args.scene.is_some().then_some(path);
    let lecture = match &args.lecture {
        None => None,
        Some(file) => {
            let lecture = absorb::lecture::Lecture::load(file)?;
            let step = args.step.unwrap_or(1);
            if !(1..=lecture.steps.len()).contains(&step) {
                anyhow::bail!(
                    "--step {step} is not allowed: {} has steps 1 to {}",
                    file.display(),
                    lecture.steps.len()
                );
            }
            Some((file.clone(), step - 1))
        }
    };
    let compare = match args.compare.as_deref() {
        None => None,
        Some(text) => {
            let kind = absorb::compare::parse_compare(text).map_err(|e| anyhow::anyhow!("--compare: {e}"))?;
            let a = scene.dynamics();
            Some(absorb::compare::partner_dynamics(&a, kind).map_err(|e| anyhow::anyhow!("--compare: {e}"))?)
        }
    };
    if let Some(path) = &args.replay {
        // Refused before a window opens: a file that is not a trajectory, or mixes runs.
        let trajectory = absorb::io::trajectory::Trajectory::open(path)?;
        if let Some(why) = &trajectory.stopped {
            eprintln!("absorb: {}: {why}", trajectory.path.display());
        }
    }
    let size = match args.size.as_deref() {
        None => absorb::app::WINDOW_SIZE,
        Some(text) => parse_size(text, (200, 8192), (200, 8192))?,
    };
    match absorb::app::run(absorb::app::ViewOptions {
        scene,
        path,
        screenshot,
        measure_fps: args.measure_fps,
        measure_without_panels: args.no_panels,
        color_by,
        size,
        scan: args.scan,
        lecture,
        compare,
        replay: args.replay,
    })? {
        bevy::app::AppExit::Success => Ok(()),
        // The visualizer has said why already.
        bevy::app::AppExit::Error(code) => std::process::exit(i32::from(code.get())),
    }
}

/// `1920x1080` as (1920, 1080), the width and height within their ranges.
#[cfg(feature = "gui")]
pub fn parse_size(text: &str, width: (u32, u32), height: (u32, u32)) -> Result<(u32, u32)> {
    let parsed = text.split_once(['x', 'X']).and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) if (width.0..=width.1).contains(&w) && (height.0..=height.1).contains(&h) => Ok((w, h)),
        _ => anyhow::bail!(
            "--size = {text} is not allowed: WIDTHxHEIGHT in pixels, from {}x{} to {}x{}",
            width.0,
            height.0,
            width.1,
            height.1
        ),
    }
}

#[cfg(not(feature = "gui"))]
pub fn view(args: ViewArgs) -> Result<()> {
    if args.screenshot.is_some() {
        anyhow::bail!("this absorb was built without the visualizer (feature `gui`): no screenshots");
    }
    eprintln!("absorb: built without the visualizer (feature `gui`); running the scene headless");
    super::run::run_headless(super::run::RunArgs::of_scene(args.scene))
}
