//! A recording read back frame by frame: the recorded positions, activity
//! and dynamics exactly; a file cut off mid-frame up to its last whole
//! frame, saying where it stopped; a frame of another run refused with its
//! number.

use absorb::io::trajectory::Trajectory;
use absorb::scene::Scene;

fn recorded(name: &str) -> (Scene, std::path::PathBuf, u64) {
    let scene = Scene { dim: 3, n: 200, phi: 0.55, seed: 8, steps: 45, ..Scene::default() };
    let out = std::env::temp_dir().join(format!("absorb-replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let summary = absorb::run::run(&scene, &out, false, Some(10)).unwrap();
    (scene, out, summary.iterations)
}

#[test]
fn replay_reads_back_exactly_the_recorded_positions_and_activity() {
    let (scene, out, last) = recorded("exact");
    let trajectory = Trajectory::open(&out).unwrap();
    assert_eq!(trajectory.steps, [0, 10, 20, 30, 40, last]);
    assert!(trajectory.stopped.is_none());
    // Read out of order: each frame on its own.
    for k in [3, 0, 5, 1, 4, 2] {
        let frame = trajectory.frame(k).unwrap();
        let mut run = scene.simulation().unwrap();
        while run.iteration() < frame.step {
            run.step();
        }
        assert_eq!(frame.packing.positions(), run.packing().positions(), "frame {k}");
        let (contacts, _) = run.contacts();
        let active: Vec<bool> = contacts.iter().map(|&c| c > 0).collect();
        assert_eq!(frame.active, active, "frame {k}: the recorded activity");
        assert_eq!(frame.dynamics, Some(scene.dynamics()));
    }
    assert_eq!(trajectory.at_step(25), 2);
    assert_eq!(trajectory.at_step(0), 0);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_cut_off_file_replays_to_its_last_whole_frame_and_another_run_is_refused() {
    let (_, out, _) = recorded("cut");
    let path = out.join("trajectory.xyz");
    let text = std::fs::read_to_string(&path).unwrap();
    let whole = Trajectory::open(&path).unwrap();
    // Cut in the middle of the last frame's particle lines.
    let cut = &text[..text.len() - 3000];
    std::fs::write(&path, cut).unwrap();
    let trajectory = Trajectory::open(&path).unwrap();
    assert_eq!(trajectory.len(), whole.len() - 1);
    let why = trajectory.stopped.clone().expect("says where it stopped");
    assert!(why.contains("cut off") && why.contains("line"), "{why}");
    let last = trajectory.frame(trajectory.len() - 1).unwrap();
    assert_eq!(last.packing.len(), 200);

    // A frame of 100 spheres after frames of 200: refused, with its number.
    let first_frame: String = text.lines().take(2 + 200).collect::<Vec<_>>().join("\n");
    let smaller: String = {
        let lines: Vec<&str> = text.lines().take(2 + 100).collect();
        format!("100\n{}\n", lines[1..].join("\n"))
    };
    std::fs::write(&path, format!("{first_frame}\n{smaller}")).unwrap();
    let e = Trajectory::open(&path).unwrap_err().to_string();
    assert!(e.contains("frame 2") && e.contains("100 spheres"), "{e}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[cfg(feature = "gui")]
#[test]
fn the_window_shows_the_frame_its_timeline_is_at_and_the_recorded_series() {
    use absorb::app::replay::{Replay, ReplayCommand, ReplayPlugin};
    use absorb::app::simulation::{PlotHistory, Setup, Sim, SimSettings, SimulationPlugin};
    use bevy::prelude::*;
    let (scene, out, _) = recorded("window");
    let trajectory = Trajectory::open(&out).unwrap();
    // A window on another scene (the default one) opens the recording.
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(Scene::default_scene().unwrap(), None))).add_plugins(ReplayPlugin);
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    // The live run goes three iterations before the recording opens.
    for _ in 0..3 {
        app.world_mut().write_message(absorb::app::simulation::SimCommand::Step);
    }
    app.update();
    let live = app.world().resource::<Sim>().view().packing().clone();
    let live_scheme = app.world().resource::<Setup>().scene.scheme;
    assert_eq!(app.world().resource::<Sim>().view().iteration(), 3);
    app.world_mut().write_message(ReplayCommand::Open(out.clone()));
    app.update();
    for k in [0, 3, 5] {
        app.world_mut().resource_mut::<Replay>().state.as_mut().unwrap().frame = k;
        app.update();
        let frame = trajectory.frame(k).unwrap();
        let view = app.world().resource::<Sim>().view();
        assert_eq!(view.iteration(), frame.step, "frame {k}");
        assert_eq!(view.packing().positions(), frame.packing.positions(), "frame {k}");
        assert_eq!(view.dynamics(), &scene.dynamics());
        let active: Vec<bool> = view.last_contacts().iter().map(|&c| c > 0).collect();
        assert_eq!(active, frame.active, "frame {k}: the recorded activity");
        assert_eq!(
            app.world().resource::<Setup>().scene.scheme,
            scene.scheme,
            "the panels show the recording's scheme"
        );
        assert_eq!(app.world().resource::<PlotHistory>().cursor, Some(frame.step as f64));
    }
    // After frame 3, frame 5: "recent displacement" is how far each sphere moved between them.
    let (three, five) = (trajectory.frame(3).unwrap().packing, trajectory.frame(5).unwrap().packing);
    let moves = app.world().resource::<Sim>().view().last_moves().to_vec();
    let side = five.side();
    for i in [0, 17, 199] {
        let d: f64 = (0..3)
            .map(|k| {
                let x = five.positions()[3 * i + k] - three.positions()[3 * i + k];
                let x = x - side * (x / side).round();
                x * x
            })
            .sum::<f64>()
            .sqrt();
        assert!((moves[i] as f64 - d).abs() < 1e-5, "sphere {i}: {} against {d}", moves[i]);
    }
    assert!(moves.iter().any(|&m| m > 0.0));
    // The frame on screen is the recording's: Play, Step and a change of phi
    // leave it as it is, and the status line says why.
    app.world_mut().resource_mut::<SimSettings>().playing = true;
    app.world_mut().write_message(absorb::app::simulation::SimCommand::Step);
    app.world_mut().write_message(absorb::app::simulation::SimCommand::SetPhi(0.5));
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.update();
    }
    let view = app.world().resource::<Sim>().view();
    assert_eq!(view.packing().positions(), five.positions(), "the replayed frame is not stepped");
    assert_eq!(view.iteration(), trajectory.steps[5]);
    let status = app.world().resource::<absorb::app::simulation::StatusLine>().0.clone();
    assert!(status.is_some_and(|s| s.contains("Back to the live run")));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    let series = &app.world().resource::<PlotHistory>().current;
    // A row for each iteration run (from iteration 0 to the one before the last frame).
    assert_eq!(series.points().len() as u64, *trajectory.steps.last().unwrap(), "every recorded row");
    // Back to the live run: where it was, with its plots and its scheme.
    app.world_mut().write_message(ReplayCommand::Close);
    app.update();
    app.update();
    assert!(app.world().resource::<Replay>().state.is_none());
    assert!(app.world().resource::<absorb::app::simulation::StatusLine>().0.is_none(), "the replay's notice is gone");
    let view = app.world().resource::<Sim>().view();
    assert_eq!(view.iteration(), 3);
    assert_eq!(view.packing(), &live, "the live run's configuration");
    assert_eq!(app.world().resource::<Setup>().scene.scheme, live_scheme);
    assert_eq!(app.world().resource::<PlotHistory>().current.points().len(), 3, "the live run's series");
    assert_eq!(app.world().resource::<PlotHistory>().cursor, None);
    std::fs::remove_dir_all(&out).unwrap();
}

#[cfg(feature = "gui")]
#[test]
fn a_recording_does_not_open_over_a_comparison() {
    use absorb::app::replay::{Replay, ReplayCommand, ReplayPlugin};
    use absorb::app::simulation::{Setup, Sim, SimCommand, SimSettings, SimulationPlugin};
    use bevy::prelude::*;
    let (_, out, _) = recorded("compare");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(Scene::default_scene().unwrap(), None))).add_plugins(ReplayPlugin);
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app.world_mut().write_message(SimCommand::Compare(absorb::sim::Dynamics::default()));
    app.update();
    assert!(app.world().resource::<Sim>().comparing());
    app.world_mut().write_message(ReplayCommand::Open(out.clone()));
    app.update();
    let replay = app.world().resource::<Replay>();
    assert!(replay.state.is_none(), "run B would stay live beside the recording");
    assert!(replay.error.as_deref().is_some_and(|e| e.contains("comparison")), "{:?}", replay.error);
    assert!(app.world().resource::<Sim>().comparing(), "the comparison goes on");
    std::fs::remove_dir_all(&out).unwrap();
}
