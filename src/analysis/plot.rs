//! PNG figures of measured data: points with error bars, one colour per
//! series from the Okabe-Ito palette (readable with any colour vision), axis
//! labels with units, a legend. The font is embedded (DejaVu Sans,
//! assets/fonts), so no system fonts are needed.

use crate::error::{Error, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// Okabe and Ito's colour-blind-safe palette, without its black and yellow.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

/// Size of a one-panel figure, in pixels.
pub const SIZE: (u32, u32) = (960, 680);
/// Size of each panel of a figure with several, in pixels.
pub const PANEL: (u32, u32) = (760, 560);

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType font, checked by the tests.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// One set of points with errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its legend entry.
    pub label: String,
    /// (x, y, error of y).
    pub points: Vec<(f64, f64, f64)>,
}

/// What a figure shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Title above the plot.
    pub title: String,
    /// x axis label, with its unit.
    pub x_label: String,
    /// y axis label, with its unit.
    pub y_label: String,
    /// Logarithmic x axis (x > 0).
    pub log_x: bool,
    /// Logarithmic y axis (y > 0; error bars reaching 0 are cut there).
    pub log_y: bool,
    /// The data.
    pub series: Vec<Series>,
}

impl Figure {
    /// Draws the figure into a PNG at `path` (written to a temporary file
    /// first, so an error leaves no half-drawn picture).
    pub fn save_png(&self, path: &Path) -> Result<()> {
        save_panels(std::slice::from_ref(self), 1, SIZE, path)
    }

    /// Checks that there is something to draw and that it fits the axes.
    fn check(&self) -> Result<()> {
        let mut points = self.series.iter().flat_map(|s| s.points.iter()).peekable();
        if points.peek().is_none() {
            return Err(Error::invalid("figure", &self.title, "at least one point to draw"));
        }
        if points.any(|p| self.log_x && p.0 <= 0.0 || self.log_y && p.1 <= 0.0) {
            return Err(Error::invalid("figure", &self.title, "positive values on a logarithmic axis"));
        }
        Ok(())
    }

    /// Draws the figure into `area`, with axes fitted to its points.
    fn draw_in(&self, area: &Area<'_>) -> DrawResult {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let range = |values: Vec<f64>, log: bool| {
            let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if log {
                return (lo / 1.25)..(hi * 1.25);
            }
            let pad = 0.05 * (hi - lo).max(1e-12 * hi.abs().max(1.0));
            (lo - pad)..(hi + pad)
        };
        let xs = range(points().map(|p| p.0).collect(), self.log_x);
        let low = |p: &(f64, f64, f64)| if self.log_y && p.1 - p.2 <= 0.0 { p.1 / 2.0 } else { p.1 - p.2 };
        let ys = range(points().flat_map(|p| [low(p), p.1 + p.2]).collect(), self.log_y);
        let legend = self.legend_corner(&xs, &ys);
        // Log axes get ticks at 1, 2 and 5 times powers of ten.
        let log = |r: std::ops::Range<f64>| {
            let ticks = log_ticks(r.start, r.end);
            r.log_scale().with_key_points(ticks)
        };
        match (self.log_x, self.log_y) {
            (false, false) => self.draw(area, xs, ys, legend),
            (true, false) => self.draw(area, log(xs), ys, legend),
            (false, true) => self.draw(area, xs, log(ys), legend),
            (true, true) => self.draw(area, log(xs), log(ys), legend),
        }
    }

    /// The corner whose legend-sized patch (the outer 45% across, 30% down
    /// or up) covers the fewest points: the upper left one among equals.
    fn legend_corner(&self, xs: &std::ops::Range<f64>, ys: &std::ops::Range<f64>) -> SeriesLabelPosition {
        let unit = |v: f64, r: &std::ops::Range<f64>, log: bool| {
            if log { (v.ln() - r.start.ln()) / (r.end.ln() - r.start.ln()) } else { (v - r.start) / (r.end - r.start) }
        };
        let points: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| (unit(p.0, xs, self.log_x), unit(p.1, ys, self.log_y)))
            .collect();
        let corners = [
            (SeriesLabelPosition::UpperLeft, false, true),
            (SeriesLabelPosition::UpperRight, true, true),
            (SeriesLabelPosition::LowerLeft, false, false),
            (SeriesLabelPosition::LowerRight, true, false),
        ];
        let covered = |right: bool, upper: bool| {
            points
                .iter()
                .filter(|(x, y)| {
                    (if right { *x > 0.55 } else { *x < 0.45 }) && (if upper { *y > 0.7 } else { *y < 0.3 })
                })
                .count()
        };
        let best = corners.iter().min_by_key(|(_, right, upper)| covered(*right, *upper)).map(|c| c.0.clone());
        best.unwrap_or(SeriesLabelPosition::UpperLeft)
    }

    fn draw<X, Y>(&self, root: &Area<'_>, xs: X, ys: Y, legend: SeriesLabelPosition) -> DrawResult
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 26))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(xs, ys)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 20))
            .light_line_style(WHITE.mix(0.0))
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .draw()?;
        for (k, series) in self.series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let low = |y: f64, e: f64| if self.log_y && y - e <= 0.0 { y / 2.0 } else { y - e };
            chart.draw_series(
                series.points.iter().map(|&(x, y, e)| ErrorBar::new_vertical(x, low(y, e), y, y + e, color, 8)),
            )?;
            // Shapes as well as colours, so that series on top of each other
            // stay apart and print in grey.
            let at = series.points.iter().map(|&(x, y, _)| (x, y));
            let drawn = match k % 3 {
                0 => chart.draw_series(at.map(|p| Circle::new(p, 6, color.filled())))?,
                1 => chart.draw_series(at.map(|p| TriangleMarker::new(p, 7, color.filled())))?,
                _ => chart.draw_series(at.map(|p| Cross::new(p, 6, color.stroke_width(2))))?,
            };
            drawn.label(series.label.as_str()).legend(
                move |(x, y)| -> DynElement<'static, BitMapBackend<'_>, (i32, i32)> {
                    match k % 3 {
                        0 => Circle::new((x + 10, y), 6, color.filled()).into_dyn(),
                        1 => TriangleMarker::new((x + 10, y), 7, color.filled()).into_dyn(),
                        _ => Cross::new((x + 10, y), 6, color.stroke_width(2)).into_dyn(),
                    }
                },
            );
        }
        chart
            .configure_series_labels()
            .position(legend)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 18))
            .draw()?;
        Ok(())
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws `figures` as panels of `panel` pixels each, `columns` to a row, into
/// one PNG at `path` (written to a temporary file first, so an error leaves
/// no half-drawn picture).
pub fn save_panels(figures: &[Figure], columns: usize, panel: (u32, u32), path: &Path) -> Result<()> {
    register_font();
    if figures.is_empty() || columns == 0 {
        return Err(Error::invalid("figure panels", figures.len(), "at least one panel in at least one column"));
    }
    for figure in figures {
        figure.check()?;
    }
    let rows = figures.len().div_ceil(columns);
    let size = (panel.0 * columns.min(figures.len()) as u32, panel.1 * rows as u32);
    let name = path.file_name().map_or("figure.png".into(), |n| n.to_string_lossy().into_owned());
    // The encoder picks PNG by the extension: the temporary name keeps it.
    let tmp = path.with_file_name(format!(".{name}.tmp.png"));
    let drawn = (|| -> DrawResult {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE)?;
        let areas = root.split_evenly((rows, columns.min(figures.len())));
        for (figure, area) in figures.iter().zip(&areas) {
            figure.draw_in(area)?;
        }
        root.present()?;
        Ok(())
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, std::io::Error::other(e.to_string())));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// A tick value as people write it: 2000, not 2000.0; 0.3, not
/// 0.30000000000000004 (six significant digits at most).
fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    let rounded = if digits >= 0 {
        let scale = 10f64.powi(digits);
        (v * scale).round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        (v / scale).round() * scale
    };
    format!("{rounded}")
}

/// 1, 2 and 5 times the powers of ten within [lo, hi], or every integer
/// multiple where that leaves fewer than three.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
    let pick = |multiples: &[f64]| -> Vec<f64> {
        decades
            .clone()
            // Divided, not multiplied, below 1: 3 / 10 is the double nearest 0.3.
            .flat_map(|e| multiples.iter().map(move |m| if e < 0 { m / 10f64.powi(-e) } else { m * 10f64.powi(e) }))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks = pick(&[1.0, 2.0, 5.0]);
    if ticks.len() >= 3 { ticks } else { pick(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_one_two_five() {
        assert_eq!(log_ticks(0.004, 0.25), vec![0.005, 0.01, 0.02, 0.05, 0.1, 0.2]);
        assert_eq!(log_ticks(0.25, 0.9), vec![0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    }

    #[test]
    fn tick_labels_drop_noise_digits() {
        assert_eq!(tick_label(2000.0), "2000");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(-0.35), "-0.35");
        assert_eq!(tick_label(0.512), "0.512");
        assert_eq!(tick_label(1.5e7), "15000000");
        assert_eq!(tick_label(0.0), "0");
    }

    #[test]
    fn the_embedded_font_is_a_font() {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        assert!(plotters::style::register_font("test-font", FontStyle::Normal, bytes).is_ok());
    }
}
