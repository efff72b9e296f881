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

    // Stopped: the configuration it stopped at is the last frame.
    rec.toggle();
    rec.settle(Some(&mut sim));
    assert!(!rec.is_recording());
    assert!(rec.message.as_deref().unwrap_or("").contains("6 frames"), "{:?}", rec.message);
    let xyz = std::fs::read_to_string(dir.join("trajectory.xyz")).unwrap();
    assert!(frames(&xyz).last().unwrap().1.contains("step=23"));
    let _ = std::fs::remove_dir_all(&folder);
}

/// Started on a run that has absorbed (and so no longer iterates), a
/// recording still holds its configuration, and stopping it leaves a
/// recording that opens for replay.
#[test]
fn a_recording_of_an_absorbed_run_holds_its_configuration() {
    use absorb::app::simulation::{Setup, Sim, SimCommand, SimulationPlugin};
    use absorb::sim::Scheme;
    use bevy::prelude::*;

    let folder = std::env::temp_dir().join(format!("absorb-rec-absorbed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let dilute =
        Scene { dim: 2, n: 200, phi: 0.3, seed: 3, scheme: Scheme::BroPairwise { kick: 0.2 }, ..Scene::default() };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins((SimulationPlugin::new(Setup::new(dilute, None)), absorb::app::record::RecordPlugin));
    app.world_mut().write_message(SimCommand::Advance(2000));
    app.update();
    let absorbed_at = app.world().resource::<Sim>().view().absorbed_at().expect("absorbed within 2000 iterations");
    let mut rec = Recorder::default();
    rec.folder = folder.clone();
    rec.toggle();
    app.insert_resource(rec);
    app.update();
    app.world_mut().resource_mut::<Recorder>().toggle();
    app.update();
    let rec = app.world().resource::<Recorder>();
    assert!(!rec.is_recording(), "{:?}", rec.message);
    let dir = std::fs::read_dir(&folder).unwrap().flatten().next().unwrap().path();
    let trajectory = absorb::io::trajectory::Trajectory::open(&dir).expect("the recording opens for replay");
    assert_eq!(trajectory.steps, [absorbed_at + 1], "one frame: the absorbed configuration");
    let _ = std::fs::remove_dir_all(&folder);
}

/// A change made mid-recording is read back from both files: the change
/// log names it with its iteration, and every frame header carries the
/// dynamics the run had when the frame was written. The folder is named by
/// date and time.
#[test]
fn a_change_mid_recording_is_in_the_change_log_and_the_frame_headers() {
    use absorb::app::simulation::{Setup, SimCommand, SimSettings, SimulationPlugin};
    use absorb::io::xyz::header_values;
    use absorb::sim::{BatchMode, Dynamics, Scheme};
    use bevy::prelude::*;

    let folder = std::env::temp_dir().join(format!("absorb-rec-change-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let sgd = |lr| Scheme::Sgd { lr, batch: 0.5, batch_mode: BatchMode::Probabilistic };
    let scene = Scene { dim: 3, n: 300, phi: 0.62, scheme: sgd(0.05), ..Scene::default() };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(scene, None)));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    let mut rec = Recorder::default();
    rec.every = 5;
    rec.folder = folder.clone();
    rec.toggle();
    app.insert_resource(rec);

    let step = |app: &mut App, k: usize| {
        for _ in 0..k {
            app.world_mut().write_message(SimCommand::Step);
        }
        app.update();
    };
    step(&mut app, 10);
    let slower = Dynamics { scheme: sgd(0.02), ..Dynamics::default() };
    app.world_mut().write_message(SimCommand::SetDynamics(slower));
    step(&mut app, 10);
    let mut rec = app.world_mut().resource_mut::<Recorder>();
    rec.flush();
    let dir = rec.folder_in_use().unwrap().to_path_buf();

    // run-YYYY-MM-DDTHH-MM-SS
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let stamp = name.strip_prefix("run-").expect("run-DATE");
    let shape: String = stamp.chars().map(|c| if c.is_ascii_digit() { 'D' } else { c }).collect();
    assert_eq!(shape, "DDDD-DD-DDTDD-DD-DD", "{name}");

    let changes = std::fs::read_to_string(dir.join("changes.csv")).unwrap();
    assert_eq!(changes.lines().collect::<Vec<_>>(), ["step,what,from,to", "10,lr,0.05,0.02"]);

    let xyz = std::fs::read_to_string(dir.join("trajectory.xyz")).unwrap();
    let lr_by_step: Vec<(String, String)> = frames(&xyz)
        .iter()
        .map(|(_, comment)| {
            let values = header_values(comment);
            let get = |key: &str| values.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
            assert_eq!(get("scheme"), "sgd");
            assert_eq!(get("batch"), "0.5");
            assert_eq!(get("batch_mode"), "probabilistic");
            assert_eq!(get("potential"), "1");
            assert_eq!(get("overlap_tolerance"), "0");
            assert!(get("phi").starts_with("0.6"));
            (get("step"), get("lr"))
        })
        .collect();
    let expected = [("1", "0.05"), ("5", "0.05"), ("10", "0.05"), ("15", "0.02"), ("20", "0.02")];
    let expected: Vec<(String, String)> = expected.iter().map(|(s, l)| (s.to_string(), l.to_string())).collect();
    assert_eq!(lr_by_step, expected);
    let _ = std::fs::remove_dir_all(&folder);
}

/// Stop takes effect at once while the run is away on the worker (its
/// frames so far are the recording); a start waits for the run.
#[test]
fn a_recording_stops_at_once_while_the_run_is_away() {
    let folder = std::env::temp_dir().join(format!("absorb-rec-away-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let scene = Scene { dim: 3, n: 300, phi: 0.6, ..Scene::default() };
    let mut sim = scene.simulation().unwrap();
    let mut rec = Recorder::default();
    (rec.every, rec.folder) = (5, folder.clone());
    rec.toggle();
    rec.settle(None);
    assert!(rec.is_recording(), "the start waits for the run");
    for _ in 0..7 {
        let stats = sim.step();
        rec.record(&mut sim, &stats);
    }
    rec.toggle();
    rec.settle(None);
    assert!(!rec.is_recording(), "stopped without waiting for the run");
    assert!(rec.message.as_deref().unwrap_or("").contains("recorded 2 frames"), "{:?}", rec.message);
    let _ = std::fs::remove_dir_all(&folder);
}
