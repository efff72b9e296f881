//! `absorb movie`: a scene filmed offscreen, a frame every K iterations,
//! into an MP4 (through ffmpeg), a GIF or a folder of PNGs.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `absorb movie`'s arguments: what to film, how, and the flags of `absorb
/// run` that override the scene (`--phi`, `--scheme`, `--lr`, ...).
#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct MovieArgs {
    /// Scene file, or the name of one in scenes/ (default: the built-in default scene).
    scene: Option<String>,
    /// Iterations filmed (the movie ends early at the absorbed state, which it shows).
    #[arg(long, value_name = "T", required_unless_present = "replay")]
    steps: Option<u64>,
    /// Film a recording (its folder or trajectory.xyz) instead: every K-th
    /// of its frames.
    #[arg(long, value_name = "PATH", conflicts_with = "steps")]
    replay: Option<PathBuf>,
    /// A frame every K iterations (the first frame is the start).
    #[arg(long, value_name = "K", default_value_t = 1)]
    every: u64,
    /// Frame size in pixels, WIDTHxHEIGHT (up to 7680x4320).
    #[arg(long, value_name = "WxH", default_value = "1280x720")]
    size: String,
    /// Frames per second of the movie.
    #[arg(long, value_name = "F", default_value_t = 30)]
    fps: u32,
    /// Camera azimuth and elevation in degrees, and optionally its distance
    /// in box sides: AZ,EL[,DIST] (3D; default the scene's view).
    #[arg(long, value_name = "AZ,EL[,DIST]", allow_hyphen_values = true)]
    camera: Option<String>,
    /// Turn the camera about the box by this many degrees a frame (3D).
    #[arg(long, value_name = "DEG", default_value_t = 0.0, allow_hyphen_values = true)]
    orbit: f32,
    /// What of the spheres is shown: all, overlapping, points (overlapping,
    /// resting as faint points) or slab (a slab through the middle).
    #[arg(long, value_name = "MODE", default_value = "all")]
    show: String,
    /// Film the window with its panels (the plots beside the picture);
    /// needs a display: `xvfb-run -a absorb movie ... --panels` without one.
    #[arg(long)]
    panels: bool,
    #[command(flatten)]
    flags: super::run::SceneFlags,
    /// The movie: FILE.mp4 (needs ffmpeg), FILE.gif, or a folder name
    /// without an extension for numbered PNGs.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[cfg(feature = "gui")]
pub fn movie(args: MovieArgs) -> Result<()> {
    use absorb::app::movie::{MovieOptions, Output, film};
    use std::io::IsTerminal;
    let (mut scene, _, path) = super::args::load_scene(&args.scene, true)?;
    super::run::check_flags(&args.flags)?;
    super::run::apply_overrides(&mut scene, &args.flags)?;
    scene.validate().map_err(|e| super::run::blame(e, &args.flags, false, &path))?;
    let out = Output::of(&args.out).map_err(anyhow::Error::msg)?;
    let size = super::view::parse_size(&args.size, (absorb::app::movie::SMALLEST, 7680), (16, 4320))?;
    let camera = args.camera.as_deref().map(parse_camera).transpose()?;
    let replay = args.replay.as_deref().map(absorb::io::trajectory::Trajectory::open).transpose()?;
    let dim = replay.as_ref().and_then(|t| t.frame(0).ok()).map_or(scene.dim, |f| f.packing.dim());
    if dim < 3 && (args.camera.is_some() || args.orbit != 0.0) {
        eprintln!("absorb: note: --camera and --orbit turn a 3D view; a 2D box is filmed from above");
    }
    if let Some(why) = replay.as_ref().and_then(|t| t.stopped.as_ref()) {
        eprintln!("absorb: {why}");
    }
    let show = absorb::app::show::ShowMode::from_name(&args.show)
        .ok_or_else(|| anyhow::anyhow!("--show {} is not allowed: all, overlapping, points or slab", args.show))?;
    let options = MovieOptions {
        panels: args.panels,
        show,
        replay,
        scene,
        steps: args.steps.unwrap_or(0),
        every: args.every,
        size,
        fps: args.fps,
        camera,
        orbit: args.orbit,
        out,
        progress: std::io::stderr().is_terminal(),
    };
    options.check().map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let frames = film(&options).map_err(|e| anyhow::anyhow!("no movie written: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let asked = options.frames();
    if frames < asked && absorb::app::movie::interrupted() {
        println!("stopped (Ctrl-C): wrote {} with {frames} of {asked} frames in {seconds:.1} s", args.out.display());
    } else if frames < asked {
        println!(
            "the run absorbed: wrote {} ({frames} of {asked} frames, the last one the absorbed state) in {seconds:.1} s",
            args.out.display()
        );
    } else {
        println!("wrote {} ({frames} frames) in {seconds:.1} s", args.out.display());
    }
    Ok(())
}

/// `30,20` or `30,20,2.5`: azimuth and elevation in degrees, distance in box sides.
#[cfg(feature = "gui")]
fn parse_camera(text: &str) -> Result<(f32, f32, Option<f32>)> {
    let values: Option<Vec<f32>> = text.split(',').map(|v| v.trim().parse().ok()).collect();
    match values.as_deref() {
        Some(&[az, el]) if az.is_finite() && el.is_finite() => Ok((az, el, None)),
        Some(&[az, el, d]) if az.is_finite() && el.is_finite() && d.is_finite() && d > 0.0 => Ok((az, el, Some(d))),
        _ => anyhow::bail!(
            "--camera {text} is not allowed: AZ,EL in degrees, optionally ,DIST in box sides (> 0), as 30,20 or 30,20,2.5"
        ),
    }
}

#[cfg(not(feature = "gui"))]
pub fn movie(_: MovieArgs) -> Result<()> {
    anyhow::bail!("this absorb was built without the visualizer (feature `gui`): no movies")
}
