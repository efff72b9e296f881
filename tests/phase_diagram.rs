//! The phase diagram's scans and pins, driven headless with MinimalPlugins:
//! a scan of a tiny grid runs the library's sweep points and brackets phi_c
//! inside its grid; a pin is the live run's phi and mean activity.
#![cfg(feature = "gui")]

use absorb::analysis::sweep::Point;
use absorb::app::scan::{PIN_WINDOW, PhaseDiagram, ScanCommand, ScanPlugin, ScanSettings, phi_c_text, scan_grid};
use absorb::app::simulation::{Setup, Sim, SimCommand, SimSettings, SimulationPlugin};
use absorb::scene::Scene;
use absorb::sim::{Dynamics, Potential, Scheme};
use bevy::prelude::*;
use std::time::{Duration, Instant};

fn app(scene: Scene) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(scene, None))).add_plugins(ScanPlugin);
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app
}

fn diagram(app: &App) -> &PhaseDiagram {
    app.world().resource::<PhaseDiagram>()
}

/// Updates the app until its scans have finished (at most a minute).
fn finish_scans(app: &mut App) {
    let started = Instant::now();
    app.update();
    while diagram(app).busy() {
        assert!(started.elapsed() < Duration::from_secs(60), "the scan did not finish in a minute");
        std::thread::sleep(Duration::from_millis(5));
        app.update();
    }
}

/// Pairwise BRO in 2D, 100 disks: at phi 0.4 every run absorbs within a few
/// hundred iterations, at 1 (past close packing) none can.
fn bro_2d() -> Scene {
    Scene { dim: 2, n: 100, phi: 0.6, seed: 3, scheme: Scheme::BroPairwise { kick: 0.2 }, ..Scene::default() }
}

#[test]
fn a_scan_of_a_tiny_grid_brackets_phi_c_inside_it() {
    let mut app = app(bro_2d());
    // Four packing fractions 0.4, 0.6, 0.8 and 1 on the grid of 0.2 around
    // the live 0.6; two runs each of at most 3000 iterations.
    let settings = ScanSettings { n: 100, points: 4, step: 0.2, replicates: 2, steps: 3000, threads: 2 };
    app.world_mut().resource_mut::<PhaseDiagram>().settings = settings.clone();
    app.world_mut().write_message(ScanCommand::Start);
    finish_scans(&mut app);

    let d = diagram(&app);
    assert_eq!(d.scans.len(), 1);
    let scan = &d.scans[0];
    assert_eq!((scan.finished(), scan.total), (8, 8), "{:?}", d.message);
    let levels = &scan.estimate.as_ref().unwrap().levels;
    let phis: Vec<f64> = levels.iter().map(|l| l.phi).collect();
    assert_eq!(phis, vec![0.4, 0.6, 0.8, 1.0]);
    let (first, last) = (&levels[0], &levels[levels.len() - 1]);
    assert_eq!(first.absorbed, first.runs, "every run at phi {} absorbs", first.phi);
    assert_eq!(last.absorbed, 0, "no run at phi {} absorbs", last.phi);
    let (phi_c, low, high) = scan.estimate.as_ref().unwrap().half_absorbed.unwrap();
    assert!(first.phi <= low && low <= phi_c && phi_c <= high && high <= last.phi, "{phi_c} in {low}-{high}");
    let text = phi_c_text(scan.estimate.as_ref().unwrap()).unwrap();
    assert!(text.starts_with(&format!("phi_c = {phi_c:.4} (")), "{text}");

    // The library's own points, run outside the app, give the same results.
    let grid = scan_grid(&app.world().resource::<Setup>().scene, 0.6, &settings);
    let points: Vec<Point> = grid.points().unwrap();
    assert_eq!(points.len(), 8);
    let point = &points[3];
    let row = scan.rows.iter().find(|r| r.id == point.id()).unwrap();
    let outcome = point.run(&grid.base).unwrap();
    assert_eq!(
        (row.outcome.absorbed, row.outcome.tau, row.outcome.f_inf),
        (outcome.absorbed, outcome.tau, outcome.f_inf)
    );
}

#[test]
fn pinning_adds_the_live_runs_mean_activity_once_it_is_steady() {
    // SGD well above its phi_c: active for good.
    let scene = Scene {
        dim: 3,
        n: 300,
        phi: 0.7,
        seed: 8,
        scheme: Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: absorb::sim::BatchMode::Probabilistic },
        ..Scene::default()
    };
    let mut app = app(scene.clone());
    let steps = 3 * PIN_WINDOW as u64;
    app.world_mut().write_message(SimCommand::Advance(steps));
    app.update();
    app.world_mut().write_message(ScanCommand::Pin);
    app.update();

    // The same run outside the app: the mean activity of its last PIN_WINDOW iterations.
    let mut reference = scene.simulation().unwrap();
    let activity: Vec<f64> = (0..steps).map(|_| reference.step().activity).collect();
    let mean = activity[activity.len() - PIN_WINDOW..].iter().sum::<f64>() / PIN_WINDOW as f64;
    let d = diagram(&app);
    assert_eq!(d.pins.len(), 1, "{:?}", d.message);
    let pin = &d.pins[0];
    assert_eq!(pin.phi, app.world().resource::<Sim>().view().packing().phi());
    assert!((pin.activity - mean).abs() < 1e-12 && mean > 0.1, "{} against {mean}", pin.activity);
    assert!(pin.error > 0.0 && pin.error < 0.05 * mean, "{}", pin.error);

    // Right after a change of step size the run is not steady yet: no pin, and a reason.
    let slower = Dynamics {
        scheme: Scheme::Sgd { lr: 0.02, batch: 0.5, batch_mode: absorb::sim::BatchMode::Probabilistic },
        potential: Potential::HARMONIC,
        overlap_tolerance: 0.0,
    };
    app.world_mut().write_message(SimCommand::SetDynamics(slower));
    app.world_mut().write_message(SimCommand::Advance(10));
    app.update();
    app.world_mut().write_message(ScanCommand::Pin);
    app.update();
    let d = diagram(&app);
    assert_eq!(d.pins.len(), 1);
    assert!(d.message.as_deref().is_some_and(|m| m.starts_with("not steady yet")), "{:?}", d.message);
}

#[test]
fn an_absorbed_run_pins_at_zero_activity() {
    let mut app = app(Scene { phi: 0.3, ..bro_2d() });
    app.world_mut().write_message(SimCommand::Advance(5000));
    app.update();
    assert!(app.world().resource::<Sim>().view().absorbed_at().is_some());
    app.world_mut().write_message(ScanCommand::Pin);
    app.update();
    let pin = &diagram(&app).pins[0];
    assert_eq!((pin.phi, pin.activity), (app.world().resource::<Sim>().view().packing().phi(), 0.0));
}

#[test]
fn a_saved_scan_reopens_with_the_same_phi_c() {
    let mut app = app(bro_2d());
    let settings = ScanSettings { n: 100, points: 4, step: 0.2, replicates: 2, steps: 3000, threads: 1 };
    app.world_mut().resource_mut::<PhaseDiagram>().settings = settings;
    app.world_mut().write_message(ScanCommand::Start);
    finish_scans(&mut app);
    let dir = std::env::temp_dir().join(format!("absorb-phase-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scan.csv");
    app.world_mut().write_message(ScanCommand::Save(file.clone()));
    app.update();
    // Opened while the scan is shown: the same curve is not drawn twice.
    app.world_mut().write_message(ScanCommand::Open(file.clone()));
    app.update();
    let d = diagram(&app);
    assert_eq!(d.scans.len(), 1, "{:?}", d.message);
    assert!(d.message.as_deref().is_some_and(|m| m.contains("opened 0 curves") && m.contains("1 shown already")));
    let made = (d.scans[0].finished(), d.scans[0].estimate.as_ref().unwrap().half_absorbed);
    app.world_mut().write_message(ScanCommand::Remove(0));
    app.world_mut().write_message(ScanCommand::Open(file.clone()));
    app.update();
    let d = diagram(&app);
    assert_eq!(d.scans.len(), 1, "{:?}", d.message);
    let opened = &d.scans[0];
    let reopened = (opened.finished(), opened.estimate.as_ref().unwrap().half_absorbed);
    assert_eq!(reopened, made, "the table holds what the scan found");
    // A file that is not a sweep table is refused with its reason; the scans stay.
    std::fs::write(dir.join("bad.csv"), "phi,absorbed\n0.5,maybe\n").unwrap();
    app.world_mut().write_message(ScanCommand::Open(dir.join("bad.csv")));
    app.update();
    let d = diagram(&app);
    assert_eq!(d.scans.len(), 1);
    assert!(d.message.as_deref().is_some_and(|m| m.starts_with("not opened")), "{:?}", d.message);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flatness_on_demand_is_the_cores_flatness_of_the_configuration_shown() {
    use absorb::app::flatness::{FlatnessPlugin, FlatnessProbe, MeasureFlatness, samples_for};
    use absorb::sim::observe::{FLATNESS_SIGMA, flatness};
    let scene = Scene { phi: 0.5, ..bro_2d() };
    let mut app = app(scene.clone());
    app.add_plugins(FlatnessPlugin);
    app.world_mut().write_message(SimCommand::Advance(200));
    app.update();
    app.world_mut().write_message(MeasureFlatness);
    app.update();
    let iteration = app.world().resource::<Sim>().view().iteration();
    assert_eq!(app.world().resource::<FlatnessProbe>().measuring, Some(iteration));
    let started = Instant::now();
    while app.world().resource::<FlatnessProbe>().measuring.is_some() {
        assert!(started.elapsed() < Duration::from_secs(60), "the measurement did not finish in a minute");
        std::thread::sleep(Duration::from_millis(5));
        app.update();
    }
    let probe = app.world().resource::<FlatnessProbe>();
    let measured = probe.last.clone().expect("a measurement");
    assert_eq!(probe.kept, vec![measured.clone()]);
    assert_eq!(measured.iteration, iteration);
    let view = app.world().resource::<Sim>().view();
    let expected =
        flatness(view.packing(), view.dynamics().potential, samples_for(100), FLATNESS_SIGMA, scene.seed ^ iteration)
            .unwrap();
    assert_eq!(measured.flatness, expected, "the same perturbations of the same configuration");
    assert!(measured.text().starts_with(&format!("flatness {:.4} ± ", expected.per_particle_per_variance)));
}
