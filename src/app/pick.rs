//! Pointing at a sphere: a click on a drawn sphere selects it (a click on
//! nothing, or Escape, clears it). The picture lights it and the spheres it
//! overlaps; the panel reads its id, radius, overlaps, share of the energy
//! and last displacement while the run goes on.

use super::camera::{PanelInsets, WorldCamera};
use super::show::{self, Show};
use super::simulation::Sim;
use super::snapshot::View;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::EguiContexts;

/// Pointer travel between press and release, in pixels, up to which it is
/// a click (more is a drag that turns the view).
const CLICK_SLOP: f32 = 4.0;

/// The selected sphere and the spheres it overlaps now.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Selected {
    /// The selected sphere's id.
    pub id: Option<usize>,
    /// What it reads in the present configuration.
    pub reading: Option<Reading>,
}

/// What the panel shows of a sphere.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Its id.
    pub id: usize,
    /// Its radius, in diameters.
    pub radius: f64,
    /// The spheres it overlaps (geometrically, active or within the tolerance).
    pub partners: Vec<usize>,
    /// Its active contacts as the last iteration measured them.
    pub active: u16,
    /// Its share of the energy: half of each of its pairs' energies.
    pub energy: f64,
    /// How far it moved in the last iteration, in diameters.
    pub moved: f32,
    /// The picture draws it under the present "show" (it may still be hidden
    /// behind others).
    pub drawn: bool,
}

/// What sphere `i` of `sim` reads now: its overlaps found against every
/// other sphere (minimum image), its half of their energies.
pub fn reading(sim: View, i: usize) -> Reading {
    let p = sim.packing();
    let (bx, dim, radii) = (p.periodic_box(), p.dim(), p.radii());
    let potential = sim.dynamics().potential;
    let xi = p.position(i);
    let mut partners = Vec::new();
    let mut energy = 0.0;
    for j in (0..p.len()).filter(|&j| j != i) {
        let xj = p.position(j);
        let r2: f64 = (0..dim).map(|k| bx.image1(xi[k] - xj[k]).powi(2)).sum();
        let sigma = radii[i] + radii[j];
        if r2 < sigma * sigma {
            partners.push(j);
            energy += 0.5 * potential.energy(r2.sqrt(), sigma);
        }
    }
    Reading {
        id: i,
        radius: radii[i],
        partners,
        active: sim.last_contacts()[i],
        energy,
        moved: sim.last_moves()[i],
        drawn: true,
    }
}

/// The nearest of `spheres` (id, centre, radius) that `ray` meets.
pub fn hit(ray: Ray3d, spheres: impl Iterator<Item = (u32, Vec3, f32)>) -> Option<u32> {
    let d = *ray.direction;
    spheres
        .filter_map(|(id, c, r)| {
            let oc = ray.origin - c;
            let b = oc.dot(d);
            let disc = b * b - (oc.length_squared() - r * r);
            (disc >= 0.0).then(|| (id, -b - disc.sqrt())).filter(|&(_, t)| t >= 0.0)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// Selecting and following the selected sphere.
pub struct PickPlugin;

impl Plugin for PickPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Selected>().add_systems(Update, (click, follow, ring).chain());
    }
}

/// A press of the left button that began on the picture, and how far the
/// pointer has travelled since (a fast drag can press, move and release
/// within one frame: its travel is counted from the motion, not from where
/// the pointer was at the press and at the release).
#[derive(Default)]
struct Press {
    on_picture: bool,
    travel: f32,
    /// Where the pointer was last seen moving, in pixels.
    last: Option<Vec2>,
}

/// The pointer: its buttons, and its position over the picture (None over the panels).
#[derive(bevy::ecs::system::SystemParam)]
struct Pointer<'w, 's> {
    buttons: Res<'w, ButtonInput<MouseButton>>,
    moves: MessageReader<'w, 's, CursorMoved>,
    windows: Query<'w, 's, &'static Window, With<PrimaryWindow>>,
    insets: Res<'w, PanelInsets>,
    contexts: EguiContexts<'w, 's>,
}

impl Pointer<'_, '_> {
    fn over_picture(&mut self) -> Option<Vec2> {
        if self.contexts.ctx_mut().is_ok_and(|ctx| ctx.egui_wants_pointer_input()) {
            return None;
        }
        let w = self.windows.single().ok()?;
        let c = w.cursor_position()?;
        let i = &self.insets;
        let inside = c.x >= i.left && c.x <= w.width() - i.right && c.y >= i.top && c.y <= w.height() - i.bottom;
        inside.then_some(c)
    }
}

/// A click on the picture selects the sphere under it; Escape clears.
fn click(
    keys: Res<ButtonInput<KeyCode>>,
    mut pointer: Pointer,
    cameras: Query<(&Camera, &GlobalTransform, &Projection), With<WorldCamera>>,
    sim: Res<Sim>,
    show: Res<Show>,
    mut selected: ResMut<Selected>,
    mut press: Local<Press>,
) {
    if (keys.just_pressed(KeyCode::Escape) || sim.comparing()) && selected.id.is_some() {
        *selected = Selected::default();
    }
    let left = MouseButton::Left;
    if pointer.buttons.just_pressed(left) {
        *press = Press { on_picture: pointer.over_picture().is_some(), travel: 0.0, last: press.last };
    }
    // Every position the pointer passed this frame (a press, a move and a
    // release can all fall in one frame).
    let held = pointer.buttons.pressed(left) || pointer.buttons.just_released(left);
    for moved in pointer.moves.read() {
        if let Some(last) = press.last
            && held
        {
            press.travel += last.distance(moved.position);
        }
        press.last = Some(moved.position);
    }
    if !pointer.buttons.just_released(MouseButton::Left) {
        return;
    }
    let Press { on_picture, travel, last } = std::mem::take(&mut *press);
    press.last = last;
    if !on_picture || travel > CLICK_SLOP {
        return;
    }
    let Some(up) = pointer.over_picture() else { return };
    if sim.comparing() {
        // The picture is split between two runs: no selection.
        return;
    }
    let Some((camera, at, projection)) = cameras.iter().next() else { return };
    let Ok(ray) = camera.viewport_to_world(at, up) else { return };
    let run = sim.view();
    let eye = matches!(projection, Projection::Perspective(_)).then(|| at.translation());
    let shown = show::choose(run, &show, eye);
    let p = run.packing();
    let (dim, half, radii) = (p.dim(), 0.5 * p.side(), p.radii());
    let spheres = shown.ids[..shown.faint_from].iter().map(|&i| {
        let c = Vec3::from_array(show::centre(p.positions(), dim, half, i as usize));
        (i, c, radii[i as usize] as f32)
    });
    let id = hit(ray, spheres).map(|i| i as usize);
    *selected = Selected { id, reading: id.map(|i| reading(run, i)) };
}

/// The ring around the selected sphere, as large as its radius allows:
/// three radii, and never less than this share of the box's side, so a
/// class sees where it is among 10^5 spheres.
const RING_LEAST: f32 = 0.04;

/// A ring, facing the eye, around the selected sphere while it is drawn:
/// a sphere a few pixels wide among many is hard to find on a projector.
/// It lies a ring's radius in front of the sphere, so the spheres around it
/// do not hide it.
fn ring(
    selected: Res<Selected>,
    sim: Res<Sim>,
    cameras: Query<&GlobalTransform, With<WorldCamera>>,
    mut gizmos: Gizmos,
) {
    let Some(reading) = selected.reading.as_ref().filter(|r| r.drawn) else { return };
    let Some(eye) = cameras.iter().next() else { return };
    let p = sim.view().packing();
    if reading.id >= p.len() {
        return;
    }
    let centre = Vec3::from_array(show::centre(p.positions(), p.dim(), 0.5 * p.side(), reading.id));
    let (at, facing, radius) = ring_around(centre, reading.radius as f32, p.side() as f32, eye.translation());
    gizmos.circle(Isometry3d::new(at, facing), radius, Color::srgb(1.0, 0.9, 0.1));
}

/// Where the ring around a sphere at `centre` of radius `r` in a box of
/// `side` goes, seen from `eye`: its middle, its turn (its plane square to
/// the line to the eye) and its radius.
fn ring_around(centre: Vec3, r: f32, side: f32, eye: Vec3) -> (Vec3, Quat, f32) {
    let radius = (3.0 * r).max(RING_LEAST * side);
    let towards = (eye - centre).try_normalize().unwrap_or(Vec3::Z);
    (centre + towards * radius, Quat::from_rotation_arc(Vec3::Z, towards), radius)
}

/// The reading of sphere `i` under `show`.
fn read(sim: View, show: &Show, i: usize) -> Reading {
    Reading { drawn: show::draws(sim, show, i), ..reading(sim, i) }
}

/// The selected sphere's reading follows the run and what is shown.
fn follow(sim: Res<Sim>, show: Res<Show>, mut selected: ResMut<Selected>) {
    let Some(i) = selected.id else { return };
    if !(sim.is_changed() || show.is_changed()) {
        return;
    }
    if i >= sim.view().packing().len() {
        *selected = Selected::default();
        return;
    }
    selected.reading = Some(read(sim.view(), &show, i));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Dynamics, Packing, Simulation};

    #[test]
    fn the_ring_faces_the_eye_in_front_of_its_sphere_and_stays_visible_when_small() {
        let eye = Vec3::new(0.0, 0.0, 40.0);
        let (at, facing, radius) = ring_around(Vec3::new(1.0, 2.0, 0.0), 0.5, 20.0, eye);
        assert_eq!(radius, 1.5, "three radii");
        assert!(
            ((at - Vec3::new(1.0, 2.0, 0.0)).length() - 1.5).abs() < 1e-5
                && (at - eye).length() < (Vec3::new(1.0, 2.0, 0.0) - eye).length()
        );
        assert!((facing * Vec3::Z).dot((eye - at).normalize()) > 0.999, "square to the line of sight");
        // Among 10^5 spheres (side 44 diameters) three radii would be a few pixels.
        assert_eq!(ring_around(Vec3::ZERO, 0.5, 100.0, eye).2, RING_LEAST * 100.0);
    }

    #[test]
    fn the_nearest_sphere_on_the_ray_is_hit() {
        let ray = Ray3d::new(Vec3::new(0.0, 0.0, 10.0), Dir3::NEG_Z);
        let spheres = [(0, Vec3::ZERO, 0.5), (1, Vec3::new(0.0, 0.0, 3.0), 0.5), (2, Vec3::new(2.0, 0.0, 5.0), 0.5)];
        assert_eq!(hit(ray, spheres.into_iter()), Some(1));
        assert_eq!(hit(ray, spheres[2..].iter().copied()), None, "a sphere beside the ray is missed");
    }

    #[test]
    fn a_reading_finds_overlaps_across_the_boundary_and_halves_their_energy() {
        // Sphere 0 at x = 0.2 overlaps sphere 1 at x = 9.6 through the
        // boundary (distance 0.6), and sphere 2 at x = 0.9 (distance 0.7).
        let positions = vec![0.2, 5.0, 5.0, 9.6, 5.0, 5.0, 0.9, 5.0, 5.0, 5.0, 5.0, 5.0];
        let packing = Packing::new(3, 10.0, vec![0.5; 4], positions).unwrap();
        let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        sim.observe();
        let r = reading(View::of(&sim), 0);
        assert_eq!(r.partners, vec![1, 2]);
        assert_eq!(r.active, 2);
        // Linear potential: V = (1 - r / sigma), halved: (0.4 + 0.3) / 2.
        assert!((r.energy - 0.35).abs() < 1e-12, "{}", r.energy);
        assert!(reading(View::of(&sim), 3).partners.is_empty());
    }
}
