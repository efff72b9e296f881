//! Two schemes side by side: what run B starts with, and the labels over
//! the two views. The runs themselves are stepped by the simulation plugin
//! (src/app/simulation.rs), the views drawn by src/app/camera.rs, run B's
//! dynamics chosen by src/compare.rs.

use super::camera::{PanelInsets, split_rects};
use super::simulation::{LastStats, Sim};
use super::snapshot::View;
use bevy_egui::egui;

/// The colours of run A and run B on the plots and over their views: a
/// blue and a reddish purple (apart from the orange of the plots' change
/// markers), lighter on the dark theme and darker on the light one.
pub fn run_colours(ui: &egui::Ui) -> [egui::Color32; 2] {
    if ui.visuals().dark_mode {
        [egui::Color32::from_rgb(90, 170, 255), egui::Color32::from_rgb(204, 121, 167)]
    } else {
        [egui::Color32::from_rgb(0, 90, 180), egui::Color32::from_rgb(160, 40, 115)]
    }
}

/// The label over one view: which run, its scheme, where it is.
fn label(name: &str, view: View, activity: Option<f64>) -> String {
    let state = match view.absorbed_at() {
        Some(k) => format!("absorbed at {k}"),
        None => format!("f_a = {:.4}", activity.unwrap_or(0.0)),
    };
    format!("{name}: {}\niteration {}\n{state}", view.dynamics().summary(), view.iteration())
}

/// While comparing, each view's run named over its top left corner, in
/// the run's plot colour, and a line between the two views.
pub fn view_labels(ctx: &egui::Context, sim: &Sim, last: &LastStats, insets: &PanelInsets, zoom: f32) {
    let Some(b) = sim.partner_view() else { return };
    let window = ctx.viewport_rect().size() * zoom;
    let rects = split_rects(bevy::math::Vec2::new(window.x, window.y), insets);
    let runs = [("A", sim.view(), last.stats.map(|s| s.activity), 0), ("B", b, last.partner.map(|s| s.activity), 1)];
    for (rect, (name, view, activity, colour)) in rects.iter().zip(runs) {
        let at = egui::pos2(rect.min.x / zoom + 8.0, rect.min.y / zoom + 6.0);
        egui::Area::new(egui::Id::new(("run label", name))).fixed_pos(at).interactable(false).show(ctx, |ui| {
            egui::Frame::new()
                .fill(ui.visuals().panel_fill.gamma_multiply(0.85))
                .inner_margin(egui::Margin::symmetric(6, 3))
                .corner_radius(3.0)
                .show(ui, |ui| {
                    // Short lines, never wrapped: an Area keeps the width it had when first laid out.
                    let text = egui::RichText::new(label(name, view, activity)).color(run_colours(ui)[colour]).strong();
                    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend))
                });
        });
    }
    let x = rects[1].min.x / zoom;
    let (top, bottom) = (rects[1].min.y / zoom, rects[1].max.y / zoom);
    let stroke = egui::Stroke::new(1.0, egui::Color32::from_gray(120));
    ctx.layer_painter(egui::LayerId::background()).vline(x, top..=bottom, stroke);
}
