//! The measuring commands: `absorb sweep` and `absorb sweep merge`
//! (sweep.rs), `absorb figure ...` (figure.rs) and `absorb analyze ...`
//! (analyze.rs). Parse, call the library, report. What they share is here.

mod analyze;
mod figure;
mod sweep;

pub use analyze::{AnalyzeCommand, collapse, critical, table};
pub use figure::{FigureCommand, figure};
pub use sweep::{SweepAction, SweepCommand, merge, sweep};

use anyhow::Result;
use std::io::IsTerminal;

/// Packing fractions from values and FROM:TO:STEP ranges.
fn parse_phis(items: &[String]) -> Result<Vec<f64>> {
    let mut phis = Vec::new();
    for item in items {
        phis.extend(parse_values(item).map_err(|e| anyhow::anyhow!("--phi = {item} is not allowed: {e}"))?);
    }
    Ok(phis)
}

/// Runs `work` with a progress bar of `total` runs on a terminal; `work`
/// calls the function it is given once per finished run.
fn with_progress<T>(
    total: usize,
    work: impl FnOnce(
        &(dyn Fn(&absorb::analysis::sweep::Point, &absorb::analysis::sweep::Outcome) + Sync),
    ) -> absorb::error::Result<T>,
) -> Result<T> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} points, {msg} [{elapsed} < {eta}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = |point: &absorb::analysis::sweep::Point, outcome: &absorb::analysis::sweep::Outcome| {
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(format!("last {}: f_inf = {:.4}", point.id(), outcome.f_inf));
        }
    };
    let result = work(&tick);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(result?)
}

/// A number, or FROM:TO:STEP (TO included when the steps land on it).
fn parse_values(item: &str) -> std::result::Result<Vec<f64>, String> {
    let number = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("`{t}` is not a number"));
    let parts: Vec<&str> = item.split(':').collect();
    match parts.as_slice() {
        [one] => Ok(vec![number(one)?]),
        [from, to, step] => absorb::analysis::sweep::phi_range(number(from)?, number(to)?, number(step)?)
            .map_err(|_| "a range FROM:TO:STEP needs STEP > 0 and TO >= FROM".to_string()),
        _ => Err("a number or FROM:TO:STEP".into()),
    }
}
