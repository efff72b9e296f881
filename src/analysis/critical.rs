//! phi_c of each scheme and step size in a merged sweep, two ways: the phi
//! where half the runs are absorbed, and a fit of f_inf = A (phi - phi_c)^beta
//! to the mean activity of the surviving runs above phi_c.

use super::collapse::{curvature_errors, nelder_mead};
use super::merge::{Row, group_texts};
use crate::error::{Error, Result};
use crate::io::table::Table;
use std::collections::BTreeMap;
use std::path::Path;

/// One run of a merged sweep, as far as phi_c is concerned.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The scheme, its step size and batch, the potential, d and N, as a label.
    pub group: String,
    /// The same without N: the runs a finite-size collapse puts together.
    pub family: String,
    /// Box side L, in diameters.
    pub side: f64,
    /// Packing fraction.
    pub phi: f64,
    /// Reached f_a = 0.
    pub absorbed: bool,
    /// Steady-state activity (0 if absorbed).
    pub f_inf: f64,
    /// Its standard error.
    pub f_inf_error: f64,
    /// First absorbed iteration, or the relaxation time of an active run (None: not reached).
    pub tau: Option<f64>,
}

/// The runs at one phi of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// Packing fraction.
    pub phi: f64,
    /// Mean box side of the runs, in diameters.
    pub side: f64,
    /// Runs at this phi.
    pub runs: usize,
    /// Of which absorbed.
    pub absorbed: usize,
    /// Mean f_inf of the surviving runs and its error (None: all absorbed).
    pub active: Option<(f64, f64)>,
}

/// A power law fitted to the surviving runs' activity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLaw {
    /// Amplitude A and its error.
    pub amplitude: (f64, f64),
    /// phi_c and its error.
    pub phi_c: (f64, f64),
    /// beta and its error (0 when fixed).
    pub beta: (f64, f64),
    /// chi^2 per degree of freedom.
    pub chi2_per_dof: f64,
    /// Points fitted.
    pub points: usize,
}

/// The estimates of one group.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The group's label.
    pub group: String,
    /// Its runs by phi, ascending.
    pub levels: Vec<Level>,
    /// The phi where the absorbed fraction crosses one half, by linear
    /// interpolation, with the two phi that bracket it.
    pub half_absorbed: Option<(f64, f64, f64)>,
    /// The power-law fit, or why there is none.
    pub power_law: std::result::Result<PowerLaw, String>,
}

/// The columns that name a run's group, in the order of its label.
const LABEL_COLUMNS: [&str; 8] = ["scheme", "kick", "lr", "batch", "fixed_batch", "potential", "dim", "n"];

/// A group's label from the texts of [`LABEL_COLUMNS`] as the merged table
/// writes them (`sgd lr=0.05 batch=0.25 potential=2 dim=3 n=1000`); without
/// N for the family.
fn label(texts: &[String; 8], with_n: bool) -> String {
    LABEL_COLUMNS
        .iter()
        .zip(texts)
        .filter(|(name, text)| (with_n || **name != "n") && !text.is_empty() && *text != "false")
        .map(|(name, text)| if *name == "scheme" { text.clone() } else { format!("{name}={text}") })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the runs of a table written by `absorb sweep merge`.
pub fn read_runs(path: &Path) -> Result<Vec<Run>> {
    let table = Table::read(path, "a CSV table written by absorb sweep merge")?;
    let value_columns = ["phi", "absorbed", "f_inf", "f_inf_error", "L"];
    let expected = "the columns of a table from absorb sweep merge";
    let labels: Vec<usize> = LABEL_COLUMNS.iter().map(|c| table.column(c, expected)).collect::<Result<_>>()?;
    let values: Vec<usize> = value_columns.iter().map(|c| table.column(c, expected)).collect::<Result<_>>()?;
    let tau = table.column("tau", expected).ok();
    let mut runs = Vec::new();
    for row in table.rows() {
        let texts: [String; 8] = std::array::from_fn(|i| row.text(labels[i]).to_string());
        let absorbed = match row.text(values[1]) {
            "true" => true,
            "false" => false,
            other => return Err(row.error("absorbed", other, "true or false")),
        };
        let tau = match tau {
            Some(c) if !row.text(c).is_empty() => Some(row.number(c, "tau")?),
            _ => None,
        };
        runs.push(Run {
            group: label(&texts, true),
            family: label(&texts, false),
            side: row.number(values[4], "L")?,
            phi: row.number(values[0], "phi")?,
            absorbed,
            f_inf: row.number(values[2], "f_inf")?,
            f_inf_error: if absorbed { 0.0 } else { row.number(values[3], "f_inf_error").unwrap_or(f64::NAN) },
            tau,
        });
    }
    if runs.is_empty() {
        return Err(table.error(Error::invalid("rows", 0, "at least one run")));
    }
    Ok(runs)
}

/// The runs of finished sweep points, grouped and labelled as
/// [`read_runs`] groups the merged table of the same points.
pub fn runs_of(rows: &[Row]) -> Vec<Run> {
    rows.iter()
        .map(|Row { point: p, outcome: o, .. }| {
            let texts = group_texts(p);
            Run {
                group: label(&texts, true),
                family: label(&texts, false),
                side: o.side,
                phi: p.phi,
                absorbed: o.absorbed,
                f_inf: o.f_inf,
                f_inf_error: if o.absorbed { 0.0 } else { o.f_inf_error },
                tau: o.tau.map(|t| t as f64),
            }
        })
        .collect()
}

/// The power law holds near phi_c only (far above it f_inf saturates at 1):
/// by default the fit takes the packing fractions whose mean surviving
/// activity is at most this.
pub const DEFAULT_MAX_ACTIVITY: f64 = 0.5;

/// The estimates of every group of `runs`; `beta` fixes the exponent of the
/// power law (None: fitted), which is fitted to the packing fractions whose
/// mean surviving activity is at most `max_activity`.
pub fn estimate(runs: &[Run], beta: Option<f64>, max_activity: f64) -> Vec<Estimate> {
    by_group(runs)
        .into_iter()
        .map(|(group, runs)| {
            let levels = levels(&runs);
            Estimate {
                group: group.to_string(),
                half_absorbed: half_absorbed(&levels),
                power_law: power_law(&levels, beta, max_activity),
                levels,
            }
        })
        .collect()
}

/// One row of a finite-size-scaling table: the surviving runs' mean
/// activity at one (L, phi) of a family.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRow {
    /// The family (scheme, step, batch, potential, d).
    pub family: String,
    /// Box side L of the family at this N (mean over its runs), in diameters.
    pub side: f64,
    /// Packing fraction.
    pub phi: f64,
    /// Mean f_inf of the surviving runs.
    pub y: f64,
    /// Its error.
    pub dy: f64,
}

/// The table `absorb analyze collapse` reads, from the runs of a merged
/// sweep: one row per family, N and phi with at least one surviving run.
pub fn scaling_table(runs: &[Run]) -> Vec<ScalingRow> {
    let mut rows: Vec<ScalingRow> = by_group(runs)
        .into_values()
        .flat_map(|runs| {
            let family = runs[0].family.clone();
            // At fixed N the box side changes a little with phi: the size of
            // the group is its mean side, one L for all its points.
            let side = runs.iter().map(|r| r.side).sum::<f64>() / runs.len() as f64;
            levels(&runs).into_iter().filter_map(move |l| {
                l.active.filter(|&(_, e)| e > 0.0).map(|(y, dy)| ScalingRow {
                    family: family.clone(),
                    side,
                    phi: l.phi,
                    y,
                    dy,
                })
            })
        })
        .collect();
    rows.sort_by(|a, b| a.family.cmp(&b.family).then(a.side.total_cmp(&b.side)).then(a.phi.total_cmp(&b.phi)));
    rows
}

/// The runs of each group, groups in label order.
fn by_group(runs: &[Run]) -> BTreeMap<&str, Vec<&Run>> {
    let mut groups: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
    for run in runs {
        groups.entry(&run.group).or_default().push(run);
    }
    groups
}

fn levels(runs: &[&Run]) -> Vec<Level> {
    let mut by_phi: BTreeMap<u64, Vec<&Run>> = BTreeMap::new();
    for run in runs {
        // Packing fractions are positive: their bits sort as the numbers do.
        by_phi.entry(run.phi.to_bits()).or_default().push(run);
    }
    by_phi
        .into_values()
        .map(|runs| {
            let survivors: Vec<(f64, f64)> =
                runs.iter().filter(|r| !r.absorbed).map(|r| (r.f_inf, r.f_inf_error)).collect();
            let active = survivors_mean(&survivors);
            let side = runs.iter().map(|r| r.side).sum::<f64>() / runs.len() as f64;
            Level { phi: runs[0].phi, side, runs: runs.len(), absorbed: runs.len() - survivors.len(), active }
        })
        .collect()
}

/// The mean activity of surviving runs, given as (f_inf, its error), and
/// its error: the spread between the runs, or the runs' own errors if
/// those are larger (None: no survivor).
pub fn survivors_mean(survivors: &[(f64, f64)]) -> Option<(f64, f64)> {
    let k = survivors.len() as f64;
    (!survivors.is_empty()).then(|| {
        let mean = survivors.iter().map(|r| r.0).sum::<f64>() / k;
        let spread = if survivors.len() > 1 {
            (survivors.iter().map(|r| (r.0 - mean).powi(2)).sum::<f64>() / (k - 1.0) / k).sqrt()
        } else {
            0.0
        };
        let own = survivors.iter().map(|r| r.1.powi(2)).sum::<f64>().sqrt() / k;
        (mean, spread.max(if own.is_nan() { 0.0 } else { own }))
    })
}

fn half_absorbed(levels: &[Level]) -> Option<(f64, f64, f64)> {
    let fraction = |l: &Level| l.absorbed as f64 / l.runs as f64;
    levels.windows(2).find_map(|w| {
        let (a, b) = (fraction(&w[0]), fraction(&w[1]));
        (a >= 0.5 && b < 0.5).then(|| (w[0].phi + (a - 0.5) / (a - b) * (w[1].phi - w[0].phi), w[0].phi, w[1].phi))
    })
}

fn power_law(levels: &[Level], beta: Option<f64>, max_activity: f64) -> std::result::Result<PowerLaw, String> {
    let points: Vec<(f64, f64, f64)> = levels
        .iter()
        .filter_map(|l| l.active.filter(|&(f, e)| f > 0.0 && f <= max_activity && e > 0.0).map(|(f, e)| (l.phi, f, e)))
        .collect();
    let parameters = if beta.is_some() { 2 } else { 3 };
    if points.len() <= parameters {
        return Err(format!(
            "{} packing fractions with surviving runs of mean activity in (0, {max_activity}]; a fit of \
             {parameters} parameters needs more (a denser grid of phi just above phi_c)",
            points.len()
        ));
    }
    let model = |p: &[f64], phi: f64| {
        let b = beta.unwrap_or_else(|| p[2]);
        if phi > p[1] { p[0] * (phi - p[1]).powf(b) } else { 0.0 }
    };
    let chi2 = |p: &[f64]| {
        if p[0] <= 0.0 || beta.is_none() && p[2] <= 0.0 {
            return f64::INFINITY;
        }
        points.iter().map(|&(phi, f, e)| ((f - model(p, phi)) / e).powi(2)).sum::<f64>()
    };
    let lowest = points[0].0;
    let span = points[points.len() - 1].0 - lowest;
    let b0 = beta.unwrap_or(0.84);
    let phi0 = lowest - 0.1 * span;
    let a0 = points[points.len() - 1].1 / (points[points.len() - 1].0 - phi0).powf(b0);
    let mut start = vec![a0, phi0];
    let mut steps = vec![0.2 * a0, 0.05 * span];
    if beta.is_none() {
        start.push(b0);
        steps.push(0.2);
    }
    let best = nelder_mead(&chi2, &start, &steps, 1e-12, 20_000);
    let errors = curvature_errors(&chi2, &best, &steps);
    let dof = (points.len() - parameters) as f64;
    Ok(PowerLaw {
        amplitude: (best[0], errors[0]),
        phi_c: (best[1], errors[1]),
        beta: match beta {
            Some(b) => (b, 0.0),
            None => (best[2], errors[2]),
        },
        chi2_per_dof: chi2(&best) / dof,
        points: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Stream;

    /// Four runs at each of 21 phi: absorbed below 0.6, above it active with
    /// f_inf = 0.9 (phi - 0.6)^0.84 and 2% noise.
    fn synthetic() -> Vec<Run> {
        let mut noise = Stream::new(9);
        let mut runs = Vec::new();
        for k in 0..21 {
            let phi = (55 + k) as f64 / 100.0;
            for _ in 0..4 {
                let clean = if phi > 0.6 { 0.9 * (phi - 0.6f64).powf(0.84) } else { 0.0 };
                let absorbed = clean == 0.0;
                let f_inf = if absorbed { 0.0 } else { clean * (1.0 + 0.02 * noise.normal()) };
                let f_inf_error = if absorbed { 0.0 } else { 0.02 * clean };
                runs.push(Run {
                    group: "sgd lr=0.05 n=1000".into(),
                    family: "sgd lr=0.05".into(),
                    side: 10.0,
                    phi,
                    absorbed,
                    f_inf,
                    f_inf_error,
                    tau: None,
                });
            }
        }
        runs
    }

    #[test]
    fn the_power_law_and_the_half_absorbed_point_find_phi_c() {
        let estimates = estimate(&synthetic(), None, DEFAULT_MAX_ACTIVITY);
        assert_eq!(estimates.len(), 1);
        let e = &estimates[0];
        let fit = e.power_law.clone().unwrap();
        assert!((fit.phi_c.0 - 0.6).abs() <= 2.0 * fit.phi_c.1 && fit.phi_c.1 < 0.005, "{fit:?}");
        assert!((fit.beta.0 - 0.84).abs() <= 2.0 * fit.beta.1 && fit.beta.1 < 0.1, "{fit:?}");
        assert!(fit.chi2_per_dof < 3.0, "{fit:?}");
        let (phi, below, above) = e.half_absorbed.unwrap();
        // Absorbed at 0.60 (f_inf = 0 there), active at 0.61.
        assert_eq!((below, above), (0.6, 0.61));
        assert!((0.6..0.61).contains(&phi), "{phi}");
    }

    #[test]
    fn a_fixed_beta_fits_two_parameters() {
        let fit = estimate(&synthetic(), Some(0.84), DEFAULT_MAX_ACTIVITY)[0].power_law.clone().unwrap();
        assert_eq!(fit.beta, (0.84, 0.0));
        // Three standard errors: this seed lands at 2.05 of them.
        assert!((fit.phi_c.0 - 0.6).abs() <= 3.0 * fit.phi_c.1 && fit.phi_c.1 < 0.002, "{fit:?}");
    }

    #[test]
    fn too_few_active_points_say_so() {
        let runs: Vec<Run> = synthetic().into_iter().filter(|r| r.phi < 0.625).collect();
        let reason = estimate(&runs, None, DEFAULT_MAX_ACTIVITY)[0].power_law.clone().unwrap_err();
        assert!(reason.contains("needs more"), "{reason}");
    }
}
