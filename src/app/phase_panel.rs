//! The phase-diagram tab of the right-hand panel: start, refine, cancel,
//! save and open scans of phi; f_inf and the share of absorbed runs against
//! phi, tau on a second plot; phi_c and the live run's phi marked.

use super::plots::{TAG_ROWS, one_five_spacer, tag_rows, y_label};
use super::scan::{PhaseDiagram, ScanCommand, levels, phi_c_text};
use bevy_egui::egui;
use egui_plot::{
    AxisHints, GridMark, Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, PlotResponse, Points, VLine,
};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// The scans' colours, in the order they were started: Okabe-Ito blue,
/// vermillion, bluish green, reddish purple, sky blue (orange marks changes).
pub const SCAN_COLOURS: [egui::Color32; 5] = [
    egui::Color32::from_rgb(0, 114, 178),
    egui::Color32::from_rgb(213, 94, 0),
    egui::Color32::from_rgb(0, 158, 115),
    egui::Color32::from_rgb(204, 121, 167),
    egui::Color32::from_rgb(86, 180, 233),
];
/// The live run's phi and its pins: yellow on the dark theme, dark gold on the light.
fn live_colour(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode { egui::Color32::from_rgb(240, 228, 66) } else { egui::Color32::from_rgb(150, 110, 0) }
}
/// Where "save" writes by default.
pub const DEFAULT_SCAN_FILE: &str = "phase-diagram.csv";

/// The colour of scan `i`.
pub fn scan_colour(i: usize) -> egui::Color32 {
    SCAN_COLOURS[i % SCAN_COLOURS.len()]
}

/// The marker of scan `i`'s points: the colours come round again after
/// five scans, the markers tell those scans apart (circles, then squares,
/// triangles up, triangles down).
pub fn scan_marker(i: usize) -> MarkerShape {
    const MARKERS: [MarkerShape; 4] = [MarkerShape::Circle, MarkerShape::Square, MarkerShape::Up, MarkerShape::Down];
    MARKERS[(i / SCAN_COLOURS.len()) % MARKERS.len()]
}

/// Scan `i`'s colour and marker, as the plots draw its points.
fn paint_marker(painter: &egui::Painter, rect: egui::Rect, i: usize) {
    let (c, r, colour) = (rect.center(), 0.5 * rect.height(), scan_colour(i));
    let triangle = |sign: f32| {
        let points = vec![c + egui::vec2(0.0, -sign * r), c + egui::vec2(r, sign * r), c + egui::vec2(-r, sign * r)];
        egui::Shape::convex_polygon(points, colour, egui::Stroke::NONE)
    };
    match scan_marker(i) {
        MarkerShape::Square => {
            painter.rect_filled(egui::Rect::from_center_size(c, egui::Vec2::splat(1.8 * r)), 0.0, colour)
        }
        MarkerShape::Up => painter.add(triangle(1.0)),
        MarkerShape::Down => painter.add(triangle(-1.0)),
        _ => painter.circle_filled(c, r, colour),
    };
}

/// The tab: controls, the scans' list, the two plots, save and open.
pub fn phase_ui(
    ui: &mut egui::Ui,
    diagram: &mut PhaseDiagram,
    file: &mut String,
    live_phi: f64,
    out: &mut Vec<ScanCommand>,
) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Scan phi")
            .on_hover_text("Short runs of this scheme over a grid of phi around this run's")
            .clicked()
        {
            out.push(ScanCommand::Start);
        }
        if ui.button("Pin this run (M)").on_hover_text("Its mean activity now, once it is steady or absorbed").clicked()
        {
            out.push(ScanCommand::Pin);
        }
        // Always there, so that the rows below do not move when a pin is added.
        if ui.add_enabled(!diagram.pins.is_empty(), egui::Button::new("Clear pins")).clicked() {
            out.push(ScanCommand::ClearPins);
        }
    });
    // The header says what a scan runs, so that its N (not the live run's) is seen before it starts.
    let s = &diagram.settings;
    let summary = format!("Scan settings: N {}, {} phi x {} runs", s.n, s.points, s.replicates);
    egui::CollapsingHeader::new(summary).id_salt("scan settings").show(ui, |ui| {
        let s = &mut diagram.settings;
        ui.add(egui::DragValue::new(&mut s.n).range(16..=100_000).prefix("N "));
        ui.horizontal_wrapped(|ui| {
            ui.add(egui::DragValue::new(&mut s.points).range(2..=41).prefix("phi points "));
            ui.add(egui::DragValue::new(&mut s.step).range(0.001..=0.05).speed(0.001).prefix("every "));
        });
        ui.add(egui::DragValue::new(&mut s.replicates).range(1..=32).prefix("runs each "));
        ui.add(egui::DragValue::new(&mut s.steps).range(100..=1_000_000).speed(100).prefix("iterations at most "));
        let most = std::thread::available_parallelism().map_or(1, |n| n.get());
        ui.add(egui::DragValue::new(&mut s.threads).range(1..=most).prefix("threads "));
    });
    for (i, scan) in diagram.scans.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            paint_marker(ui.painter(), swatch, i);
            ui.label(format!("{}: {}", i + 1, scan.label));
        });
        ui.horizontal_wrapped(|ui| {
            match scan.estimate.as_ref().and_then(phi_c_text) {
                Some(text) => ui.strong(text),
                None => ui.label("phi_c: not bracketed yet"),
            };
            // The count stays where it is, so that a button does not move
            // under the pointer as a scan ends.
            if scan.running() {
                ui.label(format!("{}/{} runs", scan.finished(), scan.total));
                if ui.button("Cancel").clicked() {
                    out.push(ScanCommand::Cancel(i));
                }
            } else {
                if scan.cancelled {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("cancelled: {} of {} runs", scan.finished(), scan.total),
                    );
                } else {
                    ui.label(format!("{} runs", scan.finished()));
                }
                if scan.source.is_none()
                    && ui.button("Refine").on_hover_text("Three more phi between the two that bracket phi_c").clicked()
                {
                    out.push(ScanCommand::Refine(i));
                }
                if ui.button("Remove").clicked() {
                    out.push(ScanCommand::Remove(i));
                }
            }
        });
    }
    if let Some(message) = &diagram.message {
        ui.colored_label(egui::Color32::from_rgb(255, 170, 90), message);
    }
    let height = ((ui.available_height() - 120.0) / 2.0).clamp(150.0, 320.0);
    let range = phi_range(diagram, live_phi);
    activity_plot(ui, diagram, live_phi, height, range);
    tau_plot(ui, diagram, live_phi, height, range);
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(file).desired_width(150.0));
        if ui.button("Save").on_hover_text("The runs of these scans, as absorb sweep merge writes them").clicked() {
            out.push(ScanCommand::Save(PathBuf::from(file.as_str())));
        }
        if ui.button("Open").on_hover_text("A table from absorb sweep merge or from Save").clicked() {
            out.push(ScanCommand::Open(PathBuf::from(file.as_str())));
        }
    });
}

/// f_inf (points with error bars, joined) and the share of absorbed runs
/// (dashed) against phi.
/// The phi both plots show: every scan's levels and pins, and the live
/// run's phi only when it lies near them (a 2D run at 0.82 would squash a 3D
/// scan around 0.57 into a corner); None: no scan yet.
fn phi_range(diagram: &PhaseDiagram, live_phi: f64) -> Option<(f64, f64)> {
    let phis =
        diagram.scans.iter().flat_map(|s| s.runs.iter().map(|r| r.phi)).chain(diagram.pins.iter().map(|p| p.phi));
    let (low, high) = phis.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p), h.max(p)));
    if !low.is_finite() {
        return None;
    }
    let margin = (high - low).max(0.02);
    Some(if live_phi >= low - margin && live_phi <= high + margin {
        (low.min(live_phi), high.max(live_phi))
    } else {
        (low, high)
    })
}

/// The live run's line, where it falls inside the plots' range.
fn shows_live(range: Option<(f64, f64)>, live_phi: f64) -> bool {
    range.is_none_or(|(low, high)| (low..=high).contains(&live_phi))
}

fn activity_plot(ui: &mut egui::Ui, diagram: &PhaseDiagram, live_phi: f64, height: f32, range: Option<(f64, f64)>) {
    let live = live_colour(ui);
    ui.label(egui::RichText::new("Steady activity f_inf (solid), share absorbed (dashed)").strong());
    let response = axes(Plot::new("phase-activity"), "f_inf, share", false, range)
        .height(height)
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |plot| {
            for (i, scan) in diagram.scans.iter().enumerate() {
                let colour = scan_colour(i);
                let levels = levels(scan);
                let name = format!("scan {}", i + 1);
                let f: Vec<[f64; 2]> = levels.iter().map(|l| [l.phi, l.f_inf.0]).collect();
                let share: Vec<[f64; 2]> = levels.iter().map(|l| [l.phi, l.absorbed]).collect();
                plot.line(Line::new(name.clone(), PlotPoints::from(f.clone())).color(colour).width(2.0));
                plot.points(
                    Points::new(name.clone(), PlotPoints::from(f)).color(colour).shape(scan_marker(i)).radius(3.5),
                );
                for l in &levels {
                    let (y, e) = l.f_inf;
                    if e > 0.0 {
                        let bar = vec![[l.phi, y - e], [l.phi, y + e]];
                        plot.line(Line::new(name.clone(), PlotPoints::from(bar)).color(colour).width(1.5));
                    }
                }
                plot.line(
                    Line::new(name.clone(), PlotPoints::from(share))
                        .color(colour)
                        .width(1.5)
                        .style(LineStyle::dashed_dense()),
                );
                if let Some((phi_c, _, _)) = scan.estimate.as_ref().and_then(|e| e.half_absorbed) {
                    plot.vline(VLine::new(format!("phi_c {}", i + 1), phi_c).color(colour).width(1.5));
                }
            }
            if !diagram.pins.is_empty() {
                let pins: Vec<[f64; 2]> = diagram.pins.iter().map(|p| [p.phi, p.activity]).collect();
                plot.points(
                    Points::new("pinned", PlotPoints::from(pins)).color(live).shape(MarkerShape::Diamond).radius(5.0),
                );
            }
            if shows_live(range, live_phi) {
                plot.vline(VLine::new("this run", live_phi).color(live).width(1.0).style(LineStyle::dashed_loose()));
            }
        });
    line_tags(ui, &response, diagram, shows_live(range, live_phi).then_some(live_phi));
}

/// The mean tau of the runs at each phi (absorption time below phi_c,
/// relaxation time above), on a logarithmic axis.
fn tau_plot(ui: &mut egui::Ui, diagram: &PhaseDiagram, live_phi: f64, height: f32, range: Option<(f64, f64)>) {
    let live = live_colour(ui);
    ui.label(egui::RichText::new("tau: iterations to absorb (below phi_c) or to relax").strong());
    let response = axes(Plot::new("phase-tau"), "tau", true, range).height(height * 0.8).show(ui, |plot| {
        for (i, scan) in diagram.scans.iter().enumerate() {
            let colour = scan_colour(i);
            let tau: Vec<[f64; 2]> =
                levels(scan).iter().filter_map(|l| l.tau.filter(|&t| t > 0.0).map(|t| [l.phi, t.log10()])).collect();
            let name = format!("scan {}", i + 1);
            plot.line(Line::new(name.clone(), PlotPoints::from(tau.clone())).color(colour).width(2.0));
            plot.points(Points::new(name, PlotPoints::from(tau)).color(colour).shape(scan_marker(i)).radius(3.5));
            if let Some((phi_c, _, _)) = scan.estimate.as_ref().and_then(|e| e.half_absorbed) {
                plot.vline(VLine::new(format!("phi_c {}", i + 1), phi_c).color(colour).width(1.5));
            }
        }
        plot.vline(VLine::new("this run", live_phi).color(live).width(1.0).style(LineStyle::dashed_loose()));
    });
    line_tags(ui, &response, diagram, shows_live(range, live_phi).then_some(live_phi));
}

/// Both plots' axes: phi on x, labelled with the decimals their ticks need.
fn axes<'a>(plot: Plot<'a>, y: &str, log: bool, range: Option<(f64, f64)>) -> Plot<'a> {
    let (low, high) = range.unwrap_or((0.5, 0.6));
    plot.include_x(low)
        .include_x(high)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label("phi")
                .formatter(|mark: GridMark, _: &RangeInclusive<f64>| y_label(mark.value, mark.step_size, false)),
        ])
        .custom_y_axes(vec![
            AxisHints::new_y()
                .label(y.to_string())
                .formatter(move |mark: GridMark, _: &RangeInclusive<f64>| y_label(mark.value, mark.step_size, log))
                .min_thickness(44.0),
        ])
        .x_grid_spacer(one_five_spacer)
        .y_grid_spacer(one_five_spacer)
}

/// Names the vertical lines at the top of a plot: each scan's phi_c in its
/// colour and "this run" where the live run is; tags that would cover each
/// other go a row down.
fn line_tags(ui: &egui::Ui, response: &PlotResponse<()>, diagram: &PhaseDiagram, live_phi: Option<f64>) {
    let live = live_colour(ui);
    let mut lines: Vec<(String, f64, egui::Color32)> = diagram
        .scans
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (phi_c, _, _) = s.estimate.as_ref()?.half_absorbed?;
            Some((format!("phi_c {}", i + 1), phi_c, scan_colour(i)))
        })
        .collect();
    if let Some(phi) = live_phi {
        lines.push(("this run".into(), phi, live));
    }
    let frame = *response.transform.frame();
    let painter = ui.painter().with_clip_rect(frame);
    let font = egui::TextStyle::Small.resolve(ui.style());
    let tags: Vec<(egui::Rect, std::sync::Arc<egui::Galley>, egui::Color32)> = lines
        .into_iter()
        .map(|(text, phi, colour)| {
            let x = response.transform.position_from_point(&PlotPoint::new(phi, 0.0)).x;
            let galley = painter.layout_no_wrap(text, font.clone(), colour);
            let (anchor, at) = if x > frame.right() - 60.0 {
                (egui::Align2::RIGHT_TOP, egui::pos2(x - 2.0, frame.top() + 1.0))
            } else {
                (egui::Align2::LEFT_TOP, egui::pos2(x + 2.0, frame.top() + 1.0))
            };
            (anchor.anchor_size(at, galley.size()), galley, colour)
        })
        .collect();
    let spans: Vec<(f32, f32)> = tags.iter().map(|(r, _, _)| (r.left(), r.right())).collect();
    for ((rect, galley, colour), row) in tags.into_iter().zip(tag_rows(&spans, TAG_ROWS)) {
        if let Some(row) = row {
            painter.galley(rect.min + egui::vec2(0.0, row as f32 * rect.height()), galley, colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_scans_are_told_apart_by_colour_and_marker() {
        let looks: Vec<(egui::Color32, String)> =
            (0..20).map(|i| (scan_colour(i), format!("{:?}", scan_marker(i)))).collect();
        for (i, a) in looks.iter().enumerate() {
            for (j, b) in looks.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "scans {} and {} look alike", i + 1, j + 1);
            }
        }
    }
}
