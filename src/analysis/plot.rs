//! PNG figures of measured data: points with error bars, one colour per
//! series from the Okabe-Ito palette (readable with any colour vision), axis
//! labels with units, a legend. The font is embedded (DejaVu Sans,
//! assets/fonts), so no system fonts are needed.

use crate::error::{Error, Result};
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

/// Figure size in pixels.
const SIZE: (u32, u32) = (960, 680);

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
    /// The data.
    pub series: Vec<Series>,
}

impl Figure {
    /// Draws the figure into a PNG at `path` (written to a temporary file
    /// first, so an error leaves no half-drawn picture).
    pub fn save_png(&self, path: &Path) -> Result<()> {
        register_font();
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        if points().next().is_none() {
            return Err(Error::invalid("figure", &self.title, "at least one point to draw"));
        }
        let range = |values: Vec<f64>| {
            let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.05 * (hi - lo).max(1e-12 * hi.abs().max(1.0));
            (lo - pad)..(hi + pad)
        };
        let xs = range(points().map(|p| p.0).collect());
        let ys = range(points().flat_map(|p| [p.1 - p.2, p.1 + p.2]).collect());
        let name = path.file_name().map_or("figure.png".into(), |n| n.to_string_lossy().into_owned());
        // The encoder picks PNG by the extension: the temporary name keeps it.
        let tmp = path.with_file_name(format!(".{name}.tmp.png"));
        let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
            let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 26))
                .margin(20)
                .x_label_area_size(60)
                .y_label_area_size(90)
                .build_cartesian_2d(xs.clone(), ys.clone())?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&self.y_label)
                .label_style(("sans-serif", 18))
                .axis_desc_style(("sans-serif", 20))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (k, series) in self.series.iter().enumerate() {
                let color = PALETTE[k % PALETTE.len()];
                chart.draw_series(
                    series.points.iter().map(|&(x, y, e)| ErrorBar::new_vertical(x, y - e, y, y + e, color, 8)),
                )?;
                chart
                    .draw_series(series.points.iter().map(|&(x, y, _)| Circle::new((x, y), 4, color.filled())))?
                    .label(series.label.as_str())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 18))
                .draw()?;
            root.present()?;
            Ok(())
        };
        let drawn = draw();
        if let Err(e) = drawn {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(path, std::io::Error::other(e.to_string())));
        }
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_is_a_font() {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        assert!(plotters::style::register_font("test-font", FontStyle::Normal, bytes).is_ok());
    }
}
