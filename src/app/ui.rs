//! The panels: controls on the left, plots on the right, readouts on top, a
//! help overlay. Panels edit settings or send commands; they never reach into
//! the particle arrays.

use super::camera::{CameraOptions, PanelInsets, ResetView};
use super::picture::{ColorMode, Legend};
use super::record::{CaptureRequest, Recorder};
use super::simulation::{LastStats, PlotHistory, Setup, Sim, SimCommand, SimSettings, StatusLine};
use crate::scene::{Rgb, Scene};
use crate::sim::packing::Radii;
use crate::sim::{BatchMode, Dynamics, Potential, Scheme, SchemeParams};
use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use std::path::PathBuf;

/// Every key the window answers to, for the help overlay.
pub const KEYS: [(&str, &str); 8] = [
    ("Space", "play / pause"),
    ("Right arrow", "one iteration"),
    ("R", "reset (same seed)"),
    ("P", "save a screenshot"),
    ("H", "hide or show the panels"),
    ("C", "reset the camera"),
    ("F1", "this help"),
    ("drag / scroll", "rotate / zoom (3D)"),
];

/// What the panels show and hold between frames.
#[derive(Resource, Clone, Debug)]
pub struct UiState {
    /// Panels shown (H).
    pub show_panels: bool,
    /// Help overlay shown (F1).
    pub show_help: bool,
    /// Size of the panels, for projectors.
    pub ui_scale: f32,
    /// Logarithmic y axes on the activity and energy plots.
    pub log_y: bool,
    /// The scheme picked in the panel and its parameters (kept while the scheme changes).
    pub scheme_name: &'static str,
    /// Scheme parameters as the sliders hold them.
    pub params: SchemeParams,
    /// Setup fields that need a reset: N, dimension, radii, seed.
    pub pending: Scene,
    /// The path typed in "open scene".
    pub open_path: String,
    /// The name typed in "save as scene".
    pub save_name: String,
    /// Screenshots include the panels.
    pub screenshot_panels: bool,
    /// Scene files found in scenes/, with their descriptions.
    pub catalog: Vec<(PathBuf, String)>,
}

impl UiState {
    /// Panel state for a setup.
    pub fn new(setup: &Setup) -> Self {
        let scene = &setup.scene;
        Self {
            show_panels: true,
            show_help: false,
            ui_scale: 1.0,
            log_y: false,
            scheme_name: scene.scheme.name(),
            params: scene.scheme.params(SchemeParams::default()),
            pending: scene.clone(),
            open_path: setup.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            save_name: "my-scene".into(),
            screenshot_panels: true,
            catalog: catalog(),
        }
    }
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
    /// Keys read.
    Keys,
    /// Panels drawn.
    Panels,
}

/// The panels and the keys.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        let state = UiState::new(app.world().resource::<Setup>());
        app.insert_resource(state)
            .add_systems(Update, keys.in_set(UiSystems::Keys))
            .add_systems(EguiPrimaryContextPass, panels.in_set(UiSystems::Panels));
    }
}

#[allow(clippy::too_many_arguments)]
fn keys(
    input: Res<ButtonInput<KeyCode>>,
    mut contexts: EguiContexts,
    mut settings: ResMut<SimSettings>,
    mut ui: ResMut<UiState>,
    mut commands: MessageWriter<SimCommand>,
    mut view: MessageWriter<ResetView>,
    mut capture: ResMut<CaptureRequest>,
) {
    if let Ok(ctx) = contexts.ctx_mut()
        && ctx.egui_wants_keyboard_input()
    {
        return;
    }
    if input.just_pressed(KeyCode::Space) {
        settings.playing = !settings.playing;
    }
    if input.just_pressed(KeyCode::ArrowRight) {
        settings.playing = false;
        commands.write(SimCommand::Step);
    }
    if input.just_pressed(KeyCode::KeyR) {
        commands.write(SimCommand::Reset);
    }
    if input.just_pressed(KeyCode::KeyP) {
        capture.ask(ui.screenshot_panels);
    }
    if input.just_pressed(KeyCode::KeyH) {
        ui.show_panels = !ui.show_panels;
    }
    if input.just_pressed(KeyCode::F1) {
        ui.show_help = !ui.show_help;
    }
    if input.just_pressed(KeyCode::KeyC) {
        view.write(ResetView);
    }
}

/// Everything the panels read and write, gathered in one place.
#[derive(bevy::ecs::system::SystemParam)]
struct PanelParams<'w> {
    sim: Res<'w, Sim>,
    setup: Res<'w, Setup>,
    settings: ResMut<'w, SimSettings>,
    last: Res<'w, LastStats>,
    history: Res<'w, PlotHistory>,
    status: Res<'w, StatusLine>,
    mode: ResMut<'w, ColorMode>,
    legend: Option<Res<'w, Legend>>,
    camera: ResMut<'w, CameraOptions>,
    insets: ResMut<'w, PanelInsets>,
    recorder: ResMut<'w, Recorder>,
    capture: ResMut<'w, CaptureRequest>,
    diagnostics: Res<'w, DiagnosticsStore>,
}

fn panels(
    mut contexts: EguiContexts,
    mut ui: ResMut<UiState>,
    mut p: PanelParams,
    mut commands: MessageWriter<SimCommand>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if ctx.zoom_factor() != ui.ui_scale {
        ctx.set_zoom_factor(ui.ui_scale);
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "absorb".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let mut insets = PanelInsets::default();
    let show = ui.show_panels && !p.capture.hides_panels();
    if show {
        insets.top = egui::Panel::top("readouts")
            .show(&mut root, |row| readouts_ui(row, &p.sim, &p.last, &p.settings, fps(&p.diagnostics), &p.status))
            .response
            .rect
            .height();
        insets.left = egui::Panel::left("controls")
            .default_size(330.0)
            .show(&mut root, |col| {
                egui::ScrollArea::vertical().show(col, |col| {
                    let mut out = Vec::new();
                    controls_ui(col, &mut ui, &p.sim, &mut p.settings, &mut out);
                    col.separator();
                    picture_ui(col, &mut p.mode, p.legend.as_deref(), &p.sim, &mut p.camera);
                    col.separator();
                    setup_ui(col, &mut ui, &p.setup, &mut out);
                    col.separator();
                    output_ui(col, &mut ui, &p.setup, &mut p.recorder, &mut p.capture, &mut out);
                    commands.write_batch(out);
                })
            })
            .response
            .rect
            .width();
        insets.right = egui::Panel::right("plots")
            .default_size(360.0)
            .show(&mut root, |col| super::plots::plots_ui(col, &p.history.0, &mut ui.log_y))
            .response
            .rect
            .width();
    }
    if ui.show_help {
        egui::Window::new("Keys").collapsible(false).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(ctx, help_ui);
    }
    if *p.insets != insets {
        *p.insets = insets;
    }
    Ok(())
}

fn fps(diagnostics: &DiagnosticsStore) -> f64 {
    diagnostics.get(&FrameTimeDiagnosticsPlugin::FPS).and_then(|d| d.smoothed()).unwrap_or(0.0)
}

/// The top bar: iteration, f_a, e, active pairs, absorbed, rates, errors.
pub fn readouts_ui(
    ui: &mut egui::Ui,
    sim: &Sim,
    last: &LastStats,
    settings: &SimSettings,
    fps: f64,
    status: &StatusLine,
) {
    ui.horizontal_wrapped(|ui| {
        let s = last.stats.unwrap_or_default();
        ui.strong(format!("iteration {}", sim.0.iteration()));
        ui.separator();
        ui.label(format!("f_a = {:.4}", s.activity));
        ui.label(format!("e = {:.3e}", s.energy));
        ui.label(format!("active pairs {}", s.active_pairs));
        ui.separator();
        match sim.0.absorbed_at() {
            Some(k) => ui.colored_label(egui::Color32::LIGHT_GREEN, format!("absorbed at iteration {k}")),
            None => ui.label("active"),
        };
        ui.separator();
        ui.label(format!("{:.0} it/s", last.rate));
        ui.label(format!("{fps:.0} fps"));
        if !settings.playing {
            ui.label("(paused)");
        }
        if let Some(err) = &status.0 {
            ui.separator();
            ui.colored_label(egui::Color32::from_rgb(255, 120, 90), err);
        }
    });
}

/// Scheme, step sizes, potential, phi and speed: all take effect at the next iteration.
pub fn controls_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    sim: &Sim,
    settings: &mut SimSettings,
    out: &mut Vec<SimCommand>,
) {
    ui.heading("Run");
    ui.horizontal(|ui| {
        if ui.button(if settings.playing { "Pause" } else { "Play" }).clicked() {
            settings.playing = !settings.playing;
        }
        if ui.button("Step").clicked() {
            settings.playing = false;
            out.push(SimCommand::Step);
        }
        if ui.button("Reset").on_hover_text("Back to iteration 0, same seed").clicked() {
            out.push(SimCommand::Reset);
        }
        if ui.button("New seed").clicked() {
            out.push(SimCommand::NewSeed);
        }
    });
    let mut fastest = settings.iterations_per_second == 0.0;
    ui.horizontal(|ui| {
        ui.checkbox(&mut fastest, "as fast as it goes");
        if !fastest {
            let mut ips = if settings.iterations_per_second > 0.0 { settings.iterations_per_second } else { 30.0 };
            ui.add(egui::Slider::new(&mut ips, 1.0..=10_000.0).logarithmic(true).text("it/s"));
            settings.iterations_per_second = ips;
        }
    });
    if fastest {
        settings.iterations_per_second = 0.0;
    }

    ui.heading("Scheme");
    let before = (state.scheme_name, state.params);
    egui::ComboBox::from_id_salt("scheme").selected_text(state.scheme_name).show_ui(ui, |ui| {
        for name in Scheme::NAMES {
            ui.selectable_value(&mut state.scheme_name, name, name);
        }
    });
    let probe = Scheme::from_name(state.scheme_name, &state.params).unwrap_or_default();
    let uses = probe.parameters();
    let sa = matches!(probe, Scheme::SaPairwise { .. } | Scheme::SaParticle { .. });
    let p = &mut state.params;
    if sa {
        ui.horizontal(|ui| {
            ui.label("noise matched to");
            ui.radio_value(&mut p.sa_matches_sgd, false, "BRO");
            ui.radio_value(&mut p.sa_matches_sgd, true, "SGD / RCD");
        });
        ui.add(egui::Slider::new(&mut p.h, 0.01..=1.0).logarithmic(true).text("step h"));
    }
    if uses.contains(&"kick") || (sa && !p.sa_matches_sgd) {
        ui.add(egui::Slider::new(&mut p.kick, 1e-3..=1.0).logarithmic(true).text("kick eps"));
    }
    if uses.contains(&"lr") {
        ui.add(egui::Slider::new(&mut p.lr, 1e-3..=1.0).logarithmic(true).text("learning rate"));
    }
    if uses.contains(&"batch") {
        ui.add(egui::Slider::new(&mut p.batch, 0.01..=1.0).logarithmic(true).text("batch fraction b"));
        if !sa {
            ui.horizontal(|ui| {
                ui.radio_value(&mut p.batch_mode, BatchMode::Probabilistic, "each with prob. b");
                ui.radio_value(&mut p.batch_mode, BatchMode::Fixed, "exactly b of them");
            });
        }
    }
    if state.scheme_name == "bro-particle" {
        ui.checkbox(&mut p.normalized, "normalized kick");
    }
    let current = sim.0.dynamics();
    let mut potential = current.potential;
    ui.horizontal(|ui| {
        ui.label("potential m");
        for (m, label) in
            [(Potential::LINEAR, "1 linear"), (Potential::HARMONIC, "2 harmonic"), (Potential::HERTZIAN, "5/2 Hertz")]
        {
            ui.radio_value(&mut potential, m, label);
        }
    });
    if let Some(matched) = current.scheme.gradient_match() {
        let label = if matched.name() == "sgd" { "Match SGD to this BRO" } else { "Match RCD to this particle BRO" };
        if ui.button(label).on_hover_text("b = 3/4, lr = 2 eps / 3: the same mean and variance per pair").clicked() {
            state.scheme_name = matched.name();
            state.params = matched.params(state.params);
        }
    }
    let changed = before != (state.scheme_name, state.params) || potential != current.potential;
    if changed && let Ok(scheme) = Scheme::from_name(state.scheme_name, &state.params) {
        out.push(SimCommand::SetDynamics(Dynamics { scheme, potential, ..*current }));
    }

    let mut phi = sim.0.packing().phi();
    let response = ui.add(egui::Slider::new(&mut phi, 0.05..=0.95).text("phi (rescales radii)"));
    if response.changed() {
        out.push(SimCommand::SetPhi(phi));
    }
}

/// Colouring, its legend, and picture quality.
pub fn picture_ui(
    ui: &mut egui::Ui,
    mode: &mut ColorMode,
    legend: Option<&Legend>,
    sim: &Sim,
    camera: &mut CameraOptions,
) {
    ui.heading("Picture");
    egui::ComboBox::from_label("colour by").selected_text(mode.label()).show_ui(ui, |ui| {
        for m in ColorMode::ALL {
            ui.selectable_value(mode, m, m.label());
        }
    });
    if let Some(legend) = legend {
        let entries: Vec<(String, Rgb)> = match mode {
            ColorMode::Activity => {
                vec![("resting".into(), legend.activity[0]), ("overlapping".into(), legend.activity[1])]
            }
            ColorMode::Overlaps => legend
                .overlaps
                .iter()
                .enumerate()
                .map(|(k, &c)| (if k + 1 == legend.overlaps.len() { format!("{k}+") } else { k.to_string() }, c))
                .collect(),
            ColorMode::Displacement => {
                let largest = sim.0.last_moves().iter().cloned().fold(0.0, f32::max);
                let n = legend.displacement.len();
                legend
                    .displacement
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| {
                        let label = if k == 0 {
                            "0".into()
                        } else if k + 1 == n {
                            format!("{largest:.3} d")
                        } else {
                            String::new()
                        };
                        (label, c)
                    })
                    .collect()
            }
        };
        ui.horizontal_wrapped(|ui| {
            for (label, c) in entries {
                let color = egui::Color32::from_rgb((c[0] * 255.0) as u8, (c[1] * 255.0) as u8, (c[2] * 255.0) as u8);
                let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                ui.painter().circle_filled(rect.center(), 6.5, color);
                if !label.is_empty() {
                    ui.label(label);
                }
            }
        });
    }
    ui.checkbox(&mut camera.msaa, "smooth edges (slow without a GPU)");
}

/// N, dimension, radii and seed: these rebuild the run.
pub fn setup_ui(ui: &mut egui::Ui, state: &mut UiState, setup: &Setup, out: &mut Vec<SimCommand>) {
    ui.heading("Setup (needs a reset)");
    let pending = &mut state.pending;
    ui.horizontal(|ui| {
        ui.label("N");
        ui.add(egui::DragValue::new(&mut pending.n).range(2..=1_000_000).speed(10));
        ui.label("dimension");
        ui.radio_value(&mut pending.dim, 2, "2D");
        ui.radio_value(&mut pending.dim, 3, "3D");
    });
    ui.horizontal(|ui| {
        ui.label("radii");
        let mono = matches!(pending.radii, Radii::Monodisperse);
        if ui.radio(mono, "equal").clicked() {
            pending.radii = Radii::Monodisperse;
        }
        if ui.radio(!mono, "50:50, ratio 1.4").clicked() {
            pending.radii = Radii::bidisperse_2d();
        }
    });
    ui.horizontal(|ui| {
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut pending.seed));
    });
    let differs = pending.n != setup.scene.n
        || pending.dim != setup.scene.dim
        || pending.radii != setup.scene.radii
        || pending.seed != setup.scene.seed;
    if differs {
        ui.label(egui::RichText::new("These take effect when you apply them (the run restarts).").italics());
    }
    if ui.add_enabled(differs, egui::Button::new("Apply and restart")).clicked() {
        let mut scene = setup.scene.clone();
        scene.n = pending.n;
        scene.dim = pending.dim;
        scene.radii = pending.radii.clone();
        scene.seed = pending.seed;
        // A new N or dimension means a new random start.
        scene.start = crate::scene::Start::Random;
        out.push(SimCommand::Rebuild(Box::new(scene)));
    }
}

/// Scenes, screenshots and recordings.
pub fn output_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    setup: &Setup,
    recorder: &mut Recorder,
    capture: &mut CaptureRequest,
    out: &mut Vec<SimCommand>,
) {
    ui.heading("Scenes");
    for (path, description) in state.catalog.clone() {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if ui.button(&name).on_hover_text(&description).clicked() {
            out.push(SimCommand::Load(path.clone()));
            state.open_path = path.display().to_string();
        }
        ui.label(egui::RichText::new(description).small());
    }
    ui.horizontal(|ui| {
        ui.text_edit_singleline(&mut state.open_path);
        if ui.button("Open").clicked() {
            out.push(SimCommand::Load(PathBuf::from(&state.open_path)));
        }
    });
    ui.horizontal(|ui| {
        ui.text_edit_singleline(&mut state.save_name);
        if ui.button("Save as scene").clicked() {
            let path = PathBuf::from("scenes").join(format!("{}.ron", state.save_name.trim()));
            let text = setup.scene.to_ron();
            let result = std::fs::create_dir_all("scenes")
                .map_err(|e| crate::Error::io("scenes", e))
                .and_then(|()| crate::io::write_atomically(&path, |w| w.write_all(text.as_bytes())));
            recorder.message = Some(match result {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => e.to_string(),
            });
            state.catalog = catalog();
        }
    });

    ui.heading("Screenshots and recordings");
    ui.horizontal(|ui| {
        if ui.button("Screenshot (P)").clicked() {
            capture.ask(state.screenshot_panels);
        }
        ui.checkbox(&mut state.screenshot_panels, "with panels");
    });
    ui.label(format!("saved in {}", super::record::absolute(&capture.folder).display()));
    if let Some(m) = &capture.message {
        ui.label(egui::RichText::new(m).small());
    }
    ui.horizontal(|ui| {
        let label = if recorder.is_recording() { "Stop recording" } else { "Record" };
        if ui.button(label).clicked() {
            recorder.toggle();
        }
        ui.add(egui::DragValue::new(&mut recorder.every).range(1..=100_000).prefix("every "));
        ui.label("iterations");
    });
    if let Some(m) = &recorder.message {
        ui.label(egui::RichText::new(m).small());
    }
    ui.add(egui::Slider::new(&mut state.ui_scale, 0.75..=2.5).text("panel size"));
}

/// The key list.
pub fn help_ui(ui: &mut egui::Ui) {
    egui::Grid::new("keys").striped(true).show(ui, |ui| {
        for (key, what) in KEYS {
            ui.strong(key);
            ui.label(what);
            ui.end_row();
        }
    });
}
