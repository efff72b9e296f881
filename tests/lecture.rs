//! Lectures: the shipped ones parse and name scenes that load; a bad file
//! names its line and column and the window goes on; a step whose scene is
//! missing says so while the others work; steps load their scenes and start
//! their scans and comparisons. Driven headless with MinimalPlugins.
#![cfg(feature = "gui")]

use absorb::app::lecture::{LectureCommand, LecturePlugin, LectureState};
use absorb::app::scan::{PhaseDiagram, ScanPlugin, ScanSettings};
use absorb::app::simulation::{Setup, Sim, SimCommand, SimSettings, SimulationPlugin, StatusLine};
use absorb::error::Error;
use absorb::lecture::Lecture;
use absorb::scene::Scene;
use bevy::prelude::*;
use std::path::{Path, PathBuf};

fn app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    let scene = Scene { n: 200, ..Scene::default_scene().unwrap() };
    app.add_plugins(SimulationPlugin::new(Setup::new(scene, None))).add_plugins((ScanPlugin, LecturePlugin));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("absorb-lecture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn send(app: &mut App, command: LectureCommand) {
    app.world_mut().write_message(command);
    // The command, then the scene it loads, then what waits for the scene.
    for _ in 0..3 {
        app.update();
    }
}

#[test]
fn shipped_lectures_parse_and_every_scene_they_name_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lectures");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ron") {
            let lecture = Lecture::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(lecture.steps.len() >= 6, "{}: the paper's story takes six steps or so", path.display());
            for (k, step) in lecture.steps.iter().enumerate() {
                assert!(step.scene.is_ok(), "{} step {}: {:?}", path.display(), k + 1, step.scene);
                assert!(!step.title.is_empty() && !step.notes.is_empty(), "{} step {}", path.display(), k + 1);
            }
            assert!(lecture.steps.iter().any(|s| s.scan), "one step fills in the phase diagram");
            assert!(lecture.steps.iter().any(|s| s.compare.is_some()), "one step compares two schemes");
            count += 1;
        }
    }
    assert!(count >= 1);
}

#[test]
fn a_bad_lecture_file_names_its_line_and_column_and_the_window_goes_on() {
    let bad = "(\n    title: \"x\",\n    steps: [ (title: \"a\" scene: \"default\") ],\n)\n";
    match Lecture::parse(bad, Path::new("bad.ron")) {
        Err(Error::Parse { line, column, .. }) => {
            assert_eq!((line, column), (3, 26), "at `scene`, where a comma is missing")
        }
        other => panic!("{other:?}"),
    }
    let mut app = app();
    app.world_mut().write_message(SimCommand::Step);
    app.update();
    let path = temp("bad.ron", bad);
    send(&mut app, LectureCommand::Open(path.clone(), 0));
    let state = app.world().resource::<LectureState>();
    assert!(state.lecture.is_none());
    let error = state.error.clone().unwrap();
    assert!(error.starts_with(&format!("{}:3:26:", path.display())), "{error}");
    // The run is the one before, and still steps.
    app.world_mut().write_message(SimCommand::Step);
    app.update();
    assert_eq!(app.world().resource::<Sim>().view().iteration(), 2);
}

#[test]
fn steps_load_their_scenes_a_missing_one_says_so_and_the_others_work() {
    let text = r#"(
        title: "t",
        steps: [
            (title: "one", scene: "absorbing-3d", notes: "settles"),
            (title: "two", scene: "no-such-scene"),
            (title: "three", scene: "default", scan: true),
        ],
    )"#;
    let path = temp("three.ron", text);
    let mut app = app();
    app.world_mut().resource_mut::<PhaseDiagram>().settings =
        ScanSettings { n: 50, points: 2, step: 0.1, replicates: 1, steps: 200, threads: 1 };
    send(&mut app, LectureCommand::Open(path, 0));
    let setup = app.world().resource::<Setup>();
    assert_eq!(setup.path.as_ref().and_then(|p| p.file_stem()).unwrap(), "absorbing-3d");
    assert_eq!(app.world().resource::<Sim>().view().packing().len(), 2000);

    send(&mut app, LectureCommand::Next);
    let state = app.world().resource::<LectureState>();
    assert_eq!(state.current, 1);
    let status = app.world().resource::<StatusLine>().0.clone().unwrap();
    assert!(status.starts_with("step 2: no scene \"no-such-scene\""), "{status}");
    assert_eq!(app.world().resource::<Setup>().path.as_ref().and_then(|p| p.file_stem()).unwrap(), "absorbing-3d");

    // Step three loads its scene, then starts its scan with it.
    send(&mut app, LectureCommand::Next);
    assert_eq!(app.world().resource::<Setup>().path.as_ref().and_then(|p| p.file_stem()).unwrap(), "default");
    let diagram = app.world().resource::<PhaseDiagram>();
    assert_eq!(diagram.scans.len(), 1);
    assert!(diagram.scans[0].label.starts_with("SGD lr 0.05 b 0.5"), "{}", diagram.scans[0].label);
    // Past the last step: it stays; back twice: the first.
    send(&mut app, LectureCommand::Next);
    assert_eq!(app.world().resource::<LectureState>().current, 2);
    send(&mut app, LectureCommand::Previous);
    send(&mut app, LectureCommand::Previous);
    assert_eq!(app.world().resource::<LectureState>().current, 0);
    assert_eq!(app.world().resource::<Setup>().path.as_ref().and_then(|p| p.file_stem()).unwrap(), "absorbing-3d");
    // Back at step three: its scan is shown again, not run again.
    send(&mut app, LectureCommand::Go(2));
    assert_eq!(app.world().resource::<Setup>().path.as_ref().and_then(|p| p.file_stem()).unwrap(), "default");
    assert_eq!(app.world().resource::<PhaseDiagram>().scans.len(), 1);
}

#[test]
fn a_compare_step_shows_its_scene_beside_the_matched_sgd() {
    let path = temp(
        "compare.ron",
        r#"(title: "t", theme: Light, steps: [
            (title: "one run", scene: "default"),
            (title: "BRO and SGD", scene: "bidisperse-2d", compare: "matched"),
        ])"#,
    );
    assert_eq!(Lecture::load(&path).unwrap().theme, Some(absorb::scene::Theme::Light), "as the README writes it");
    let mut app = app();
    send(&mut app, LectureCommand::Open(path.clone(), 1));
    let sim = app.world().resource::<Sim>();
    let b = sim.partner_view().expect("the step compares");
    let bro = Scene::load(Path::new("scenes/bidisperse-2d.ron")).unwrap();
    assert_eq!(sim.view().dynamics(), &bro.dynamics());
    let eps = match bro.scheme {
        absorb::sim::Scheme::BroPairwise { kick } => kick,
        other => panic!("the scene is pairwise BRO, not {other:?}"),
    };
    assert_eq!(b.dynamics().scheme, absorb::sim::Scheme::sgd_matched_to_bro(eps));
    assert_eq!(b.packing(), sim.view().packing(), "the same start");
    // The step before is one run again.
    send(&mut app, LectureCommand::Previous);
    assert!(!app.world().resource::<Sim>().comparing());
    // A scheme that does not exist is the file's error, with the step.
    let bad = temp("bad-compare.ron", r#"(title: "t", steps: [(title: "x", scene: "default", compare: "adam")])"#);
    let e = Lecture::load(&bad).unwrap_err().to_string();
    assert!(e.contains("steps[1].compare") && e.contains("adam") && e.contains("sgd"), "{e}");
}
