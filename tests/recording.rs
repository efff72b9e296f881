//! A recording writes every iteration's time-series row and an extended XYZ
//! frame every k-th iteration, readable after each flush (what a crash would
//! leave behind), and a stopped recording is complete.
#![cfg(feature = "gui")]

use absorb::app::record::Recorder;
use absorb::scene::Scene;

fn frames(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(n) = lines.next() {
        let n: usize = n.trim().parse().expect("atom count line");
        let comment = lines.next().expect("comment line").to_string();
        for _ in 0..n {
            let atom = lines.next().expect("atom line");
            assert_eq!(atom.split_whitespace().count(), 6, "X x y z radius active: {atom}");
        }
        out.push((n, comment));
    }
    out
}

#[test]
fn recording_writes_rows_and_every_kth_frame() {
    let folder = std::env::temp_dir().join(format!("absorb-rec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let scene = Scene { dim: 3, n: 300, phi: 0.6, ..Scene::default() };
    let mut sim = scene.simulation().unwrap();
    let mut rec = Recorder::default();
    rec.every = 5;
    rec.folder = folder.clone();
    rec.toggle();
    assert!(rec.is_recording(), "{:?}", rec.message);
    for _ in 0..23 {
        let stats = sim.step();
        rec.record(&mut sim, &stats);
    }
    rec.flush();
    let dir = std::fs::read_dir(&folder).unwrap().flatten().next().unwrap().path();

    // Mid-recording, after a flush: whole frames and rows only.
    let xyz = std::fs::read_to_string(dir.join("trajectory.xyz")).unwrap();
    let steps: Vec<String> = frames(&xyz)
        .iter()
        .map(|(n, c)| {
            assert_eq!(*n, 300);
            c.split_whitespace().find(|w| w.starts_with("step=")).unwrap().to_string()
        })
        .collect();
    // The first frame when recording starts (after iteration 0), then every 5th.
    assert_eq!(steps, ["step=1", "step=5", "step=10", "step=15", "step=20"]);
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 23);
    assert!(csv.starts_with("step,activity,active_pairs"));

    rec.toggle();
    assert!(!rec.is_recording());
    assert!(rec.message.as_deref().unwrap_or("").contains("5 frames"));
    let _ = std::fs::remove_dir_all(&folder);
}
