//! The live plots: activity, energy per particle and MSD against iteration,
//! over the whole run, with a marker wherever a parameter changed.

use super::history::{History, Point};
use bevy_egui::egui;
use egui_plot::{Line, Plot, PlotPoints, VLine};

/// Activity, energy and MSD against iteration, with markers where a parameter changed.
pub fn plots_ui(ui: &mut egui::Ui, history: &History, log_y: &mut bool) {
    ui.heading("Activity");
    ui.checkbox(log_y, "logarithmic y");
    let height = (ui.available_height() / 3.0 - 30.0).max(80.0);
    let pts = history.points();
    let series = |f: &dyn Fn(&Point) -> f64, log: bool| -> Vec<[f64; 2]> {
        pts.iter()
            .filter_map(|p| {
                let y = f(p);
                if log { (y > 0.0).then(|| [p.iteration, y.log10()]) } else { Some([p.iteration, y]) }
            })
            .collect()
    };
    let plot = |ui: &mut egui::Ui, id: &str, name: &str, data: Vec<[f64; 2]>| {
        Plot::new(id.to_string()).height(height).allow_scroll(false).x_axis_label("iteration").y_axis_label(name).show(
            ui,
            |plot| {
                plot.line(Line::new(name.to_string(), PlotPoints::from(data)));
                for m in history.markers() {
                    plot.vline(VLine::new(m.label.clone(), m.iteration).color(egui::Color32::from_gray(150)));
                }
            },
        );
    };
    let log = *log_y;
    let prefix = if log { "log10 " } else { "" };
    plot(ui, "activity", &format!("{prefix}f_a"), series(&|p| p.activity, log));
    ui.heading("Energy per particle");
    plot(ui, "energy", &format!("{prefix}e"), series(&|p| p.energy, log));
    ui.heading("Mean square displacement");
    plot(ui, "msd", "MSD (d^2)", series(&|p| p.msd, false));
}
