//! Which spheres are worth drawing. In a dense 3D packing seen from outside,
//! a line of sight enters the box and meets a sphere within a mean free path
//! or so: spheres deeper than several of them behind the faces the eye looks
//! through are hidden, and drawing them only costs time (most of a frame
//! under a software renderer). 2D draws every disk.

use bevy::math::Vec3;

/// Mean free paths of a line of sight among the spheres beyond which a
/// sphere counts as hidden: the chance that a line gets this deep without
/// meeting a sphere is e^-7, under 0.1 %.
pub const HIDDEN_BEYOND_PATHS: f64 = 7.0;

/// The mean free path of a straight line among spheres of radii `radii` in a
/// box of volume `volume`: the volume over the spheres' summed cross-sections.
pub fn mean_free_path(radii: &[f64], volume: f64) -> f64 {
    let cross_sections: f64 = radii.iter().map(|r| std::f64::consts::PI * r * r).sum();
    if cross_sections > 0.0 { volume / cross_sections } else { f64::INFINITY }
}

/// How far `centre` lies behind the point where the line from `eye` to it
/// enters the cube [-half, half]^3 (0 for an eye inside the cube).
pub fn depth_behind_entry(eye: Vec3, centre: Vec3, half: f32) -> f32 {
    let along = centre - eye;
    let mut enter = 0.0f32;
    for k in 0..3 {
        if along[k] != 0.0 {
            let (a, b) = ((-half - eye[k]) / along[k], (half - eye[k]) / along[k]);
            enter = enter.max(a.min(b));
        }
    }
    (1.0 - enter.clamp(0.0, 1.0)) * along.length()
}

/// The ids of the spheres to draw, of `centres` (world, the box centred on
/// the origin, side `2 half`), seen from `eye` under perspective (None: an
/// orthographic view, which draws all): those within `depth` of where the
/// eye's line of sight enters the box.
pub fn in_sight(centres: impl Iterator<Item = Vec3>, eye: Option<Vec3>, half: f32, depth: f32) -> Vec<u32> {
    match eye {
        None => centres.enumerate().map(|(i, _)| i as u32).collect(),
        Some(eye) => centres
            .enumerate()
            .filter(|&(_, c)| depth_behind_entry(eye, c, half) <= depth)
            .map(|(i, _)| i as u32)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_sight_enters_at_the_face_it_crosses() {
        let eye = Vec3::new(0.0, 0.0, 20.0);
        // Entering the face z = 5 and going 3 deeper.
        assert!((depth_behind_entry(eye, Vec3::new(0.0, 0.0, 2.0), 5.0) - 3.0).abs() < 1e-5);
        // Obliquely: the entry is on the face x = 5 after all.
        let d = depth_behind_entry(Vec3::new(20.0, 0.0, 20.0), Vec3::new(0.0, 0.0, 0.0), 5.0);
        assert!((d - 5.0 * 2f32.sqrt()).abs() < 1e-4, "{d}");
        // An eye inside the box sees from where it is.
        assert!((depth_behind_entry(Vec3::ZERO, Vec3::new(3.0, 4.0, 0.0), 5.0) - 5.0).abs() < 1e-5);
    }

    #[test]
    fn deep_spheres_are_left_out_and_2d_keeps_all() {
        let centres = [Vec3::new(0.0, 0.0, 4.5), Vec3::new(0.0, 0.0, -4.5), Vec3::new(4.5, 4.5, -4.5)];
        let eye = Some(Vec3::new(0.0, 0.0, 30.0));
        assert_eq!(in_sight(centres.into_iter(), eye, 5.0, 3.0), vec![0]);
        // The far corner sphere is near the face x = 5 but the eye looks through z = 5.
        assert_eq!(in_sight(centres.into_iter(), None, 5.0, 3.0), vec![0, 1, 2]);
    }

    #[test]
    fn the_mean_free_path_of_a_dense_packing_is_about_a_diameter() {
        // phi = 0.59 with diameter 1: number density 1.127, cross-section pi / 4.
        let n = 1000;
        let volume = n as f64 * std::f64::consts::PI / 6.0 / 0.59;
        let lambda = mean_free_path(&vec![0.5; n], volume);
        assert!((lambda - 1.13).abs() < 0.01, "{lambda}");
    }
}
