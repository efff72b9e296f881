//! Cameras: an orbit camera for 3D (drag rotates, scroll zooms, C resets),
//! an orthographic top view for 2D, and the camera that draws the panels. The
//! world is drawn in the part of the window the panels leave free; while two
//! runs are compared it is split in two views, run A on the left and run B
//! on the right, each drawn by a camera of its own that follows the orbit
//! camera, so that one drag turns both.

use super::simulation::{Setup, Sim};
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, Viewport};
use bevy::light::cluster::ClusterConfig;
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy_egui::{EguiContexts, EguiGlobalSettings, PrimaryEguiContext};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin, PanOrbitCameraSystemSet};

/// The camera that looks at the particles.
#[derive(Component)]
pub struct WorldCamera;

/// One of the two views of a comparison: 0 draws run A (left), 1 run B (right).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitView(pub usize);

/// The render layer of run B's spheres. Run A's spheres and the box
/// outlines are on layer 0 (the outlines on run B's layer too).
pub const RUN_B_LAYER: usize = 2;
/// A layer nothing is on: while the picture is split, the camera of the
/// panels draws the panels only.
const PANELS_ONLY_LAYER: usize = 3;

/// The window area the panels cover, in logical pixels.
#[derive(Resource, Default, Clone, Copy, Debug, PartialEq)]
pub struct PanelInsets {
    /// Left panel width.
    pub left: f32,
    /// Right panel width.
    pub right: f32,
    /// Top bar height.
    pub top: f32,
    /// Bottom panel height.
    pub bottom: f32,
}

/// Camera options the panels edit.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct CameraOptions {
    /// Smooth edges with 4x multisampling (costly in software rendering).
    pub msaa: bool,
}

/// Asks for the view to go back to the scene's camera.
#[derive(Message, Clone, Copy, Debug)]
pub struct ResetView;

/// Sets up and steers the cameras.
pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(PanOrbitCameraPlugin)
            .init_resource::<PanelInsets>()
            .init_resource::<CameraOptions>()
            .add_message::<ResetView>()
            .add_systems(Startup, spawn_camera)
            .add_systems(
                Update,
                (frame_world, apply_options, ignore_drags_on_panels).chain().before(PanOrbitCameraSystemSet),
            )
            .add_systems(Update, split_views.after(PanOrbitCameraSystemSet));
    }
}

/// One camera draws the world and the panels (a second camera would cost a
/// full-window pass, which software renderers feel). The spheres shade
/// themselves with a headlight: no light, so no light clustering either
/// (2.3 ms a frame under lavapipe).
fn spawn_camera(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>, mut gizmos: ResMut<GizmoConfigStore>) {
    egui.auto_create_primary_context = false;
    // The box is drawn in both views of a comparison.
    gizmos.config_mut::<DefaultGizmoConfigGroup>().0.render_layers = RenderLayers::from_layers(&[0, RUN_B_LAYER]);
    commands.spawn((WorldCamera, PrimaryEguiContext, Camera3d::default(), Msaa::Off, ClusterConfig::Single));
}

/// Room around the box when it is fitted into the view: 5 % of its size.
const FIT_MARGIN: f32 = 1.05;
/// The perspective camera's vertical field of view (Bevy's default).
pub const FIELD_OF_VIEW: f32 = std::f32::consts::FRAC_PI_4;
/// The free part of the view is never taken as smaller than this, in logical pixels.
const MIN_FREE: f32 = 40.0;

/// Half the width and height of the part of the window the panels leave
/// free, measured from the window's centre (where the camera looks), in
/// logical pixels.
pub fn free_half_extent(window: Vec2, insets: &PanelInsets) -> Vec2 {
    let half = window / 2.0;
    Vec2::new(
        (half.x - insets.left.max(insets.right)).max(MIN_FREE),
        (half.y - insets.top.max(insets.bottom)).max(MIN_FREE),
    )
}

/// The distance from which a perspective camera sees every corner of a
/// cube of side `side`, whatever its orientation, inside the free part of a
/// window `window_height` logical pixels tall.
pub fn fit_distance(side: f32, window_height: f32, free: Vec2) -> f32 {
    let bounding = side * 3f32.sqrt() / 2.0;
    let focal = (window_height / 2.0) / (FIELD_OF_VIEW / 2.0).tan();
    let room = free.x.min(free.y);
    bounding * (1.0 + (focal * FIT_MARGIN / room).powi(2)).sqrt()
}

/// The height of the world an orthographic camera shows so that a square of
/// side `side` fits the free part of a window `window_height` logical pixels tall.
pub fn fit_height_2d(side: f32, window_height: f32, free: Vec2) -> f32 {
    let per_pixel = side / 2.0 * FIT_MARGIN / free.x.min(free.y);
    per_pixel * window_height
}

/// The two views of a comparison, in logical pixels: the part of the
/// window the panels leave free, split down the middle.
pub fn split_rects(window: Vec2, insets: &PanelInsets) -> [Rect; 2] {
    let (left, right) = (insets.left, (window.x - insets.right).max(insets.left + 2.0));
    let (top, bottom) = (insets.top, (window.y - insets.bottom).max(insets.top + 1.0));
    let middle = 0.5 * (left + right);
    [Rect::new(left, top, middle, bottom), Rect::new(middle, top, right, bottom)]
}

/// The height of the view the world is fitted into and half its free
/// extent around the point the camera looks at, in logical pixels: the
/// window beside the panels, or while comparing one of its two halves.
fn fit_area(window: Vec2, insets: &PanelInsets, split: bool) -> (f32, Vec2) {
    if !split {
        return (window.y, free_half_extent(window, insets));
    }
    let half = split_rects(window, insets)[0].size();
    (half.y.max(2.0 * MIN_FREE), (half / 2.0).max(Vec2::splat(MIN_FREE)))
}

/// What the camera was last fitted to.
#[derive(Default)]
struct Fitted {
    /// Dimension, box side, run and whether the picture is split.
    key: Option<(usize, u64, u64, bool)>,
    /// The distance (3D) or world height (2D) last set.
    extent: f32,
}

/// Points the camera at the current box, fitted into the
/// part of the window the panels leave free: an orbit camera in 3D, an
/// orthographic top view in 2D. Again for every new run and on C; in 2D also
/// when the window or the panels change size, in 3D then too unless the view
/// was zoomed.
fn frame_world(
    mut commands: Commands,
    view_of: ViewOf,
    mut cameras: Query<(Entity, Option<&mut PanOrbitCamera>), With<WorldCamera>>,
    mut requests: MessageReader<ResetView>,
    mut fitted: Local<Fitted>,
) {
    // C: back to the scene's angles with the whole box in view.
    let asked = requests.read().count() > 0;
    let ViewOf { setup, sim, insets, windows } = view_of;
    let Ok(window) = windows.single() else { return };
    let split = sim.comparing();
    let (height, free) = fit_area(window.size(), &insets, split);
    let p = sim.view().packing();
    let side = p.side() as f32;
    let key = (p.dim(), p.side().to_bits(), setup.run, split);
    let new_run = fitted.key != Some(key) || asked;
    let view = &setup.scene.view;
    for (camera, orbit_camera) in &mut cameras {
        if p.dim() >= 3 {
            let distance = fit_distance(side, height, free).max(view.camera_distance as f32 * side);
            match orbit_camera {
                Some(mut cam) if !new_run => {
                    // Follow the window and panels unless the class zoomed the view.
                    if (cam.target_radius - fitted.extent).abs() < 1e-4 * fitted.extent
                        && (distance - fitted.extent).abs() > 1e-4 * distance
                    {
                        cam.target_radius = distance;
                        fitted.extent = distance;
                    }
                }
                _ => {
                    commands.entity(camera).insert((
                        orbit(distance, view),
                        Projection::Perspective(PerspectiveProjection { fov: FIELD_OF_VIEW, ..default() }),
                    ));
                    fitted.extent = distance;
                }
            }
        } else {
            let height = fit_height_2d(side, height, free);
            if new_run || (height - fitted.extent).abs() > 1e-4 * height {
                commands.entity(camera).remove::<PanOrbitCamera>().insert((
                    Projection::Orthographic(OrthographicProjection {
                        scaling_mode: bevy::camera::ScalingMode::FixedVertical { viewport_height: height },
                        ..OrthographicProjection::default_3d()
                    }),
                    Transform::from_xyz(0.0, 0.0, 2.0 * side).looking_at(Vec3::ZERO, Vec3::Y),
                ));
                fitted.extent = height;
            }
        }
    }
    fitted.key = Some(key);
}

/// What the view is fitted to: the run's box and the free part of the window.
#[derive(bevy::ecs::system::SystemParam)]
struct ViewOf<'w, 's> {
    setup: Res<'w, Setup>,
    sim: Res<'w, Sim>,
    insets: Res<'w, PanelInsets>,
    windows: Query<'w, 's, &'static Window, With<bevy::window::PrimaryWindow>>,
}

fn orbit(distance: f32, view: &crate::scene::View) -> PanOrbitCamera {
    let (yaw, pitch) = (view.camera_yaw.to_radians() as f32, view.camera_pitch.to_radians() as f32);
    PanOrbitCamera {
        focus: Vec3::ZERO,
        radius: Some(distance),
        yaw: Some(yaw),
        pitch: Some(pitch),
        target_focus: Vec3::ZERO,
        target_yaw: yaw,
        target_pitch: pitch,
        target_radius: distance,
        // Half the default step a wheel notch: three notches in, then out,
        // keep the class oriented.
        zoom_sensitivity: 0.5,
        ..default()
    }
}

/// The world camera's part, and what a view of a comparison copies from it.
type WorldParts<'a> = (Entity, &'a Transform, &'a Projection, &'a Msaa, &'a mut Camera);
/// A view of a comparison.
type ViewParts<'a> = (Entity, &'a SplitView, &'a mut Transform, &'a mut Projection, &'a mut Camera, &'a mut Msaa);

/// While two runs are compared, two cameras draw them side by side in the
/// free part of the window, each from where the orbit camera is; the world
/// camera then draws only the panels, over them. Closing the comparison
/// gives the whole picture back to the world camera.
fn split_views(
    mut commands: Commands,
    sim: Res<Sim>,
    insets: Res<PanelInsets>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut world: Query<WorldParts, (With<WorldCamera>, Without<SplitView>)>,
    mut views: Query<ViewParts, Without<WorldCamera>>,
) {
    let Ok((world_entity, at, projection, msaa, mut world_camera)) = world.single_mut() else { return };
    if !sim.comparing() {
        if !views.is_empty() {
            for (view, ..) in &views {
                commands.entity(view).despawn();
            }
            world_camera.clear_color = ClearColorConfig::Default;
            commands.entity(world_entity).insert(RenderLayers::layer(0));
        }
        return;
    }
    let Ok(window) = windows.single() else { return };
    let physical = UVec2::new(window.physical_width(), window.physical_height());
    let rects = split_rects(window.size(), &insets).map(|r| viewport(r, window.scale_factor(), physical));
    if views.is_empty() {
        // The first view clears the picture; the second and the panels' camera draw over it.
        world_camera.clear_color = ClearColorConfig::None;
        commands.entity(world_entity).insert(RenderLayers::layer(PANELS_ONLY_LAYER));
        for (k, rect) in rects.into_iter().enumerate() {
            let camera = Camera {
                order: k as isize - 2,
                viewport: Some(rect),
                clear_color: if k == 0 { ClearColorConfig::Default } else { ClearColorConfig::None },
                ..default()
            };
            let layer = RenderLayers::layer(if k == 0 { 0 } else { RUN_B_LAYER });
            let parts = (*at, projection.clone(), *msaa, ClusterConfig::Single, layer);
            commands.spawn((SplitView(k), Camera3d::default(), camera, parts));
        }
        return;
    }
    for (_, view, mut t, mut p, mut camera, mut m) in &mut views {
        t.set_if_neq(*at);
        *p = projection.clone();
        m.set_if_neq(*msaa);
        let rect = rects[view.0].clone();
        if camera
            .viewport
            .as_ref()
            .is_none_or(|v| (v.physical_position, v.physical_size) != (rect.physical_position, rect.physical_size))
        {
            camera.viewport = Some(rect);
        }
    }
}

/// The parts of a camera that renders the picture alone into `image`
/// (`size` pixels) for a larger screenshot or video: one view, or while two
/// runs are compared two side by side, run A on the left and run B on the
/// right, as the window shows them. The caller adds where the world camera
/// is (transform and projection) and its own marker; the views' orders start
/// at `order`.
pub fn image_views(image: &Handle<Image>, size: UVec2, comparing: bool, order: isize) -> Vec<impl Bundle> {
    let views: u32 = if comparing { 2 } else { 1 };
    let width = (size.x / views).max(1);
    (0..views)
        .map(|k| {
            let viewport = comparing.then(|| Viewport {
                physical_position: UVec2::new(k * width, 0),
                physical_size: UVec2::new(if k + 1 == views { size.x - k * width } else { width }, size.y),
                ..default()
            });
            // The first view clears the image; the second draws beside it.
            let clear_color = if k == 0 { ClearColorConfig::Default } else { ClearColorConfig::None };
            let camera = Camera { order: order + k as isize, viewport, clear_color, ..default() };
            let layer = RenderLayers::layer(if k == 0 { 0 } else { RUN_B_LAYER });
            let target = bevy::camera::RenderTarget::Image(image.clone().into());
            (Camera3d::default(), camera, target, Msaa::Off, ClusterConfig::Single, layer)
        })
        .collect()
}

/// A rectangle in logical pixels as a viewport inside a window of
/// `physical` pixels (never empty, never past the window's edge).
fn viewport(rect: Rect, scale: f32, physical: UVec2) -> Viewport {
    let max = physical.saturating_sub(UVec2::ONE);
    let position = (rect.min * scale).round().as_uvec2().min(max);
    let size = (rect.size() * scale).round().as_uvec2().max(UVec2::ONE).min(physical - position);
    Viewport { physical_position: position, physical_size: size, ..default() }
}

fn apply_options(options: Res<CameraOptions>, mut cameras: Query<&mut Msaa, With<WorldCamera>>) {
    if !options.is_changed() {
        return;
    }
    for mut msaa in &mut cameras {
        *msaa = if options.msaa { Msaa::Sample4 } else { Msaa::Off };
    }
}

/// Drags and scrolls over a panel belong to the panel, not to the camera: a
/// drag that starts on a panel keeps the camera still until the button is
/// released, even when it crosses into the view.
fn ignore_drags_on_panels(
    mut contexts: EguiContexts,
    insets: Res<PanelInsets>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    buttons: Res<ButtonInput<MouseButton>>,
    mut started_on_panel: Local<bool>,
    mut cameras: Query<&mut PanOrbitCamera>,
) {
    let egui_busy = contexts.ctx_mut().is_ok_and(|ctx| ctx.egui_wants_pointer_input());
    let over_panel = windows.single().ok().and_then(|w| w.cursor_position().map(|c| (w, c))).is_some_and(|(w, c)| {
        c.x < insets.left || c.x > w.width() - insets.right || c.y < insets.top || c.y > w.height() - insets.bottom
    });
    let pressed = buttons.get_pressed().next().is_some();
    if !pressed {
        *started_on_panel = false;
    } else if buttons.get_just_pressed().next().is_some() {
        *started_on_panel = over_panel || egui_busy;
    }
    let free = !(egui_busy || over_panel || *started_on_panel);
    for mut cam in &mut cameras {
        if cam.enabled != free {
            cam.enabled = free;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a point lands on a window `size` logical pixels large, seen by
    /// a perspective camera at `eye` looking at the origin (Bevy's default
    /// vertical field of view, up along y), in pixels from the centre.
    fn project(point: Vec3, eye: Vec3, size: Vec2) -> Vec2 {
        let view = Mat4::look_at_rh(eye, Vec3::ZERO, Vec3::Y);
        let p = view.transform_point3(point);
        let focal = (size.y / 2.0) / (FIELD_OF_VIEW / 2.0).tan();
        Vec2::new(p.x, p.y) * focal / -p.z
    }

    #[test]
    fn the_whole_box_fits_beside_the_panels_at_any_aspect_ratio() {
        let insets = PanelInsets { left: 340.0, right: 320.0, top: 30.0, bottom: 0.0 };
        for size in
            [Vec2::new(1280.0, 720.0), Vec2::new(1920.0, 1080.0), Vec2::new(1024.0, 768.0), Vec2::new(900.0, 1400.0)]
        {
            let free = free_half_extent(size, &insets);
            let side = 25.0;
            let distance = fit_distance(side, size.y, free);
            for (yaw, pitch) in [(0.0f32, 0.0f32), (30.0, 25.0), (45.0, 35.26), (120.0, -60.0)] {
                let (yaw, pitch) = (yaw.to_radians(), pitch.to_radians());
                let eye = distance * Vec3::new(pitch.cos() * yaw.sin(), pitch.sin(), pitch.cos() * yaw.cos());
                for corner in 0..8 {
                    let c = Vec3::new(
                        if corner & 1 == 0 { -0.5 } else { 0.5 },
                        if corner & 2 == 0 { -0.5 } else { 0.5 },
                        if corner & 4 == 0 { -0.5 } else { 0.5 },
                    ) * side;
                    let at = project(c, eye, size);
                    assert!(
                        at.x.abs() <= free.x && at.y.abs() <= free.y,
                        "{size:?}, yaw {yaw}, pitch {pitch}: corner at {at:?} outside {free:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_square_fits_the_free_part_of_the_window_in_2d() {
        let insets = PanelInsets { left: 340.0, right: 320.0, top: 30.0, bottom: 0.0 };
        for size in [Vec2::new(1280.0, 720.0), Vec2::new(1920.0, 1080.0), Vec2::new(700.0, 1200.0)] {
            let free = free_half_extent(size, &insets);
            let side = 60.0;
            let height = fit_height_2d(side, size.y, free);
            let pixels_per_unit = size.y / height;
            let half_box = side / 2.0 * pixels_per_unit;
            assert!(half_box <= free.x && half_box <= free.y, "{size:?}: {half_box} against {free:?}");
            // The margin is small: the box is not drawn needlessly small.
            assert!(half_box >= 0.9 * free.x.min(free.y), "{size:?}: {half_box} against {free:?}");
        }
    }
}
