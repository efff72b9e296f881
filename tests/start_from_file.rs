//! A run can start from a frame absorb wrote: positions, radii and box come
//! back bit for bit (shortest round-trip decimals), in 2D and 3D, and a
//! damaged file is refused with its line.

use absorb::io::xyz::{FrameInfo, read_frame, write_frame};
use absorb::scene::{Scene, Start};
use absorb::sim::Radii;
use std::path::Path;

fn frame_text(scene: &Scene, steps: usize) -> (String, absorb::sim::Packing) {
    let mut sim = scene.simulation().unwrap();
    for _ in 0..steps {
        sim.step();
    }
    let (contacts, _) = sim.contacts();
    let mut text = Vec::new();
    write_frame(&mut text, sim.packing(), &contacts, FrameInfo { step: sim.iteration(), dynamics: sim.dynamics() })
        .unwrap();
    (String::from_utf8(text).unwrap(), sim.packing().clone())
}

#[test]
fn frames_read_back_exactly() {
    let three = Scene { dim: 3, n: 500, phi: 0.6, ..Scene::default() };
    let two = Scene { dim: 2, n: 500, phi: 0.8, radii: Radii::bidisperse_2d(), ..Scene::default() };
    for scene in [three, two] {
        let (text, packing) = frame_text(&scene, 30);
        let read = read_frame(&text, Path::new("frame.xyz")).unwrap();
        assert_eq!(read, packing, "{}D frame", scene.dim);
    }
}

#[test]
fn a_scene_starts_from_a_file() {
    let scene = Scene { dim: 3, n: 400, phi: 0.55, ..Scene::default() };
    let (text, packing) = frame_text(&scene, 20);
    let path = std::env::temp_dir().join(format!("absorb-start-{}.xyz", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let from_file = Scene { start: Start::File(path.clone()), n: 2, phi: 0.1, ..scene };
    from_file.validate().unwrap();
    assert_eq!(from_file.simulation().unwrap().packing(), &packing);
    let _ = std::fs::remove_file(path);
}

#[test]
fn damaged_frames_are_refused_with_their_line() {
    let scene = Scene { dim: 3, n: 300, phi: 0.5, ..Scene::default() };
    let (text, _) = frame_text(&scene, 1);
    let short: String = text.lines().take(100).collect::<Vec<_>>().join("\n");
    let err = read_frame(&short, Path::new("short.xyz")).unwrap_err().to_string();
    assert!(err.contains("short.xyz:101") && err.contains("expected 300 particle lines"), "{err}");
    let garbled = text.replacen("X ", "X nonsense ", 1);
    let err = read_frame(&garbled, Path::new("g.xyz")).unwrap_err().to_string();
    assert!(err.contains("g.xyz:3"), "{err}");
    let err = read_frame("12\nnot a frame\n", Path::new("other.xyz")).unwrap_err().to_string();
    assert!(err.contains("other.xyz:2") && err.contains("Properties"), "{err}");
}
