//! Screenshots for talks: PNGs of the window, with or without the panels,
//! named by the iteration they show; and the check that a picture has
//! content (the smoke test's).

use super::camera::{WorldCamera, image_views};
use super::simulation::Sim;
use crate::io::{self, absolute};
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
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
    /// Size of the next screenshot, in times the window's: 1 takes the
    /// window (with or without the panels), 2 and 4 render the picture alone
    /// at that size (a slide at a projector's resolution or more).
    pub scale: u32,
    /// A larger picture being rendered.
    large: Option<Large>,
}

/// A picture rendered at a multiple of the window's size by a camera of its own.
#[derive(Clone, Debug)]
struct Large {
    /// Its cameras: one, or two while runs are compared.
    cameras: Vec<Entity>,
    image: Handle<Image>,
    /// Its height in pixels (the outlines scale with it).
    height: u32,
    /// Frames to wait before the next capture (pipelines compile first).
    frames_left: u8,
    /// Captures tried that came back empty.
    tries: u8,
    /// A capture is on its way.
    waiting: bool,
}

/// The camera of a larger screenshot.
#[derive(Component)]
struct LargeCamera;

/// The largest picture a screenshot renders, in pixels: 8K.
const LARGEST: UVec2 = UVec2::new(7680, 4320);
/// The order of the first camera of a larger picture.
const LARGE_ORDER: isize = -10;
/// Frames before a larger picture is first captured.
const LARGE_WARMUP: u8 = 10;
/// Empty captures of a larger picture before giving up.
const LARGE_TRIES: u8 = 20;

#[derive(Clone, Copy, Debug)]
struct Pending {
    with_panels: bool,
    frames_left: u8,
}

impl Default for CaptureRequest {
    fn default() -> Self {
        Self { pending: None, folder: PathBuf::from("screenshots"), message: None, scale: 1, large: None }
    }
}

impl CaptureRequest {
    /// Asks for a screenshot at the end of the next frame (at the window's
    /// size; larger ones once their camera has rendered).
    pub fn ask(&mut self, with_panels: bool) {
        self.pending = Some(Pending { with_panels, frames_left: 1 });
    }

    /// The height in pixels of a larger picture being rendered, if one is.
    pub fn large_height(&self) -> Option<u32> {
        self.large.as_ref().map(|l| l.height)
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
        app.init_resource::<CaptureRequest>().add_systems(Last, (take_screenshot, take_large).chain());
    }
}

fn take_screenshot(
    mut commands: Commands,
    mut request: ResMut<CaptureRequest>,
    sim: Res<Sim>,
    cameras: Query<(&GlobalTransform, &Projection), With<WorldCamera>>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut images: ResMut<Assets<Image>>,
) {
    let Some(pending) = request.pending.as_mut() else { return };
    if pending.frames_left > 0 {
        pending.frames_left -= 1;
        return;
    }
    request.pending = None;
    if request.scale > 1 && request.large.is_none() {
        // The picture alone at a multiple of the window's size, from a
        // camera of its own where the world camera is.
        let (Ok(window), Some((at, projection))) = (windows.single(), cameras.iter().next()) else { return };
        let wanted = UVec2::new(window.physical_width(), window.physical_height()) * request.scale;
        let fit = (LARGEST.as_vec2() / wanted.as_vec2()).min_element().min(1.0);
        let size = (wanted.as_vec2() * fit).as_uvec2().max(UVec2::ONE);
        let target = Image::new_target_texture(size.x, size.y, TextureFormat::Rgba8UnormSrgb, None);
        let image = images.add(target);
        let views = image_views(&image, size, sim.comparing(), LARGE_ORDER);
        let cameras =
            views.into_iter().map(|v| commands.spawn((LargeCamera, v, Transform::from(*at), projection.clone())).id());
        let cameras = cameras.collect();
        request.large =
            Some(Large { cameras, image, height: size.y, frames_left: LARGE_WARMUP, tries: 0, waiting: false });
        return;
    }
    if let Err(e) = std::fs::create_dir_all(&request.folder) {
        request.message = Some(format!("cannot save screenshots in {}: {e}", request.folder.display()));
        return;
    }
    let path = next_free(&request.folder, &format!("absorb-{:06}", sim.view().iteration()));
    commands.spawn(Screenshot::primary_window()).observe(
        move |shot: On<ScreenshotCaptured>, mut req: ResMut<CaptureRequest>| {
            req.message = Some(match save_png(&shot.image, &path) {
                Ok(()) => format!("saved {}", absolute(&path).display()),
                Err(e) => format!("screenshot not saved: {e}"),
            });
        },
    );
}

/// Captures the larger picture once its camera has rendered; retries while
/// it comes back empty; then saves it and removes the camera.
fn take_large(mut commands: Commands, mut request: ResMut<CaptureRequest>, sim: Res<Sim>, clear: Res<ClearColor>) {
    let (folder, scale) = (request.folder.clone(), request.scale);
    let Some(large) = request.large.as_mut() else { return };
    if large.waiting {
        return;
    }
    if large.frames_left > 0 {
        large.frames_left -= 1;
        return;
    }
    if large.tries >= LARGE_TRIES {
        despawn_all(&mut commands, &large.cameras);
        request.large = None;
        request.message = Some("the larger screenshot stayed empty: not saved".into());
        return;
    }
    large.waiting = true;
    if let Err(e) = std::fs::create_dir_all(&folder) {
        despawn_all(&mut commands, &large.cameras);
        request.large = None;
        request.message = Some(format!("cannot save screenshots in {}: {e}", folder.display()));
        return;
    }
    let path = next_free(&folder, &format!("absorb-{:06}-{scale}x", sim.view().iteration()));
    let c = clear.0.to_srgba();
    let background = [c.red, c.green, c.blue].map(|v| (v * 255.0).round() as u8);
    let views = large.cameras.len() as u32;
    commands.spawn(Screenshot::image(large.image.clone())).observe(
        move |shot: On<ScreenshotCaptured>, mut req: ResMut<CaptureRequest>, mut commands: Commands| {
            let Some(large) = req.large.as_mut() else { return };
            large.waiting = false;
            if drawn_in_each_view(&shot.image, background, views) < 0.01 {
                large.tries += 1;
                large.frames_left = 2;
                return;
            }
            despawn_all(&mut commands, &large.cameras);
            req.large = None;
            req.message = Some(match save_png(&shot.image, &path) {
                Ok(()) => format!("saved {}", absolute(&path).display()),
                Err(e) => format!("screenshot not saved: {e}"),
            });
        },
    );
}

fn despawn_all(commands: &mut Commands, cameras: &[Entity]) {
    for camera in cameras {
        commands.entity(*camera).despawn();
    }
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
    drawn_in_each_view(image, background, 1)
}

/// The least share, over `views` views side by side, of pixels in the
/// central fifth of a view that were drawn (not transparent, as an image no
/// camera has rendered into yet is) and differ clearly from `background`.
pub fn drawn_in_each_view(image: &Image, background: [u8; 3], views: u32) -> f64 {
    let Ok(dynamic) = image.clone().try_into_dynamic() else { return 0.0 };
    let rgba = dynamic.to_rgba8();
    let (w, h) = (rgba.width() / views.max(1), rgba.height());
    let (y0, y1) = (h * 2 / 5, h * 3 / 5);
    let fraction = |left: u32| {
        let (x0, x1) = (left + w * 2 / 5, left + w * 3 / 5);
        let (mut drawn, mut total) = (0u64, 0u64);
        for y in y0..y1 {
            for x in x0..x1 {
                let p = rgba.get_pixel(x, y).0;
                total += 1;
                let differs = p.iter().zip(background).any(|(a, b)| (*a as i32 - b as i32).abs() > 12);
                drawn += u64::from(p[3] > 0 && differs);
            }
        }
        if total == 0 { 0.0 } else { drawn as f64 / total as f64 }
    };
    (0..views.max(1)).map(|k| fraction(k * w)).fold(1.0, f64::min)
}
