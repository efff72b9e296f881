//! The spheres are drawn where they are, round, and in depth: an offscreen
//! picture of a known configuration, read back pixel by pixel. Resting and
//! overlapping spheres take their colours, a sphere in front hides the one
//! behind it, and two spheres that overlap meet along their intersection
//! (each one's true depth is written, not the depth of its quad). What is
//! shown is what the mode says: no resting sphere under "overlapping only",
//! no sphere outside the slab; a selected sphere is lit, its partners too,
//! and the others fade.
#![cfg(feature = "gui")]

use absorb::app::picture::{ColorMode, PicturePlugin};
use absorb::app::show::{Show, ShowMode};
use absorb::app::simulation::{Setup, Sim, SimSettings, SimulationPlugin};
use absorb::scene::Scene;
use absorb::sim::{Dynamics, Packing, Simulation};
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::ExitCondition;
use std::sync::{Arc, Mutex};

const SIDE: f64 = 10.0;
const SIZE: (u32, u32) = (320, 240);
const CAMERA: Vec3 = Vec3::new(0.0, 0.0, 9.0);

/// World position (the box centred on the origin) as a position in the box.
fn in_box(world: Vec3) -> [f64; 3] {
    [world.x as f64 + 0.5 * SIDE, world.y as f64 + 0.5 * SIDE, world.z as f64 + 0.5 * SIDE]
}

/// The spheres, diameter 1, in world coordinates. A and B overlap at the
/// origin; B overlaps four more (so under "number of overlaps" A shows one
/// and B five); the resting R sits in front of the overlapping pair E, F,
/// on the camera's line of sight through R.
struct Layout {
    a: Vec3,
    b: Vec3,
    resting: Vec3,
    spheres: Vec<Vec3>,
}

fn layout() -> Layout {
    let a = Vec3::new(-0.4, 0.0, 0.0);
    let b = Vec3::new(0.4, 0.0, 0.0);
    let around_b = [Vec3::X, Vec3::Y, -Vec3::Y, -Vec3::Z].map(|d| b + 0.8 * d);
    let resting = Vec3::new(-2.6, -1.8, 1.5);
    let behind = resting + (resting - CAMERA).normalize() * 2.5;
    let partner = behind + Vec3::new(0.0, 0.0, -0.8);
    let mut spheres = vec![a, b, resting, behind, partner];
    spheres.extend(around_b);
    Layout { a, b, resting, spheres }
}

fn render_app(layout: &Layout, mode: ColorMode, show: Show) -> (App, Handle<Image>) {
    let positions = layout.spheres.iter().flat_map(|&p| in_box(p)).collect();
    let packing = Packing::new(3, SIDE, vec![0.5; layout.spheres.len()], positions).unwrap();
    let camera = (Transform::from_translation(CAMERA).looking_at(Vec3::ZERO, Vec3::Y), Projection::default());
    render_packing(packing, camera, mode, show)
}

fn render_packing(
    packing: Packing,
    (at, projection): (Transform, Projection),
    mode: ColorMode,
    show: Show,
) -> (App, Handle<Image>) {
    let n = packing.len();
    let sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            .disable::<bevy::winit::WinitPlugin>(),
    );
    let scene = Scene { n, ..Scene::default() };
    app.insert_resource(Sim::new(sim));
    app.add_plugins((SimulationPlugin::new(Setup::new(scene, None)), PicturePlugin));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app.insert_resource(mode).insert_resource(show);
    // What App::run does first: wait for the renderer, then finish the plugins.
    while app.plugins_state() == bevy::app::PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
    let target = Image::new_target_texture(SIZE.0, SIZE.1, TextureFormat::Rgba8UnormSrgb, None);
    let image = app.world_mut().resource_mut::<Assets<Image>>().add(target);
    app.world_mut().spawn((Camera3d::default(), RenderTarget::Image(image.clone().into()), Msaa::Off, at, projection));
    (app, image)
}

/// Renders until a picture with spheres in it comes back (pipelines compile
/// in the background: the first frames are empty, or hold the outlines alone).
fn picture(app: &mut App, image: &Handle<Image>) -> Image {
    for _ in 0..60 {
        let shot: Arc<Mutex<Option<Image>>> = Arc::default();
        let slot = shot.clone();
        app.world_mut().spawn(Screenshot::image(image.clone())).observe(move |captured: On<ScreenshotCaptured>| {
            *slot.lock().unwrap() = Some(captured.image.clone());
        });
        for _ in 0..5 {
            app.update();
        }
        if let Some(picture) = shot.lock().unwrap().take() {
            let drawn = (0..SIZE.0)
                .step_by(4)
                .flat_map(|x| (0..SIZE.1).step_by(4).map(move |y| (x, y)))
                .any(|(x, y)| picture.get_color_at(x, y).is_ok_and(|c| sphere_coloured(c.to_srgba())));
            if drawn {
                return picture;
            }
        }
    }
    panic!("no spheres drawn after 300 frames");
}

/// A sphere's colour (orange or blue), not the grey box or the yellow slab.
fn sphere_coloured(c: Srgba) -> bool {
    (c.red - c.blue).abs() > 0.2 && c.green < c.red.max(c.blue) - 0.2
}

/// With ABSORB_KEEP_PICTURES set, saves the picture in the temporary
/// folder to be looked at.
fn keep(picture: &Image, name: &str) {
    if std::env::var_os("ABSORB_KEEP_PICTURES").is_some() {
        let path = std::env::temp_dir().join(format!("absorb-impostor-{name}.png"));
        absorb::app::screenshot::save_png(picture, &path).unwrap();
        println!("saved {}", path.display());
    }
}

fn distance(a: Srgba, b: Srgba) -> f32 {
    ((a.red - b.red).powi(2) + (a.green - b.green).powi(2) + (a.blue - b.blue).powi(2)).sqrt()
}

/// Where `world` lands in the picture, in pixels.
fn pixel(app: &mut App, world: Vec3) -> UVec2 {
    let mut cameras = app.world_mut().query::<(&Camera, &GlobalTransform)>();
    let (camera, at) = cameras.single(app.world()).unwrap();
    let p = camera.world_to_viewport(at, world).unwrap();
    UVec2::new(p.x.round() as u32, p.y.round() as u32)
}

fn colour(picture: &Image, p: UVec2) -> Srgba {
    picture.get_color_at(p.x, p.y).unwrap().to_srgba()
}

#[test]
fn spheres_are_drawn_in_depth_and_overlaps_meet_along_their_intersection() {
    let layout = layout();
    let (mut app, image) = render_app(&layout, ColorMode::Activity, Show::default());
    let shot = picture(&mut app, &image);
    keep(&shot, "activity");
    let background = app.world().resource::<ClearColor>().0.to_srgba();

    // Overlapping spheres are warm (the default overlapping colour is orange),
    // the resting one cool (blue), the corners of the picture empty.
    let (a, b) = (colour(&shot, pixel(&mut app, layout.a)), colour(&shot, pixel(&mut app, layout.b)));
    for (name, c) in [("A", a), ("B", b)] {
        assert!(c.red > c.blue + 0.2, "{name} overlaps, drawn {c:?}");
    }
    // R is in front of E on the same line of sight: R's colour wins.
    let r = colour(&shot, pixel(&mut app, layout.resting));
    assert!(r.blue > r.red + 0.2, "the resting sphere in front, drawn {r:?}");
    assert!(distance(colour(&shot, UVec2::new(2, 2)), background) < 0.02, "a corner is background");

    // A sphere is round: just inside its silhouette it is drawn, just
    // outside (the quad's corner region) it is not.
    let centre = pixel(&mut app, layout.resting);
    let edge = pixel(&mut app, layout.resting + Vec3::new(0.0, 0.5, 0.0));
    let radius = centre.y.abs_diff(edge.y) as f32;
    let corner = centre.as_vec2() + Vec2::splat(0.85 * radius);
    assert!(distance(colour(&shot, corner.as_uvec2()), background) < 0.02, "the quad's corner is cut away");

    // Under "number of overlaps" A (one) is lighter than B (five). Where they
    // meet, left of the plane of their intersection A is nearer the eye and
    // right of it B: with the quads' flat depth one would cover both sides.
    let (mut app, image) = render_app(&layout, ColorMode::Overlaps, Show::default());
    let shot = picture(&mut app, &image);
    keep(&shot, "overlaps");
    let lightness = |c: Srgba| c.green / c.red.max(1e-3);
    let left = colour(&shot, pixel(&mut app, Vec3::new(-0.08, 0.0, 0.3)));
    let right = colour(&shot, pixel(&mut app, Vec3::new(0.08, 0.0, 0.3)));
    let (far_a, far_b) = (colour(&shot, pixel(&mut app, layout.a)), colour(&shot, pixel(&mut app, layout.b)));
    assert!(lightness(far_a) > lightness(far_b) + 0.05, "A {far_a:?} lighter than B {far_b:?}");
    assert!((lightness(left) - lightness(far_a)).abs() < 0.03, "left of the junction is A: {left:?} vs {far_a:?}");
    assert!((lightness(right) - lightness(far_b)).abs() < 0.03, "right of the junction is B: {right:?} vs {far_b:?}");
}

#[test]
fn the_show_modes_leave_out_what_they_say() {
    let layout = layout();
    // Overlapping only: the resting sphere in front is gone, and the
    // overlapping one it hid shows through.
    let (mut app, image) =
        render_app(&layout, ColorMode::Activity, Show { mode: ShowMode::Overlapping, ..Show::default() });
    let shot = picture(&mut app, &image);
    keep(&shot, "overlapping-only");
    let r = colour(&shot, pixel(&mut app, layout.resting));
    assert!(r.red > r.blue + 0.2, "behind the absent resting sphere, an overlapping one: {r:?}");
    // A slab across z through the middle, 1.2 diameters thick: the pair at
    // z = 0 is in it, the resting sphere at z = 1.5 and the spheres behind it are not.
    let slab = Show { mode: ShowMode::Slab, axis: 2, at: 0.5, thickness: 1.2 };
    let (mut app, image) = render_app(&layout, ColorMode::Activity, slab);
    let shot = picture(&mut app, &image);
    keep(&shot, "slab");
    let background = app.world().resource::<ClearColor>().0.to_srgba();
    let a = colour(&shot, pixel(&mut app, layout.a));
    assert!(a.red > a.blue + 0.2, "A lies in the slab: {a:?}");
    let r = colour(&shot, pixel(&mut app, layout.resting));
    assert!(distance(r, background) < 0.05, "outside the slab nothing is drawn: {r:?}");
}

#[test]
fn a_selected_sphere_and_its_partners_are_lit_and_the_rest_fade() {
    use absorb::app::pick::{Selected, reading};
    let layout = layout();
    let (mut app, image) = render_app(&layout, ColorMode::Activity, Show::default());
    // Sphere 0 is A; it overlaps B (sphere 1) alone.
    let read = reading(app.world().resource::<Sim>().view(), 0);
    assert_eq!(read.partners, vec![1]);
    app.insert_resource(Selected { id: Some(0), reading: Some(read) });
    let shot = picture(&mut app, &image);
    keep(&shot, "selected");
    let (a, b) = (colour(&shot, pixel(&mut app, layout.a)), colour(&shot, pixel(&mut app, layout.b)));
    assert!(a.red > 0.7 && a.green > 0.6 && a.blue < a.green - 0.2, "the selected sphere is yellow: {a:?}");
    assert!(b.red > 0.6 && b.green > 0.6 && b.blue > 0.6, "its partner is white: {b:?}");
    let r = colour(&shot, pixel(&mut app, layout.resting));
    assert!(r.blue < 0.5, "the others fade towards the background: {r:?}");
}

#[test]
fn a_larger_picture_of_a_comparison_shows_both_runs_side_by_side() {
    use absorb::app::camera::image_views;
    use absorb::app::simulation::SimCommand;
    let layout = layout();
    let (mut app, image) = render_app(&layout, ColorMode::Activity, Show::default());
    // Both runs start again from the scene's configuration. Run B counts an
    // overlap only past 90 % of a diameter: its spheres are drawn resting
    // (blue) where run A's overlap (orange).
    let lenient = Dynamics { overlap_tolerance: 0.9, ..Dynamics::default() };
    app.world_mut().write_message(SimCommand::Compare(lenient));
    // The picture's camera gives way to the views a larger screenshot or
    // video renders with.
    let cameras: Vec<Entity> = app.world_mut().query_filtered::<Entity, With<Camera>>().iter(app.world()).collect();
    for camera in cameras {
        app.world_mut().despawn(camera);
    }
    let at = Transform::from_translation(CAMERA).looking_at(Vec3::ZERO, Vec3::Y);
    for view in image_views(&image, UVec2::new(SIZE.0, SIZE.1), true, 0) {
        app.world_mut().spawn((view, at));
    }
    // Rendered until the picture has spheres, then a few frames more: both
    // views have drawn.
    picture(&mut app, &image);
    for _ in 0..10 {
        app.update();
    }
    let shot = picture(&mut app, &image);
    keep(&shot, "compare");
    assert!(app.world().resource::<Sim>().comparing());
    // Count warm and cool pixels in each half.
    let count = |xs: std::ops::Range<u32>| {
        let (mut warm, mut cool) = (0, 0);
        for x in xs {
            for y in 0..SIZE.1 {
                let c = colour(&shot, UVec2::new(x, y));
                warm += usize::from(c.red > c.blue + 0.2 && sphere_coloured(c));
                cool += usize::from(c.blue > c.red + 0.2 && sphere_coloured(c));
            }
        }
        (warm, cool)
    };
    let (left, right) = (count(0..SIZE.0 / 2), count(SIZE.0 / 2..SIZE.0));
    let area = (SIZE.0 / 2 * SIZE.1) as usize;
    assert!(left.0 > area / 20 && left.1 < left.0 / 10, "run A on the left, overlapping: {left:?} of {area}");
    assert!(right.1 > area / 20 && right.0 < right.1 / 10, "run B on the right, resting: {right:?} of {area}");
}

#[test]
fn a_disk_across_the_edge_of_a_2d_box_shows_on_both_sides_and_not_beyond() {
    // Disk 0 (radius 0.5) at x = 9.8 crosses the right edge of the box
    // (world x = 5): it reaches x = 5.3, and its periodic image, centred at
    // x = -5.2, reaches -4.7 inside the left edge. Disk 1 rests inside.
    let packing = Packing::new(2, SIDE, vec![0.5; 2], vec![9.8, 5.0, 2.0, 2.0]).unwrap();
    let ortho = OrthographicProjection {
        scaling_mode: bevy::camera::ScalingMode::FixedVertical { viewport_height: 12.0 },
        ..OrthographicProjection::default_3d()
    };
    let camera = (Transform::from_xyz(0.0, 0.0, 10.0).looking_at(Vec3::ZERO, Vec3::Y), Projection::Orthographic(ortho));
    let (mut app, image) = render_packing(packing, camera, ColorMode::Activity, Show::default());
    let shot = picture(&mut app, &image);
    keep(&shot, "periodic-2d");
    let background = app.world().resource::<ClearColor>().0.to_srgba();
    let at = |app: &mut App, x: f32| colour(&shot, pixel(app, Vec3::new(x, 0.0, 0.0)));
    for (x, part) in [(4.85, "the disk inside the right edge"), (-4.85, "its image inside the left edge")] {
        let c = at(&mut app, x);
        assert!(sphere_coloured(c), "{part} is drawn at x = {x}: {c:?}");
    }
    for (x, part) in [(5.2, "the disk beyond the right edge"), (-5.2, "its image beyond the left edge")] {
        let c = at(&mut app, x);
        assert!(distance(c, background) < 0.02, "{part} is cut at x = {x}: {c:?}");
    }
}
