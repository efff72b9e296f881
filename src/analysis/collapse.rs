//! Finite-size-scaling collapse (MODEL.md, "Criticality"): y L^kappa against
//! (phi - phi_c) L^(1/nu_perp) for several box sides L falls on one curve at
//! the right phi_c, nu_perp and kappa (beta/nu_perp for f_inf, -z for tau).
//!
//! The quality of a collapse is pyfssa's (Sorge 2015, after Houdayer and
//! Hartmann 2004); the best parameters minimise it (Nelder-Mead), and their
//! errors are the shifts that raise it by one (the curvature at the minimum).

use crate::error::{Error, Result};

/// One system size's data, sorted by x.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Abscissae, ascending.
    pub x: Vec<f64>,
    /// Values.
    pub y: Vec<f64>,
    /// Their standard errors (> 0).
    pub dy: Vec<f64>,
}

/// The quality S of a collapse of `curves` (one per system size), or `None`
/// when no point has data of another size on both sides of it.
///
/// For each point, every other curve contributes the two points that bracket
/// its x (if any); a straight line fitted through all of these, weighted by
/// 1/dy^2, predicts Y with variance dY^2 there. S is the mean over the points
/// so predicted of (y - Y)^2 / (dy^2 + dY^2): about 1 for a collapse as good
/// as the errors allow, much larger for a bad one.
pub fn quality(curves: &[Curve]) -> Option<f64> {
    let mut sum = 0.0;
    let mut count = 0usize;
    for (i, c) in curves.iter().enumerate() {
        for (j, &x) in c.x.iter().enumerate() {
            let mut fit = LineFit::default();
            for (_, other) in curves.iter().enumerate().filter(|&(k, _)| k != i) {
                // The last point at or below x, if a next one exists.
                let below = other.x.partition_point(|&xo| xo <= x);
                if below == 0 || below >= other.x.len() {
                    continue;
                }
                for m in [below - 1, below] {
                    fit.add(other.x[m], other.y[m], other.dy[m]);
                }
            }
            if let Some((y_master, var_master)) = fit.predict(x) {
                sum += (c.y[j] - y_master).powi(2) / (c.dy[j].powi(2) + var_master);
                count += 1;
            }
        }
    }
    (count > 0).then(|| sum / count as f64)
}

/// Sums of a straight-line fit weighted by 1/dy^2.
#[derive(Clone, Copy, Debug, Default)]
struct LineFit {
    w: f64,
    wx: f64,
    wy: f64,
    wxx: f64,
    wxy: f64,
}

impl LineFit {
    fn add(&mut self, x: f64, y: f64, dy: f64) {
        let w = 1.0 / (dy * dy);
        self.w += w;
        self.wx += w * x;
        self.wy += w * y;
        self.wxx += w * x * x;
        self.wxy += w * x * y;
    }

    /// The line's value at x and its variance, or `None` without two distinct abscissae.
    fn predict(&self, x: f64) -> Option<(f64, f64)> {
        let delta = self.w * self.wxx - self.wx * self.wx;
        if delta.is_nan() || delta <= 0.0 {
            return None;
        }
        let slope = (self.w * self.wxy - self.wx * self.wy) / delta;
        let intercept = (self.wxx * self.wy - self.wx * self.wxy) / delta;
        let var_intercept = self.wxx / delta;
        let var_slope = self.w / delta;
        let covariance = -self.wx / delta;
        Some((intercept + slope * x, var_intercept + 2.0 * covariance * x + var_slope * x * x))
    }
}

/// Measurements y(L, phi) with errors, as read from a table `L,phi,y,dy`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Data {
    /// (L, phi, y, dy) rows.
    pub rows: Vec<[f64; 4]>,
}

/// Scaling parameters: phi_c, nu_perp and kappa, the exponent of L that multiplies y.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling {
    /// Critical packing fraction.
    pub phi_c: f64,
    /// Correlation-length exponent nu_perp.
    pub nu: f64,
    /// y is scaled by L^kappa (beta/nu_perp for f_inf, -z for tau).
    pub kappa: f64,
}

impl Data {
    /// Checks the rows: finite numbers, L > 0, dy > 0, at least two system sizes.
    pub fn validate(&self) -> Result<()> {
        for (k, row) in self.rows.iter().enumerate() {
            let what = ["L", "phi", "y", "dy"];
            for (name, v) in what.iter().zip(row) {
                if !v.is_finite() {
                    return Err(Error::invalid(format!("row {}: {name}", k + 1), v, "a finite number"));
                }
            }
            if row[0] <= 0.0 {
                return Err(Error::invalid(format!("row {}: L", k + 1), row[0], "a box side > 0"));
            }
            if row[3] <= 0.0 {
                return Err(Error::invalid(format!("row {}: dy", k + 1), row[3], "a standard error > 0"));
            }
        }
        let sizes = self.sizes().len();
        if sizes < 2 {
            return Err(Error::invalid("system sizes", sizes, "at least two different L for a collapse"));
        }
        Ok(())
    }

    /// The distinct system sizes, ascending.
    pub fn sizes(&self) -> Vec<f64> {
        let mut l: Vec<f64> = self.rows.iter().map(|r| r[0]).collect();
        l.sort_by(f64::total_cmp);
        l.dedup();
        l
    }

    /// The scaled curves: x = (phi - phi_c) L^(1/nu), y L^kappa, dy L^kappa.
    pub fn scaled(&self, s: Scaling) -> Vec<Curve> {
        self.sizes()
            .into_iter()
            .map(|l| {
                let mut points: Vec<[f64; 3]> = self
                    .rows
                    .iter()
                    .filter(|r| r[0] == l)
                    .map(|r| {
                        let factor = l.powf(s.kappa);
                        [(r[1] - s.phi_c) * l.powf(1.0 / s.nu), r[2] * factor, r[3] * factor]
                    })
                    .collect();
                points.sort_by(|a, b| a[0].total_cmp(&b[0]));
                Curve {
                    x: points.iter().map(|p| p[0]).collect(),
                    y: points.iter().map(|p| p[1]).collect(),
                    dy: points.iter().map(|p| p[2]).collect(),
                }
            })
            .collect()
    }

    /// The quality of the collapse at `s` (infinite where nothing overlaps).
    pub fn quality(&self, s: Scaling) -> f64 {
        if s.nu.is_nan() || s.nu <= 0.0 {
            return f64::INFINITY;
        }
        quality(&self.scaled(s)).unwrap_or(f64::INFINITY)
    }
}

/// The exponents of a universality class (MODEL.md, Lubeck 2004) for
/// f_inf: nu_perp and kappa = beta / nu_perp. Names: `manna-3d`, `manna-2d`,
/// `mean-field`.
pub fn exponents(name: &str) -> Option<Scaling> {
    let (beta, nu) = match name {
        "manna-3d" => (0.840, 0.593),
        "manna-2d" => (0.639, 0.799),
        "mean-field" => (1.0, 0.5),
        _ => return None,
    };
    Some(Scaling { phi_c: f64::NAN, nu, kappa: beta / nu })
}

/// Reads the columns L, phi, `y` and `dy` of a CSV table with a header.
pub fn read_table(path: &std::path::Path, y: &str, dy: &str) -> Result<Data> {
    let table = crate::io::table::Table::read(path, "a CSV table with a header")?;
    let names = ["L", "phi", y, dy];
    let expected = format!("a header with L, phi, {y} and {dy}");
    let columns: Vec<usize> = names.iter().map(|name| table.column(name, &expected)).collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for row in table.rows() {
        let mut values = [0.0; 4];
        for ((value, &column), name) in values.iter_mut().zip(&columns).zip(names) {
            *value = row.number(column, name)?;
        }
        rows.push(values);
    }
    let data = Data { rows };
    data.validate().map_err(|e| table.error(e))?;
    Ok(data)
}

/// Which scaling parameters a fit varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Free {
    /// phi_c only (exponents fixed, as for a known universality class).
    PhiC,
    /// phi_c, nu_perp and kappa.
    All,
}

/// The best collapse found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// The best parameters.
    pub best: Scaling,
    /// Their errors (0 for a fixed one; NaN where S is not curved upwards).
    pub errors: Scaling,
    /// The quality at the best parameters.
    pub quality: f64,
}

/// Minimises the collapse quality of `data` from `start`, varying `free`.
/// `steps` are the initial simplex sizes of phi_c, nu and kappa.
pub fn fit(data: &Data, start: Scaling, steps: Scaling, free: Free) -> Result<Fit> {
    data.validate()?;
    let unpack = |p: &[f64]| match free {
        Free::PhiC => Scaling { phi_c: p[0], ..start },
        Free::All => Scaling { phi_c: p[0], nu: p[1], kappa: p[2] },
    };
    let (p0, s0): (Vec<f64>, Vec<f64>) = match free {
        Free::PhiC => (vec![start.phi_c], vec![steps.phi_c]),
        Free::All => (vec![start.phi_c, start.nu, start.kappa], vec![steps.phi_c, steps.nu, steps.kappa]),
    };
    let goal = |p: &[f64]| data.quality(unpack(p));
    if !goal(&p0).is_finite() {
        return Err(Error::invalid(
            "collapse start",
            format!("{start:?}"),
            "parameters where the curves of different L overlap in x (phi_c inside the phi range)",
        ));
    }
    let best = nelder_mead(&goal, &p0, &s0, 1e-10, 4000);
    let quality = goal(&best);
    let errors = curvature_errors(&goal, &best, &s0);
    let e = |k: usize| errors.get(k).copied().unwrap_or(0.0);
    let errors = match free {
        Free::PhiC => Scaling { phi_c: e(0), nu: 0.0, kappa: 0.0 },
        Free::All => Scaling { phi_c: e(0), nu: e(1), kappa: e(2) },
    };
    Ok(Fit { best: unpack(&best), errors, quality })
}

/// The Nelder-Mead simplex minimum of `f` from `start` with initial steps
/// `steps`, stopped once the simplex's values agree to `tolerance` or after
/// `max_evaluations`.
pub fn nelder_mead(
    f: &impl Fn(&[f64]) -> f64,
    start: &[f64],
    steps: &[f64],
    tolerance: f64,
    max_evaluations: usize,
) -> Vec<f64> {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|k| {
            let mut p = start.to_vec();
            if k > 0 {
                p[k - 1] += steps[k - 1];
            }
            let v = f(&p);
            (p, v)
        })
        .collect();
    let mut evaluations = n + 1;
    let point = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> { a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect() };
    while evaluations < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= tolerance * (best.abs() + tolerance) {
            break;
        }
        let centroid: Vec<f64> =
            (0..n).map(|k| simplex[..n].iter().map(|(p, _)| p[k]).sum::<f64>() / n as f64).collect();
        let reflected = point(&centroid, &simplex[n].0, -1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < simplex[0].1 {
            let expanded = point(&centroid, &simplex[n].0, -2.0);
            let fe = f(&expanded);
            evaluations += 1;
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let toward = if fr < simplex[n].1 { reflected.clone() } else { simplex[n].0.clone() };
            let contracted = point(&centroid, &toward, 0.5);
            let fc = f(&contracted);
            evaluations += 1;
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                // Shrink towards the best point.
                let best_point = simplex[0].0.clone();
                for entry in simplex.iter_mut().skip(1) {
                    entry.0 = point(&best_point, &entry.0, 0.5);
                    entry.1 = f(&entry.0);
                }
                evaluations += n;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

/// Errors of the parameters at the minimum `p` of `f`: the covariance 2 H^-1
/// of the Hessian H (by central differences), so one error raises f by one
/// along its own direction (Houdayer and Hartmann's recipe, as pyfssa).
pub(crate) fn curvature_errors(f: &impl Fn(&[f64]) -> f64, p: &[f64], scales: &[f64]) -> Vec<f64> {
    let n = p.len();
    let h: Vec<f64> = scales.iter().map(|s| 1e-2 * s.abs().max(1e-6)).collect();
    let at = |shifts: &[(usize, f64)]| {
        let mut q = p.to_vec();
        for &(k, d) in shifts {
            q[k] += d;
        }
        f(&q)
    };
    let f0 = f(p);
    let mut hessian = vec![vec![0.0; n]; n];
    for a in 0..n {
        for b in a..n {
            let value = if a == b {
                (at(&[(a, h[a])]) - 2.0 * f0 + at(&[(a, -h[a])])) / (h[a] * h[a])
            } else {
                (at(&[(a, h[a]), (b, h[b])]) - at(&[(a, h[a]), (b, -h[b])]) - at(&[(a, -h[a]), (b, h[b])])
                    + at(&[(a, -h[a]), (b, -h[b])]))
                    / (4.0 * h[a] * h[b])
            };
            hessian[a][b] = value;
            hessian[b][a] = value;
        }
    }
    match invert(hessian) {
        Some(inverse) => {
            (0..n).map(|k| if inverse[k][k] > 0.0 { (2.0 * inverse[k][k]).sqrt() } else { f64::NAN }).collect()
        }
        None => vec![f64::NAN; n],
    }
}

/// The inverse of a small square matrix by Gauss-Jordan elimination with
/// partial pivoting, or `None` if it is singular.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n).map(|r| (0..n).map(|c| if r == c { 1.0 } else { 0.0 }).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
        if a[pivot][col] == 0.0 || !a[pivot][col].is_finite() {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let d = a[col][col];
        for c in 0..n {
            a[col][c] /= d;
            inv[col][c] /= d;
        }
        for r in (0..n).filter(|&r| r != col) {
            let factor = a[r][col];
            for c in 0..n {
                a[r][c] -= factor * a[col][c];
                inv[r][c] -= factor * inv[col][c];
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_small_matrix() {
        let m = vec![vec![4.0, 1.0, 0.0], vec![1.0, 3.0, 1.0], vec![0.0, 1.0, 2.0]];
        let inv = invert(m.clone()).unwrap();
        for (r, row) in m.iter().enumerate() {
            for c in 0..3 {
                let product: f64 = row.iter().zip(&inv).map(|(a, inv_row)| a * inv_row[c]).sum();
                assert!((product - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(invert(vec![vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let f = |p: &[f64]| (p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2) + 0.5 * (p[0] - 1.0) * (p[1] + 2.0);
        let best = nelder_mead(&f, &[0.0, 0.0], &[0.5, 0.5], 1e-14, 10_000);
        assert!((best[0] - 1.0).abs() < 1e-5 && (best[1] + 2.0).abs() < 1e-5, "{best:?}");
        // f = (1/2) p^T H p with H = [[2, 0.5], [0.5, 20]]: errors sqrt(2 (H^-1)_kk).
        let errors = curvature_errors(&f, &best, &[0.5, 0.5]);
        let det: f64 = 2.0 * 20.0 - 0.25;
        assert!((errors[0] - (2.0 * 20.0 / det).sqrt()).abs() < 1e-4, "{errors:?}");
        assert!((errors[1] - (2.0 * 2.0 / det).sqrt()).abs() < 1e-4, "{errors:?}");
    }
}
