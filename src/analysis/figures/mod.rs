//! The paper's figures at laptop scale, each one function that runs what it
//! needs and returns the table behind the picture: Fig. 3
//! (`activity_vs_phi`), Fig. 4b (`flatness_vs_batch`), Fig. 5a
//! (`msd_vs_step`) and Fig. 5b (`phi_c_vs_step`).

mod activity_vs_phi;
mod flatness_vs_batch;
mod msd_vs_step;
mod phi_c_vs_step;

pub use activity_vs_phi::{ActivityCollapse, ActivityLevel, ActivityResult, ActivityVsPhi};
pub use flatness_vs_batch::{FlatnessPoint, FlatnessVsBatch};
pub use msd_vs_step::{MsdPoint, MsdVsStep};
pub use phi_c_vs_step::{PhiCPoint, PhiCVsStep};

use super::merge::{self, Row};
use super::sweep::{self, Grid, Outcome, Point, Shard};
use crate::error::Result;
use std::path::Path;

/// Mean and standard error of `values` (None for fewer than two).
pub(super) fn mean_and_error(values: &[f64]) -> Option<(f64, f64)> {
    let k = values.len() as f64;
    (values.len() >= 2).then(|| {
        let mean = values.iter().sum::<f64>() / k;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
        (mean, (var / k).sqrt())
    })
}

/// Runs the points of `grid` that `dir` does not hold yet and returns every
/// finished run of the grid (not other points the directory may hold).
pub(super) fn run_grid(grid: &Grid, dir: &Path, progress: impl Fn(&Point, &Outcome) + Sync) -> Result<Vec<Row>> {
    sweep::run(grid, dir, Shard::ALL, progress)?;
    let wanted: std::collections::BTreeSet<String> = grid.points()?.iter().map(Point::id).collect();
    let (rows, _) = merge::gather(&[dir.to_path_buf()])?;
    Ok(rows.into_iter().filter(|r| wanted.contains(&r.id)).collect())
}
