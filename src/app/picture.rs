//! The picture: every sphere in one draw, a ray-cast impostor each
//! (src/app/impostor.rs), coloured by activity, overlaps or displacement;
//! the periodic box as an outline. What is drawn is filled from the run's
//! positions and readouts; nothing in the picture is a particle.

use super::camera::{RUN_B_LAYER, WorldCamera};
use super::impostor::{self, ImpostorMaterial};
use super::limits::{DrawLimit, Drawable};
use super::pick::Selected;
use super::screenshot::CaptureRequest;
use super::show::{self, PeriodicImage, Show, ShowMode, Shown};
use super::simulation::{Setup, Sim};
use super::snapshot::View;
use crate::budget::MemoryLimit;
use crate::scene::{Rgb, Theme};
use bevy::camera::visibility::{NoFrustumCulling, RenderLayers};
use bevy::pbr::MaterialPlugin;
use bevy::prelude::*;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy::render::storage::ShaderBuffer;
use rayon::prelude::*;

/// The selected sphere's colour, and its partners' (sRGB).
pub const SELECTED: Rgb = [1.0, 0.95, 0.35];
/// The colour of the spheres the selected one overlaps.
pub const PARTNER: Rgb = [0.95, 0.95, 0.95];
/// How far the other spheres fade towards the background while one is selected.
pub const SELECTION_FADE: f32 = 0.5;

/// Overlap counts shown apart: 0, 1, ..., OVERLAP_LEVELS - 1 or more.
pub const OVERLAP_LEVELS: usize = 7;
/// Bins of the recent-displacement colouring.
pub const MOVE_LEVELS: usize = 8;

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

/// What is drawn of each run: run A, and run B while comparing.
#[derive(Resource, Default)]
struct Drawn([Option<DrawnRun>; 2]);

/// What is drawn of a run: `quads` quads (the spheres in sight, then hidden ones) and their buffers.
struct DrawnRun {
    entity: Entity,
    quads: usize,
    /// The eye the spheres in sight were chosen for.
    eye: Option<Vec3>,
    spheres: Handle<ShaderBuffer>,
    colours: Handle<ShaderBuffer>,
    material: Handle<ImpostorMaterial>,
}

/// How long the last frame's refill of the spheres' buffers took (zero
/// when nothing changed): `absorb view --measure-fps` reports it.
#[derive(Resource, Default, Clone, Copy, Debug)]
pub struct RefillTime(pub std::time::Duration);

/// System sets of the picture.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum PictureSystems {
    /// The spheres' buffers follow the run.
    Sync,
}

/// Draws the particles and the box.
pub struct PicturePlugin;

impl Plugin for PicturePlugin {
    fn build(&self, app: &mut App) {
        bevy::asset::embedded_asset!(app, "impostor.wgsl");
        app.add_plugins(MaterialPlugin::<ImpostorMaterial>::default())
            .init_resource::<ColorMode>()
            .init_resource::<Show>()
            .init_resource::<Selected>()
            .init_resource::<RefillTime>()
            .init_resource::<Drawn>()
            .add_systems(Startup, setup_legend)
            .add_systems(
                Update,
                (learn_draw_limit, restyle, sync_spheres, scale_lines, draw_box).chain().in_set(PictureSystems::Sync),
            );
    }
}

fn setup_legend(mut commands: Commands, setup: Res<Setup>) {
    let view = &setup.scene.view;
    commands.insert_resource(Legend::new(view.resting_color, view.active_color));
    commands.insert_resource(ClearColor(to_color(background(view))));
}

/// The background under the theme: the scene's own in the dark theme.
pub fn background(view: &crate::scene::View) -> Rgb {
    match view.theme {
        Theme::Dark => view.background,
        Theme::Light => LIGHT_BACKGROUND,
    }
}

/// The light theme's background: a warm white that a projector does not glare.
const LIGHT_BACKGROUND: Rgb = [0.96, 0.96, 0.94];

/// A loaded scene brings its own colours.
fn restyle(setup: Res<Setup>, legend: Option<ResMut<Legend>>, mut clear: ResMut<ClearColor>) {
    let Some(mut legend) = legend else { return };
    if !setup.is_changed() {
        return;
    }
    let view = &setup.scene.view;
    let fresh = Legend::new(view.resting_color, view.active_color);
    if fresh.activity != legend.activity {
        *legend = fresh;
    }
    clear.0 = to_color(background(view));
}

/// Spheres filled per task when the buffers are filled in parallel.
const FILL_CHUNK: usize = 8192;

/// The fewest quads the picture makes.
const MIN_QUADS: usize = 64;

/// Quads for `shown` spheres, given `now` quads: a power of two at least
/// `shown`, kept while `shown` stays above a quarter of it (a turning
/// camera changes how many are in sight without remaking the mesh).
fn quads_for(shown: usize, now: usize) -> usize {
    if now >= shown.max(MIN_QUADS) && shown >= now / 4 { now } else { shown.next_power_of_two().max(MIN_QUADS) }
}

/// Where the eye is, for a perspective view of a 3D run (None: draw all).
fn eye(sim: View, cameras: &Query<(&GlobalTransform, &Projection), With<WorldCamera>>) -> Option<Vec3> {
    let (at, projection) = cameras.iter().next()?;
    (sim.packing().dim() >= 3 && matches!(projection, Projection::Perspective(_))).then(|| at.translation())
}

/// The spheres' quads and buffers follow the runs: refilled when a run,
/// the colouring, the legend or (in 3D) the eye changed, with the spheres
/// in sight (src/app/show.rs); made anew when their number needs other quads.
/// Run B's spheres, while comparing, are on a layer of their own that only
/// its view draws (src/app/camera.rs).
fn sync_spheres(
    mut commands: Commands,
    sim: Res<Sim>,
    limit: Res<DrawLimit>,
    look: Look,
    mut drawn: ResMut<Drawn>,
    cameras: Query<(&GlobalTransform, &Projection), With<WorldCamera>>,
    mut assets: SphereAssets,
) {
    let start = std::time::Instant::now();
    assets.took.0 = std::time::Duration::ZERO;
    let (mode, Some(legend)) = (&look.mode, &look.legend) else { return };
    for (k, run) in [Some(sim.view()), sim.partner_view()].into_iter().enumerate() {
        let Some(run) = run else {
            if let Some(old) = drawn.0[k].take() {
                commands.entity(old.entity).despawn();
            }
            continue;
        };
        let n = run.packing().len();
        // Nothing is drawn before the device's limit is known, nor over it.
        if limit.0.as_ref().is_none_or(|l| l.check(n).is_err()) {
            return;
        }
        let eye = eye(run, &cameras);
        let slot = &mut drawn.bypass_change_detection().0[k];
        let moved = slot.as_ref().is_some_and(|d| d.eye != eye);
        let restyled = mode.is_changed()
            || legend.is_changed()
            || look.show.is_changed()
            || look.clear.is_changed()
            || look.selected.is_changed();
        if slot.is_some() && !(sim.is_changed() || restyled || moved) {
            continue;
        }
        let background = look.clear.0.to_srgba();
        let faded = [background.red, background.green, background.blue];
        // While a sphere of run A is selected the others fade towards the background.
        let selecting = k == 0 && look.selected.reading.is_some();
        let fade = if selecting { SELECTION_FADE } else { 0.0 };
        let had = slot.as_ref().map_or(0, |d| d.quads);
        let (show, sight, mode) = (&*look.show, &mut assets.sight[k], **mode);
        let mut fill = move || {
            let shown = show::choose_reusing(run, show, eye, sight);
            let images = show::periodic_images(run, &shown.ids);
            let quads = quads_for(shown.ids.len() + images.len(), had);
            let spheres = sphere_bytes(run, &shown, &images, quads);
            let colours = colour_bytes(run, mode, legend, (&shown, &images), (faded, fade), quads);
            (shown, images, quads, spheres, colours)
        };
        let (shown, images, quads, spheres, mut colours) = match picture_pool().filter(|_| n > FILL_CHUNK) {
            Some(pool) => pool.install(fill),
            None => fill(),
        };
        if k == 0 {
            highlight(&mut colours, (&shown, &images), &look.selected);
        }
        let clip = clip_to_box(run);
        if let Some(d) = slot.as_mut().filter(|d| d.quads == quads) {
            d.eye = eye;
            if assets.materials.get(&d.material).is_some_and(|m| m.clip != clip)
                && let Some(mut m) = assets.materials.get_mut(&d.material)
            {
                m.clip = clip;
            }
            for (handle, bytes) in [(&d.spheres, spheres), (&d.colours, colours)] {
                if let Some(mut buffer) = assets.buffers.get_mut(handle) {
                    buffer.data = Some(bytes);
                }
            }
            continue;
        }
        if let Some(old) = slot.take() {
            commands.entity(old.entity).despawn();
        }
        let spheres = assets.buffers.add(impostor::buffer(spheres));
        let colours = assets.buffers.add(impostor::buffer(colours));
        let material =
            assets.materials.add(ImpostorMaterial { spheres: spheres.clone(), colours: colours.clone(), clip });
        let mesh = Mesh3d(assets.meshes.add(impostor::quads(quads)));
        let layer = RenderLayers::layer(if k == 0 { 0 } else { RUN_B_LAYER });
        let entity = commands.spawn((mesh, MeshMaterial3d(material.clone()), NoFrustumCulling, layer)).id();
        *slot = Some(DrawnRun { entity, quads, spheres, colours, material, eye });
    }
    assets.took.0 = start.elapsed();
}

/// Threads of the picture's own, so that its fill does not queue behind the
/// worker's iterations in rayon's global pool (docs/design.md).
fn picture_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|k| format!("picture-{k}")).build().ok()
    })
    .as_ref()
}

/// How the spheres are coloured.
#[derive(bevy::ecs::system::SystemParam)]
struct Look<'w> {
    mode: Res<'w, ColorMode>,
    legend: Option<Res<'w, Legend>>,
    show: Res<'w, Show>,
    clear: Res<'w, ClearColor>,
    selected: Res<'w, Selected>,
}

/// The assets the spheres are drawn from.
#[derive(bevy::ecs::system::SystemParam)]
struct SphereAssets<'w, 's> {
    meshes: ResMut<'w, Assets<Mesh>>,
    materials: ResMut<'w, Assets<ImpostorMaterial>>,
    buffers: ResMut<'w, Assets<ShaderBuffer>>,
    /// How long filling them took.
    took: ResMut<'w, RefillTime>,
    /// The depth of sight last measured in each run (src/app/show.rs).
    sight: Local<'s, [Option<show::SightMemo>; 2]>,
}

/// `[x, y, z, r]` of the spheres `shown` as the shader reads them (faint
/// points smaller), then radius 0 up to `quads`.
fn sphere_bytes(sim: View, shown: &Shown, images: &[PeriodicImage], quads: usize) -> Vec<u8> {
    let p = sim.packing();
    let (dim, half) = (p.dim(), 0.5 * p.side());
    let (positions, radii) = (p.positions(), p.radii());
    let mut bytes = vec![0u8; 16 * quads];
    let records = bytes[..16 * shown.ids.len()].par_chunks_mut(16 * FILL_CHUNK);
    records.zip(shown.ids.par_chunks(FILL_CHUNK)).enumerate().for_each(|(chunk, (out, ids))| {
        for (k, (record, &i)) in out.chunks_exact_mut(16).zip(ids).enumerate() {
            let [x, y, z] = show::centre(positions, dim, half, i as usize);
            let scale = if chunk * FILL_CHUNK + k >= shown.faint_from { show::FAINT_RADIUS } else { 1.0 };
            for (slot, v) in record.chunks_exact_mut(4).zip([x, y, z, (scale * radii[i as usize]) as f32]) {
                slot.copy_from_slice(&v.to_le_bytes());
            }
        }
    });
    let after = &mut bytes[16 * shown.ids.len()..16 * (shown.ids.len() + images.len())];
    for (record, &(i, [dx, dy])) in after.chunks_exact_mut(16).zip(images) {
        let [x, y, z] = show::centre(positions, dim, half, i as usize);
        for (slot, v) in record.chunks_exact_mut(4).zip([x + dx, y + dy, z, radii[i as usize] as f32]) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
    }
    bytes
}

/// In 2D the box's half sides, where the disks and their periodic images
/// are cut (zero in 3D: nothing is cut).
fn clip_to_box(sim: View) -> Vec4 {
    let p = sim.packing();
    let half = (0.5 * p.side()) as f32;
    if p.dim() == 2 { Vec4::new(half, half, 0.0, 0.0) } else { Vec4::ZERO }
}

/// The packed colour under `mode` of the spheres `shown`, taken the share
/// `fade` towards `background` (faint points further), then zeros up to `quads`.
fn colour_bytes(
    sim: View,
    mode: ColorMode,
    legend: &Legend,
    (shown, images): (&Shown, &[PeriodicImage]),
    (background, fade): (Rgb, f32),
    quads: usize,
) -> Vec<u8> {
    let largest = sim.last_moves().iter().cloned().fold(0.0, f32::max);
    let palette: Vec<Rgb> = match mode {
        ColorMode::Activity => legend.activity.to_vec(),
        ColorMode::Overlaps => legend.overlaps.clone(),
        ColorMode::Displacement => legend.displacement.clone(),
    };
    let solid: Vec<u32> = palette.iter().map(|&c| impostor::pack(mix(c, background, fade))).collect();
    let faint: Vec<u32> =
        palette.iter().map(|&c| impostor::pack(mix(mix(c, background, show::FAINT_FADE), background, fade))).collect();
    let (contacts, moves) = (sim.last_contacts(), sim.last_moves());
    let mut bytes = vec![0u8; 4 * quads];
    let slots = bytes[..4 * shown.ids.len()].par_chunks_mut(4 * FILL_CHUNK);
    slots.zip(shown.ids.par_chunks(FILL_CHUNK)).enumerate().for_each(|(chunk, (out, ids))| {
        for (k, (slot, &i)) in out.chunks_exact_mut(4).zip(ids).enumerate() {
            let i = i as usize;
            let level = colour_level(mode, contacts[i], moves[i], largest);
            let palette = if chunk * FILL_CHUNK + k >= shown.faint_from { &faint } else { &solid };
            slot.copy_from_slice(&palette[level].to_le_bytes());
        }
    });
    let after = &mut bytes[4 * shown.ids.len()..4 * (shown.ids.len() + images.len())];
    for (slot, &(i, _)) in after.chunks_exact_mut(4).zip(images) {
        let level = colour_level(mode, contacts[i as usize], moves[i as usize], largest);
        slot.copy_from_slice(&solid[level].to_le_bytes());
    }
    bytes
}

/// The selected sphere in the highlight colour and the spheres it overlaps
/// in the partners' colour (the others were faded as they were filled), so
/// that the selection reads even where others cover it.
fn highlight(colours: &mut [u8], (shown, images): (&Shown, &[PeriodicImage]), selected: &Selected) {
    let Some(reading) = &selected.reading else { return };
    let drawn: Vec<u32> = shown.ids.iter().copied().chain(images.iter().map(|&(i, _)| i)).collect();
    let mut paint = |id: usize, c: Rgb| {
        for (k, _) in drawn.iter().enumerate().filter(|&(_, &i)| i as usize == id) {
            colours[4 * k..4 * k + 4].copy_from_slice(&impostor::pack(c).to_le_bytes());
        }
    };
    paint(reading.id, SELECTED);
    for &j in &reading.partners {
        paint(j, PARTNER);
    }
}

/// Which of the legend's colours a sphere with `contacts` overlaps that
/// moved by `moved` (the largest move `largest`) takes under `mode`.
fn colour_level(mode: ColorMode, contacts: u16, moved: f32, largest: f32) -> usize {
    match mode {
        ColorMode::Activity => usize::from(contacts > 0),
        ColorMode::Overlaps => (contacts as usize).min(OVERLAP_LEVELS - 1),
        ColorMode::Displacement => {
            let t = if largest > 0.0 { moved / largest } else { 0.0 };
            ((t * MOVE_LEVELS as f32) as usize).min(MOVE_LEVELS - 1)
        }
    }
}

/// The height in pixels of the picture drawn without a window (a movie's frames).
#[derive(Resource, Clone, Copy, Debug)]
pub struct OffscreenHeight(pub u32);

/// Outlines 2 px wide in a 720 px tall window, wider in proportion in
/// taller ones: a picture for a slide looks the same at any size.
fn scale_lines(
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    capture: Option<Res<CaptureRequest>>,
    offscreen: Option<Res<OffscreenHeight>>,
    mut store: ResMut<GizmoConfigStore>,
) {
    // While a larger screenshot renders, its height sets the width (the
    // window shows the thicker lines for those few frames).
    let large = capture.and_then(|c| c.large_height()).or(offscreen.map(|h| h.0)).map(|h| h as f32);
    let window = windows.single().map_or(720.0, |w| w.resolution.physical_height() as f32);
    let height = large.unwrap_or(window);
    let width = LINE_WIDTH * (height / LINE_WIDTH_AT_HEIGHT).max(1.0);
    let (config, _) = store.config_mut::<DefaultGizmoConfigGroup>();
    if config.line.width != width {
        config.line.width = width;
    }
}

/// The outlines' width in pixels in a window [`LINE_WIDTH_AT_HEIGHT`] tall.
const LINE_WIDTH: f32 = 2.0;
/// The window height, in pixels, at which outlines are [`LINE_WIDTH`] wide.
const LINE_WIDTH_AT_HEIGHT: f32 = 720.0;

/// The box's outline colour under a theme.
pub fn outline(theme: Theme) -> Rgb {
    match theme {
        Theme::Dark => [0.75, 0.75, 0.8],
        Theme::Light => [0.25, 0.25, 0.3],
    }
}

fn draw_box(sim: Res<Sim>, show: Res<Show>, setup: Res<Setup>, mut gizmos: Gizmos) {
    let p = sim.view().packing();
    let side = p.side() as f32;
    let color = to_color(outline(setup.scene.view.theme));
    if p.dim() < 3 {
        gizmos.rect(Isometry3d::IDENTITY, Vec2::splat(side), color);
        return;
    }
    gizmos.cube(Transform::from_scale(Vec3::splat(side)), color);
    if show.mode == ShowMode::Slab {
        // The slab's two faces, square to its axis.
        let (lo, hi) = show.slab(p.side(), p.max_diameter());
        let turn = match show.axis {
            0 => Quat::from_rotation_y(std::f32::consts::FRAC_PI_2),
            1 => Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
            _ => Quat::IDENTITY,
        };
        for at in [lo, hi] {
            let mut centre = Vec3::ZERO;
            centre[show.axis] = at as f32 - 0.5 * side;
            gizmos.rect(Isometry3d::new(centre, turn), Vec2::splat(side), Color::srgb(0.95, 0.85, 0.3));
        }
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
