//! What the commands share: scenes named on the command line, lists of
//! packing fractions, progress bars, and the overlap tolerance's range.

use absorb::scene::{self, Scene};
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Loads the scene named on the command line, or the built-in default;
/// `checked` validates its values too.
pub fn load_scene(given: &Option<String>, checked: bool) -> Result<(Scene, String, PathBuf)> {
    Ok(match given {
        None => (Scene::default_scene()?, "default".to_string(), PathBuf::from("scenes/default.ron")),
        Some(given) => {
            let path = scene::resolve(given);
            let name = path.file_stem().map_or("scene".into(), |s| s.to_string_lossy().into_owned());
            let scene = if checked { Scene::load(&path)? } else { Scene::load_unchecked(&path)? };
            (scene, name, path)
        }
    })
}

/// Packing fractions from values and FROM:TO:STEP ranges.
pub fn parse_phis(items: &[String]) -> Result<Vec<f64>> {
    let mut phis = Vec::new();
    for item in items {
        phis.extend(parse_values(item).map_err(|e| anyhow::anyhow!("--phi = {item} is not allowed: {e}"))?);
    }
    Ok(phis)
}

/// Runs `work` with a progress bar of `total` runs on a terminal; `work`
/// calls the function it is given once per finished run.
pub fn with_progress<T>(
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

/// The overlap tolerance's range, named as its flag.
pub fn check_overlap_tolerance(t: f64) -> Result<()> {
    if (0.0..1.0).contains(&t) {
        Ok(())
    } else {
        anyhow::bail!("--overlap-tolerance = {t} is not allowed: a fraction of the contact distance in [0, 1)")
    }
}
