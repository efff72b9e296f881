//! `absorb figure ...`: the paper's figures, each a PNG and the CSV behind it.

use super::args::{parse_phis, with_progress};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum FigureCommand {
    /// Fig. 5a: MSD after a fixed number of iterations against the kick size,
    /// for pairwise BRO, SGD matched to it and their stochastic approximation.
    MsdVsStep {
        /// Folder for msd-vs-step.csv and msd-vs-step.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        /// Packing fraction.
        #[arg(long, value_name = "PHI")]
        phi: Option<f64>,
        /// Iterations after which the MSD is read.
        #[arg(long, value_name = "K")]
        iterations: Option<u64>,
        /// Runs per scheme and kick size.
        #[arg(long, value_name = "R")]
        replicates: Option<u64>,
    },
    /// Fig. 5b: phi_c against the step size for pairwise BRO, SGD and RCD, by
    /// bisection on where half the runs absorb.
    PhiCVsStep {
        /// Folder for phi-c-vs-step.csv and phi-c-vs-step.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        /// Iterations a run has to absorb.
        #[arg(long, value_name = "K")]
        iterations: Option<u64>,
        /// Runs at each packing fraction tried.
        #[arg(long, value_name = "R")]
        replicates: Option<u64>,
        /// Bisection steps.
        #[arg(long, value_name = "B")]
        bisections: Option<u32>,
    },
    /// Fig. 3: f_inf and tau of SGD against phi for several N and batch
    /// fractions, and their collapse with the 3D Manna exponents. The runs
    /// go to DIR/activity-vs-phi-runs; run again to resume.
    ActivityVsPhi {
        /// Folder for activity-vs-phi.csv, activity-vs-phi-collapse.csv and activity-vs-phi.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particle numbers, comma-separated.
        #[arg(long = "n", value_name = "N", value_delimiter = ',')]
        n: Vec<usize>,
        #[command(flatten)]
        runs: FigureRuns,
    },
    /// Fig. 4b: flatness <dU>/(N sigma_p^2) of the steady state against the
    /// batch fraction, SGD and RCD, at several phi above phi_c. The runs go
    /// to DIR/flatness-vs-batch-runs; run again to resume.
    FlatnessVsBatch {
        /// Folder for flatness-vs-batch.csv and flatness-vs-batch.png.
        #[arg(long, value_name = "DIR", default_value = "figures")]
        out: PathBuf,
        /// Particles.
        #[arg(long = "n", value_name = "N")]
        n: Option<usize>,
        #[command(flatten)]
        runs: FigureRuns,
        /// Perturbations per configuration.
        #[arg(long, value_name = "M")]
        samples: Option<usize>,
    },
}

/// The runs behind a figure that is a sweep of SGD (and RCD) state points.
#[derive(Args)]
pub struct FigureRuns {
    /// Batch fractions, comma-separated.
    #[arg(long, value_name = "B", value_delimiter = ',')]
    batch: Vec<f64>,
    /// Learning rate alpha.
    #[arg(long, value_name = "ALPHA")]
    lr: Option<f64>,
    /// Packing fractions: values and FROM:TO:STEP ranges, comma-separated.
    #[arg(long, value_name = "PHI", value_delimiter = ',')]
    phi: Vec<String>,
    /// Runs per state point, each from its own random start.
    #[arg(long, value_name = "R")]
    replicates: Option<u32>,
    /// Iterations at most per run (it stops early once absorbed).
    #[arg(long, value_name = "T")]
    steps: Option<u64>,
}

impl FigureRuns {
    /// (batches, lr, phis, replicates, steps), each from its flag or from
    /// the given defaults.
    fn pick(&self, batches: &[f64], lr: f64, phis: &[f64], replicates: u32, steps: u64) -> Result<Picked> {
        Ok(Picked {
            batches: if self.batch.is_empty() { batches.to_vec() } else { self.batch.clone() },
            lr: self.lr.unwrap_or(lr),
            phis: if self.phi.is_empty() { phis.to_vec() } else { parse_phis(&self.phi)? },
            replicates: self.replicates.unwrap_or(replicates),
            steps: self.steps.unwrap_or(steps),
        })
    }
}

/// The values of [`FigureRuns`] with the defaults filled in.
struct Picked {
    batches: Vec<f64>,
    lr: f64,
    phis: Vec<f64>,
    replicates: u32,
    steps: u64,
}

/// What a figure command writes: CSV tables and the picture's panels.
struct FigureOutput {
    /// (file stem, header, rows); the first is printed as well.
    tables: Vec<(&'static str, &'static str, Vec<String>)>,
    /// File stem of the PNG.
    name: &'static str,
    /// Panels, `columns` to a row.
    panels: Vec<absorb::analysis::plot::Figure>,
    columns: usize,
}

/// Runs a figure command.
pub fn figure(command: FigureCommand) -> Result<()> {
    use absorb::analysis::figures::{ActivityVsPhi, FlatnessVsBatch, MsdVsStep, PhiCVsStep};
    use absorb::analysis::plot;
    let started = std::time::Instant::now();
    let single = |name, header, rows, figure| FigureOutput {
        tables: vec![(name, header, rows)],
        name,
        panels: vec![figure],
        columns: 1,
    };
    let (out, output) = match command {
        FigureCommand::MsdVsStep { out, n, phi, iterations, replicates } => {
            let d = MsdVsStep::default();
            let spec = MsdVsStep {
                n: n.unwrap_or(d.n),
                phi: phi.unwrap_or(d.phi),
                iterations: iterations.unwrap_or(d.iterations),
                replicates: replicates.unwrap_or(d.replicates),
                ..d
            };
            if spec.replicates == 0 || spec.iterations == 0 {
                anyhow::bail!("--replicates and --iterations must be at least 1");
            }
            let points = spec.run()?;
            let rows: Vec<String> =
                points.iter().map(|p| format!("{},{},{},{}", p.scheme, p.kick, p.msd, p.error)).collect();
            (out, single("msd-vs-step", "scheme,kick,msd,msd_error", rows, spec.figure(&points)))
        }
        FigureCommand::PhiCVsStep { out, n, iterations, replicates, bisections } => {
            let d = PhiCVsStep::default();
            let spec = PhiCVsStep {
                n: n.unwrap_or(d.n),
                iterations: iterations.unwrap_or(d.iterations),
                replicates: replicates.unwrap_or(d.replicates),
                bisections: bisections.unwrap_or(d.bisections),
                ..d
            };
            if spec.replicates == 0 || spec.iterations == 0 || spec.bisections == 0 {
                anyhow::bail!("--replicates, --iterations and --bisections must be at least 1");
            }
            let points = spec.run()?;
            let rows: Vec<String> =
                points.iter().map(|p| format!("{},{},{},{}", p.scheme, p.step, p.phi_c, p.error)).collect();
            (out, single("phi-c-vs-step", "scheme,step,phi_c,phi_c_error", rows, spec.figure(&points)))
        }
        FigureCommand::ActivityVsPhi { out, n, runs } => {
            let d = ActivityVsPhi::default();
            let p = runs.pick(&d.batches, d.lr, &d.phis, d.replicates, d.steps)?;
            let spec = ActivityVsPhi {
                ns: if n.is_empty() { d.ns.clone() } else { n },
                batches: p.batches,
                lr: p.lr,
                phis: p.phis,
                replicates: p.replicates,
                steps: p.steps,
                ..d
            };
            let runs = out.join("activity-vs-phi-runs");
            let result = with_progress(spec.grid().points()?.len(), |tick| spec.run(&runs, tick))?;
            let option = |v: Option<(f64, f64)>| v.map_or(",".to_string(), |(y, e)| format!("{y},{e}"));
            let levels = result
                .levels
                .iter()
                .map(|l| {
                    format!(
                        "{},{},{},{},{},{},{},{}",
                        l.batch,
                        l.n,
                        l.side,
                        l.phi,
                        l.runs,
                        l.absorbed,
                        option(l.f_inf),
                        option(l.tau)
                    )
                })
                .collect();
            let fits = result
                .collapses
                .iter()
                .map(|c| match &c.fit {
                    Ok(f) => format!(
                        "{},{},{},{},{},{},{},",
                        c.batch, c.observable, f.best.phi_c, f.errors.phi_c, f.best.nu, f.best.kappa, f.quality
                    ),
                    Err(why) => format!("{},{},,,,,,\"{}\"", c.batch, c.observable, why.replace('"', "'")),
                })
                .collect();
            let output = FigureOutput {
                tables: vec![
                    (
                        "activity-vs-phi-collapse",
                        "batch,observable,phi_c,phi_c_error,nu_perp,kappa,quality,why_none",
                        fits,
                    ),
                    ("activity-vs-phi", "batch,n,L,phi,runs,absorbed,f_inf,f_inf_error,tau,tau_error", levels),
                ],
                name: "activity-vs-phi",
                panels: spec.figures(&result),
                columns: 4,
            };
            (out, output)
        }
        FigureCommand::FlatnessVsBatch { out, n, runs, samples } => {
            let d = FlatnessVsBatch::default();
            let p = runs.pick(&d.batches, d.lr, &d.phis, d.replicates, d.steps)?;
            let spec = FlatnessVsBatch {
                n: n.unwrap_or(d.n),
                batches: p.batches,
                lr: p.lr,
                phis: p.phis,
                replicates: p.replicates,
                steps: p.steps,
                samples: samples.unwrap_or(d.samples),
                ..d
            };
            if spec.samples < 2 {
                anyhow::bail!("--samples = {} is not allowed: at least 2 perturbations", spec.samples);
            }
            let runs = out.join("flatness-vs-batch-runs");
            let points = with_progress(spec.grid().points()?.len(), |tick| spec.run(&runs, tick))?;
            let rows = points
                .iter()
                .map(|p| {
                    let (f, e) =
                        p.flatness.map_or((String::new(), String::new()), |(f, e)| (f.to_string(), e.to_string()));
                    format!("{},{},{},{},{},{},{f},{e}", p.scheme, p.batch, p.phi, p.runs, p.absorbed, p.f_inf)
                })
                .collect();
            let output = FigureOutput {
                tables: vec![(
                    "flatness-vs-batch",
                    "scheme,batch,phi,runs,absorbed,f_inf,flatness,flatness_error",
                    rows,
                )],
                name: "flatness-vs-batch",
                panels: spec.figures(&points),
                columns: spec.phis.len().min(3),
            };
            (out, output)
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for (name, header, rows) in &output.tables {
        let table = out.join(format!("{name}.csv"));
        absorb::io::write_atomically(&table, |w| {
            writeln!(w, "{header}")?;
            for row in rows {
                writeln!(w, "{row}")?;
            }
            Ok(())
        })?;
        written.push(table.display().to_string());
    }
    let png = out.join(format!("{}.png", output.name));
    let panel = if output.panels.len() == 1 { plot::SIZE } else { plot::PANEL };
    plot::save_panels(&output.panels, output.columns, panel, &png)?;
    if let Some((_, header, rows)) = output.tables.first() {
        println!("{header}");
        for row in rows {
            println!("{row}");
        }
    }
    written.push(png.display().to_string());
    println!("wrote {} in {:.0} s", written.join(", "), started.elapsed().as_secs_f64());
    Ok(())
}
