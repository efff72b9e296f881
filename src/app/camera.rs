//! Cameras: an orbit camera for 3D (drag rotates, scroll zooms, C resets),
//! an orthographic top view for 2D, and the camera that draws the panels. The
//! world is drawn in the part of the window the panels leave free.

use super::simulation::{Setup, Sim};
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy_egui::{EguiContexts, EguiGlobalSettings, PrimaryEguiContext};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin, PanOrbitCameraSystemSet};

/// The camera that looks at the particles.
#[derive(Component)]
pub struct WorldCamera;

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
                (frame_world, reset_view, apply_options, ignore_drags_on_panels)
                    .chain()
                    .before(PanOrbitCameraSystemSet),
            );
    }
}

/// One camera draws the world and the panels: a second camera would cost a
/// full-window pass, which software renderers feel.
fn spawn_camera(mut commands: Commands, mut egui: ResMut<EguiGlobalSettings>) {
    egui.auto_create_primary_context = false;
    commands.spawn((WorldCamera, PrimaryEguiContext, Camera3d::default(), Msaa::Off));
}

/// Points the camera (and the light) at the current box: an orbit camera in
/// 3D, an orthographic top view in 2D; again whenever a new setup changes the
/// dimension or the box.
fn frame_world(
    mut commands: Commands,
    setup: Res<Setup>,
    sim: Res<Sim>,
    cameras: Query<Entity, With<WorldCamera>>,
    lights: Query<Entity, With<DirectionalLight>>,
    mut framed: Local<Option<(usize, u64)>>,
) {
    let p = sim.0.packing();
    let key = (p.dim(), p.side().to_bits());
    if *framed == Some(key) && !setup.is_changed() {
        return;
    }
    *framed = Some(key);
    let side = p.side() as f32;
    let view = &setup.scene.view;
    for camera in &cameras {
        let mut camera = commands.entity(camera);
        if p.dim() >= 3 {
            camera.insert((orbit(side, view), Projection::Perspective(PerspectiveProjection::default())));
        } else {
            camera.remove::<PanOrbitCamera>().insert((
                Projection::Orthographic(OrthographicProjection {
                    scaling_mode: bevy::camera::ScalingMode::AutoMin {
                        min_width: 1.08 * side,
                        min_height: 1.08 * side,
                    },
                    ..OrthographicProjection::default_3d()
                }),
                Transform::from_xyz(0.0, 0.0, 2.0 * side).looking_at(Vec3::ZERO, Vec3::Y),
            ));
        }
    }
    if lights.is_empty() {
        commands.spawn((
            DirectionalLight { illuminance: 4000.0, ..default() },
            Transform::from_xyz(0.4, 0.8, 1.0).looking_at(Vec3::ZERO, Vec3::Y),
        ));
    }
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
