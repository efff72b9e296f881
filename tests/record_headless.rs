//! `absorb run --record-every K` writes the recording folder the window's
//! Record button writes: the start, every K-th and the last configuration
//! in trajectory.xyz (each the same bits as a run stepped as far), every
//! iteration in timeseries.csv and a change log.

use absorb::io::xyz;
use absorb::scene::Scene;
use std::path::Path;

/// The frames of an extended XYZ trajectory, as the text of each.
fn frames(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let n: usize = lines[at].trim().parse().expect("atom count line");
        out.push(lines[at..at + 2 + n].join("\n"));
        at += 2 + n;
    }
    out
}

fn step_of(frame: &str) -> u64 {
    let comment = frame.lines().nth(1).unwrap();
    let value = xyz::header_values(comment).into_iter().find(|(k, _)| k == "step").unwrap().1;
    value.parse().unwrap()
}

#[test]
fn a_headless_run_records_the_folder_the_window_writes() {
    // 2D disks far below phi_c: absorbed within the 200 iterations, off the grid of 10.
    let scene = Scene { dim: 2, n: 120, phi: 0.3, seed: 4, steps: 200, ..Scene::default() };
    let out = std::env::temp_dir().join(format!("absorb-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let summary = absorb::run::run(&scene, &out, false, Some(10)).unwrap();
    assert!(summary.relaxation.absorbed, "{summary}");
    let last = summary.iterations;
    assert!(!last.is_multiple_of(10), "the test wants a last iteration off the grid: {last}");

    let text = std::fs::read_to_string(out.join("trajectory.xyz")).unwrap();
    let frames = frames(&text);
    let steps: Vec<u64> = frames.iter().map(|f| step_of(f)).collect();
    let mut expected: Vec<u64> = (0..=last).step_by(10).collect();
    expected.push(last);
    assert_eq!(steps, expected, "the start, every 10th and the last");

    // Each frame holds the configuration a run stepped as far holds.
    let mut reference = scene.simulation().unwrap();
    for (frame, &step) in frames.iter().zip(&steps) {
        while reference.iteration() < step {
            reference.step();
        }
        let packing = xyz::read_frame(frame, Path::new("trajectory.xyz")).unwrap();
        assert_eq!(packing.positions(), reference.packing().positions(), "frame at iteration {step}");
    }
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + last, "a row every iteration");
    assert!(std::fs::read_to_string(out.join("changes.csv")).unwrap().starts_with("step,"));
    assert!(out.join("final.xyz").exists());
    std::fs::remove_dir_all(&out).unwrap();
}
