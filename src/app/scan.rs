//! The phase diagram: scans of phi run in the background with the live
//! run's scheme, and the live run pinned onto it. Each scan is a sweep of
//! the library (`analysis::sweep` points, `analysis::critical` for phi_c);
//! its points arrive one by one while the window goes on. No window needed:
//! tests drive it headless.

use super::history::Point as HistoryPoint;
use super::simulation::{PlotHistory, Setup, Sim};
use crate::analysis::critical::{self, Estimate};
use crate::analysis::merge::{self, Row};
use crate::analysis::sweep::{Grid, Point};
use crate::scene::Scene;
use crate::sim::packing::MAX_PHI;
use bevy::prelude::*;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Mutex};

/// Iterations the pinned activity is averaged over.
pub const PIN_WINDOW: usize = 500;
/// The live run counts as steady when the mean activity of its last
/// [`PIN_WINDOW`] iterations and of the window before differ by less than
/// this share of it (or by less than [`PIN_DRIFT_FLOOR`]).
pub const PIN_DRIFT: f64 = 0.05;
/// Activity below which a drift is not told apart from noise.
pub const PIN_DRIFT_FLOOR: f64 = 0.005;
/// The smallest packing fraction a scan runs.
const SCAN_PHI_MIN: f64 = 0.05;
/// New packing fractions a refinement puts between the two that bracket phi_c.
const REFINE_POINTS: usize = 3;

/// The grid of a new scan around the live run's phi.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanSettings {
    /// Particles per run.
    pub n: usize,
    /// Packing fractions in the grid.
    pub points: usize,
    /// Their spacing.
    pub step: f64,
    /// Runs at each packing fraction (different seeds).
    pub replicates: u32,
    /// Iterations at most per run.
    pub steps: u64,
    /// Threads the scans may take.
    pub threads: usize,
}

impl Default for ScanSettings {
    /// 9 x 4 runs of 500 spheres and at most 5000 iterations: some 30 s on
    /// one core of this project's 2-core machines at the default scene.
    fn default() -> Self {
        Self { n: 500, points: 9, step: 0.01, replicates: 4, steps: 5000, threads: spare_threads() }
    }
}

/// The threads a scan takes by default: all but one, so the live run keeps one.
pub fn spare_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).max(1)
}

/// The packing fractions of a grid of `points` spaced `step` around `phi`
/// (on the grid of the step), inside (0, 1].
pub fn phi_grid(phi: f64, points: usize, step: f64) -> Vec<f64> {
    let centre = (phi / step).round();
    let half = (points as f64 - 1.0) / 2.0;
    (0..points)
        .map(|k| round12((centre - half.floor() + k as f64) * step))
        .filter(|&p| (SCAN_PHI_MIN..=MAX_PHI).contains(&p))
        .collect()
}

fn round12(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// A scan in flight: its points are run on a pool of its own.
struct Job {
    cancel: Arc<AtomicBool>,
    results: Mutex<Receiver<Result<Row, String>>>,
    left: usize,
}

/// One curve of the phase diagram: a scan run here, or one reopened from a file.
pub struct Scan {
    /// What it scanned: scheme, steps, N.
    pub label: String,
    /// Its finished runs, in the order they finished (scans run here).
    pub rows: Vec<Row>,
    /// Its runs for the analysis (with those of a reopened file).
    pub runs: Vec<critical::Run>,
    /// phi_c and the levels, from `analysis::critical`.
    pub estimate: Option<Estimate>,
    /// Runs asked for in all.
    pub total: usize,
    /// The file it was reopened from.
    pub source: Option<PathBuf>,
    /// Stopped before all its runs were done.
    pub cancelled: bool,
    /// The scene its points take what they do not set from (None: reopened).
    base: Option<Scene>,
    /// The grid's settings (for a refinement).
    settings: ScanSettings,
    job: Option<Job>,
}

impl Scan {
    /// Still running.
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Runs finished.
    pub fn finished(&self) -> usize {
        self.runs.len()
    }

    fn reestimate(&mut self) {
        self.estimate = critical::estimate(&self.runs, None, critical::DEFAULT_MAX_ACTIVITY).into_iter().next();
    }

    fn add(&mut self, row: Row) {
        self.runs.extend(critical::runs_of(std::slice::from_ref(&row)));
        self.rows.push(row);
        self.reestimate();
    }

    /// Runs `points` (those not run yet) in the background.
    fn launch(&mut self, mut points: Vec<Point>) {
        let Some(base) = self.base.clone() else { return };
        points.retain(|p| !self.rows.iter().any(|r| r.id == p.id()));
        // Every phi once before any twice: the curve fills in across the grid.
        points.sort_by(|a, b| {
            (a.replicate, a.phi).partial_cmp(&(b.replicate, b.phi)).unwrap_or(std::cmp::Ordering::Equal)
        });
        self.total += points.len();
        let cancel = Arc::new(AtomicBool::new(false));
        let (send, results) = channel();
        let left = points.len();
        let threads = self.settings.threads.max(1);
        let stop = cancel.clone();
        std::thread::spawn(move || {
            let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else { return };
            let next = AtomicUsize::new(0);
            pool.install(|| {
                (0..threads).into_par_iter().for_each_with(send, |send, _| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(point) = points.get(i) else { return };
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let row = point
                            .run(&base)
                            .map(|outcome| Row { id: point.id(), point: point.clone(), outcome })
                            .map_err(|e| format!("phi {}: {e}", point.phi));
                        if send.send(row).is_err() {
                            return;
                        }
                    }
                });
            });
        });
        self.job = Some(Job { cancel, results: Mutex::new(results), left });
    }

    /// Takes the runs finished since the last call; an error of a run.
    fn collect(&mut self) -> Option<String> {
        let job = self.job.as_mut()?;
        let mut arrived = Vec::new();
        let mut done = false;
        if let Ok(results) = job.results.lock() {
            loop {
                match results.try_recv() {
                    Ok(r) => arrived.push(r),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        done = true;
                        break;
                    }
                }
            }
        }
        job.left = job.left.saturating_sub(arrived.len());
        if done || job.left == 0 {
            self.job = None;
        }
        let mut error = None;
        for r in arrived {
            match r {
                Ok(row) => self.add(row),
                Err(e) => error = Some(e),
            }
        }
        error
    }

    fn cancel(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel.store(true, Ordering::Relaxed);
            self.cancelled = true;
        }
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The phi_c of a scan as the lecture writes it: `phi_c = 0.5525 (0.550-0.555)`,
/// where half the runs are absorbed, between the two phi that bracket it.
pub fn phi_c_text(estimate: &Estimate) -> Option<String> {
    let (phi, low, high) = estimate.half_absorbed?;
    // The bracket with the decimals its grid needs (0.5675-0.57 is not 0.568-0.570).
    let decimals = ((-(high - low).max(1e-9).log10() - 1e-6).ceil() + 1.0).clamp(3.0, 6.0) as usize;
    Some(format!("phi_c = {phi:.4} ({low:.decimals$}-{high:.decimals$})"))
}

/// One packing fraction of a scan as the phase diagram draws it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    /// Packing fraction.
    pub phi: f64,
    /// Runs finished at it.
    pub runs: usize,
    /// Share of them absorbed.
    pub absorbed: f64,
    /// Steady-state activity of the surviving runs and its error (0 when all were absorbed).
    pub f_inf: (f64, f64),
    /// Mean tau of the runs that have one (absorption or relaxation time).
    pub tau: Option<f64>,
}

/// The levels of a scan, by phi.
pub fn levels(scan: &Scan) -> Vec<Level> {
    let Some(estimate) = &scan.estimate else { return Vec::new() };
    estimate
        .levels
        .iter()
        .map(|l| {
            let taus: Vec<f64> = scan.runs.iter().filter(|r| r.phi == l.phi).filter_map(|r| r.tau).collect();
            Level {
                phi: l.phi,
                runs: l.runs,
                absorbed: l.absorbed as f64 / l.runs.max(1) as f64,
                f_inf: l.active.unwrap_or((0.0, 0.0)),
                tau: (!taus.is_empty()).then(|| taus.iter().sum::<f64>() / taus.len() as f64),
            }
        })
        .collect()
}

/// The live run's state put on the phase diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Pin {
    /// Its packing fraction.
    pub phi: f64,
    /// Its mean activity over the last [`PIN_WINDOW`] iterations (0 once absorbed).
    pub activity: f64,
    /// The standard error of that mean from ten block means.
    pub error: f64,
    /// Its scheme, in words.
    pub label: String,
}

/// Why the live run cannot be pinned yet, or its pin: absorbed runs pin at
/// zero activity; active ones once [`PIN_WINDOW`] iterations at their
/// present settings have the mean of the window before, within [`PIN_DRIFT`].
pub fn pin(history: &PlotHistory, phi: f64, absorbed: bool, label: String) -> Result<Pin, String> {
    if absorbed {
        return Ok(Pin { phi, activity: 0.0, error: 0.0, label });
    }
    let h = &history.current;
    let since = h.markers().last().map_or(0.0, |m| m.iteration);
    let recent: Vec<&HistoryPoint> = h.recent(2 * PIN_WINDOW).filter(|p| p.iteration >= since).collect();
    if recent.len() < 2 * PIN_WINDOW {
        return Err(format!(
            "not steady yet: {} more iterations at these settings before the activity can be averaged",
            2 * PIN_WINDOW - recent.len()
        ));
    }
    let (before, last) = recent.split_at(PIN_WINDOW);
    let mean = |v: &[&HistoryPoint]| v.iter().map(|p| p.activity).sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(before), mean(last));
    if (b - a).abs() > (PIN_DRIFT * b).max(PIN_DRIFT_FLOOR) {
        return Err(format!("not steady yet: the activity still drifts ({a:.4} then {b:.4})"));
    }
    let blocks: Vec<f64> = last.chunks(PIN_WINDOW / 10).map(mean).collect();
    let var = blocks.iter().map(|m| (m - b).powi(2)).sum::<f64>() / (blocks.len() - 1) as f64;
    Ok(Pin { phi, activity: b, error: (var / blocks.len() as f64).sqrt(), label })
}

/// The scans, the pins and the settings of the next scan.
#[derive(Resource, Default)]
pub struct PhaseDiagram {
    /// Curves, in the order they were started or opened.
    pub scans: Vec<Scan>,
    /// The live run's pinned states.
    pub pins: Vec<Pin>,
    /// The grid of the next scan.
    pub settings: ScanSettings,
    /// The last thing to tell: an error, or why a pin was not taken.
    pub message: Option<String>,
}

impl PhaseDiagram {
    /// Some scan is still running.
    pub fn busy(&self) -> bool {
        self.scans.iter().any(Scan::running)
    }
}

/// What the phase-diagram panel and keys ask for.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum ScanCommand {
    /// A new scan around the live run's phi, with its scheme.
    Start,
    /// A denser grid between the two phi that bracket this scan's phi_c.
    Refine(usize),
    /// Stop this scan; its finished runs stay.
    Cancel(usize),
    /// Take this scan off the diagram.
    Remove(usize),
    /// Save the runs of the scans made here as a merged sweep table.
    Save(PathBuf),
    /// Open a merged sweep table: one curve per scheme, step and N.
    Open(PathBuf),
    /// Put the live run's present state on the diagram.
    Pin,
    /// Take the pins off.
    ClearPins,
}

/// Runs the scans and keeps the diagram.
pub struct ScanPlugin;

impl Plugin for ScanPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PhaseDiagram>()
            .add_message::<ScanCommand>()
            .add_systems(Update, (scan_commands, collect_scans).chain());
    }
}

/// The grid of a new scan of the live run's scene.
pub fn scan_grid(scene: &Scene, phi: f64, settings: &ScanSettings) -> Grid {
    let params = scene.scheme.params(Default::default());
    Grid {
        base: scene.clone(),
        schemes: vec![scene.scheme.kind()],
        kicks: vec![params.kick],
        lrs: vec![params.lr],
        batches: vec![params.batch],
        fixed_batch: params.batch_mode == crate::sim::BatchMode::Fixed,
        phis: phi_grid(phi, settings.points, settings.step),
        ns: vec![settings.n],
        replicates: settings.replicates,
        base_seed: scene.seed,
        steps: settings.steps,
        msd_at: Vec::new(),
        structure_factor: None,
        flatness: None,
    }
}

fn scan_commands(
    mut commands: MessageReader<ScanCommand>,
    mut diagram: ResMut<PhaseDiagram>,
    setup: Res<Setup>,
    sim: Res<Sim>,
    history: Res<PlotHistory>,
) {
    for command in commands.read() {
        let d = &mut *diagram;
        d.message = None;
        match command {
            ScanCommand::Start => {
                let phi = sim.view().packing().phi();
                let grid = scan_grid(&setup.scene, phi, &d.settings);
                match grid.points() {
                    Ok(points) if points.is_empty() => d.message = Some("no packing fraction to scan".into()),
                    Ok(points) => {
                        let label = format!("{}, N {}", sim.view().dynamics().scheme.summary(), d.settings.n);
                        let mut scan = Scan {
                            label,
                            rows: Vec::new(),
                            runs: Vec::new(),
                            estimate: None,
                            total: 0,
                            source: None,
                            cancelled: false,
                            base: Some(grid.base.clone()),
                            settings: d.settings.clone(),
                            job: None,
                        };
                        scan.launch(points);
                        d.scans.push(scan);
                    }
                    Err(e) => d.message = Some(format!("cannot scan: {e}")),
                }
            }
            ScanCommand::Refine(i) => {
                let Some(scan) = d.scans.get_mut(*i) else { continue };
                if scan.running() {
                    d.message = Some("this scan is still running: refine it once it has finished".into());
                    continue;
                }
                let (Some(base), Some((_, low, high))) =
                    (scan.base.clone(), scan.estimate.as_ref().and_then(|e| e.half_absorbed))
                else {
                    d.message = Some("no phi_c to refine around yet: half the runs must absorb at some phi".into());
                    continue;
                };
                let step = (high - low) / (REFINE_POINTS + 1) as f64;
                let mut grid = scan_grid(&base, low, &scan.settings);
                grid.phis = (1..=REFINE_POINTS).map(|k| round12(low + k as f64 * step)).collect();
                match grid.points() {
                    Ok(points) => {
                        scan.cancelled = false;
                        scan.total = scan.runs.len();
                        scan.launch(points);
                    }
                    Err(e) => d.message = Some(format!("cannot refine: {e}")),
                }
            }
            ScanCommand::Cancel(i) => {
                if let Some(scan) = d.scans.get_mut(*i) {
                    scan.cancel();
                }
            }
            ScanCommand::Remove(i) => {
                if *i < d.scans.len() {
                    d.scans.remove(*i);
                }
            }
            ScanCommand::Save(path) => {
                let rows: Vec<Row> = d.scans.iter().flat_map(|s| s.rows.iter().cloned()).collect();
                if rows.is_empty() {
                    d.message = Some("nothing to save yet: no scan of this window has finished a run".into());
                    continue;
                }
                let mut sorted = rows;
                sorted.sort_by(|a, b| a.id.cmp(&b.id));
                let written = crate::io::write_atomically(path, |w| {
                    merge::write_csv(&sorted, w).map_err(|e| std::io::Error::other(e.to_string()))
                });
                d.message = Some(match written {
                    Ok(()) => format!("saved {} runs to {}", sorted.len(), path.display()),
                    Err(e) => format!("not saved: {e}"),
                });
            }
            ScanCommand::Open(path) => match critical::read_runs(path) {
                Ok(runs) => {
                    let mut groups: Vec<(String, Vec<critical::Run>)> = Vec::new();
                    for run in runs {
                        match groups.iter_mut().find(|(g, _)| *g == run.group) {
                            Some((_, list)) => list.push(run),
                            None => groups.push((run.group.clone(), vec![run])),
                        }
                    }
                    let found = groups.len();
                    // A curve shown already (a scan saved and opened again) is not drawn twice.
                    groups.retain(|(_, runs)| !d.scans.iter().any(|s| same_runs(&s.runs, runs)));
                    let (opened, shown) = (groups.len(), found - groups.len());
                    for (group, runs) in groups {
                        let file = path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                        let mut scan = Scan {
                            label: format!("{group} (from {file})"),
                            rows: Vec::new(),
                            runs,
                            estimate: None,
                            total: 0,
                            source: Some(path.clone()),
                            cancelled: false,
                            base: None,
                            settings: d.settings.clone(),
                            job: None,
                        };
                        scan.total = scan.runs.len();
                        scan.reestimate();
                        d.scans.push(scan);
                    }
                    let also = if shown > 0 { format!(" ({shown} shown already)") } else { String::new() };
                    d.message = Some(format!("opened {opened} curves from {}{also}", path.display()));
                }
                Err(e) => d.message = Some(format!("not opened: {e}")),
            },
            ScanCommand::Pin => {
                let view = sim.view();
                let label = view.dynamics().scheme.summary();
                match pin(&history, view.packing().phi(), view.absorbed_at().is_some(), label) {
                    Ok(p) => d.pins.push(p),
                    Err(why) => d.message = Some(why),
                }
            }
            ScanCommand::ClearPins => d.pins.clear(),
        }
    }
}

fn collect_scans(mut diagram: ResMut<PhaseDiagram>) {
    if !diagram.busy() {
        return;
    }
    let d = &mut *diagram;
    for scan in &mut d.scans {
        if let Some(e) = scan.collect() {
            d.message = Some(format!("a run of the scan failed: {e}"));
        }
    }
}

/// The same runs, in any order: a curve already on the diagram.
fn same_runs(a: &[critical::Run], b: &[critical::Run]) -> bool {
    let key = |r: &critical::Run| (r.phi.to_bits(), r.f_inf.to_bits(), r.tau.map(f64::to_bits), r.absorbed);
    let sorted = |runs: &[critical::Run]| {
        let mut runs = runs.to_vec();
        runs.sort_by_key(key);
        runs
    };
    a.len() == b.len() && sorted(a) == sorted(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_centre_on_the_live_phi_and_stay_below_one() {
        assert_eq!(phi_grid(0.5903, 9, 0.01), vec![0.55, 0.56, 0.57, 0.58, 0.59, 0.6, 0.61, 0.62, 0.63]);
        assert_eq!(phi_grid(0.6, 4, 0.2), vec![0.4, 0.6, 0.8, 1.0]);
        assert_eq!(phi_grid(0.97, 5, 0.02), vec![0.94, 0.96, 0.98, 1.0]);
    }

    #[test]
    fn phi_c_is_written_with_the_decimals_its_bracket_needs() {
        let at = |low: f64, high: f64| Estimate {
            group: String::new(),
            levels: Vec::new(),
            half_absorbed: Some((0.5 * (low + high), low, high)),
            power_law: Err(String::new()),
        };
        assert_eq!(phi_c_text(&at(0.56, 0.57)).unwrap(), "phi_c = 0.5650 (0.560-0.570)");
        assert_eq!(phi_c_text(&at(0.5675, 0.57)).unwrap(), "phi_c = 0.5687 (0.5675-0.5700)");
        assert_eq!(phi_c_text(&at(0.4, 0.6)).unwrap(), "phi_c = 0.5000 (0.400-0.600)");
    }
}
