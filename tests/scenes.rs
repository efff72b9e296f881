//! Every shipped scene parses, validates, has a description, and survives a
//! round trip through RON unchanged.

use absorb::scene::Scene;
use std::path::Path;

#[test]
fn shipped_scenes_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut count = 0;
    let mut dims = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ron") {
            let scene = Scene::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!scene.description.is_empty(), "{} has no description", path.display());
            let again = Scene::parse(&scene.to_ron(), &path).unwrap();
            assert_eq!(again, scene, "{} changes in a RON round trip", path.display());
            dims.push(scene.dim);
            count += 1;
        }
    }
    assert!(count >= 3, "default, a 2D scene and an absorbing one");
    assert!(dims.contains(&2) && dims.contains(&3));
}

#[test]
fn the_default_scene_is_3d_and_built_in() {
    let scene = Scene::default_scene().unwrap();
    assert_eq!(scene.dim, 3);
    let on_disk = Scene::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/default.ron")).unwrap();
    assert_eq!(scene, on_disk);
}
