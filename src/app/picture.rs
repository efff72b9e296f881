//! The picture: one sphere entity per particle, sharing one mesh and a few
//! materials so they batch, coloured by activity, overlaps or displacement;
//! the periodic box as an outline. Entities are pictures of particles, never
//! the particles.

use super::limits::{DrawLimit, Drawable};
use super::simulation::{Setup, Sim};
use crate::budget::MemoryLimit;
use crate::scene::Rgb;
use bevy::pbr::{Material, MaterialPlugin};
use bevy::prelude::*;
use bevy::render::render_resource::AsBindGroup;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy::shader::ShaderRef;

/// A flat colour shaded by a headlight: a few operations per pixel instead
/// of the full PBR model, which software renderers cannot afford for 10^4
/// spheres (src/app/sphere.wgsl).
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct SphereMaterial {
    /// Linear RGB colour.
    #[uniform(0)]
    pub color: LinearRgba,
}

impl Material for SphereMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://absorb/app/sphere.wgsl".into()
    }
}

/// Icosphere subdivisions for a number of spheres: few spheres are large on
/// screen and get 320 triangles each; 10^4 and more are small, and 20
/// triangles with smooth normals keep software rendering near 10 frames per
/// second.
fn sphere_subdivisions(n: usize) -> u32 {
    match n {
        0..=3000 => 2,
        3001..=8000 => 1,
        _ => 0,
    }
}
/// Overlap counts shown apart: 0, 1, ..., OVERLAP_LEVELS - 1 or more.
pub const OVERLAP_LEVELS: usize = 7;
/// Bins of the recent-displacement colouring.
pub const MOVE_LEVELS: usize = 8;

/// The picture of particle i.
#[derive(Component, Clone, Copy, Debug)]
pub struct Particle(pub usize);

/// What the sphere colours show.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    /// Overlapping (warm) or resting (cool).
    #[default]
    Activity,
    /// Number of overlaps, cool (0) to warm (many).
    Overlaps,
    /// How far each sphere moved in the last iteration, relative to the largest move.
    Displacement,
}

impl ColorMode {
    /// Every mode, for the picker.
    pub const ALL: [ColorMode; 3] = [ColorMode::Activity, ColorMode::Overlaps, ColorMode::Displacement];

    /// The mode called `name` on the command line.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "activity" => Some(ColorMode::Activity),
            "overlaps" => Some(ColorMode::Overlaps),
            "displacement" => Some(ColorMode::Displacement),
            _ => None,
        }
    }

    /// Name in the picker.
    pub fn label(self) -> &'static str {
        match self {
            ColorMode::Activity => "activity",
            ColorMode::Overlaps => "number of overlaps",
            ColorMode::Displacement => "recent displacement",
        }
    }
}

/// The colours of each mode, from the scene's two colours: what the legend shows.
#[derive(Resource, Clone, Debug)]
pub struct Legend {
    /// Resting, overlapping.
    pub activity: [Rgb; 2],
    /// 0, 1, ... overlaps.
    pub overlaps: Vec<Rgb>,
    /// Smallest to largest move (cividis, readable with any colour vision).
    pub displacement: Vec<Rgb>,
}

impl Legend {
    /// The legend of a scene's colours.
    pub fn new(resting: Rgb, active: Rgb) -> Self {
        let overlaps = (0..OVERLAP_LEVELS)
            .map(|k| {
                if k == 0 {
                    resting
                } else {
                    mix(lighten(active, 0.55), active, (k - 1) as f32 / (OVERLAP_LEVELS - 2) as f32)
                }
            })
            .collect();
        let displacement = (0..MOVE_LEVELS).map(|k| cividis(k as f32 / (MOVE_LEVELS - 1) as f32)).collect();
        Self { activity: [resting, active], overlaps, displacement }
    }
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

fn lighten(c: Rgb, t: f32) -> Rgb {
    mix(c, [1.0, 1.0, 1.0], t)
}

/// The cividis colour map at t in [0, 1] (a few of its stops, interpolated).
fn cividis(t: f32) -> Rgb {
    const STOPS: [Rgb; 5] = [
        [0.0, 0.135, 0.304],
        [0.267, 0.306, 0.420],
        [0.486, 0.482, 0.471],
        [0.737, 0.675, 0.404],
        [0.996, 0.910, 0.220],
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (x as usize).min(STOPS.len() - 2);
    mix(STOPS[i], STOPS[i + 1], x - i as f32)
}

fn to_color(c: Rgb) -> Color {
    Color::srgb(c[0], c[1], c[2])
}

/// The shared mesh and materials.
#[derive(Resource)]
struct SphereAssets {
    mesh: Handle<Mesh>,
    subdivisions: u32,
    activity: [Handle<SphereMaterial>; 2],
    overlaps: Vec<Handle<SphereMaterial>>,
    displacement: Vec<Handle<SphereMaterial>>,
}

/// System sets of the picture.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum PictureSystems {
    /// Sphere entities follow the particles.
    Sync,
}

/// Draws the particles and the box.
pub struct PicturePlugin;

impl Plugin for PicturePlugin {
    fn build(&self, app: &mut App) {
        bevy::asset::embedded_asset!(app, "sphere.wgsl");
        app.add_plugins(MaterialPlugin::<SphereMaterial>::default())
            .init_resource::<ColorMode>()
            .add_systems(Startup, setup_assets)
            .add_systems(
                Update,
                (learn_draw_limit, restyle, sync_particles, draw_box).chain().in_set(PictureSystems::Sync),
            );
    }
}

fn material(materials: &mut Assets<SphereMaterial>, c: Rgb) -> Handle<SphereMaterial> {
    materials.add(SphereMaterial { color: to_color(c).to_linear() })
}

fn sphere_mesh(n: usize) -> Mesh {
    let sphere = Sphere::new(0.5);
    sphere.mesh().ico(sphere_subdivisions(n)).unwrap_or_else(|_| sphere.mesh().uv(24, 12))
}

fn setup_assets(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SphereMaterial>>,
    setup: Res<Setup>,
    sim: Res<Sim>,
) {
    let view = &setup.scene.view;
    let legend = Legend::new(view.resting_color, view.active_color);
    commands.insert_resource(SphereAssets {
        mesh: meshes.add(sphere_mesh(sim.0.packing().len())),
        subdivisions: sphere_subdivisions(sim.0.packing().len()),
        activity: legend.activity.map(|c| material(&mut materials, c)),
        overlaps: legend.overlaps.iter().map(|&c| material(&mut materials, c)).collect(),
        displacement: legend.displacement.iter().map(|&c| material(&mut materials, c)).collect(),
    });
    commands.insert_resource(legend);
    commands.insert_resource(ClearColor(to_color(view.background)));
}

/// A loaded scene brings its own colours.
fn restyle(
    setup: Res<Setup>,
    assets: Option<Res<SphereAssets>>,
    mut materials: ResMut<Assets<SphereMaterial>>,
    mut legend: Option<ResMut<Legend>>,
    mut clear: ResMut<ClearColor>,
) {
    let (Some(assets), Some(legend)) = (assets, legend.as_mut()) else { return };
    if !setup.is_changed() {
        return;
    }
    let view = &setup.scene.view;
    **legend = Legend::new(view.resting_color, view.active_color);
    let pairs = assets
        .activity
        .iter()
        .zip(&legend.activity)
        .chain(assets.overlaps.iter().zip(&legend.overlaps))
        .chain(assets.displacement.iter().zip(&legend.displacement));
    for (handle, &c) in pairs {
        if let Some(mut m) = materials.get_mut(handle) {
            m.color = to_color(c).to_linear();
        }
    }
    clear.0 = to_color(view.background);
}

/// Where particle i is drawn: the box centred on the origin; 2D in the z = 0 plane.
fn place(sim: &crate::sim::Simulation, i: usize) -> Vec3 {
    let p = sim.packing();
    let x = p.position(i);
    let half = 0.5 * p.side();
    let z = if p.dim() >= 3 { x[2] - half } else { 0.0 };
    Vec3::new((x[0] - half) as f32, (x[1] - half) as f32, z as f32)
}

fn sync_particles(
    mut commands: Commands,
    sim: Res<Sim>,
    limit: Res<DrawLimit>,
    mode: Res<ColorMode>,
    assets: Option<ResMut<SphereAssets>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut spheres: Query<(Entity, &Particle, &mut Transform, &mut MeshMaterial3d<SphereMaterial>)>,
) {
    let Some(mut assets) = assets else { return };
    // Nothing is drawn before the device's limit is known, nor over it.
    if limit.0.as_ref().is_none_or(|l| l.check(sim.0.packing().len()).is_err()) {
        return;
    }
    let changed = sim.is_changed() || mode.is_changed();
    let sim = &sim.0;
    let n = sim.packing().len();
    let count = spheres.iter().count();
    if count != n {
        if assets.subdivisions != sphere_subdivisions(n) {
            assets.subdivisions = sphere_subdivisions(n);
            assets.mesh = meshes.add(sphere_mesh(n));
        }
        for (e, ..) in &spheres {
            commands.entity(e).despawn();
        }
        for i in 0..n {
            commands.spawn((
                Particle(i),
                Mesh3d(assets.mesh.clone()),
                MeshMaterial3d(pick(&assets, *mode, sim, i, 1.0).clone()),
                Transform::from_translation(place(sim, i))
                    .with_scale(Vec3::splat(2.0 * sim.packing().radii()[i] as f32)),
            ));
        }
        return;
    }
    if !changed {
        return;
    }
    let largest = sim.last_moves().iter().cloned().fold(0.0, f32::max);
    for (_, particle, mut transform, mut mat) in &mut spheres {
        let i = particle.0;
        let scale = Vec3::splat(2.0 * sim.packing().radii()[i] as f32);
        let at = place(sim, i);
        if transform.translation != at || transform.scale != scale {
            transform.translation = at;
            transform.scale = scale;
        }
        let want = pick(&assets, *mode, sim, i, largest);
        if mat.0 != *want {
            mat.0 = want.clone();
        }
    }
}

fn pick<'a>(
    assets: &'a SphereAssets,
    mode: ColorMode,
    sim: &crate::sim::Simulation,
    i: usize,
    largest_move: f32,
) -> &'a Handle<SphereMaterial> {
    let contacts = sim.last_contacts()[i] as usize;
    match mode {
        ColorMode::Activity => &assets.activity[usize::from(contacts > 0)],
        ColorMode::Overlaps => &assets.overlaps[contacts.min(OVERLAP_LEVELS - 1)],
        ColorMode::Displacement => {
            let t = if largest_move > 0.0 { sim.last_moves()[i] / largest_move } else { 0.0 };
            &assets.displacement[((t * MOVE_LEVELS as f32) as usize).min(MOVE_LEVELS - 1)]
        }
    }
}

fn draw_box(sim: Res<Sim>, mut gizmos: Gizmos) {
    let p = sim.0.packing();
    let side = p.side() as f32;
    let color = Color::srgb(0.75, 0.75, 0.8);
    if p.dim() >= 3 {
        gizmos.cube(Transform::from_scale(Vec3::splat(side)), color);
    } else {
        gizmos.rect(Isometry3d::IDENTITY, Vec2::splat(side), color);
    }
}

/// Learns the limit once the device is known; a window started with more
/// spheres than it can draw says so and closes.
pub fn learn_draw_limit(
    device: Option<Res<RenderDevice>>,
    adapter: Option<Res<RenderAdapterInfo>>,
    setup: Res<Setup>,
    mut limit: ResMut<DrawLimit>,
    mut exit: MessageWriter<AppExit>,
) {
    if limit.0.is_some() {
        return;
    }
    let Some(device) = device else { return };
    let limits = device.limits();
    let buffer = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
    let name = adapter.map_or("the graphics device".to_string(), |a| a.name.clone());
    let drawable = Drawable::new(buffer, &name, MemoryLimit::of_this_process());
    if let Err(e) = drawable.check(setup.scene.n) {
        eprintln!("absorb: {e}");
        exit.write(AppExit::error());
    }
    limit.0 = Some(drawable);
}
