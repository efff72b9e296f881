//! Screenshots for talks: PNGs of the window, with or without the panels,
//! named by the iteration they show; and the check that a picture has
//! content (the smoke test's).

use super::simulation::Sim;
use crate::io::{self, absolute};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::{Path, PathBuf};

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

/// Saves the screenshots asked for.
pub struct ScreenshotPlugin;

impl Plugin for ScreenshotPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CaptureRequest>().add_systems(Last, take_screenshot);
    }
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
