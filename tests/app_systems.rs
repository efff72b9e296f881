//! The visualizer's simulation systems, driven headless with MinimalPlugins:
//! a slider change reaches the core at the next iteration, reset restores the
//! seed's configuration, a bad scene keeps the old run, and a fixed-timestep
//! backlog is dropped, not replayed.
#![cfg(feature = "gui")]

use absorb::app::simulation::{LastStats, Setup, Sim, SimCommand, SimSettings, SimulationPlugin, StatusLine};
use absorb::app::snapshot::View;
use absorb::scene::Scene;
use absorb::sim::{BatchMode, Dynamics, Potential, Scheme};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use std::time::Duration;

fn scene() -> Scene {
    Scene { dim: 3, n: 400, phi: 0.62, seed: 5, ..Scene::default() }
}

fn app(playing: bool) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(scene(), None)));
    app.world_mut().resource_mut::<SimSettings>().playing = playing;
    app
}

fn send(app: &mut App, command: SimCommand) {
    app.world_mut().write_message(command);
}

fn sim(app: &App) -> View<'_> {
    app.world().resource::<Sim>().view()
}

#[test]
fn a_slider_change_reaches_the_core_at_the_next_iteration() {
    let mut app = app(false);
    for _ in 0..3 {
        send(&mut app, SimCommand::Step);
    }
    app.update();
    assert_eq!(sim(&app).iteration(), 3);

    let sgd = Dynamics {
        scheme: Scheme::Sgd { lr: 0.3, batch: 0.25, batch_mode: BatchMode::Fixed },
        potential: Potential::HARMONIC,
        overlap_tolerance: 0.0,
    };
    send(&mut app, SimCommand::SetDynamics(sgd));
    send(&mut app, SimCommand::Step);
    app.update();

    // The same run outside the app: three iterations of the scene's scheme, then SGD.
    let mut reference = scene().simulation().unwrap();
    for _ in 0..3 {
        reference.step();
    }
    reference.set_dynamics(sgd).unwrap();
    let stats = reference.step();
    assert_eq!(sim(&app).dynamics(), &sgd);
    assert_eq!(sim(&app).packing(), reference.packing(), "iteration 3 ran with the new scheme");
    assert_eq!(app.world().resource::<LastStats>().stats, Some(stats));
    assert_eq!(app.world().resource::<Setup>().scene.scheme, sgd.scheme, "the setup follows, for save and reset");
}

#[test]
fn reset_restores_the_seeds_configuration() {
    let mut app = app(false);
    let start = sim(&app).packing().clone();
    for _ in 0..5 {
        send(&mut app, SimCommand::Step);
    }
    app.update();
    assert_ne!(sim(&app).packing(), &start);
    send(&mut app, SimCommand::Reset);
    app.update();
    assert_eq!(sim(&app).iteration(), 0);
    assert_eq!(sim(&app).packing(), &start);

    send(&mut app, SimCommand::NewSeed);
    app.update();
    assert_ne!(sim(&app).packing(), &start, "a new seed draws a new configuration");
}

#[test]
fn a_bad_scene_keeps_the_old_run_and_says_why() {
    let mut app = app(false);
    send(&mut app, SimCommand::Step);
    app.update();
    let before = sim(&app).packing().clone();
    let path = std::env::temp_dir().join(format!("absorb-bad-scene-{}.ron", std::process::id()));
    std::fs::write(&path, "(\n  dim: 3,\n  phi: 0.5,\n  colour: 1,\n)").unwrap();
    send(&mut app, SimCommand::Load(path.clone()));
    app.update();
    let status = app.world().resource::<StatusLine>().0.clone().expect("the error is shown");
    assert!(status.contains(":4:") && status.contains("colour"), "{status}");
    assert_eq!(sim(&app).packing(), &before);
    assert_eq!(sim(&app).iteration(), 1);

    // A good scene replaces the run and clears the message.
    std::fs::write(
        &path,
        "(\n  dim: 2,\n  n: 300,\n  phi: 0.5,\n  radii: Bidisperse(ratio: 1.4, large_fraction: 0.5),\n)",
    )
    .unwrap();
    send(&mut app, SimCommand::Load(path.clone()));
    app.update();
    assert!(app.world().resource::<StatusLine>().0.is_none());
    assert_eq!(sim(&app).packing().dim(), 2);
    let _ = std::fs::remove_file(path);
}

#[test]
fn playing_runs_at_the_set_rate_and_drops_a_backlog() {
    use absorb::app::stepping::{FrameBudget, MainThreadShare};
    let mut app = app(true);
    app.world_mut().resource_mut::<SimSettings>().iterations_per_second = 100.0;
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(50)));
    // The rate alone, on the main thread: no frame budget to cut a frame
    // short and no worker to take a costly iteration, however busy the
    // machine (CI once ran 5 of the 20 while other tests took the cores).
    app.insert_resource(FrameBudget(Duration::from_secs(10)));
    app.insert_resource(MainThreadShare(Duration::from_secs(10)));
    app.update(); // the first update starts the clock
    for _ in 0..4 {
        app.update();
    }
    let k = sim(&app).iteration();
    // 4 x 50 ms at 100 iterations per second: about 20 (timer phase: +- 1).
    assert!((19..=21).contains(&k), "ran {k} iterations");
    app.insert_resource(FrameBudget::default());

    // A 10-second stall would owe 1000 iterations: the frame budget drops them.
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs(10)));
    app.world_mut().resource_mut::<SimSettings>().iterations_per_second = 10_000.0;
    app.update();
    app.update();
    let after = sim(&app).iteration() - k;
    assert!(after >= 1, "a frame always advances");
    assert!(after < 1000, "the backlog was dropped, ran {after}");
}

/// A playing app at 100 iterations a second, frames of `frame`, and no
/// frame budget at all: after the first iteration shows its cost, every
/// iteration goes to the worker thread.
fn worker_app(frame: Duration) -> App {
    let mut app = app(true);
    app.insert_resource(absorb::app::stepping::FrameBudget(Duration::ZERO));
    app.world_mut().resource_mut::<SimSettings>().iterations_per_second = 100.0;
    app.insert_resource(TimeUpdateStrategy::ManualDuration(frame));
    app
}

#[test]
fn costly_iterations_run_on_the_worker_and_commands_wait_for_them() {
    use absorb::app::stepping::Worker;
    let mut app = worker_app(Duration::from_millis(20));
    let sgd = Dynamics {
        scheme: Scheme::Sgd { lr: 0.2, batch: 0.5, batch_mode: BatchMode::Probabilistic },
        ..Dynamics::default()
    };
    let (mut saw_worker, mut sent) = (false, None);
    for _ in 0..2000 {
        app.update();
        let busy = app.world().resource::<Worker>().busy();
        saw_worker |= busy;
        if busy {
            // The worker owns the run; the window reads the snapshot of the
            // last finished iteration, which the readouts show too.
            let (sim, last) = (app.world().resource::<Sim>(), app.world().resource::<LastStats>());
            assert!(sim.run().is_none(), "the run was handed over, not copied");
            let booked = last.stats.expect("an iteration was booked before the worker took over");
            assert_eq!(sim.view().iteration(), booked.iteration + 1);
        }
        if busy && sent.is_none() && sim(&app).iteration() >= 2 {
            send(&mut app, SimCommand::SetDynamics(sgd));
            sent = Some(sim(&app).iteration());
        }
        if sent.is_some() && sim(&app).iteration() >= 8 && !busy && sim(&app).dynamics() == &sgd {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(saw_worker, "iterations over budget run on the worker");
    let sent = sent.expect("the command was sent while the worker was busy");
    let total = sim(&app).iteration();
    assert!(total >= 8, "ran {total}");
    assert_eq!(sim(&app).dynamics(), &sgd, "the command applied once the worker was done");
    // The trajectory is that of a run that switched to SGD between two
    // iterations, once the batch in flight when it was sent had finished.
    let matches = (sent..total).any(|k| {
        let mut reference = scene().simulation().unwrap();
        for _ in 0..k {
            reference.step();
        }
        reference.set_dynamics(sgd).unwrap();
        for _ in k..total {
            reference.step();
        }
        reference.packing() == sim(&app).packing()
    });
    assert!(matches, "no switch point reproduces the worker's trajectory");
}

#[test]
fn the_worker_keeps_the_set_rate() {
    use absorb::app::stepping::Worker;
    // Every iteration after the first goes to the worker, in batches of
    // those owed: 100 iterations a second over 60 frames of 25 ms owe 150,
    // less the rest of the first frame, which the frame budget drops (1 or 2).
    let mut app = worker_app(Duration::from_millis(25));
    app.update(); // the first update starts the clock
    for _ in 0..60 {
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    // Iterations owed while a batch was in flight (the worker thread may be
    // slow to start on a busy machine) run in the next batch: let the clock
    // owe one more tick, then wait for the batches without owing more.
    let settle = |app: &mut App| {
        app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::ZERO));
        for _ in 0..5000 {
            app.update();
            if !app.world().resource::<Worker>().busy() {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    settle(&mut app);
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(10)));
    app.update();
    settle(&mut app);
    let k = sim(&app).iteration();
    assert!((148..=152).contains(&k), "ran {k} iterations");
}

#[test]
fn a_playing_run_stops_counting_once_absorbed_and_a_change_wakes_it() {
    use absorb::app::stepping::MainThreadShare;
    // Every iteration on the main thread, then every one on the worker in batches.
    for share in [Duration::from_secs(10), Duration::ZERO] {
        stops_counting_once_absorbed(MainThreadShare(share));
    }
}

fn stops_counting_once_absorbed(share: absorb::app::stepping::MainThreadShare) {
    // 2D disks at phi = 0.3: every overlap is resolved within a few dozen
    // iterations of pairwise BRO.
    let dilute =
        Scene { dim: 2, n: 200, phi: 0.3, seed: 3, scheme: Scheme::BroPairwise { kick: 0.2 }, ..Scene::default() };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(dilute, None)));
    app.insert_resource(share);
    app.world_mut().resource_mut::<SimSettings>().iterations_per_second = 1000.0;
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(20)));
    let mut frames = 0;
    while sim(&app).absorbed_at().is_none() {
        app.update();
        frames += 1;
        assert!(frames < 2000, "absorbs within 2000 frames");
    }
    let absorbed_at = sim(&app).absorbed_at().unwrap();
    for _ in 0..20 {
        app.update();
    }
    // A batch on the worker may still be in flight: wait for it to come back.
    let started = std::time::Instant::now();
    while app.world().resource::<Sim>().run().is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the worker's batch came back");
        std::thread::sleep(Duration::from_millis(1));
        app.update();
    }
    // The iteration that found no overlap ran; none after it.
    assert_eq!(sim(&app).iteration(), absorbed_at + 1, "the count stops at absorption");
    // A denser packing overlaps again: the run wakes and goes on.
    send(&mut app, SimCommand::SetPhi(0.8));
    let started = std::time::Instant::now();
    while sim(&app).iteration() <= absorbed_at + 5 {
        assert!(started.elapsed() < Duration::from_secs(30), "a change of phi wakes the run");
        std::thread::sleep(Duration::from_millis(1));
        app.update();
    }
}

#[test]
fn the_plots_keep_the_run_before_a_reset_but_not_before_another_scene() {
    use absorb::app::simulation::PlotHistory;
    let mut app = app(false);
    send(&mut app, SimCommand::Advance(5));
    app.update();
    send(&mut app, SimCommand::NewSeed);
    app.update();
    let previous = app.world().resource::<PlotHistory>().previous.as_ref().map(|h| h.points().len());
    assert!(previous.is_some_and(|n| n >= 5), "the run before a new seed stays as a reference: {previous:?}");
    send(&mut app, SimCommand::Advance(3));
    app.update();
    send(&mut app, SimCommand::Load("scenes/default.ron".into()));
    app.update();
    let history = app.world().resource::<PlotHistory>();
    assert!(history.previous.is_none(), "a loaded scene's plots show no curve of the experiment before");
    assert_eq!(sim(&app).iteration(), 0);
}
