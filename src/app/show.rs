//! Which spheres are drawn, and how. The lecturer chooses what is shown in
//! 3D (every sphere, the overlapping ones alone, the overlapping ones with
//! the resting ones as faint points, or a slab through the box); and of
//! those, the ones the eye cannot see are left out: in a dense packing seen
//! from outside, a line of sight meets a sphere within a mean free path or
//! so, and drawing spheres deeper than several of them behind the faces the
//! eye looks through only costs time (most of a frame under a software
//! renderer). 2D draws every disk.

use crate::app::snapshot::View;
use crate::sim::rng::Stream;
use bevy::math::Vec3;
use bevy::prelude::Resource;
use rayon::prelude::*;

/// Mean free paths of a line of sight among the drawn spheres beyond which
/// a sphere counts as hidden: the chance that a line gets this deep without
/// meeting one is e^-7, under 0.1 %.
pub const HIDDEN_BEYOND_PATHS: f64 = 7.0;

/// Lines of sight cast to measure how deep the eye sees among the drawn
/// spheres: their mean depth to the first sphere is known to some 3 %.
pub const SIGHT_LINES: usize = 1024;

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

/// How deep lines of sight from `eye` go among the spheres `ids` of `sim`
/// behind where they enter the region `(lo, hi)` (box coordinates), before
/// all but some e^-7 of them have met a sphere: the larger of seven times
/// their mean depth to the first sphere and the deepest first meeting of
/// [`SIGHT_LINES`] lines (lines that leave the region first count as far
/// as they went; lines that enter inside a sphere do not count). None where
/// the eye sees no face of the region.
pub fn sight_depth(sim: View, ids: &[u32], (lo, hi): ([f64; 3], [f64; 3]), eye: Vec3) -> Option<f64> {
    let p = sim.packing();
    let (dim, half) = (p.dim(), 0.5 * p.side());
    let eye = [eye.x as f64 + half, eye.y as f64 + half, eye.z as f64 + half];
    // Faces the eye sees, with their areas.
    let faces: Vec<(usize, f64, f64)> = (0..3)
        .flat_map(|k| [(k, lo[k], eye[k] < lo[k]), (k, hi[k], eye[k] > hi[k])])
        .filter(|&(_, _, seen)| seen)
        .map(|(k, at, _)| (k, at, (0..3).filter(|&j| j != k).map(|j| hi[j] - lo[j]).product::<f64>()))
        .filter(|&(_, _, area)| area > 0.0)
        .collect();
    let total: f64 = faces.iter().map(|f| f.2).sum();
    if faces.is_empty() || ids.is_empty() || dim < 3 {
        return None;
    }
    let grid = Grid::new(p.positions(), ids, p.side(), p.max_diameter());
    let radii = p.radii();
    let mut rng = Stream::new(0x5167_4854);
    let (mut travelled, mut met, mut deepest) = (0.0, 0usize, 0.0f64);
    for _ in 0..SIGHT_LINES {
        // A face, by its area, and a point on it.
        let mut pick = rng.uniform() * total;
        let mut face = faces[faces.len() - 1];
        for &f in &faces {
            if pick < f.2 {
                face = f;
                break;
            }
            pick -= f.2;
        }
        let (k, at, _) = face;
        let mut start = [0.0; 3];
        for j in 0..3 {
            start[j] = if j == k { at } else { lo[j] + rng.uniform() * (hi[j] - lo[j]) };
        }
        let along: Vec<f64> = (0..3).map(|j| start[j] - eye[j]).collect();
        let norm = along.iter().map(|v| v * v).sum::<f64>().sqrt();
        let d = [along[0] / norm, along[1] / norm, along[2] / norm];
        // Where the line leaves the region.
        let exit = (0..3)
            .filter(|&j| d[j] != 0.0)
            .map(|j| ((if d[j] > 0.0 { hi[j] } else { lo[j] }) - start[j]) / d[j])
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        match grid.first_meeting(start, d, exit, p.positions(), radii) {
            // A line that enters inside a sphere shows that sphere: the
            // depth is a matter of the lines that enter among the voids.
            Some(t) if t <= 0.0 => {}
            Some(t) => {
                travelled += t;
                met += 1;
                deepest = deepest.max(t);
            }
            None => travelled += exit,
        }
    }
    (met > 0).then(|| (HIDDEN_BEYOND_PATHS * travelled / met as f64).max(deepest))
}

/// Spheres binned by the cell of their centre: cubes of the largest
/// diameter across the box (3D).
struct Grid {
    cells: usize,
    size: f64,
    /// Where each cell's ids begin in `ids` (one past the end last).
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl Grid {
    fn new(positions: &[f64], ids: &[u32], side: f64, diameter: f64) -> Self {
        let cells = ((side / diameter.max(1e-9)).floor() as usize).clamp(1, 128);
        let size = side / cells as f64;
        let cell_of = |i: u32| {
            let x = &positions[3 * i as usize..3 * i as usize + 3];
            let c = |v: f64| ((v / size) as usize).min(cells - 1);
            (c(x[0]) * cells + c(x[1])) * cells + c(x[2])
        };
        let mut starts = vec![0u32; cells * cells * cells + 1];
        for &i in ids {
            starts[cell_of(i) + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut fill = starts.clone();
        let mut binned = vec![0u32; ids.len()];
        for &i in ids {
            let c = cell_of(i);
            binned[fill[c] as usize] = i;
            fill[c] += 1;
        }
        Self { cells, size, starts, ids: binned }
    }

    /// How far along the line from `start` in the unit direction `d` it
    /// first meets a sphere, within `length` (None: not within it). Spheres
    /// the line starts inside count at 0.
    fn first_meeting(
        &self,
        start: [f64; 3],
        d: [f64; 3],
        length: f64,
        positions: &[f64],
        radii: &[f64],
    ) -> Option<f64> {
        let step = 0.5 * self.size;
        let mut t = 0.0;
        let mut best = f64::INFINITY;
        while t <= length + step {
            let at = [start[0] + t * d[0], start[1] + t * d[1], start[2] + t * d[2]];
            let c = at.map(|v| (v / self.size).floor() as isize);
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for dz in -1..=1 {
                        let cell = [c[0] + dx, c[1] + dy, c[2] + dz];
                        if cell.iter().any(|&v| v < 0 || v >= self.cells as isize) {
                            continue;
                        }
                        let k = (cell[0] as usize * self.cells + cell[1] as usize) * self.cells + cell[2] as usize;
                        for &i in &self.ids[self.starts[k] as usize..self.starts[k + 1] as usize] {
                            let x = &positions[3 * i as usize..3 * i as usize + 3];
                            let oc = [start[0] - x[0], start[1] - x[1], start[2] - x[2]];
                            let b = oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2];
                            let r = radii[i as usize];
                            let cc = oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - r * r;
                            let disc = b * b - cc;
                            if disc >= 0.0 {
                                let near = (-b - disc.sqrt()).max(0.0);
                                if -b + disc.sqrt() >= 0.0 {
                                    best = best.min(near);
                                }
                            }
                        }
                    }
                }
            }
            // Every meeting up to half a step ahead has been seen.
            if best <= t + 0.5 * step {
                break;
            }
            t += step;
        }
        (best <= length).then_some(best)
    }
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
    fn lines_of_sight_go_a_mean_free_path_among_spheres_at_random_and_less_once_apart() {
        // 4000 spheres of diameter 1 at phi = 0.5, the eye far in front of z = side.
        let radii = vec![0.5; 4000];
        let packing = Packing::random(3, radii.clone(), 0.5, 3).unwrap();
        let side = packing.side();
        let region = ([0.0; 3], [side; 3]);
        let eye = Vec3::new(0.2 * side as f32, 0.1 * side as f32, 4.0 * side as f32);
        let lambda = mean_free_path(radii.iter().copied(), side.powi(3));
        let ids: Vec<u32> = (0..4000).collect();
        // At random (iteration 0) the first meetings are exponential with
        // mean lambda: seven means, or the deepest of 1024 (about 6.9).
        let mut sim = Simulation::new(packing, Dynamics::default(), 1).unwrap();
        let random = sight_depth(View::of(&sim), &ids, region, eye).unwrap() / lambda;
        assert!((6.0..9.0).contains(&random), "{random} mean free paths at random");
        // Settled (below phi_c, absorbed), a line meets a sphere within a
        // chord of the voids, (1 - phi) lambda on average.
        for _ in 0..5000 {
            if sim.step().absorbed {
                break;
            }
        }
        assert!(sim.absorbed_at().is_some());
        let settled = sight_depth(View::of(&sim), &ids, region, eye).unwrap() / lambda;
        assert!(settled < 0.75 * random, "{settled} mean free paths settled, {random} at random");
        // An eye inside the box sees no face.
        assert_eq!(sight_depth(View::of(&sim), &ids, region, Vec3::ZERO), None);
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
