//! Flatness on demand: <dU> / (N sigma_p^2) of the configuration on screen
//! (MODEL.md, `sim::observe::flatness`), measured in the background on a
//! copy of it while the run goes on; `flatness_ui` is its row of the left
//! panel. The measuring needs no window: tests drive it.

use super::scan::spare_threads;
use super::simulation::{Setup, Sim};
use crate::sim::observe::{self, FLATNESS_SAMPLES, FLATNESS_SIGMA};
use bevy::prelude::*;
use bevy_egui::egui;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// Perturbations times spheres a measurement takes at most: 4000
/// perturbations up to N = 5000, fewer beyond (200 at N = 10^5), so that
/// one takes seconds, not minutes. The error shown says what that costs.
const SAMPLE_SPHERES: usize = 20_000_000;
/// Perturbations at least.
const LEAST_SAMPLES: usize = 100;

/// The perturbations a measurement of `n` spheres takes.
pub fn samples_for(n: usize) -> usize {
    FLATNESS_SAMPLES.min(SAMPLE_SPHERES / n.max(1)).max(LEAST_SAMPLES)
}

/// A finished measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// The iteration of the configuration measured.
    pub iteration: u64,
    /// Spheres in it.
    pub n: usize,
    /// The scheme that made it, in words.
    pub label: String,
    /// It was absorbed (a minimum), not a snapshot of an active run.
    pub absorbed: bool,
    /// What was measured.
    pub flatness: observe::Flatness,
}

impl Measured {
    /// `flatness 0.532 ± 0.011 (iteration 2100, 4000 perturbations)`:
    /// <dU> / (N sigma_p^2) with its standard error.
    pub fn text(&self) -> String {
        let f = &self.flatness;
        format!(
            "flatness {:.4} ± {:.4} (lower is flatter; iteration {}, {} perturbations)",
            f.per_particle_per_variance,
            f.error / (self.n as f64 * f.sigma_p * f.sigma_p),
            self.iteration,
            f.samples
        )
    }
}

/// Measurements kept to compare (SGD's minimum against RCD's).
pub const KEPT: usize = 4;

/// The last measurements, the one in flight and why one failed.
#[derive(Resource, Default)]
pub struct FlatnessProbe {
    /// The last finished measurement.
    pub last: Option<Measured>,
    /// The last [`KEPT`] measurements, oldest first (the last among them).
    pub kept: Vec<Measured>,
    /// The iteration being measured now.
    pub measuring: Option<u64>,
    /// Why the last one failed.
    pub error: Option<String>,
    results: Option<Mutex<Receiver<Result<Measured, String>>>>,
    /// Results still to come (two while comparing: run A's, then run B's).
    awaited: usize,
    /// What the results were measured on: whether two runs were compared,
    /// the scene's file, N and dimension. Another scene or the start or end
    /// of a comparison forgets them ("B" would name another run).
    context: Option<(bool, Option<std::path::PathBuf>, usize, usize)>,
}

/// Asks for the flatness of the configuration on screen (of both runs while comparing).
#[derive(Message, Clone, Copy, Debug)]
pub struct MeasureFlatness;

/// Measures the flatness on request.
pub struct FlatnessPlugin;

impl Plugin for FlatnessPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FlatnessProbe>()
            .add_message::<MeasureFlatness>()
            .add_systems(Update, (forget_stale, start, collect).chain());
    }
}

/// Results of another scene, or of runs A and B that are no longer on
/// screen, are dropped, and so is a measurement in flight.
fn forget_stale(mut probe: ResMut<FlatnessProbe>, sim: Res<Sim>, setup: Res<Setup>) {
    let context = Some((sim.comparing(), setup.path.clone(), setup.scene.n, setup.scene.dim));
    if probe.context == context {
        return;
    }
    if probe.context.is_some() {
        probe.kept.clear();
        probe.last = None;
        probe.error = None;
        probe.measuring = None;
        probe.results = None;
        probe.awaited = 0;
    }
    probe.context = context;
}

fn start(
    mut asked: MessageReader<MeasureFlatness>,
    mut probe: ResMut<FlatnessProbe>,
    sim: Res<Sim>,
    setup: Res<Setup>,
) {
    if asked.read().count() == 0 || probe.measuring.is_some() {
        return;
    }
    let comparing = sim.comparing();
    let iteration = sim.view().iteration();
    // Copies of what is measured; the runs go on meanwhile.
    let jobs: Vec<_> = [Some(("A", sim.view())), sim.partner_view().map(|b| ("B", b))]
        .into_iter()
        .flatten()
        .map(|(name, view)| {
            let summary = view.dynamics().summary();
            let label = if comparing { format!("{name}: {summary}") } else { summary };
            (label, view.absorbed_at().is_some(), view.packing().clone(), view.dynamics().potential)
        })
        .collect();
    let seed = setup.scene.seed ^ iteration;
    let (send, results) = channel();
    probe.awaited = jobs.len();
    std::thread::spawn(move || {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(spare_threads()).build().ok();
        for (label, absorbed, packing, potential) in jobs {
            let n = packing.len();
            let measure = || observe::flatness(&packing, potential, samples_for(n), FLATNESS_SIGMA, seed);
            let result = match &pool {
                Some(pool) => pool.install(measure),
                None => measure(),
            };
            let measured = result.map(|flatness| Measured { iteration, n, label, absorbed, flatness });
            if send.send(measured.map_err(|e| e.to_string())).is_err() {
                return;
            }
        }
    });
    probe.measuring = Some(iteration);
    probe.error = None;
    probe.results = Some(Mutex::new(results));
}

fn collect(mut probe: ResMut<FlatnessProbe>) {
    while probe.awaited > 0 {
        let Some(results) = &probe.results else { return };
        let received = match results.lock() {
            Ok(r) => r.try_recv(),
            Err(_) => Err(TryRecvError::Disconnected),
        };
        let outcome = match received {
            Err(TryRecvError::Empty) => return,
            Ok(outcome) => outcome,
            Err(TryRecvError::Disconnected) => Err("the measurement stopped before it finished".into()),
        };
        probe.awaited -= 1;
        match outcome {
            Ok(m) => {
                if probe.kept.len() == KEPT {
                    probe.kept.remove(0);
                }
                probe.kept.push(m.clone());
                probe.last = Some(m);
            }
            Err(e) => {
                probe.error = Some(e);
                probe.awaited = 0;
            }
        }
    }
    probe.measuring = None;
    probe.results = None;
}

/// The flatness of the configuration on screen: a button, then the value
/// with its error and the iteration it was measured at. True when clicked.
pub fn flatness_ui(ui: &mut egui::Ui, probe: &FlatnessProbe, comparing: bool) -> bool {
    let mut clicked = false;
    ui.horizontal_wrapped(|ui| {
        let button = egui::Button::new(if comparing { "Measure flatness (runs A and B)" } else { "Measure flatness" });
        let hint = "<dU> / (N sigma_p^2) under random kicks of sigma_p = 0.015 diameters: lower is flatter";
        clicked = ui.add_enabled(probe.measuring.is_none(), button).on_hover_text(hint).clicked();
        if let Some(k) = probe.measuring {
            ui.label(format!("measuring iteration {k} ..."));
        } else if let Some(e) = &probe.error {
            ui.colored_label(egui::Color32::from_rgb(255, 120, 90), e);
        }
    });
    // The last few, each with the scheme that made it, newest first (run A
    // before run B of the same iteration).
    let mut shown: Vec<&Measured> = probe.kept.iter().collect();
    shown.sort_by_key(|m| std::cmp::Reverse(m.iteration));
    for m in shown {
        let state = if m.absorbed { "absorbed" } else { "still active, not a minimum" };
        ui.label(egui::RichText::new(format!("{} ({state}): {}", m.label, m.text())).small());
    }
    clicked
}
