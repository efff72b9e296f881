//! The panel's picture section: what is shown, the colouring and its
//! legend, picture quality, and the reading of the selected sphere.

use super::camera::CameraOptions;
use super::pick::Reading;
use super::picture::{ColorMode, Legend};
use super::show::{Show, ShowMode};
use super::simulation::Sim;
use crate::scene::Rgb;
use bevy_egui::egui;

/// What the selected sphere reads now.
pub fn selected_ui(ui: &mut egui::Ui, r: &Reading) {
    let hidden = if r.drawn { "" } else { ", not drawn in this view" };
    ui.label(egui::RichText::new(format!("Sphere {} (Esc clears{hidden})", r.id)).strong());
    let energy = if r.energy == 0.0 { "0".to_string() } else { format!("{:.3e}", r.energy) };
    ui.label(format!(
        "radius {:.3} d, overlaps {} now\nenergy share {energy}, last move {:.4} d",
        r.radius,
        r.partners.len(),
        r.moved
    ));
}

/// Colouring, what is shown, the legend of what is shown, and picture quality.
pub fn picture_ui(
    ui: &mut egui::Ui,
    mode: &mut ColorMode,
    show: &mut Show,
    legend: Option<&Legend>,
    sim: &Sim,
    camera: &mut CameraOptions,
) {
    ui.heading("Picture");
    let p = sim.view().packing();
    if p.dim() >= 3 {
        egui::ComboBox::from_label("show").selected_text(show.mode.label()).show_ui(ui, |ui| {
            for m in ShowMode::ALL {
                ui.selectable_value(&mut show.mode, m, m.label());
            }
        });
        if show.mode == ShowMode::Slab {
            ui.horizontal_wrapped(|ui| {
                ui.label("across");
                for (k, name) in ["x", "y", "z"].iter().enumerate() {
                    ui.radio_value(&mut show.axis, k, *name);
                }
            });
            super::controls::fit_slider(ui, "middle (of the box)");
            ui.add(egui::Slider::new(&mut show.at, 0.0..=1.0).fixed_decimals(2).text("middle (of the box)"));
            super::controls::fit_slider(ui, "thickness (d)");
            ui.add(egui::Slider::new(&mut show.thickness, 1.0..=20.0).fixed_decimals(1).text("thickness (d)"));
            show.keep_inside(p.side(), p.max_diameter());
        }
    }
    egui::ComboBox::from_label("colour by").selected_text(mode.label()).show_ui(ui, |ui| {
        for m in ColorMode::ALL {
            ui.selectable_value(mode, m, m.label());
        }
    });
    if let Some(legend) = legend {
        let points = show.mode == ShowMode::OverlappingWithPoints && p.dim() >= 3;
        let resting = if points { "resting (points)" } else { "resting" };
        let mut entries: Vec<(String, Rgb)> = match mode {
            ColorMode::Activity => {
                vec![(resting.into(), legend.activity[0]), ("overlapping".into(), legend.activity[1])]
            }
            ColorMode::Overlaps => legend
                .overlaps
                .iter()
                .enumerate()
                .map(|(k, &c)| (if k + 1 == legend.overlaps.len() { format!("{k}+") } else { k.to_string() }, c))
                .collect(),
            ColorMode::Displacement => {
                let largest = sim.view().last_moves().iter().cloned().fold(0.0, f32::max);
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
        if show.mode == ShowMode::Overlapping && p.dim() >= 3 && *mode != ColorMode::Displacement {
            // Resting spheres (no overlap) are not drawn: nor is their colour.
            entries.remove(0);
        }
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
