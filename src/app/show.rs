//! Which spheres are drawn, and how. The lecturer chooses what is shown in
//! 3D (every sphere, the overlapping ones alone, the overlapping ones with
//! the resting ones as faint points, or a slab through the box); and of
//! those, the ones the eye cannot see are left out: in a dense packing seen
//! from outside, a line of sight meets a sphere within a mean free path or
//! so, and drawing spheres deeper than several of them behind the faces the
//! eye looks through only costs time (most of a frame under a software
//! renderer). 2D draws every disk.

use super::sight::sight_depth;
use crate::app::snapshot::View;
use bevy::math::Vec3;
use bevy::prelude::Resource;
use rayon::prelude::*;

/// Mean free paths of a line of sight among the drawn spheres beyond which
/// a sphere counts as hidden: the chance that a line gets this deep without
/// meeting one is e^-7, under 0.1 %.
pub const HIDDEN_BEYOND_PATHS: f64 = 7.0;

/// The radius of a resting sphere drawn as a point, relative to its own:
/// large enough to read on a projector, small enough to see past.
pub const FAINT_RADIUS: f64 = 0.3;

/// How far a point's colour is taken towards the background (none: points
/// keep the legend's colour, which reads on a projector).
pub const FAINT_FADE: f32 = 0.0;

/// What the picture shows of a 3D run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShowMode {
    /// Every sphere.
    #[default]
    All,
    /// The overlapping spheres alone.
    Overlapping,
    /// The overlapping spheres, and the resting ones as faint points.
    OverlappingWithPoints,
    /// The spheres whose centres lie in a slab across the box.
    Slab,
}

impl ShowMode {
    /// Every mode, in the order the S key steps through them.
    pub const ALL: [ShowMode; 4] =
        [ShowMode::All, ShowMode::Overlapping, ShowMode::OverlappingWithPoints, ShowMode::Slab];

    /// Its name in the panel.
    pub fn label(self) -> &'static str {
        match self {
            ShowMode::All => "all spheres",
            ShowMode::Overlapping => "overlapping only",
            ShowMode::OverlappingWithPoints => "overlapping, resting as points",
            ShowMode::Slab => "a slab",
        }
    }

    /// The mode called `name` on the command line: `all`, `overlapping`,
    /// `points` (overlapping, resting as points) or `slab`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "all" => Some(ShowMode::All),
            "overlapping" => Some(ShowMode::Overlapping),
            "points" => Some(ShowMode::OverlappingWithPoints),
            "slab" => Some(ShowMode::Slab),
            _ => None,
        }
    }

    /// The next mode (the S key).
    pub fn next(self) -> Self {
        let k = Self::ALL.iter().position(|&m| m == self).unwrap_or(0);
        Self::ALL[(k + 1) % Self::ALL.len()]
    }
}

/// What is shown, with the slab's place.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct Show {
    /// The mode.
    pub mode: ShowMode,
    /// The axis the slab is across: 0, 1, 2 for x, y, z.
    pub axis: usize,
    /// The slab's middle, as a fraction of the box side in [0, 1].
    pub at: f64,
    /// The slab's thickness, in diameters of the largest sphere.
    pub thickness: f64,
}

impl Default for Show {
    fn default() -> Self {
        Self { mode: ShowMode::All, axis: 2, at: 0.5, thickness: 3.0 }
    }
}

impl Show {
    /// The slab's bounds along its axis, in box coordinates [0, side), for
    /// spheres whose largest diameter is `diameter`.
    pub fn slab(&self, side: f64, diameter: f64) -> (f64, f64) {
        let half = 0.5 * (self.thickness * diameter).min(side);
        let middle = (self.at * side).clamp(half, side - half);
        (middle - half, middle + half)
    }

    /// Moves the slab by `steps` of a quarter of its thickness (the [ and ] keys).
    pub fn move_slab(&mut self, steps: f64, side: f64, diameter: f64) {
        self.at += steps * 0.25 * self.thickness * diameter / side;
        self.keep_inside(side, diameter);
    }

    /// Keeps the slab inside the box, so that `at` is always its middle.
    pub fn keep_inside(&mut self, side: f64, diameter: f64) {
        let (lo, hi) = self.slab(side, diameter);
        self.at = 0.5 * (lo + hi) / side;
    }
}

/// The spheres to draw: their ids, solid ones first, then faint points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shown {
    /// Ids, solid spheres first.
    pub ids: Vec<u32>,
    /// Where the faint points begin in `ids`.
    pub faint_from: usize,
}

/// The mean free path of a straight line among spheres of radii `radii` in a
/// volume `volume`: the volume over the spheres' summed cross-sections.
pub fn mean_free_path(radii: impl Iterator<Item = f64>, volume: f64) -> f64 {
    let cross_sections: f64 = radii.map(|r| std::f64::consts::PI * r * r).sum();
    if cross_sections > 0.0 { volume / cross_sections } else { f64::INFINITY }
}

/// How far `centre` lies behind the point where the line from `eye` to it
/// enters the box [lo, hi] (0 for an eye inside the box).
pub fn depth_behind_entry(eye: Vec3, centre: Vec3, lo: Vec3, hi: Vec3) -> f32 {
    let along = centre - eye;
    let mut enter = 0.0f32;
    for k in 0..3 {
        if along[k] != 0.0 {
            let (a, b) = ((lo[k] - eye[k]) / along[k], (hi[k] - eye[k]) / along[k]);
            enter = enter.max(a.min(b));
        }
    }
    (1.0 - enter.clamp(0.0, 1.0)) * along.length()
}

/// Where sphere `i` is drawn: the box centred on the origin, 2D in the z = 0 plane.
pub fn centre(positions: &[f64], dim: usize, half: f64, i: usize) -> [f32; 3] {
    let x = &positions[i * dim..(i + 1) * dim];
    let z = if dim >= 3 { x[2] - half } else { 0.0 };
    [(x[0] - half) as f32, (x[1] - half) as f32, z as f32]
}

/// A copy of a disk that crosses the box's edge, drawn across the opposite
/// edge: the disk's id and the shift of its centre.
pub type PeriodicImage = (u32, [f32; 2]);

/// The periodic images of the disks `ids` of a 2D run that cross the box's
/// edges (one across an edge, three near a corner); none in 3D, where the
/// spheres stand out of the box as molecular viewers draw them.
pub fn periodic_images(sim: View, ids: &[u32]) -> Vec<PeriodicImage> {
    let p = sim.packing();
    if p.dim() != 2 {
        return Vec::new();
    }
    let (side, half) = (p.side() as f32, 0.5 * p.side());
    let (positions, radii) = (p.positions(), p.radii());
    let mut images = Vec::new();
    for &i in ids {
        let [x, y, _] = centre(positions, 2, half, i as usize);
        let r = radii[i as usize] as f32;
        let across = |c: f32| -> f32 {
            if c - r < -0.5 * side {
                side
            } else if c + r > 0.5 * side {
                -side
            } else {
                0.0
            }
        };
        let (dx, dy) = (across(x), across(y));
        if dx != 0.0 {
            images.push((i, [dx, 0.0]));
        }
        if dy != 0.0 {
            images.push((i, [0.0, dy]));
        }
        if dx != 0.0 && dy != 0.0 {
            images.push((i, [dx, dy]));
        }
    }
    images
}

/// How a sphere is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Whole.
    Solid,
    /// As a faint point.
    Point,
}

/// The box, or the slab across it, in box coordinates (lowest, highest
/// corner): what `show` draws of `sim`.
fn region(sim: View, show: &Show) -> ([f64; 3], [f64; 3]) {
    let p = sim.packing();
    let (dim, side) = (p.dim(), p.side());
    let (mut lo, mut hi) = ([0.0; 3], [side; 3]);
    if dim < 3 {
        (lo[2], hi[2]) = (0.5 * side, 0.5 * side);
    } else if show.mode == ShowMode::Slab {
        (lo[show.axis], hi[show.axis]) = show.slab(side, p.max_diameter());
    }
    (lo, hi)
}

/// How `show` draws sphere `i` of `sim` in the region `(lo, hi)`, if at all
/// (leaving aside spheres hidden from the eye).
fn role(sim: View, show: &Show, (lo, hi): ([f64; 3], [f64; 3]), i: usize) -> Option<Role> {
    let p = sim.packing();
    let dim = p.dim();
    let touching = sim.last_contacts()[i] > 0;
    match if dim >= 3 { show.mode } else { ShowMode::All } {
        ShowMode::All => Some(Role::Solid),
        ShowMode::Overlapping => touching.then_some(Role::Solid),
        ShowMode::OverlappingWithPoints => Some(if touching { Role::Solid } else { Role::Point }),
        ShowMode::Slab => {
            let x = p.position(i);
            (0..dim.min(3)).all(|k| (lo[k]..=hi[k]).contains(&x[k])).then_some(Role::Solid)
        }
    }
}

/// Whether `show` draws sphere `i` of `sim` (leaving aside spheres hidden from the eye).
pub fn draws(sim: View, show: &Show, i: usize) -> bool {
    role(sim, show, region(sim, show), i).is_some()
}

/// The spheres of `sim` to draw under `show`, seen from `eye` under
/// perspective (None: orthographic, or 2D, which draw every chosen sphere).
pub fn choose(sim: View, show: &Show, eye: Option<Vec3>) -> Shown {
    choose_reusing(sim, show, eye, &mut None)
}

/// Iterations over which a measured depth of sight is reused: the packing
/// changes little in them, and measuring costs a pass over the candidates.
pub const SIGHT_REUSED_FOR: u64 = 20;

/// A depth of sight measured, and what it was measured on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SightMemo {
    iteration: u64,
    show: Show,
    phi: f64,
    n: usize,
    depth: Option<f64>,
}

/// [`choose`], reusing the depth of sight in `memo` while the run is within
/// [`SIGHT_REUSED_FOR`] iterations of where it was measured and nothing
/// else changed (what is shown, phi, N), and keeping a new one there.
pub fn choose_reusing(sim: View, show: &Show, eye: Option<Vec3>, memo: &mut Option<SightMemo>) -> Shown {
    let p = sim.packing();
    let (dim, side, n) = (p.dim(), p.side(), p.len());
    let half = 0.5 * side;
    let (lo, hi) = region(sim, show);
    // Every sphere (the usual case, and 2D) needs no list of roles: one pass
    // over the ids, where the eye sees, is the whole choice.
    let every = dim < 3 || show.mode == ShowMode::All;
    let (solid, faint): (Vec<u32>, Vec<u32>) = if every {
        (Vec::new(), Vec::new())
    } else {
        let roles: Vec<(u32, Role)> = (0..n as u32)
            .into_par_iter()
            .filter_map(|i| role(sim, show, (lo, hi), i as usize).map(|r| (i, r)))
            .collect();
        let of = |role| roles.iter().filter(|&&(_, r)| r == role).map(|&(i, _)| i).collect();
        (of(Role::Solid), of(Role::Point))
    };
    let Some(eye) = eye.filter(|_| dim >= 3) else {
        let ids = if every { (0..n as u32).collect() } else { [solid.as_slice(), &faint].concat() };
        let faint_from = if every { n } else { solid.len() };
        return Shown { ids, faint_from };
    };
    // Hidden: deeper than several mean free paths among the solid spheres
    // behind where the line of sight enters the region.
    let volume: f64 = (0..3).map(|k| hi[k] - lo[k]).product();
    let radii = p.radii();
    let path = if every {
        mean_free_path(radii.iter().copied(), volume)
    } else {
        mean_free_path(solid.iter().map(|&i| radii[i as usize]), volume)
    };
    let box_lo_hi = (lo, hi);
    let to_world = |v: [f64; 3]| Vec3::new((v[0] - half) as f32, (v[1] - half) as f32, (v[2] - half) as f32);
    let (lo, hi) = (to_world(lo), to_world(hi));
    let positions = p.positions();
    let within = |depth: f32| {
        move |&i: &u32| {
            let c = Vec3::from_array(centre(positions, dim, half, i as usize));
            depth_behind_entry(eye, c, lo, hi) <= depth
        }
    };
    // The mean free path holds for spheres at random (iteration 0): the
    // spheres within seven of them are the candidates. Once the spheres
    // have moved apart a line meets one sooner: how soon is measured along
    // lines of sight among the candidates, and the deeper ones are hidden.
    let bound = (HIDDEN_BEYOND_PATHS * path + p.max_diameter()) as f32;
    let to_depth = |sight: Option<f64>| {
        sight.map_or(bound, |sight| (sight.min(HIDDEN_BEYOND_PATHS * path) + p.max_diameter()) as f32)
    };
    let drawn_within = |depth: f32| -> Vec<u32> {
        if every {
            (0..n as u32).into_par_iter().filter(within(depth)).collect()
        } else {
            solid.par_iter().copied().filter(within(depth)).collect()
        }
    };
    let (iteration, phi) = (sim.iteration(), p.phi());
    let reused = memo.filter(|m| {
        (m.show, m.phi, m.n) == (*show, phi, n) && (m.iteration..m.iteration + SIGHT_REUSED_FOR).contains(&iteration)
    });
    let (mut ids, depth) = match reused {
        // One pass: the depth is known.
        Some(m) => {
            let depth = to_depth(m.depth);
            (drawn_within(depth), depth)
        }
        None => {
            let candidates = drawn_within(bound);
            let sight = sight_depth(sim, &candidates, box_lo_hi, eye);
            *memo = Some(SightMemo { iteration, show: *show, phi, n, depth: sight });
            let depth = to_depth(sight);
            (candidates.into_par_iter().filter(within(depth)).collect(), depth)
        }
    };
    let faint_from = ids.len();
    ids.par_extend(faint.into_par_iter().filter(within(bound.min(depth))));
    Shown { ids, faint_from }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Dynamics, Packing, Simulation};

    #[test]
    fn a_line_of_sight_enters_at_the_face_it_crosses() {
        let (lo, hi) = (Vec3::splat(-5.0), Vec3::splat(5.0));
        let eye = Vec3::new(0.0, 0.0, 20.0);
        // Entering the face z = 5 and going 3 deeper.
        assert!((depth_behind_entry(eye, Vec3::new(0.0, 0.0, 2.0), lo, hi) - 3.0).abs() < 1e-5);
        // Obliquely: the entry is on the face x = 5 after all.
        let d = depth_behind_entry(Vec3::new(20.0, 0.0, 20.0), Vec3::ZERO, lo, hi);
        assert!((d - 5.0 * 2f32.sqrt()).abs() < 1e-4, "{d}");
        // An eye inside the box sees from where it is.
        assert!((depth_behind_entry(Vec3::ZERO, Vec3::new(3.0, 4.0, 0.0), lo, hi) - 5.0).abs() < 1e-5);
    }

    #[test]
    fn the_mean_free_path_of_a_dense_packing_is_about_a_diameter() {
        // phi = 0.59 with diameter 1: number density 1.127, cross-section pi / 4.
        let n = 1000;
        let volume = n as f64 * std::f64::consts::PI / 6.0 / 0.59;
        let lambda = mean_free_path(std::iter::repeat_n(0.5, n), volume);
        assert!((lambda - 1.13).abs() < 0.01, "{lambda}");
    }

    /// Spheres of diameter 1 in a box of side 10: 0 and 1 overlap near the
    /// middle, 2 rests near the front face (z high), 3 rests deep at the back.
    fn run() -> Simulation {
        let positions = vec![5.0, 5.0, 5.0, 5.6, 5.0, 5.0, 2.0, 2.0, 9.5, 8.0, 8.0, 0.5];
        let packing = Packing::new(3, 10.0, vec![0.5; 4], positions).unwrap();
        let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        sim.observe();
        sim
    }

    #[test]
    fn each_mode_chooses_its_spheres() {
        let sim = run();
        let choose = |mode, eye| choose(View::of(&sim), &Show { mode, ..Show::default() }, eye);
        assert_eq!(choose(ShowMode::All, None).ids, vec![0, 1, 2, 3]);
        assert_eq!(choose(ShowMode::Overlapping, None).ids, vec![0, 1], "resting spheres are absent");
        let points = choose(ShowMode::OverlappingWithPoints, None);
        assert_eq!((points.ids, points.faint_from), (vec![0, 1, 2, 3], 2));
        // The slab across z, 3 diameters thick about the middle, holds the pair.
        assert_eq!(choose(ShowMode::Slab, None).ids, vec![0, 1], "spheres outside the slab are absent");
        let slab = Show { mode: ShowMode::Slab, ..Show::default() };
        assert!(
            draws(View::of(&sim), &slab, 0) && !draws(View::of(&sim), &slab, 2),
            "the panel can say a selection is not drawn"
        );
        // Moved against a face, the slab stops there and `at` stays its middle.
        let mut moved = slab;
        moved.move_slab(100.0, 10.0, 1.0);
        assert_eq!((moved.slab(10.0, 1.0), moved.at), ((7.0, 10.0), 0.85));
    }

    #[test]
    fn a_disk_across_the_box_edge_has_its_periodic_images() {
        // A 2D box of side 10 (world coordinates -5 to 5): disks of radius 0.5
        // inside, across the right edge, and across the bottom-left corner.
        let positions = vec![5.0, 5.0, 9.8, 5.0, 0.2, 0.3];
        let packing = Packing::new(2, 10.0, vec![0.5; 3], positions).unwrap();
        let sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        let images = periodic_images(View::of(&sim), &[0, 1, 2]);
        let expected = vec![(1, [-10.0, 0.0]), (2, [10.0, 0.0]), (2, [0.0, 10.0]), (2, [10.0, 10.0])];
        assert_eq!(images, expected, "none for the inside disk, one across an edge, three at a corner");
        // In 3D the spheres stand out of the box: no images.
        let packing = Packing::new(3, 10.0, vec![0.5; 2], vec![9.8, 5.0, 5.0, 0.2, 0.2, 0.2]).unwrap();
        let sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        assert!(periodic_images(View::of(&sim), &[0, 1]).is_empty());
    }

    #[test]
    fn a_depth_of_sight_is_reused_for_a_few_iterations_of_the_same_view() {
        let packing = Packing::random(3, vec![0.5; 2000], 0.55, 3).unwrap();
        let eye = Some(Vec3::new(0.0, 0.0, 5.0 * packing.side() as f32));
        let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        let mut memo = None;
        let first = choose_reusing(View::of(&sim), &Show::default(), eye, &mut memo);
        assert_eq!(first, choose(View::of(&sim), &Show::default(), eye), "the same choice as measuring afresh");
        let measured = memo.expect("a depth was measured");
        sim.step();
        choose_reusing(View::of(&sim), &Show::default(), eye, &mut memo);
        assert_eq!(memo, Some(measured), "one iteration on: reused");
        let slab = Show { mode: ShowMode::Slab, ..Show::default() };
        choose_reusing(View::of(&sim), &slab, eye, &mut memo);
        assert_ne!(memo, Some(measured), "another region: measured again");
        for _ in 0..SIGHT_REUSED_FOR {
            sim.step();
        }
        let again = memo;
        choose_reusing(View::of(&sim), &slab, eye, &mut memo);
        assert_ne!(memo, again, "{SIGHT_REUSED_FOR} iterations on: measured again");
    }

    #[test]
    fn spheres_deep_behind_dense_faces_are_hidden_and_sparse_ones_are_not() {
        // A dense packing: the eye far in front of the face z = 10.
        let radii = vec![0.5; 4000];
        let packing = Packing::random(3, radii, 0.6, 3).unwrap();
        let side = packing.side();
        let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        sim.observe();
        let eye = Some(Vec3::new(0.0, 0.0, 10.0 * side as f32));
        let all = choose(View::of(&sim), &Show::default(), eye);
        let back = |ids: &[u32]| ids.iter().filter(|&&i| sim.packing().position(i as usize)[2] < 0.3 * side).count();
        assert!(all.ids.len() < 4000 && back(&all.ids) == 0, "{} shown, {} at the back", all.ids.len(), back(&all.ids));
        // Four spheres alone in a box hide nothing.
        let sparse = choose(View::of(&run()), &Show::default(), Some(Vec3::new(0.0, 0.0, 100.0)));
        assert_eq!(sparse.ids.len(), 4);
    }
}
