//! The panel state: what the controls show and hold between frames, kept on
//! the values of the run they control (`follow_setup`), and the status line.
//! No window needed: tests drive it headless (`PanelStatePlugin`).

use super::plots::PlotOptions;
use super::simulation::{Setup, Sim};
use super::snapshot::View;
use crate::scene::Scene;
use crate::sim::packing::MAX_PHI;
use crate::sim::{Dynamics, Potential, SchemeKind, SchemeParams};
use bevy::prelude::*;
use bevy_egui::egui;
use std::path::PathBuf;

/// A slider held still this long while dragged applies its value, in seconds.
pub const SLIDER_PAUSE: f64 = 0.4;
/// Step of phi on the Up and Down keys (ten times this with Shift).
pub const PHI_KEY_STEP: f64 = 0.001;
/// Half the width of the phi slider's narrowed range.
pub const PHI_FINE_HALF_RANGE: f64 = 0.02;
/// The phi slider's whole range.
pub const PHI_RANGE: (f64, f64) = (0.05, 0.95);

/// What of the panels is shown (H cycles through them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PanelsShown {
    /// Controls, plots and the readouts.
    #[default]
    All,
    /// One line of status at the top.
    StatusBar,
    /// Nothing but the picture.
    Nothing,
}

impl PanelsShown {
    /// The next state on H.
    pub fn next(self) -> Self {
        match self {
            PanelsShown::All => PanelsShown::StatusBar,
            PanelsShown::StatusBar => PanelsShown::Nothing,
            PanelsShown::Nothing => PanelsShown::All,
        }
    }
}

/// What the panels show and hold between frames. The dynamics, phi and the
/// setup fields follow the run ([`follow_setup`]): whatever starts or
/// replaces it, the controls show its values.
#[derive(Resource, Clone, Debug)]
pub struct UiState {
    /// Panels shown (H).
    pub panels: PanelsShown,
    /// Help overlay shown (F1).
    pub show_help: bool,
    /// Size of the panels relative to the automatic size for the window, for projectors.
    pub ui_scale: f32,
    /// What the plots show.
    pub plots: PlotOptions,
    /// The scheme picked in the panel.
    pub scheme: SchemeKind,
    /// Scheme parameters as the sliders hold them (kept while the scheme changes).
    pub params: SchemeParams,
    /// The pair potential.
    pub potential: Potential,
    /// The overlap tolerance.
    pub tolerance: f64,
    /// phi as the slider holds it.
    pub phi: f64,
    /// The centre of the phi slider's narrowed range, when narrowed.
    pub phi_fine: Option<f64>,
    /// Setup fields that need a restart: N, dimension, radii, seed.
    pub pending: Scene,
    /// Why the N field changed what was typed, if it did.
    pub n_note: Option<String>,
    /// The run these values were taken from ([`Setup::run`]).
    pub run: u64,
    /// A slider or number is being dragged this frame.
    pub editing: bool,
    /// When a value last changed under the pointer, in seconds of egui's clock.
    pub last_edit: f64,
    /// The dynamics last sent, until the run has them.
    pub(super) sent: Option<Dynamics>,
    /// The phi last sent, until the run has it.
    pub(super) sent_phi: Option<f64>,
    /// The path typed in "open scene".
    pub open_path: String,
    /// The name typed in "save as scene".
    pub save_name: String,
    /// Screenshots include the panels.
    pub screenshot_panels: bool,
    /// Scene files found in scenes/, with their descriptions.
    pub catalog: Vec<(PathBuf, String)>,
    /// The file the phase diagram's scans are saved to and opened from.
    pub scan_file: String,
    /// The scheme "Compare" starts run B with (None: the one matched to run A's BRO).
    pub compare_with: Option<SchemeKind>,
    /// Run B's scheme controls, while comparing.
    pub partner: Option<PartnerControls>,
}

/// Run B's scheme controls: they follow run B's dynamics as run A's follow the setup.
#[derive(Clone, Debug)]
pub struct PartnerControls {
    /// The scheme picked.
    pub scheme: SchemeKind,
    /// Its parameters as the sliders hold them.
    pub params: SchemeParams,
    /// The pair potential.
    pub potential: Potential,
    /// The overlap tolerance.
    pub tolerance: f64,
    /// Run B's dynamics these were taken from.
    pub followed: Dynamics,
    /// The dynamics last sent, until run B has them.
    pub sent: Option<Dynamics>,
}

impl PartnerControls {
    /// The controls of run B under `d`, other schemes' parameters taken from `base`.
    pub fn of(d: &Dynamics, base: SchemeParams) -> Self {
        Self {
            scheme: d.scheme.kind(),
            params: d.scheme.params(base),
            potential: d.potential,
            tolerance: d.overlap_tolerance,
            followed: *d,
            sent: None,
        }
    }

    /// The dynamics the controls show.
    pub fn dynamics(&self) -> crate::error::Result<Dynamics> {
        let scheme = self.scheme.build(&self.params)?;
        Ok(Dynamics { scheme, potential: self.potential, overlap_tolerance: self.tolerance })
    }
}

impl UiState {
    /// Panel state for a setup whose run has packing fraction `phi`.
    pub fn new(setup: &Setup, phi: f64) -> Self {
        let scene = &setup.scene;
        let mut state = Self {
            panels: PanelsShown::All,
            show_help: false,
            ui_scale: 1.0,
            plots: PlotOptions::default(),
            scheme: scene.scheme.kind(),
            params: SchemeParams::default(),
            potential: scene.potential,
            tolerance: scene.overlap_tolerance(),
            phi,
            phi_fine: None,
            pending: scene.clone(),
            n_note: None,
            run: setup.run,
            editing: false,
            last_edit: f64::NEG_INFINITY,
            sent: None,
            sent_phi: None,
            open_path: String::new(),
            save_name: "my-scene".into(),
            screenshot_panels: true,
            catalog: catalog(),
            scan_file: super::phase_panel::DEFAULT_SCAN_FILE.into(),
            compare_with: None,
            partner: None,
        };
        state.follow(setup, phi);
        state
    }

    /// Shows the run's values: its dynamics and phi (`phi` is the run's
    /// packing fraction) always, its setup fields (N, dimension, radii,
    /// seed) when it is a new run.
    pub fn follow(&mut self, setup: &Setup, phi: f64) {
        let scene = &setup.scene;
        self.scheme = scene.scheme.kind();
        self.params = scene.scheme.params(self.params);
        self.potential = scene.potential;
        self.tolerance = scene.overlap_tolerance();
        // A random start is built from the scene's phi: shown as written, not
        // as the radii's sum rounds it (0.58, not 0.5800000000000003).
        self.phi = if scene.start == crate::scene::Start::Random { scene.phi } else { phi };
        self.sent = None;
        self.sent_phi = None;
        if self.run != setup.run {
            self.pending = scene.clone();
            self.n_note = None;
            self.phi_fine = None;
            self.run = setup.run;
            self.open_path = setup.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        }
    }

    /// The dynamics the controls show.
    pub fn dynamics(&self) -> crate::error::Result<Dynamics> {
        let scheme = self.scheme.build(&self.params)?;
        Ok(Dynamics { scheme, potential: self.potential, overlap_tolerance: self.tolerance })
    }

    /// The scene "Apply and restart" starts: exactly what the panel shows
    /// (dynamics, phi, N, dimension, radii, seed) from a random start.
    pub fn restart_scene(&self, setup: &Setup) -> crate::error::Result<Scene> {
        let d = self.dynamics()?;
        let mut scene = setup.scene.clone();
        scene.scheme = d.scheme;
        scene.potential = d.potential;
        scene.overlap_tolerance = Some(d.overlap_tolerance);
        scene.phi = self.phi;
        scene.n = self.pending.n;
        scene.dim = self.pending.dim;
        scene.radii = self.pending.radii.clone();
        scene.seed = self.pending.seed;
        // A new N or dimension means a new random start.
        scene.start = crate::scene::Start::Random;
        Ok(scene)
    }

    /// Notes a widget's response: dragging holds changes back until the
    /// pointer rests or lets go.
    pub(super) fn track(&mut self, response: &egui::Response, now: f64) {
        if response.dragged() {
            self.editing = true;
        }
        if response.changed() {
            self.last_edit = now;
        }
    }

    /// No drag is in progress, or it has rested for [`SLIDER_PAUSE`].
    pub(super) fn settled(&self, now: f64) -> bool {
        !self.editing || now - self.last_edit >= SLIDER_PAUSE
    }

    /// phi one key step up (`steps` = 1) or down (-1), on the grid of the step.
    pub fn step_phi(&mut self, steps: f64) -> f64 {
        let grid = PHI_KEY_STEP * steps.abs();
        let next = ((self.phi / grid).round() + steps.signum()) * grid;
        self.phi = next.clamp(PHI_RANGE.0, MAX_PHI);
        self.sent_phi = Some(self.phi);
        self.phi
    }
}

/// The status line: the scheme and its parameters, phi, N and the dimension
/// (`pairwise BRO eps 0.1 | phi 0.5750 | N 3000, 2D`).
pub fn status_text(sim: View) -> String {
    let p = sim.packing();
    format!("{} | phi {:.4} | N {}, {}D", sim.dynamics().summary(), p.phi(), p.len(), p.dim())
}

/// The scene files in scenes/ with their one-line descriptions (or why they
/// do not load).
pub fn catalog() -> Vec<(PathBuf, String)> {
    let dir = crate::scene::resolve("default").parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("scenes"));
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .map(|p| {
                    let text = match Scene::load(&p) {
                        Ok(s) => s.description,
                        Err(e) => format!("does not load: {e}"),
                    };
                    (p, text)
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// System sets of the panels.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum UiSystems {
    /// The panel state follows the run.
    Follow,
    /// Keys read.
    Keys,
    /// Panels drawn.
    Panels,
}

/// The panel state and the system that keeps it on the run's values: the part
/// of the panels that needs no window (tests drive it headless).
pub struct PanelStatePlugin;

impl Plugin for PanelStatePlugin {
    fn build(&self, app: &mut App) {
        let world = app.world();
        let state = UiState::new(world.resource::<Setup>(), world.resource::<Sim>().view().packing().phi());
        app.insert_resource(state)
            .configure_sets(Update, (UiSystems::Follow, UiSystems::Keys).chain())
            .add_systems(Update, follow_setup.in_set(UiSystems::Follow));
    }
}

/// Whenever the setup changes, the panels show it: everything after a new
/// run, the dynamics and phi after a change (unless a drag is in progress).
pub fn follow_setup(setup: Res<Setup>, sim: Res<Sim>, mut ui: ResMut<UiState>) {
    if !setup.is_changed() || (ui.editing && ui.run == setup.run) {
        return;
    }
    ui.follow(&setup, sim.view().packing().phi());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_steps_land_on_the_grid_of_the_step() {
        let scene = Scene::default();
        let mut state = UiState::new(&Setup::new(scene, None), 0.5903);
        assert_eq!(state.phi, 0.5);
        state.phi = 0.5903;
        assert!((state.step_phi(1.0) - 0.591).abs() < 1e-12);
        assert!((state.step_phi(-10.0) - 0.58).abs() < 1e-12);
        state.phi = 0.9955;
        assert_eq!(state.step_phi(10.0), MAX_PHI);
    }
}
