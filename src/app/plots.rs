//! The live plots: activity, energy per particle and MSD against iteration,
//! over the whole run or a recent window, with a labelled marker wherever a
//! parameter changed and, faintly, the run before the last restart; while
//! two runs are compared, both in their colours.

use super::history::{History, Marker, Point};
use super::simulation::PlotHistory;
use bevy_egui::egui;
use egui_plot::{AxisHints, GridInput, GridMark, Line, Plot, PlotPoint, PlotPoints, VLine};
use std::ops::RangeInclusive;

/// How much of the run the plots show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlotSpan {
    /// From iteration 0.
    #[default]
    WholeRun,
    /// The last this many iterations, every one of them.
    Last(usize),
}

/// What the right-hand panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PlotTab {
    /// Activity, energy and MSD of the live run against iteration.
    #[default]
    TimeSeries,
    /// Scans of phi and the pinned states of the live run.
    PhaseDiagram,
}

/// What the plots show: the person's choices in the plots' panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotOptions {
    /// The time series or the phase diagram.
    pub tab: PlotTab,
    /// How much of the run.
    pub span: PlotSpan,
    /// Logarithmic y axes on the activity and energy plots.
    pub log_y: bool,
    /// The run before the last restart, faint.
    pub show_previous: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self { tab: PlotTab::TimeSeries, span: PlotSpan::WholeRun, log_y: false, show_previous: true }
    }
}

/// The recent windows offered besides the whole run.
pub const SPANS: [(PlotSpan, &str); 3] =
    [(PlotSpan::WholeRun, "whole run"), (PlotSpan::Last(1_000), "last 1k"), (PlotSpan::Last(10_000), "last 10k")];
/// Room for the y axis' tick labels, in points.
const Y_AXIS_WIDTH: f32 = 44.0;
/// Iteration labels are short (`1.5k`): they need less room than
/// egui_plot's default of 60 to 80 points between ticks. The ranges are
/// narrow so that a label is either shown in full or not at all (egui_plot
/// fades labels across the range, too faint for a projector).
const X_LABEL_SPACING: std::ops::RangeInclusive<f32> = 30.0..=30.5;
/// Room between two y tick labels, in points (see [`X_LABEL_SPACING`]).
const Y_LABEL_SPACING: std::ops::RangeInclusive<f32> = 22.0..=22.5;
/// Room on the right of each plot for the last iteration tick's label, in points.
const RIGHT_MARGIN: f32 = 16.0;
/// The colour of change markers: Okabe-Ito orange.
const MARKER_COLOUR: egui::Color32 = egui::Color32::from_rgb(230, 159, 0);
/// A marker is hovered within this many points of the pointer.
const MARKER_HOVER: f32 = 6.0;
/// Rows of marker tags at the top of a plot: a tag that would cover the one
/// before it goes a row down, and past the last row it is left out (its
/// line and hover text stay).
pub(super) const TAG_ROWS: usize = 3;
/// Room kept between two tags in a row, in points.
const TAG_GAP: f32 = 3.0;

/// Ticks every 1 or 2 times a power of ten (iterations: 0, 200, 400).
pub fn one_two_spacer(input: GridInput) -> Vec<GridMark> {
    nested_spacer(input, 2.0)
}

/// Ticks every 1 or 5 times a power of ten (values: 0.85, 0.9, 0.95).
pub fn one_five_spacer(input: GridInput) -> Vec<GridMark> {
    nested_spacer(input, 5.0)
}

/// Ticks every 1 or `m` times a power of ten: each mark's step is the
/// coarsest of these steps it is a multiple of, so the axis labels the
/// coarsest ticks that leave room for their text (egui_plot's default, a
/// power-of-ten grid, often leaves a short axis with one label). The steps
/// nest (each divides the next), so labels of two levels never crowd each
/// other, as 0.94 and 0.95 would with steps of 2 and 5 together.
fn nested_spacer(input: GridInput, m: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    let base = input.base_step_size.max(span / 1000.0);
    let mut steps = Vec::new();
    let mut exponent = base.log10().floor() as i32;
    while steps.last().is_none_or(|&s| s < span) {
        for m in [1.0, m] {
            let s = m * 10f64.powi(exponent);
            if s >= base {
                steps.push(s);
            }
        }
        exponent += 1;
    }
    let finest = steps[0];
    let first = (lo / finest).ceil() as i64;
    let last = (hi / finest).floor() as i64;
    (first..=last)
        .map(|i| {
            let value = i as f64 * finest;
            let step_size = steps
                .iter()
                .rev()
                .find(|&&s| ((value / s).round() * s - value).abs() <= 1e-9 * s)
                .copied()
                .unwrap_or(finest);
            GridMark { value, step_size }
        })
        .collect()
}

/// An iteration for an axis: `0`, `500`, `1.5k`, `20k`, `2M`.
pub fn iteration_label(x: f64) -> String {
    let trim = |v: f64| {
        let text = format!("{v:.1}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(x / 1e3))
    } else {
        trim(x)
    }
}

/// A y value for an axis with as many decimals as its tick's step needs
/// (`0.25`, `0.992`), powers of ten for the very small and large (`3e-4`);
/// on a logarithmic axis the power itself (`1e-3`).
pub(super) fn y_label(y: f64, step: f64, log: bool) -> String {
    if log {
        // Only whole decades: half-decade ticks would round to the same label.
        let decade = y.round();
        return if (y - decade).abs() < 1e-9 { format!("1e{}", decade as i64) } else { String::new() };
    }
    let a = y.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{y:.0e}");
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{y:.decimals$}")
}

/// A value for the hover readout: four significant digits.
fn readout(y: f64) -> String {
    if y != 0.0 && !(1e-3..1e5).contains(&y.abs()) { format!("{y:.3e}") } else { format!("{y:.4}") }
}

/// One quantity to plot.
struct Series<'a> {
    id: &'a str,
    title: &'a str,
    axis: String,
    value: fn(&Point) -> f64,
    log: bool,
}

/// Activity, energy and MSD against iteration, with markers where a parameter changed.
pub fn plots_ui(ui: &mut egui::Ui, history: &PlotHistory, state: &mut PlotOptions) {
    ui.horizontal_wrapped(|ui| {
        for (span, label) in SPANS {
            ui.radio_value(&mut state.span, span, label);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut state.log_y, "logarithmic y");
        let offered = history.previous.is_some() && history.partner.is_none();
        ui.add_enabled(offered, egui::Checkbox::new(&mut state.show_previous, "previous run"))
            .on_hover_text("The run before the last restart, faint, for comparison");
    });
    let log = state.log_y;
    let prefix = if log { "log10 " } else { "" };
    let partner = history.partner.as_ref();
    if partner.is_some() {
        // The legend of both runs, in the colours of the labels over their views.
        ui.horizontal_wrapped(|ui| {
            let [a, b] = super::compare::run_colours(ui);
            ui.colored_label(a, "— run A (left)");
            ui.colored_label(b, "— run B (right)");
        });
    }
    let height = ((ui.available_height() - 3.0 * 28.0) / 3.0).max(110.0);
    // While comparing, the previous run would be a third line to tell apart.
    let previous = history.previous.as_ref().filter(|_| state.show_previous && partner.is_none());
    let all = [
        Series {
            id: "activity",
            title: "Activity f_a (share of spheres overlapping)",
            axis: format!("{prefix}f_a"),
            value: |p| p.activity,
            log,
        },
        Series {
            id: "energy",
            title: "Energy per particle e = U/N",
            axis: format!("{prefix}e (diameters)"),
            value: |p| p.energy,
            log,
        },
        Series {
            id: "msd",
            title: "Mean square displacement",
            axis: "MSD (diameters^2)".into(),
            value: |p| p.msd,
            log: false,
        },
    ];
    for series in &all {
        ui.label(egui::RichText::new(series.title).strong());
        // Room for the top tick label, which reaches above the plot's frame.
        ui.add_space(6.0);
        let runs = Runs { this: &history.current, previous, partner, cursor: history.cursor };
        plot_ui(ui, series, runs, state.span, height);
    }
}

/// The points of `history` in the span, as (iteration, value) pairs.
fn points(history: &History, span: PlotSpan, series: &Series) -> Vec<[f64; 2]> {
    let pick = |p: &Point| {
        let y = (series.value)(p);
        if series.log { (y > 0.0).then(|| [p.iteration, y.log10()]) } else { Some([p.iteration, y]) }
    };
    match span {
        PlotSpan::WholeRun => history.points().iter().filter_map(pick).collect(),
        PlotSpan::Last(n) => history.recent(n).filter_map(pick).collect(),
    }
}

/// The least y range a plot shows: its values' own, widened where they
/// are all the same (an absorbed run's activity, a settled MSD) or absent
/// (a logarithmic plot of zeros); egui_plot would otherwise stretch a flat
/// line's range to the width of the x range.
fn y_extent(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| (l.min(y), h.max(y)));
    if !(low.is_finite() && high.is_finite()) || (!log && low == 0.0 && high == 0.0) {
        return if log { (-3.0, 0.0) } else { (0.0, 1.0) };
    }
    // Two decades on a logarithmic axis hold two labelled ticks at least.
    let least = if log { 2.0 } else { (0.1 * high.abs().max(low.abs())).max(1e-3) };
    if high - low >= least {
        return (low, high);
    }
    let centre = 0.5 * (low + high);
    (centre - least / 2.0, centre + least / 2.0)
}

/// The histories one plot draws.
#[derive(Clone, Copy)]
struct Runs<'a> {
    /// This run (run A while comparing).
    this: &'a History,
    /// The run before the last restart, faint.
    previous: Option<&'a History>,
    /// The compared run (run B).
    partner: Option<&'a History>,
    /// The iteration a replay shows.
    cursor: Option<f64>,
}

/// One plot of `series`: this run, the previous run (faint) and the compared run.
fn plot_ui(ui: &mut egui::Ui, series: &Series, runs: Runs, span: PlotSpan, height: f32) {
    let Runs { this: history, previous, partner, cursor } = runs;
    let data = points(history, span, series);
    let last = history.recent(1).next().map_or(0.0, |p| p.iteration);
    let x_min = match span {
        PlotSpan::WholeRun => 0.0,
        PlotSpan::Last(n) => (last - n as f64).max(0.0),
    };
    let ghost: Vec<[f64; 2]> = previous
        .map(|h| {
            points(h, PlotSpan::WholeRun, series)
                .into_iter()
                .filter(|p| p[0] >= x_min && p[0] <= last.max(1.0))
                .collect()
        })
        .unwrap_or_default();
    let other = partner.map(|h| points(h, span, series)).unwrap_or_default();
    let log = series.log;
    let (y_low, y_high) = y_extent(data.iter().chain(&ghost).chain(&other).map(|p| p[1]), log);
    let markers: Vec<&Marker> = history.markers().iter().filter(|m| m.iteration >= x_min).collect();
    let width = (ui.available_width() - RIGHT_MARGIN).max(80.0);
    // A column a pixel: at most four points a column (first, lowest,
    // highest, last) draw the same pixels as every point in it.
    let columns = (width * ui.ctx().pixels_per_point()) as usize;
    let x_max = last.max(x_min + 1.0);
    let (drawn, ghost) = (thin(&data, x_min, x_max, columns), thin(&ghost, x_min, x_max, columns));
    let other = thin(&other, x_min, x_max, columns);
    let colours = super::compare::run_colours(ui);
    let response = Plot::new(series.id)
        .height(height)
        .width(width)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .auto_bounds(egui::Vec2b::new(true, true))
        .include_x(x_min)
        .include_x(last.max(x_min + 1.0))
        .include_y(y_low)
        .include_y(y_high)
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label("iteration")
                .formatter(|mark: GridMark, _range: &RangeInclusive<f64>| iteration_label(mark.value))
                .label_spacing(X_LABEL_SPACING),
        ])
        .custom_y_axes(vec![
            AxisHints::new_y()
                .label(series.axis.clone())
                .formatter(move |mark: GridMark, _range: &RangeInclusive<f64>| y_label(mark.value, mark.step_size, log))
                .label_spacing(Y_LABEL_SPACING)
                .min_thickness(Y_AXIS_WIDTH),
        ])
        .x_grid_spacer(one_two_spacer)
        .y_grid_spacer(one_five_spacer)
        // One hover text, written below: a marker's changes or the value under the pointer.
        .label_formatter(|_| None)
        .show(ui, |plot| {
            if !ghost.is_empty() {
                plot.line(
                    Line::new("previous run", PlotPoints::from(ghost))
                        .color(egui::Color32::from_gray(110))
                        .width(1.0)
                        .allow_hover(false),
                );
            }
            if partner.is_some() {
                let [a, b] = colours;
                plot.line(Line::new("run A", PlotPoints::from(drawn)).color(a).width(1.5).allow_hover(false));
                plot.line(Line::new("run B", PlotPoints::from(other)).color(b).width(1.5).allow_hover(false));
            } else {
                plot.line(Line::new("this run", PlotPoints::from(drawn)).width(1.5).allow_hover(false));
            }
            if let Some(at) = cursor {
                plot.vline(VLine::new("replayed frame", at).color(egui::Color32::GRAY).width(1.5).allow_hover(false));
            }
            for m in &markers {
                plot.vline(VLine::new(m.tag(), m.iteration).color(MARKER_COLOUR).width(1.0).allow_hover(false));
            }
            plot.pointer_coordinate()
        });
    // Tags are painted over the plot in screen space: as plot items they
    // would count in the y range and push it up every frame.
    let frame = *response.transform.frame();
    let painter = ui.painter().with_clip_rect(frame);
    let font = egui::TextStyle::Small.resolve(ui.style());
    let pointer_x = response.response.hover_pos().map(|p| p.x);
    let mut hovered = None;
    let mut tags = Vec::with_capacity(markers.len());
    for m in &markers {
        let x = response.transform.position_from_point(&PlotPoint::new(m.iteration, 0.0)).x;
        let near_right = x > frame.right() - 60.0;
        let (anchor, at) = if near_right {
            (egui::Align2::RIGHT_TOP, egui::pos2(x - 2.0, frame.top() + 1.0))
        } else {
            (egui::Align2::LEFT_TOP, egui::pos2(x + 2.0, frame.top() + 1.0))
        };
        let galley = painter.layout_no_wrap(m.tag(), font.clone(), MARKER_COLOUR);
        tags.push((anchor.anchor_size(at, galley.size()), galley));
        if pointer_x.is_some_and(|p| (p - x).abs() <= MARKER_HOVER) {
            hovered = Some(m.describe());
        }
    }
    let spans: Vec<(f32, f32)> = tags.iter().map(|(rect, _)| (rect.left(), rect.right())).collect();
    for ((rect, galley), row) in tags.into_iter().zip(tag_rows(&spans, TAG_ROWS)) {
        if let Some(row) = row {
            let down = egui::vec2(0.0, row as f32 * rect.height());
            painter.galley(rect.min + down, galley, MARKER_COLOUR);
        }
    }
    // Else the value of this run at the iteration under the pointer.
    let text = hovered.or_else(|| {
        let x = response.inner?.x;
        let i = data.partition_point(|p| p[0] < x);
        let nearest = [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|k| data.get(k))
            .min_by(|a, b| (a[0] - x).abs().total_cmp(&(b[0] - x).abs()))?;
        Some(format!("iteration {}\n{} = {}", nearest[0], series.axis, readout(nearest[1])))
    });
    if let Some(text) = text {
        response.response.on_hover_text_at_pointer(text);
    }
}

/// The points of a line (sorted by x) that draw it at `columns` columns
/// across [x_min, x_max]: in each column the first, the lowest, the highest
/// and the last, in their order. A long run's 4096 points become at most
/// four a column, and the line covers the same pixels (egui tessellates
/// every segment: 3 plots of 4096 points were 90 000 triangles a frame).
fn thin(points: &[[f64; 2]], x_min: f64, x_max: f64, columns: usize) -> Vec<[f64; 2]> {
    if points.len() <= 4 * columns || columns == 0 {
        return points.to_vec();
    }
    let per_x = columns as f64 / (x_max - x_min).max(f64::MIN_POSITIVE);
    let column = |p: &[f64; 2]| ((p[0] - x_min) * per_x).floor() as i64;
    let mut out = Vec::with_capacity(4 * columns + 4);
    for run in points.chunk_by(|a, b| column(a) == column(b)) {
        let (first, last) = (0, run.len() - 1);
        let low = (0..run.len()).min_by(|&a, &b| run[a][1].total_cmp(&run[b][1])).unwrap_or(first);
        let high = (0..run.len()).max_by(|&a, &b| run[a][1].total_cmp(&run[b][1])).unwrap_or(first);
        let mut keep = [first, low, high, last];
        keep.sort_unstable();
        let mut previous = None;
        for k in keep {
            if previous != Some(k) {
                out.push(run[k]);
                previous = Some(k);
            }
        }
    }
    out
}

/// The row of each tag, given its horizontal extent (left, right) in the
/// order painted: the first row whose last tag it does not come within
/// [`TAG_GAP`] of; None where every one of `rows` rows is taken.
pub(super) fn tag_rows(spans: &[(f32, f32)], rows: usize) -> Vec<Option<usize>> {
    let mut last: Vec<(f32, f32)> = Vec::with_capacity(rows);
    spans
        .iter()
        .map(|&(left, right)| {
            let clear = |&(l, r): &(f32, f32)| left >= r + TAG_GAP || right + TAG_GAP <= l;
            let row = last.iter().position(clear).or((last.len() < rows).then_some(last.len()))?;
            if row == last.len() {
                last.push((left, right));
            } else {
                last[row] = (left, right);
            }
            Some(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinned_lines_keep_each_columns_ends_and_extremes() {
        // 4096 points of a noisy decay over 100 columns: at most four a
        // column, in order, and every column's first, last, lowest and
        // highest point kept exactly.
        let points: Vec<[f64; 2]> =
            (0..4096).map(|i| [i as f64, (-(i as f64) / 1000.0).exp() + 0.1 * ((i * 7919) % 13) as f64]).collect();
        let thinned = thin(&points, 0.0, 4096.0, 100);
        assert!(thinned.len() <= 400 && thinned.len() >= 200, "{}", thinned.len());
        assert!(thinned.windows(2).all(|w| w[0][0] < w[1][0]));
        for c in 0..100 {
            let (from, to) = ((c as f64 * 40.96).ceil() as usize, (((c + 1) as f64 * 40.96).ceil() as usize).min(4096));
            let column = &points[from..to];
            let kept: Vec<&[f64; 2]> = thinned.iter().filter(|p| p[0] >= from as f64 && p[0] < to as f64).collect();
            let ys = |v: &[&[f64; 2]]| {
                v.iter().map(|p| p[1]).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| (l.min(y), h.max(y)))
            };
            assert_eq!(ys(&column.iter().collect::<Vec<_>>()), ys(&kept), "column {c}");
            assert_eq!((kept[0], kept[kept.len() - 1]), (&column[0], &column[column.len() - 1]), "column {c}");
        }
        // Short lines are drawn as they are.
        assert_eq!(thin(&points[..300], 0.0, 300.0, 100), points[..300].to_vec());
    }

    #[test]
    fn marker_tags_that_would_overlap_go_a_row_down() {
        // "lr" at 100 and "phi" 10 points later overlap: the second goes
        // down; a tag far to the right shares the first row again.
        let spans = [(100.0, 112.0), (110.0, 126.0), (300.0, 320.0)];
        assert_eq!(tag_rows(&spans, 3), vec![Some(0), Some(1), Some(0)]);
        // Four tags on one spot: three rows, the fourth left out.
        let crowded = [(50.0, 70.0); 4];
        assert_eq!(tag_rows(&crowded, 3), vec![Some(0), Some(1), Some(2), None]);
        // Tags just apart share a row; the gap is kept.
        assert_eq!(tag_rows(&[(0.0, 10.0), (13.0, 20.0)], 3), vec![Some(0), Some(0)]);
        assert_eq!(tag_rows(&[(0.0, 10.0), (12.0, 20.0)], 3), vec![Some(0), Some(1)]);
    }

    #[test]
    fn ticks_fall_on_nested_steps_of_one_and_two() {
        let marks = one_two_spacer(GridInput { bounds: (0.0, 400.0), base_step_size: 8.0 });
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, (0..=40).map(|i| i as f64 * 10.0).collect::<Vec<_>>());
        let step = |v: f64| marks.iter().find(|m| m.value == v).unwrap().step_size;
        assert_eq!((step(10.0), step(20.0), step(100.0), step(200.0), step(400.0)), (10.0, 20.0, 100.0, 200.0, 200.0));
        // A narrow range of activity: 0.95 is a coarser tick than 0.94, 0.9 than both.
        let marks = one_five_spacer(GridInput { bounds: (0.85, 1.0), base_step_size: 0.004 });
        let step = |v: f64| marks.iter().find(|m| (m.value - v).abs() < 1e-12).unwrap().step_size;
        assert!((step(0.95) - 0.05).abs() < 1e-12 && (step(0.94) - 0.01).abs() < 1e-12);
        assert!((step(0.9) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn flat_or_empty_series_get_a_readable_range() {
        assert_eq!(y_extent([0.2, 0.8].into_iter(), false), (0.2, 0.8));
        let (low, high) = y_extent([0.4367; 50].into_iter(), false);
        assert!(low < 0.4367 && high > 0.4367 && high - low < 0.1, "{low} {high}");
        assert_eq!(y_extent([0.0; 50].into_iter(), false), (0.0, 1.0));
        let (low, high) = y_extent([1e-5; 50].into_iter(), false);
        assert!(low < 1e-5 && high > 1e-5 && high - low <= 1e-3, "{low} {high}");
        assert_eq!(y_extent(std::iter::empty(), true), (-3.0, 0.0));
        assert_eq!(y_extent(std::iter::empty(), false), (0.0, 1.0));
    }

    #[test]
    fn logarithmic_ticks_are_labelled_at_whole_decades_only() {
        assert_eq!(y_label(-2.0, 1.0, true), "1e-2");
        assert_eq!(y_label(-1.5, 0.5, true), "");
        assert_eq!(y_label(0.992, 0.001, false), "0.992");
        assert_eq!(y_label(0.95, 0.05, false), "0.95");
    }

    #[test]
    fn iteration_ticks_read_with_suffixes() {
        assert_eq!(iteration_label(0.0), "0");
        assert_eq!(iteration_label(500.0), "500");
        assert_eq!(iteration_label(1500.0), "1.5k");
        assert_eq!(iteration_label(20_000.0), "20k");
        assert_eq!(iteration_label(2_000_000.0), "2M");
        assert_eq!(iteration_label(2_500_000.0), "2.5M");
    }
}
