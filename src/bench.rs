//! The fixed workloads of `absorb bench`: how fast the core steps at full
//! activity, near absorption, in 2D, across sizes, and how fast S(k) is.

use crate::error::Result;
use crate::sim::observe;
use crate::sim::{Dynamics, Packing, Radii, Scheme, Simulation};
use std::time::Instant;

/// One measured workload, printed as a JSON line.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// Workload name.
    pub workload: String,
    /// Dimension.
    pub dim: usize,
    /// Particles.
    pub n: usize,
    /// Worker threads.
    pub threads: usize,
    /// Iterations timed.
    pub iterations: u64,
    /// Particle updates (particles x iterations) per second.
    pub updates_per_s: f64,
    /// Milliseconds per iteration (the mean).
    pub ms_per_iter: f64,
    /// The median of the timed iterations, in milliseconds: steadier than
    /// the mean on a shared machine, where a neighbour's burst stretches a
    /// few iterations.
    pub ms_per_iter_median: f64,
    /// Mean activity over the timed iterations (none for S(k), which moves nothing).
    pub activity: Option<f64>,
    /// S(k) in the first shell of |k| (the structure-factor workload only).
    pub first_shell_s: Option<f64>,
    /// Peak resident memory of the process so far, in bytes (Linux; 0 elsewhere).
    pub peak_rss_bytes: u64,
}

impl Measurement {
    /// The JSON line.
    pub fn to_json(&self) -> String {
        let number = |v: Option<f64>| v.map_or("null".to_string(), |v| format!("{v:.4}"));
        let s_k = self.first_shell_s.map_or(String::new(), |s| format!(", \"first_shell_s\": {s:.4}"));
        format!(
            "{{\"workload\": \"{}\", \"dim\": {}, \"n\": {}, \"threads\": {}, \"iterations\": {}, \
             \"updates_per_s\": {:.0}, \"ms_per_iter\": {:.4}, \"ms_per_iter_median\": {:.4}, \"activity\": {}, \
             \"peak_rss_bytes\": {}{s_k}}}",
            self.workload,
            self.dim,
            self.n,
            self.threads,
            self.iterations,
            self.updates_per_s,
            self.ms_per_iter,
            self.ms_per_iter_median,
            number(self.activity),
            self.peak_rss_bytes
        )
    }
}

/// A workload: a start and how to time it.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Name, as `--only` takes it.
    pub name: &'static str,
    /// Dimension.
    pub dim: usize,
    /// Particles.
    pub n: usize,
    /// Packing fraction.
    pub phi: f64,
    /// Radii.
    pub radii: Radii,
    /// Scheme.
    pub scheme: Scheme,
    /// Time only iterations with 0 < f_a <= this (the approach to absorption);
    /// None times every iteration after the warm-up.
    pub tail_below: Option<f64>,
    /// Time every iteration from the first until absorption, as a run of
    /// `absorb run` would go (no warm-up; `--iterations` does not apply).
    pub whole_run: bool,
}

/// Iterations run before timing starts.
const WARMUP: u64 = 10;

/// Every workload; `quick` keeps those that finish in under a minute on two cores.
pub fn workloads(quick: bool) -> Vec<Workload> {
    let active = |name, n| Workload {
        name,
        dim: 3,
        n,
        phi: 0.64,
        radii: Radii::Monodisperse,
        scheme: Scheme::BroPairwise { kick: 0.05 },
        tail_below: None,
        whole_run: false,
    };
    let mut all = vec![
        active("active-3d", 100_000),
        Workload {
            name: "active-sgd-3d",
            scheme: Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: Default::default() },
            ..active("active-sgd-3d", 100_000)
        },
        Workload {
            name: "tail-3d",
            phi: 0.55,
            scheme: Scheme::BroPairwise { kick: 0.1 },
            tail_below: Some(0.02),
            ..active("tail-3d", 100_000)
        },
        Workload {
            name: "absorb-3d",
            phi: 0.55,
            scheme: Scheme::BroPairwise { kick: 0.1 },
            whole_run: true,
            ..active("absorb-3d", 10_000)
        },
        Workload {
            name: "active-2d",
            dim: 2,
            phi: 0.86,
            radii: Radii::bidisperse_2d(),
            ..active("active-2d", 100_000)
        },
        active("scaling-1e4", 10_000),
        active("scaling-1e5", 100_000),
        active("scaling-1e6", 1_000_000),
    ];
    if quick {
        all.retain(|w| matches!(w.name, "active-3d" | "tail-3d" | "scaling-1e4"));
    }
    all
}

/// Runs one workload for `iterations` timed iterations (or, for a tail
/// workload, until absorbed or `iterations` tail iterations; a whole-run
/// workload until absorbed).
pub fn measure(w: &Workload, iterations: u64, threads: usize) -> Result<Measurement> {
    let mut sim = start(w)?;
    for _ in 0..if w.whole_run { 0 } else { WARMUP } {
        sim.step();
    }
    let (mut timed, mut seconds, mut activity) = (0u64, 0.0, 0.0);
    let mut each = Vec::new();
    // A tail run reaches its window after a few hundred iterations; the cap
    // keeps a run that never gets there finite.
    let mut budget = if w.tail_below.is_some() || w.whole_run { 200_000 } else { iterations };
    let iterations = if w.whole_run { u64::MAX } else { iterations };
    while timed < iterations && budget > 0 {
        budget -= 1;
        let start = Instant::now();
        let stats = sim.step();
        let took = start.elapsed().as_secs_f64();
        if stats.absorbed {
            break;
        }
        if w.tail_below.is_none_or(|f| stats.activity <= f) {
            timed += 1;
            seconds += took;
            each.push(took);
            activity += stats.activity;
        }
    }
    let t = timed.max(1) as f64;
    Ok(Measurement {
        workload: w.name.to_string(),
        dim: w.dim,
        n: w.n,
        threads,
        iterations: timed,
        updates_per_s: if seconds > 0.0 { w.n as f64 * timed as f64 / seconds } else { 0.0 },
        ms_per_iter: 1e3 * seconds / t,
        ms_per_iter_median: 1e3 * median(&mut each),
        activity: Some(activity / t),
        first_shell_s: None,
        peak_rss_bytes: peak_rss(),
    })
}

/// The run a workload times, at its first iteration (seed 1).
fn start(w: &Workload) -> Result<Simulation> {
    let radii = w.radii.generate(w.n, 1)?;
    let packing = Packing::random(w.dim, radii, w.phi, 1)?;
    Simulation::new(packing, Dynamics { scheme: w.scheme, ..Dynamics::default() }, 1)
}

/// The median of `values` (0 for none); sorts them.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// What repeated runs of one workload at one thread count measured: the
/// median, least and largest of the runs' `ms_per_iter_median`, and the
/// figures the speed targets compare.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Workload name.
    pub workload: String,
    /// Worker threads.
    pub threads: usize,
    /// Runs summarised.
    pub runs: usize,
    /// Median over the runs, in milliseconds per iteration.
    pub ms_per_iter_median: f64,
    /// Fastest run.
    pub ms_per_iter_min: f64,
    /// Slowest run.
    pub ms_per_iter_max: f64,
    /// Particle updates per second at the median.
    pub updates_per_s: f64,
    /// The median at one thread over this median, where one thread ran too.
    pub speedup_over_1_thread: Option<f64>,
    /// For `tail-3d`: this median over `active-3d`'s at the same thread
    /// count, where that ran too.
    pub share_of_active_3d: Option<f64>,
}

impl Summary {
    /// The JSON line (the optional figures only where they were measured).
    pub fn to_json(&self) -> String {
        let mut json = format!(
            "{{\"summary\": \"{}\", \"threads\": {}, \"runs\": {}, \"ms_per_iter_median\": {:.4}, \
             \"ms_per_iter_min\": {:.4}, \"ms_per_iter_max\": {:.4}, \"updates_per_s\": {:.0}",
            self.workload,
            self.threads,
            self.runs,
            self.ms_per_iter_median,
            self.ms_per_iter_min,
            self.ms_per_iter_max,
            self.updates_per_s
        );
        if let Some(speedup) = self.speedup_over_1_thread {
            json += &format!(", \"speedup_over_1_thread\": {speedup:.3}");
        }
        if let Some(share) = self.share_of_active_3d {
            json += &format!(", \"share_of_active_3d\": {share:.4}");
        }
        json + "}"
    }
}

/// One summary per workload and thread count, in the order they first ran.
pub fn summarize(measurements: &[Measurement]) -> Vec<Summary> {
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for m in measurements {
        if !keys.contains(&(m.workload.as_str(), m.threads)) {
            keys.push((&m.workload, m.threads));
        }
    }
    // The runs' medians of one workload at one thread count.
    let times_of = |workload: &str, threads: usize| -> Vec<f64> {
        measurements
            .iter()
            .filter(|m| m.workload == workload && m.threads == threads)
            .map(|m| m.ms_per_iter_median)
            .collect()
    };
    let median_of = |workload: &str, threads: usize| {
        let mut times = times_of(workload, threads);
        (!times.is_empty()).then(|| median(&mut times))
    };
    keys.iter()
        .map(|&(workload, threads)| {
            let n = measurements.iter().find(|m| m.workload == workload).map_or(0, |m| m.n);
            // Every key has a run; `median` sorts them, fastest first.
            let mut times = times_of(workload, threads);
            let ms = median(&mut times);
            Summary {
                workload: workload.to_string(),
                threads,
                runs: times.len(),
                ms_per_iter_median: ms,
                ms_per_iter_min: times[0],
                ms_per_iter_max: times[times.len() - 1],
                updates_per_s: if ms > 0.0 { n as f64 / (ms * 1e-3) } else { 0.0 },
                speedup_over_1_thread: (threads > 1)
                    .then(|| median_of(workload, 1))
                    .flatten()
                    .filter(|_| ms > 0.0)
                    .map(|one| one / ms),
                share_of_active_3d: (workload == "tail-3d")
                    .then(|| median_of("active-3d", threads))
                    .flatten()
                    .filter(|&active| active > 0.0)
                    .map(|active| ms / active),
            }
        })
        .collect()
}

/// Times S(k) for N = 10^5 in 3D and all |k| <= 20 (2 pi / L).
pub fn measure_structure_factor(threads: usize) -> Result<Measurement> {
    let n = 100_000;
    let packing = Packing::random(3, Radii::Monodisperse.generate(n, 1)?, 0.64, 1)?;
    let start = Instant::now();
    let shells = observe::structure_factor(&packing, 20);
    let seconds = start.elapsed().as_secs_f64();
    Ok(Measurement {
        workload: "structure-factor".into(),
        dim: 3,
        n,
        threads,
        iterations: 1,
        updates_per_s: n as f64 / seconds,
        ms_per_iter: 1e3 * seconds,
        ms_per_iter_median: 1e3 * seconds,
        activity: None,
        first_shell_s: shells.first().map(|s| s.s),
        peak_rss_bytes: peak_rss(),
    })
}

/// Peak resident set size of this process (VmHWM), in bytes.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measurement_prints_every_field_the_issue_names() {
        let w = Workload { n: 2000, ..workloads(true)[0].clone() };
        let m = measure(&w, 3, 1).unwrap();
        assert_eq!(m.iterations, 3);
        assert!(m.updates_per_s > 0.0 && m.ms_per_iter > 0.0 && m.activity.unwrap() > 0.5);
        assert!(m.ms_per_iter_median > 0.0, "median {}", m.ms_per_iter_median);
        let json = m.to_json();
        for key in [
            "workload",
            "dim",
            "n",
            "threads",
            "iterations",
            "updates_per_s",
            "ms_per_iter",
            "ms_per_iter_median",
            "activity",
        ] {
            assert!(json.contains(&format!("\"{key}\": ")), "{key} missing from {json}");
        }
        assert!(json.starts_with('{') && json.ends_with('}'));
    }

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&mut [3.0, 1.0, 100.0]), 3.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 100.0]), 3.0);
        assert_eq!(median(&mut []), 0.0);
    }

    fn run(workload: &str, threads: usize, ms: f64) -> Measurement {
        Measurement {
            workload: workload.into(),
            dim: 3,
            n: 100_000,
            threads,
            iterations: 50,
            updates_per_s: 0.0,
            ms_per_iter: ms,
            ms_per_iter_median: ms,
            activity: Some(1.0),
            first_shell_s: None,
            peak_rss_bytes: 0,
        }
    }

    /// Three runs of active-3d at one and two threads and of tail-3d at
    /// two: medians of the runs, the speedup and the tail's share.
    #[test]
    fn a_summary_gives_the_median_of_the_runs_and_the_ratios_of_the_targets() {
        let runs = [
            run("active-3d", 1, 20.0),
            run("active-3d", 2, 12.0),
            run("tail-3d", 2, 1.5),
            run("active-3d", 1, 30.0),
            run("active-3d", 2, 10.0),
            run("tail-3d", 2, 0.9),
            run("active-3d", 1, 21.0),
            run("active-3d", 2, 11.0),
            run("tail-3d", 2, 1.1),
        ];
        let summary = summarize(&runs);
        assert_eq!(summary.len(), 3);
        let (one, two, tail) = (&summary[0], &summary[1], &summary[2]);
        assert_eq!((one.workload.as_str(), one.threads, one.runs), ("active-3d", 1, 3));
        assert_eq!((one.ms_per_iter_median, one.ms_per_iter_min, one.ms_per_iter_max), (21.0, 20.0, 30.0));
        assert_eq!(one.speedup_over_1_thread, None);
        assert_eq!(two.ms_per_iter_median, 11.0);
        assert!((two.updates_per_s - 100_000.0 / 0.011).abs() < 1e-6 * two.updates_per_s);
        assert!((two.speedup_over_1_thread.unwrap() - 21.0 / 11.0).abs() < 1e-12);
        assert_eq!(tail.ms_per_iter_median, 1.1);
        assert!((tail.share_of_active_3d.unwrap() - 1.1 / 11.0).abs() < 1e-12);
        assert_eq!(two.share_of_active_3d, None);
        let json = tail.to_json();
        assert!(json.contains("\"summary\": \"tail-3d\"") && json.contains("\"share_of_active_3d\": 0.1000"), "{json}");
        assert!(!json.contains("speedup"), "{json}");
    }

    /// N = 300 from the workload's start (seed 1): the iterations timed are
    /// those of a plain run until it is found absorbed, whatever
    /// `--iterations` says.
    #[test]
    fn a_whole_run_workload_times_every_iteration_until_absorption() {
        let w = Workload { n: 300, ..workloads(false).into_iter().find(|w| w.name == "absorb-3d").unwrap() };
        let m = measure(&w, 5, 1).unwrap();
        let mut sim = start(&w).unwrap();
        while !sim.step().absorbed {}
        let absorbed_at = sim.absorbed_at().unwrap();
        assert!(absorbed_at > 100, "absorbed after {absorbed_at} iterations");
        assert_eq!(m.iterations, absorbed_at);
        let activity = m.activity.unwrap();
        assert!(activity > 0.0 && activity < 1.0, "mean activity {activity}");
    }

    #[test]
    fn a_tail_workload_times_only_the_approach_to_absorption() {
        let w = Workload { n: 3000, ..workloads(true).into_iter().find(|w| w.name == "tail-3d").unwrap() };
        let m = measure(&w, 5, 1).unwrap();
        assert!(m.iterations > 0);
        let activity = m.activity.unwrap();
        assert!(activity > 0.0 && activity <= 0.02, "timed activity {activity}");
    }
}
