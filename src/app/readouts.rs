//! The top bar: what runs, where it is (iteration, activity, energy),
//! whether it is active or absorbed, the rates, and what went wrong; the
//! one line left when the panels are hidden.

use super::panel_state::status_text;
use super::replay::Replay;
use super::simulation::{LastStats, Sim, SimSettings, StatusLine};
use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy_egui::egui;

/// Green for "absorbed", readable on either theme.
fn calm(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode { egui::Color32::LIGHT_GREEN } else { egui::Color32::from_rgb(0, 120, 40) }
}

pub(super) fn fps(diagnostics: &DiagnosticsStore) -> f64 {
    diagnostics.get(&FrameTimeDiagnosticsPlugin::FPS).and_then(|d| d.smoothed()).unwrap_or(0.0)
}

/// The top bar: what runs (scheme, phi, N), then iteration, f_a, e, active
/// pairs, absorbed, rates, errors.
pub fn readouts_ui(
    ui: &mut egui::Ui,
    sim: &Sim,
    last: &LastStats,
    settings: &SimSettings,
    fps: f64,
    status: &StatusLine,
    replaying: Option<bool>,
) {
    ui.horizontal_wrapped(|ui| {
        let s = last.stats.unwrap_or_default();
        if sim.comparing() {
            // Each run's scheme and state are over its view: here what they share, and both activities.
            let p = sim.view().packing();
            ui.strong(format!("runs A and B | phi {:.4} | N {}, {}D", p.phi(), p.len(), p.dim()));
            ui.separator();
            ui.strong(format!("iteration {}", sim.view().iteration()));
            compared_readouts(ui, sim, last);
        } else {
            ui.strong(status_text(sim.view()));
            ui.separator();
            ui.strong(format!("iteration {}", sim.view().iteration()));
            ui.label(format!("f_a = {:.4}", s.activity));
            ui.label(format!("e = {:.3e}", s.energy));
            ui.label(format!("active pairs {}", s.active_pairs));
            ui.separator();
            state_ui(ui, sim, s.activity, replaying, "absorbed at iteration");
        }
        ui.separator();
        if replaying.is_none() {
            // No rate while paused: the last one would read as if it still ran.
            let running = settings.playing && !sim.absorbed();
            ui.label(format!("{:.0} it/s", if running { last.rate } else { 0.0 }));
        }
        ui.label(format!("{fps:.0} fps"));
        pause_ui(ui, settings, replaying);
        if let Some(err) = &status.0 {
            ui.separator();
            ui.colored_label(egui::Color32::from_rgb(255, 120, 90), err);
        }
    });
}

/// Both runs' activity, or where each absorbed, in their colours.
fn compared_readouts(ui: &mut egui::Ui, sim: &Sim, last: &LastStats) {
    let [a, b] = super::compare::run_colours(ui);
    let runs = [(a, "A", Some(sim.view()), last.stats), (b, "B", sim.partner_view(), last.partner)];
    for (colour, name, view, stats) in runs {
        let Some(view) = view else { continue };
        let text = match view.absorbed_at() {
            Some(k) => format!("{name} absorbed at {k}"),
            None => format!("{name}: f_a = {:.4}", stats.map_or(0.0, |s| s.activity)),
        };
        ui.colored_label(colour, text);
    }
}

/// The one line left when the panels are hidden.
pub fn status_bar_ui(ui: &mut egui::Ui, sim: &Sim, last: &LastStats, settings: &SimSettings, replaying: Option<bool>) {
    ui.horizontal_wrapped(|ui| {
        let s = last.stats.unwrap_or_default();
        ui.strong(format!("iteration {}", sim.view().iteration()));
        if sim.comparing() {
            compared_readouts(ui, sim, last);
        } else {
            ui.label(format!("f_a = {:.4}", s.activity));
            state_ui(ui, sim, s.activity, replaying, "absorbed at");
            ui.separator();
            ui.label(status_text(sim.view()));
        }
        pause_ui(ui, settings, replaying);
    });
}

/// Whether a recording is being replayed, and if so whether it plays.
pub(super) fn replaying(replay: &Replay) -> Option<bool> {
    replay.state.as_ref().map(|s| s.playing)
}

/// Active or absorbed. A live run says where it absorbed; a replayed frame
/// has no such record and is absorbed when none of its spheres overlap.
fn state_ui(ui: &mut egui::Ui, sim: &Sim, activity: f64, replaying: Option<bool>, absorbed_at: &str) {
    match (sim.view().absorbed_at(), replaying) {
        (Some(k), None) => ui.colored_label(calm(ui), format!("{absorbed_at} {k}")),
        (_, Some(_)) if activity == 0.0 => ui.colored_label(calm(ui), "absorbed (no overlaps)"),
        _ => ui.label("active"),
    };
}

/// "(paused)" for a paused run; a replay says whether it plays.
fn pause_ui(ui: &mut egui::Ui, settings: &SimSettings, replaying: Option<bool>) {
    match replaying {
        Some(true) => ui.label("replaying"),
        Some(false) => ui.label("(replay paused)"),
        None if !settings.playing => ui.label("(paused)"),
        None => return,
    };
}
