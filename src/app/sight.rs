//! How deep the eye sees into the drawn spheres. In 3D the picture leaves
//! out the spheres hidden deep behind the faces the eye looks through
//! (src/app/show.rs); how deep is measured along lines of sight from the
//! eye, through the spheres binned in the simulation's own cell list.

use super::show::HIDDEN_BEYOND_PATHS;
use super::snapshot::View;
use crate::sim::cells::CellList;
use crate::sim::rng::Stream;
use bevy::math::Vec3;

/// Lines of sight cast to measure how deep the eye sees among the drawn
/// spheres: their mean depth to the first sphere is known to some 3 %.
pub const SIGHT_LINES: usize = 1024;

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
    let points = p.points::<3>();
    let at: Vec<[f64; 3]> = ids.iter().map(|&i| points[i as usize]).collect();
    let radii: Vec<f64> = ids.iter().map(|&i| p.radii()[i as usize]).collect();
    let mut cells = CellList::default();
    cells.rebuild::<3>(&at, &radii, p.periodic_box(), p.max_diameter());
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
        let start: [f64; 3] =
            std::array::from_fn(|j| if j == k { at } else { lo[j] + rng.uniform() * (hi[j] - lo[j]) });
        let along: [f64; 3] = std::array::from_fn(|j| start[j] - eye[j]);
        let norm = along.iter().map(|v| v * v).sum::<f64>().sqrt();
        let d = along.map(|v| v / norm);
        // Where the line leaves the region.
        let exit = (0..3)
            .filter(|&j| d[j] != 0.0)
            .map(|j| ((if d[j] > 0.0 { hi[j] } else { lo[j] }) - start[j]) / d[j])
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        match first_meeting(&cells, p.side(), start, d, exit) {
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

/// How far along the line from `start` in the unit direction `d` it first
/// meets a sphere of `cells` (a box of `side`, no periodic images: the
/// picture draws none), within `length` (None: not within it). Spheres the
/// line starts inside count at 0.
fn first_meeting(cells: &CellList, side: f64, start: [f64; 3], d: [f64; 3], length: f64) -> Option<f64> {
    let per_side = cells.per_side();
    let size = side / per_side as f64;
    let (axes, radii) = (cells.axes::<3>(), cells.sorted_radii());
    let step = 0.5 * size;
    let mut t = 0.0;
    let mut best = f64::INFINITY;
    while t <= length + step {
        let at: [f64; 3] = std::array::from_fn(|k| start[k] + t * d[k]);
        let c = at.map(|v| (v / size).floor() as isize);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    let cell = [c[0] + dx, c[1] + dy, c[2] + dz];
                    if cell.iter().any(|&v| v < 0 || v >= per_side as isize) {
                        continue;
                    }
                    for s in cells.members(cells.cell_number(cell.map(|v| v as usize))) {
                        let oc: [f64; 3] = std::array::from_fn(|k| start[k] - axes[k][s]);
                        let b = oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2];
                        let disc = b * b - (oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - radii[s] * radii[s]);
                        if disc >= 0.0 && -b + disc.sqrt() >= 0.0 {
                            best = best.min((-b - disc.sqrt()).max(0.0));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::show::mean_free_path;
    use crate::sim::{Dynamics, Packing, Simulation};

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
}
