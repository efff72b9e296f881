//! `absorb analyze table`, `critical` and `collapse`.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AnalyzeCommand {
    /// The finite-size-scaling table of a merged sweep: for one family
    /// (scheme, step, batch, potential, d), the surviving runs' mean f_inf and
    /// its error at each L and phi, as the columns L,phi,y,dy that
    /// `analyze collapse` reads.
    Table {
        /// Table written by `absorb sweep merge`.
        file: PathBuf,
        /// The family to keep, as `analyze critical` names it without n=
        /// (needed when the sweep holds more than one).
        #[arg(long, value_name = "LABEL")]
        family: Option<String>,
        /// Where the table goes (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// phi_c of each scheme, step size and N in a merged sweep: the phi where
    /// half the runs are absorbed, and a fit of f_inf = A (phi - phi_c)^beta.
    Critical {
        /// Table written by `absorb sweep merge`.
        file: PathBuf,
        /// Fix beta (for example 0.84, the 3D Manna value) instead of fitting it.
        #[arg(long, value_name = "BETA")]
        beta: Option<f64>,
        /// Fit only the packing fractions whose mean surviving activity is at
        /// most this (the power law holds near phi_c; far above, f_inf -> 1).
        #[arg(long, value_name = "F", default_value_t = absorb::analysis::critical::DEFAULT_MAX_ACTIVITY)]
        max_activity: f64,
    },
    /// Finite-size-scaling collapse of a table with columns L,phi,y,dy: prints
    /// phi_c, nu_perp and the exponent of y with errors, and the quality S.
    Collapse {
        /// CSV table with a header naming (at least) the columns L, phi, y and dy.
        file: PathBuf,
        /// Fixed exponents of a universality class, or free (all three fitted).
        #[arg(long, value_name = "SET", default_value = "free")]
        exponents: String,
        /// Column holding y (for example f_inf of a merged sweep).
        #[arg(long, value_name = "COLUMN", default_value = "y")]
        y: String,
        /// Column holding the error of y (for example f_inf_error).
        #[arg(long, value_name = "COLUMN", default_value = "dy")]
        dy: String,
        /// Picture of the collapsed data (default: the table's name with .collapse.png).
        #[arg(long, value_name = "PATH")]
        png: Option<PathBuf>,
    },
}

pub fn table(file: &std::path::Path, family: Option<&str>, out: Option<&std::path::Path>) -> Result<()> {
    use absorb::analysis::critical;
    let rows = critical::scaling_table(&critical::read_runs(file)?);
    let mut families: Vec<&str> = rows.iter().map(|r| r.family.as_str()).collect();
    families.dedup();
    let chosen = match family {
        Some(f) if families.contains(&f) => f.to_string(),
        Some(f) => anyhow::bail!("--family = {f} is not allowed: one of {}", families.join("; ")),
        None if families.len() == 1 => families[0].to_string(),
        None if families.is_empty() => anyhow::bail!("{}: no packing fraction has a surviving run", file.display()),
        None => anyhow::bail!(
            "{} holds several families: choose one with --family ({})",
            file.display(),
            families.join("; ")
        ),
    };
    let text: String = std::iter::once("L,phi,y,dy\n".to_string())
        .chain(rows.iter().filter(|r| r.family == chosen).map(|r| format!("{},{},{},{}\n", r.side, r.phi, r.y, r.dy)))
        .collect();
    match out {
        Some(path) => {
            absorb::io::write_atomically(path, |w| w.write_all(text.as_bytes()))?;
            eprintln!("wrote {} ({chosen})", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

pub fn critical(file: &std::path::Path, beta: Option<f64>, max_activity: f64) -> Result<()> {
    use absorb::analysis::critical;
    if let Some(b) = beta
        && !(b.is_finite() && b > 0.0)
    {
        anyhow::bail!("--beta = {b} is not allowed: an exponent > 0");
    }
    if !(max_activity > 0.0 && max_activity <= 1.0) {
        anyhow::bail!("--max-activity = {max_activity} is not allowed: an activity in (0, 1]");
    }
    let runs = critical::read_runs(file)?;
    for e in critical::estimate(&runs, beta, max_activity) {
        println!("{}:", e.group);
        let levels: Vec<String> =
            e.levels.iter().map(|l| format!("{} ({}/{} absorbed)", l.phi, l.absorbed, l.runs)).collect();
        println!("  runs at phi: {}", levels.join(", "));
        match e.half_absorbed {
            Some((phi, lo, hi)) => println!("  half the runs absorbed at phi = {phi:.4} (between {lo} and {hi})"),
            None => println!("  the absorbed fraction never crosses one half in this range of phi"),
        }
        match e.power_law {
            Ok(p) => {
                let beta = if p.beta.1 == 0.0 {
                    format!("{} (fixed)", p.beta.0)
                } else {
                    format!("{:.3} +- {:.3}", p.beta.0, p.beta.1)
                };
                println!(
                    "  f_inf = A (phi - phi_c)^beta: phi_c = {:.4} +- {:.4}, beta = {beta}, A = {:.3} +- {:.3}, chi2/dof = {:.2} ({} phi)",
                    p.phi_c.0, p.phi_c.1, p.amplitude.0, p.amplitude.1, p.chi2_per_dof, p.points
                );
            }
            Err(why) => println!("  no power-law fit: {why}"),
        }
    }
    Ok(())
}

pub fn collapse(file: &std::path::Path, exponents: &str, y: &str, dy: &str, png: &std::path::Path) -> Result<()> {
    use absorb::analysis::collapse::{self, Free, Scaling};
    let data = collapse::read_table(file, y, dy)?;
    let (free, fixed) = match exponents {
        "free" => (Free::All, Scaling { phi_c: 0.0, nu: 0.6, kappa: 1.0 }),
        other => (
            Free::PhiC,
            collapse::exponents(other).ok_or_else(|| {
                anyhow::anyhow!("--exponents = {other} is not allowed: manna-3d, manna-2d, mean-field or free")
            })?,
        ),
    };
    let phis: Vec<f64> = data.rows.iter().map(|r| r[1]).collect();
    let start = Scaling { phi_c: phis.iter().sum::<f64>() / phis.len().max(1) as f64, ..fixed };
    let span =
        phis.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - phis.iter().cloned().fold(f64::INFINITY, f64::min);
    let steps = Scaling { phi_c: 0.1 * span.max(1e-6), nu: 0.1, kappa: 0.2 };
    let fit = collapse::fit(&data, start, steps, free).with_context(|| format!("collapsing {}", file.display()))?;
    let (b, e) = (fit.best, fit.errors);
    println!("phi_c = {:.5} +- {:.5}", b.phi_c, e.phi_c);
    let fixed_note = |err: f64| if err == 0.0 { " (fixed)".to_string() } else { format!(" +- {err:.4}") };
    println!("nu_perp = {:.4}{}", b.nu, fixed_note(e.nu));
    println!("exponent of y (y L^kappa) = {:.4}{}", b.kappa, fixed_note(e.kappa));
    println!("quality S = {:.3} ({} sizes, {} points)", fit.quality, data.sizes().len(), data.rows.len());
    let figure = absorb::analysis::plot::Figure {
        title: format!(
            "collapse: phi_c = {:.4}, nu_perp = {:.3}, kappa = {:.3}, S = {:.2}",
            b.phi_c, b.nu, b.kappa, fit.quality
        ),
        x_label: "(phi - phi_c) L^(1/nu_perp)   (L in diameters)".into(),
        y_label: format!("{y} L^kappa"),
        log_x: false,
        log_y: false,
        series: data
            .sizes()
            .into_iter()
            .zip(data.scaled(b))
            .map(|(l, c)| absorb::analysis::plot::Series {
                label: format!("L = {l:.1}"),
                points: c.x.iter().zip(&c.y).zip(&c.dy).map(|((&x, &y), &e)| (x, y, e)).collect(),
            })
            .collect(),
    };
    figure.save_png(png)?;
    println!("wrote {}", png.display());
    Ok(())
}
