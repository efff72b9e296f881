//! Two schemes side by side: a compared run steps in lockstep with the run
//! on screen, exactly as two headless runs from the same configuration and
//! seed; each control changes the run it names; closing the comparison
//! leaves run A where it was. Driven headless with MinimalPlugins.
#![cfg(feature = "gui")]

use absorb::app::simulation::{LastStats, PlotHistory, Setup, Sim, SimCommand, SimSettings, SimulationPlugin};
use absorb::app::stepping::{FrameBudget, Worker};
use absorb::scene::Scene;
use absorb::sim::{Dynamics, Scheme, Simulation};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use std::time::Duration;

/// Pairwise BRO in 3D near phi_c: both runs stay active for the whole test.
fn scene() -> Scene {
    Scene { dim: 3, n: 400, phi: 0.62, seed: 11, scheme: Scheme::BroPairwise { kick: 0.1 }, ..Scene::default() }
}

/// SGD matched to the scene's BRO (b = 3/4, lr = 2 eps / 3).
fn matched() -> Dynamics {
    Dynamics { scheme: Scheme::sgd_matched_to_bro(0.1), ..scene().dynamics() }
}

fn app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(scene(), None)));
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app
}

fn send(app: &mut App, command: SimCommand) {
    app.world_mut().write_message(command);
}

/// The two runs outside the app, `k` iterations from the scene's start.
fn references(k: u64) -> (Simulation, Simulation) {
    let mut a = scene().simulation().unwrap();
    let mut b = Simulation::new(scene().packing().unwrap(), matched(), scene().seed).unwrap();
    for _ in 0..k {
        a.step();
        b.step();
    }
    (a, b)
}

fn assert_same_as_references(app: &App, k: u64) {
    let sim = app.world().resource::<Sim>();
    let (a, b) = references(k);
    let (view_a, view_b) = (sim.view(), sim.partner_view().expect("comparing"));
    assert_eq!((view_a.iteration(), view_b.iteration()), (k, k), "lockstep");
    assert_eq!(view_a.packing(), a.packing(), "run A, same bits as a headless run");
    assert_eq!(view_b.packing(), b.packing(), "run B, same bits as a headless run");
    assert_eq!(view_b.dynamics(), &matched());
}

#[test]
fn compared_runs_step_as_two_headless_runs_from_the_same_start() {
    let mut app = app();
    // Some iterations before the comparison: it starts both runs again from
    // the setup's configuration and seed.
    for _ in 0..4 {
        send(&mut app, SimCommand::Step);
    }
    app.update();
    send(&mut app, SimCommand::Compare(matched()));
    app.update();
    assert_same_as_references(&app, 0);
    for _ in 0..3 {
        send(&mut app, SimCommand::Step);
    }
    send(&mut app, SimCommand::Advance(20));
    app.update();
    assert_same_as_references(&app, 23);
    // The readouts and plots of both runs hold their last iteration.
    let (last, history) = (app.world().resource::<LastStats>(), app.world().resource::<PlotHistory>());
    let (mut a, mut b) = references(22);
    assert_eq!(last.stats, Some(a.step()));
    assert_eq!(last.partner, Some(b.step()));
    assert_eq!(history.partner.as_ref().unwrap().points().len(), 23);
    assert_eq!(history.current.points().len(), 23);
}

#[test]
fn the_worker_steps_both_runs_in_lockstep() {
    // No frame budget: every iteration after the first goes to the worker.
    let mut app = app();
    app.insert_resource(FrameBudget(Duration::ZERO));
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(20)));
    send(&mut app, SimCommand::Compare(matched()));
    app.update();
    {
        let mut settings = app.world_mut().resource_mut::<SimSettings>();
        settings.playing = true;
        settings.iterations_per_second = 200.0;
    }
    let mut saw_worker = false;
    for _ in 0..60 {
        app.update();
        saw_worker |= app.world().resource::<Worker>().busy();
        std::thread::sleep(Duration::from_millis(1));
    }
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    for _ in 0..5000 {
        app.update();
        if !app.world().resource::<Worker>().busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(saw_worker, "the iterations ran on the worker");
    let k = app.world().resource::<Sim>().view().iteration();
    assert!(k >= 10, "ran {k} iterations");
    assert_same_as_references(&app, k);
}

#[test]
fn each_control_changes_the_run_it_names_and_closing_keeps_run_a() {
    let mut app = app();
    send(&mut app, SimCommand::Compare(matched()));
    for _ in 0..5 {
        send(&mut app, SimCommand::Step);
    }
    app.update();
    // Run B's learning rate: run A keeps pairwise BRO.
    let slower = Dynamics { scheme: Scheme::sgd_matched_to_bro(0.05), ..matched() };
    send(&mut app, SimCommand::SetPartnerDynamics(slower));
    // phi is the setup's: both runs take it.
    send(&mut app, SimCommand::SetPhi(0.6));
    send(&mut app, SimCommand::Step);
    app.update();
    let mut a = scene().simulation().unwrap();
    let mut b = Simulation::new(scene().packing().unwrap(), matched(), scene().seed).unwrap();
    for _ in 0..5 {
        a.step();
        b.step();
    }
    b.set_dynamics(slower).unwrap();
    a.set_phi(0.6).unwrap();
    b.set_phi(0.6).unwrap();
    a.step();
    b.step();
    {
        let sim = app.world().resource::<Sim>();
        assert_eq!(sim.view().dynamics(), &scene().dynamics(), "run A untouched by run B's control");
        assert_eq!(sim.view().packing(), a.packing());
        assert_eq!(sim.partner_view().unwrap().packing(), b.packing());
        let markers = app.world().resource::<PlotHistory>().partner.as_ref().unwrap().markers().to_vec();
        assert_eq!(markers.len(), 1, "run B's plot marks its change");
    }
    // Closing: run A goes on from where it is, not from a reset.
    send(&mut app, SimCommand::EndCompare);
    send(&mut app, SimCommand::Step);
    app.update();
    a.step();
    let sim = app.world().resource::<Sim>();
    assert!(!sim.comparing());
    assert_eq!(sim.view().iteration(), 7);
    assert_eq!(sim.view().packing(), a.packing());
    let (last, history) = (app.world().resource::<LastStats>(), app.world().resource::<PlotHistory>());
    assert!(last.partner.is_none() && history.partner.is_none(), "one run's readouts again");
}

#[test]
fn reset_restarts_both_and_a_loaded_scene_ends_the_comparison() {
    let mut app = app();
    send(&mut app, SimCommand::Compare(matched()));
    send(&mut app, SimCommand::Advance(6));
    send(&mut app, SimCommand::Reset);
    app.update();
    assert_same_as_references(&app, 0);
    send(&mut app, SimCommand::Load("scenes/default.ron".into()));
    app.update();
    let sim = app.world().resource::<Sim>();
    assert!(!sim.comparing(), "a new scene is one run");
    assert_eq!(sim.view().iteration(), 0);
}

#[test]
fn flatness_is_measured_for_both_runs() {
    use absorb::app::flatness::{FlatnessPlugin, FlatnessProbe, MeasureFlatness, samples_for};
    use absorb::sim::observe::{FLATNESS_SIGMA, flatness};
    let mut app = app();
    app.add_plugins(FlatnessPlugin);
    send(&mut app, SimCommand::Compare(matched()));
    send(&mut app, SimCommand::Advance(30));
    app.update();
    app.world_mut().write_message(MeasureFlatness);
    app.update();
    let started = std::time::Instant::now();
    while app.world().resource::<FlatnessProbe>().measuring.is_some() {
        assert!(started.elapsed() < Duration::from_secs(60), "the measurements did not finish in a minute");
        std::thread::sleep(Duration::from_millis(5));
        app.update();
    }
    let probe = app.world().resource::<FlatnessProbe>();
    assert_eq!(probe.kept.len(), 2, "one measurement a run: {:?}", probe.error);
    let sim = app.world().resource::<Sim>();
    for (measured, (name, view)) in probe.kept.iter().zip([("A", sim.view()), ("B", sim.partner_view().unwrap())]) {
        assert!(measured.label.starts_with(&format!("{name}: ")), "{}", measured.label);
        assert_eq!(measured.iteration, 30);
        let seed = scene().seed ^ 30;
        let expected =
            flatness(view.packing(), view.dynamics().potential, samples_for(400), FLATNESS_SIGMA, seed).unwrap();
        assert_eq!(measured.flatness, expected, "run {name}: the core's flatness of its configuration");
    }
    assert_ne!(probe.kept[0].flatness, probe.kept[1].flatness, "two configurations, two values");
    // Closing the comparison forgets them: "B" would name a run no longer there.
    send(&mut app, SimCommand::EndCompare);
    app.update();
    app.update();
    assert!(app.world().resource::<FlatnessProbe>().kept.is_empty());
}
