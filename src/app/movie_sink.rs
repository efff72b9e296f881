//! Where a movie's frames go (`absorb movie`, src/app/movie.rs): numbered
//! PNGs, a GIF with one palette made for the picture's colours, or an MP4
//! through ffmpeg.

use super::movie::{MovieOptions, Output};
use super::screenshot::save_png;
use crate::scene::Scene;
use bevy::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// ffmpeg's output options of every MP4 absorb writes: H.264 in yuv420p,
/// which slide software plays, an odd side padded by a pixel (yuv420p needs
/// even sides).
pub const H264: [&str; 6] = ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p"];

/// ffmpeg runs from PATH.
pub fn ffmpeg_found() -> bool {
    std::process::Command::new("ffmpeg").arg("-version").output().is_ok()
}

/// A movie being written.
pub(super) enum Sink {
    Folder(PathBuf),
    Gif(Box<gif::Encoder<std::io::BufWriter<std::fs::File>>>, u16, Box<Palette>),
    Mp4(std::process::Child, PathBuf),
}

impl Sink {
    /// Opens the output (a folder made, a file created): an unwritable path fails here, before any frame.
    pub(super) fn open(options: &MovieOptions) -> Result<Self, String> {
        let (w, h) = options.size;
        let parent = |p: &Path| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot write {}: {e}", p.display()))
        };
        match &options.out {
            Output::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
                Ok(Sink::Folder(dir.clone()))
            }
            Output::Gif(path) => {
                parent(path)?;
                let file = std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                let (gw, gh) = (u16::try_from(w), u16::try_from(h));
                let (Ok(gw), Ok(gh)) = (gw, gh) else {
                    return Err(format!("a GIF is at most 65535 pixels a side, not {w}x{h}"));
                };
                let palette = Palette::of_scene(&options.scene);
                let mut encoder = gif::Encoder::new(std::io::BufWriter::new(file), gw, gh, &palette.bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                encoder
                    .set_repeat(gif::Repeat::Infinite)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                let delay = (100.0 / options.fps as f64).round().max(1.0) as u16;
                Ok(Sink::Gif(Box::new(encoder), delay, Box::new(palette)))
            }
            Output::Mp4(path) => {
                parent(path)?;
                std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                let mut command = std::process::Command::new("ffmpeg");
                // Its own process group: Ctrl-C stops the filming, which then closes the movie.
                #[cfg(unix)]
                std::os::unix::process::CommandExt::process_group(&mut command, 0);
                let child = command
                    .args(["-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s"])
                    .arg(format!("{w}x{h}"))
                    .args(["-framerate", &options.fps.to_string(), "-i", "-"])
                    // yuv420p needs even sides: an odd one gets a pixel of padding.
                    .args(H264)
                    .args(["-movflags", "+faststart"])
                    .arg(path)
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("cannot start ffmpeg: {e}"))?;
                Ok(Sink::Mp4(child, path.clone()))
            }
        }
    }

    pub(super) fn write(&mut self, k: u64, frame: &Image) -> Result<(), String> {
        match self {
            Sink::Folder(dir) => save_png(frame, &dir.join(format!("frame-{k:05}.png"))),
            Sink::Gif(encoder, delay, palette) => {
                let rgba = rgba(frame)?;
                let (w, h) = (frame.width() as u16, frame.height() as u16);
                let indices = palette.index(&rgba);
                let mut gif_frame = gif::Frame::from_indexed_pixels(w, h, indices, None);
                gif_frame.delay = *delay;
                encoder.write_frame(&gif_frame).map_err(|e| format!("cannot write the GIF: {e}"))
            }
            Sink::Mp4(child, _) => {
                let rgba = rgba(frame)?;
                let stdin = child.stdin.as_mut().ok_or("ffmpeg's input closed")?;
                stdin.write_all(&rgba).map_err(|e| format!("ffmpeg stopped taking frames: {e}"))
            }
        }
    }

    pub(super) fn finish(self) -> Result<(), String> {
        match self {
            Sink::Folder(_) => Ok(()),
            // The encoder writes the GIF's trailer when dropped.
            Sink::Gif(encoder, _, _) => {
                encoder.into_inner().map_err(|e| e.to_string())?.flush().map_err(|e| e.to_string())
            }
            Sink::Mp4(mut child, path) => {
                drop(child.stdin.take());
                let status = child.wait().map_err(|e| format!("ffmpeg: {e}"))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(format!("ffmpeg could not write {} ({status})", path.display()))
                }
            }
        }
    }
}

/// The GIF's one palette, made for the picture's colours: each activity
/// colour in every shade the headlight gives it (the impostors' shading,
/// src/app/impostor.wgsl: the linear colour times 0.28 to 1), the
/// background, and the outlines blended into it. One palette for every
/// frame: no frame-to-frame flicker of a palette chosen per frame.
pub struct Palette {
    colours: Vec<[u8; 3]>,
    nearest: std::collections::HashMap<[u8; 3], u8>,
}

/// Shades of each activity colour in the palette.
const SHADES: usize = 112;
/// Steps of the outlines' blend into the background.
const LINE_STEPS: usize = 16;

impl Palette {
    /// The palette of `scene`'s colours and look.
    pub fn of_scene(scene: &Scene) -> Self {
        let view = &scene.view;
        let linear = |c: f32| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        let srgb = |c: f32| if c <= 0.0031308 { 12.92 * c } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
        let byte = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        let mut colours = Vec::with_capacity(256);
        for base in [view.resting_color, view.active_color] {
            for k in 0..SHADES {
                let light = k as f32 / (SHADES - 1) as f32;
                colours.push(base.map(|c| byte(srgb(linear(c) * light))));
            }
        }
        let background = super::picture::background(view);
        let line = super::picture::outline(view.theme);
        for k in 0..LINE_STEPS {
            let t = k as f32 / (LINE_STEPS - 1) as f32;
            colours.push(std::array::from_fn(|i| byte(background[i] + (line[i] - background[i]) * t)));
        }
        // The rest: greys, for whatever else is drawn.
        while colours.len() < 256 {
            let g = byte((colours.len() - 2 * SHADES - LINE_STEPS) as f32 / (256 - 2 * SHADES - LINE_STEPS) as f32);
            colours.push([g, g, g]);
        }
        Self { colours, nearest: std::collections::HashMap::new() }
    }

    /// The palette as the GIF's global colour table.
    pub fn bytes(&self) -> Vec<u8> {
        self.colours.iter().flatten().copied().collect()
    }

    /// Each pixel of an RGBA frame as its nearest palette entry.
    pub fn index(&mut self, rgba: &[u8]) -> Vec<u8> {
        rgba.chunks_exact(4)
            .map(|p| {
                let key = [p[0], p[1], p[2]];
                *self.nearest.entry(key).or_insert_with(|| nearest(&self.colours, key))
            })
            .collect()
    }
}

fn nearest(colours: &[[u8; 3]], c: [u8; 3]) -> u8 {
    let distance = |p: &[u8; 3]| (0..3).map(|i| (p[i] as i32 - c[i] as i32).pow(2)).sum::<i32>();
    colours.iter().enumerate().min_by_key(|(_, p)| distance(p)).map_or(0, |(k, _)| k as u8)
}

pub(super) fn rgba(frame: &Image) -> Result<Vec<u8>, String> {
    Ok(frame.clone().try_into_dynamic().map_err(|e| e.to_string())?.to_rgba8().into_raw())
}
