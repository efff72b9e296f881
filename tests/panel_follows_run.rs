//! The panel shows the run it controls: after a scene is loaded into a
//! running window, every control holds that scene's values (scheme and its
//! parameters, potential, tolerance, phi, N, dimension, radii, seed), the
//! status line names the scheme, and "Apply and restart" starts exactly the
//! run the panel shows. Driven headless with MinimalPlugins.
#![cfg(feature = "gui")]

use absorb::app::panel_state::{PanelStatePlugin, UiState, status_text};
use absorb::app::simulation::{Setup, Sim, SimCommand, SimSettings, SimulationPlugin, StatusLine};
use absorb::scene::{Scene, Start};
use absorb::sim::{BatchMode, Dynamics, Potential, Scheme, SchemeKind};
use bevy::prelude::*;
use std::path::PathBuf;

/// A window's state on a run that differs from every shipped scene in
/// every field the panel shows.
fn app() -> App {
    let start = Scene {
        dim: 3,
        n: 500,
        phi: 0.4,
        scheme: Scheme::Sgd { lr: 0.2, batch: 0.3, batch_mode: BatchMode::Fixed },
        potential: Potential::HERTZIAN,
        seed: 99,
        ..Scene::default()
    };
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(SimulationPlugin::new(Setup::new(start, None)));
    app.add_plugins(PanelStatePlugin);
    app.update();
    app
}

fn shipped_scenes() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    found.sort();
    assert!(found.len() >= 3, "{found:?}");
    found
}

fn ui(app: &App) -> &UiState {
    app.world().resource::<UiState>()
}

#[test]
fn loading_a_scene_puts_its_values_in_every_control() {
    for path in shipped_scenes() {
        let mut app = app();
        let scene = Scene::load(&path).unwrap();
        app.world_mut().write_message(SimCommand::Load(path.clone()));
        app.update();
        assert_eq!(app.world().resource::<StatusLine>().0, None, "{}", path.display());
        let ui = ui(&app);
        let name = path.display();
        assert_eq!(ui.scheme, scene.scheme.kind(), "{name}");
        assert_eq!(ui.scheme.build(&ui.params).unwrap(), scene.scheme, "{name}");
        assert_eq!(ui.potential, scene.potential, "{name}");
        assert_eq!(ui.tolerance, scene.overlap_tolerance(), "{name}");
        assert!((ui.phi - scene.phi).abs() < 1e-12, "{name}: phi {} against {}", ui.phi, scene.phi);
        assert_eq!(ui.pending.n, scene.n, "{name}");
        assert_eq!(ui.pending.dim, scene.dim, "{name}");
        assert_eq!(ui.pending.radii, scene.radii, "{name}");
        assert_eq!(ui.pending.seed, scene.seed, "{name}");
        assert_eq!(ui.open_path, path.display().to_string());

        // The status line names the scheme and its parameters, phi, N and the dimension.
        let sim = app.world().resource::<Sim>().view();
        let status = status_text(sim);
        assert!(status.starts_with(&scene.scheme.summary()), "{name}: {status}");
        assert!(status.contains(&format!("N {}, {}D", scene.n, scene.dim)), "{name}: {status}");

        // "Apply and restart" applies what the panel shows: the loaded scene.
        let setup = app.world().resource::<Setup>();
        let restart = ui.restart_scene(setup).unwrap();
        let mut expected = scene.clone();
        expected.start = Start::Random;
        expected.overlap_tolerance = Some(scene.overlap_tolerance());
        assert_eq!(restart, expected, "{name}");
        // Paused, so that a fast scene (200 iterations a second) has not
        // stepped away from its start when it is compared.
        app.world_mut().resource_mut::<SimSettings>().playing = false;
        app.world_mut().write_message(SimCommand::Rebuild(Box::new(restart)));
        app.update();
        let sim = app.world().resource::<Sim>().view();
        assert_eq!(sim.dynamics(), &scene.dynamics(), "{name}");
        assert_eq!(sim.packing(), &scene.simulation().unwrap().packing().clone(), "{name}");
    }
}

#[test]
fn a_change_of_dynamics_keeps_pending_setup_edits_and_a_new_run_clears_them() {
    let mut app = app();
    app.world_mut().resource_mut::<UiState>().pending.n = 1234;
    let bro = Dynamics { scheme: Scheme::BroPairwise { kick: 0.1 }, ..Dynamics::default() };
    app.world_mut().write_message(SimCommand::SetDynamics(bro));
    app.update();
    let state = ui(&app);
    assert_eq!(state.scheme, SchemeKind::BroPairwise);
    assert_eq!(state.params.kick, 0.1);
    assert_eq!(state.potential, Potential::LINEAR);
    assert_eq!(state.pending.n, 1234, "an edit not yet applied survives a change of scheme");

    app.world_mut().write_message(SimCommand::SetPhi(0.45));
    app.update();
    assert!((ui(&app).phi - 0.45).abs() < 1e-12);

    app.world_mut().write_message(SimCommand::Reset);
    app.update();
    assert_eq!(ui(&app).pending.n, 500, "a new run shows its own N");
}

#[test]
fn the_tolerance_follows_the_potential_unless_set() {
    // Hertzian with no tolerance given: the soft potentials' default.
    let app = app();
    assert_eq!(ui(&app).tolerance, Potential::HERTZIAN.default_overlap_tolerance());
    assert!(ui(&app).tolerance > 0.0);
    let sim = app.world().resource::<Sim>().view();
    assert!(status_text(sim).contains("active: overlap > 0.001"), "{}", status_text(sim));
}
