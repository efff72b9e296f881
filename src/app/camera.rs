//! Cameras: an orbit camera for 3D (drag rotates, scroll zooms, C resets),
//! an orthographic top view for 2D, and the camera that draws the panels. The
//! world is drawn in the part of the window the panels leave free.

use super::simulation::{Setup, Sim};
use bevy::camera::Viewport;
use bevy::camera::visibility::RenderLayers;
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy_egui::{EguiContexts, EguiGlobalSettings, PrimaryEguiContext};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin, PanOrbitCameraSystemSet};

/// The camera that looks at the particles.
#[derive(Component)]
pub struct WorldCamera;

/// The window area the panels cover, in logical pixels: the world camera
/// draws in the rest.
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
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct CameraOptions {
    /// Smooth edges with 4x multisampling (costly in software rendering).
    pub msaa: bool,
}

impl Default for CameraOptions {
    fn default() -> Self {
        Self { msaa: false }
    }
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
            .add_systems(Startup, spawn_ui_camera)
            .add_systems(
                Update,
                (frame_world, reset_view, fit_viewport, apply_options, ignore_drags_on_panels)
                    .chain()
                    .before(PanOrbitCameraSystemSet),
            );
    }
}

fn spawn_ui_camera(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>) {
    egui.auto_create_primary_context = false;
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera { order: 1, clear_color: ClearColorConfig::None, ..default() },
    ));
}

/// The world camera and light for the current dimension and box, respawned
/// when a new setup changes them.
fn frame_world(
    mut commands: Commands,
    setup: Res<Setup>,
    sim: Res<Sim>,
    cameras: Query<Entity, With<WorldCamera>>,
    options: Res<CameraOptions>,
    mut framed: Local<Option<(usize, u64)>>,
) {
    let p = sim.0.packing();
    let key = (p.dim(), p.side().to_bits());
    if *framed == Some(key) && !setup.is_changed() {
        return;
    }
    *framed = Some(key);
    for e in &cameras {
        commands.entity(e).despawn();
    }
    let side = p.side() as f32;
    let msaa = if options.msaa { Msaa::Sample4 } else { Msaa::Off };
    let view = &setup.scene.view;
    if p.dim() >= 3 {
        commands.spawn((WorldCamera, msaa, orbit(side, view)));
    } else {
        commands.spawn((
            WorldCamera,
            msaa,
            Camera3d::default(),
            Projection::Orthographic(OrthographicProjection {
                scaling_mode: bevy::camera::ScalingMode::AutoMin { min_width: 1.08 * side, min_height: 1.08 * side },
                ..OrthographicProjection::default_3d()
            }),
            Transform::from_xyz(0.0, 0.0, 2.0 * side).looking_at(Vec3::ZERO, Vec3::Y),
        ));
    }
    commands.spawn((
        WorldCamera,
        DirectionalLight { illuminance: 4000.0, ..default() },
        Transform::from_xyz(0.4, 0.8, 1.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.insert_resource(GlobalAmbientLight { brightness: 350.0, ..default() });
}

fn orbit(side: f32, view: &crate::scene::View) -> PanOrbitCamera {
    let (yaw, pitch) = (view.camera_yaw.to_radians() as f32, view.camera_pitch.to_radians() as f32);
    PanOrbitCamera {
        focus: Vec3::ZERO,
        radius: Some(view.camera_distance as f32 * side),
        yaw: Some(yaw),
        pitch: Some(pitch),
        target_focus: Vec3::ZERO,
        target_yaw: yaw,
        target_pitch: pitch,
        target_radius: view.camera_distance as f32 * side,
        ..default()
    }
}

fn reset_view(
    mut requests: MessageReader<ResetView>,
    setup: Res<Setup>,
    sim: Res<Sim>,
    mut cameras: Query<&mut PanOrbitCamera>,
) {
    if requests.read().count() == 0 {
        return;
    }
    let home = orbit(sim.0.packing().side() as f32, &setup.scene.view);
    for mut cam in &mut cameras {
        cam.target_focus = home.target_focus;
        cam.target_yaw = home.target_yaw;
        cam.target_pitch = home.target_pitch;
        cam.target_radius = home.target_radius;
    }
}

fn fit_viewport(
    insets: Res<PanelInsets>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut cameras: Query<&mut Camera, With<WorldCamera>>,
) {
    let Ok(window) = windows.single() else { return };
    let scale = window.scale_factor();
    let (w, h) = (window.physical_width(), window.physical_height());
    let px = |v: f32| (v * scale).max(0.0) as u32;
    let pos = UVec2::new(px(insets.left).min(w.saturating_sub(1)), px(insets.top).min(h.saturating_sub(1)));
    let size = UVec2::new(
        w.saturating_sub(pos.x + px(insets.right)).max(1),
        h.saturating_sub(pos.y + px(insets.bottom)).max(1),
    );
    for mut camera in &mut cameras {
        let same = camera.viewport.as_ref().is_some_and(|v| v.physical_position == pos && v.physical_size == size);
        if !same {
            camera.viewport = Some(Viewport { physical_position: pos, physical_size: size, ..default() });
        }
    }
}

fn apply_options(options: Res<CameraOptions>, mut cameras: Query<&mut Msaa, With<WorldCamera>>) {
    if !options.is_changed() {
        return;
    }
    for mut msaa in &mut cameras {
        *msaa = if options.msaa { Msaa::Sample4 } else { Msaa::Off };
    }
}

/// Drags and scrolls over a panel belong to the panel, not to the camera.
fn ignore_drags_on_panels(mut contexts: EguiContexts, mut cameras: Query<&mut PanOrbitCamera>) {
    let Ok(ctx) = contexts.ctx_mut() else { return };
    let free = !(ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui());
    for mut cam in &mut cameras {
        if cam.enabled != free {
            cam.enabled = free;
        }
    }
}
