//! Two schemes side by side: what run B starts with, and the labels over
//! the two views. The runs themselves are stepped by the simulation plugin
//! (src/app/simulation.rs), the views drawn by src/app/camera.rs, run B's
//! dynamics chosen by src/compare.rs.

use super::camera::{PanelInsets, split_rects};
use super::simulation::{LastStats, Sim};
use super::snapshot::View;
use bevy_egui::egui;

/// Run A's colour on the plots and over its view.
pub const RUN_A: egui::Color32 = egui::Color32::from_rgb(90, 170, 255);
/// Run B's colour on the plots and over its view.
pub const RUN_B: egui::Color32 = egui::Color32::from_rgb(255, 165, 60);

/// The label over one view: which run, its scheme, where it is.
fn label(name: &str, view: View, activity: Option<f64>) -> String {
    let state = match view.absorbed_at() {
        Some(k) => format!("absorbed at {k}"),
        None => format!("f_a = {:.4}", activity.unwrap_or(0.0)),
    };
    format!("{name}: {}\niteration {}, {state}", view.dynamics().summary(), view.iteration())
}

/// While comparing, each view's run named over its top left corner, in
/// the run's plot colour.
pub fn view_labels(ctx: &egui::Context, sim: &Sim, last: &LastStats, insets: &PanelInsets, zoom: f32) {
    let Some(b) = sim.partner_view() else { return };
    let window = ctx.viewport_rect().size() * zoom;
    let rects = split_rects(bevy::math::Vec2::new(window.x, window.y), insets);
    let runs =
        [("A", sim.view(), last.stats.map(|s| s.activity), RUN_A), ("B", b, last.partner.map(|s| s.activity), RUN_B)];
    for (rect, (name, view, activity, colour)) in rects.iter().zip(runs) {
        let at = egui::pos2(rect.min.x / zoom + 8.0, rect.min.y / zoom + 6.0);
        let room = (rect.width() / zoom - 16.0).max(40.0);
        egui::Area::new(egui::Id::new(("run label", name))).fixed_pos(at).interactable(false).show(ctx, |ui| {
            // As wide as its view allows: it wraps only where the view is narrow.
            ui.set_max_width(room);
            egui::Frame::new()
                .fill(ui.visuals().panel_fill.gamma_multiply(0.85))
                .inner_margin(egui::Margin::symmetric(6, 3))
                .corner_radius(3.0)
                .show(ui, |ui| ui.label(egui::RichText::new(label(name, view, activity)).color(colour).strong()));
        });
    }
}
