//! The plotted history of a run: every iteration while the run is short, then
//! every 2nd, 4th, ... so that the whole run stays visible in bounded memory;
//! the most recent iterations at full resolution besides, for a close look;
//! and a marker wherever a parameter changed, saying what changed.

use crate::sim::StepStats;
use crate::sim::describe::Change;
use std::collections::VecDeque;

/// Points kept at most; past this, every other point is dropped and the
/// stride doubles.
pub const MAX_POINTS: usize = 4096;
/// Parameter-change markers kept at most (the oldest go first).
pub const MAX_MARKERS: usize = 256;
/// The most recent iterations kept at full resolution: the longest recent
/// window the plots offer.
pub const RECENT: usize = 10_000;

/// One plotted iteration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Iteration k.
    pub iteration: f64,
    /// Activity f_a.
    pub activity: f64,
    /// Energy per particle.
    pub energy: f64,
    /// Mean square displacement.
    pub msd: f64,
}

/// A vertical marker where parameters changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Iteration of the (first) change.
    pub iteration: f64,
    /// What changed, with the old and new values.
    pub changes: Vec<Change>,
    /// When the last change merged into it arrived, in seconds of the window's clock.
    pub at: f64,
}

impl Marker {
    /// A short tag for the plot: the new scheme's name when the scheme
    /// changed, else the names of what changed (`lr`, `lr, batch`).
    pub fn tag(&self) -> String {
        if let Some(c) = self.changes.iter().find(|c| c.what == "scheme") {
            return c.to.clone();
        }
        self.changes.iter().map(|c| c.what.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// Every change on a line of its own, with the iteration: the hover text.
    pub fn describe(&self) -> String {
        let mut text = format!("iteration {}", self.iteration);
        for c in &self.changes {
            text.push('\n');
            text.push_str(&c.describe());
        }
        text
    }

    /// Folds a later change in: the old value stays the first one, the new
    /// value is the latest; a value back where it started drops out.
    fn merge(&mut self, later: Vec<Change>) {
        for c in later {
            match self.changes.iter_mut().find(|m| m.what == c.what) {
                Some(m) => m.to = c.to,
                None => self.changes.push(c),
            }
        }
        self.changes.retain(|c| c.from != c.to);
    }
}

/// The run so far, downsampled, and its last iterations in full.
#[derive(Clone, Debug)]
pub struct History {
    points: Vec<Point>,
    recent: VecDeque<Point>,
    markers: Vec<Marker>,
    stride: u64,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        Self::with_capacity(MAX_POINTS)
    }
}

impl History {
    /// A history that keeps at most `capacity` points (at least 2).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { points: Vec::new(), recent: VecDeque::new(), markers: Vec::new(), stride: 1, capacity: capacity.max(2) }
    }

    /// Records an iteration: in the recent window always, in the whole run
    /// if it falls on the current stride.
    pub fn push(&mut self, s: &StepStats) {
        let point = Point { iteration: s.iteration as f64, activity: s.activity, energy: s.energy, msd: s.msd };
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(point);
        if !s.iteration.is_multiple_of(self.stride) {
            return;
        }
        self.points.push(point);
        if self.points.len() > self.capacity {
            self.stride *= 2;
            let stride = self.stride as f64;
            self.points.retain(|p| p.iteration % stride == 0.0);
        }
    }

    /// Marks changes made at `iteration`, `at` seconds into the window's
    /// clock; changes within `merge_within` seconds of the last marker's
    /// join it (a marker whose changes all went back is removed).
    pub fn mark(&mut self, iteration: u64, changes: Vec<Change>, at: f64, merge_within: f64) {
        if let Some(last) = self.markers.last_mut()
            && at - last.at < merge_within
        {
            last.merge(changes);
            last.at = at;
            if last.changes.is_empty() {
                self.markers.pop();
            }
            return;
        }
        let mut marker = Marker { iteration: iteration as f64, changes: Vec::new(), at };
        marker.merge(changes);
        if marker.changes.is_empty() {
            return;
        }
        self.markers.push(marker);
        if self.markers.len() > MAX_MARKERS {
            self.markers.remove(0);
        }
    }

    /// Forgets everything (a reset).
    pub fn clear(&mut self) {
        *self = Self::with_capacity(self.capacity);
    }

    /// The kept points, oldest first.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The points of the last `span` iterations at full resolution (at most
    /// [`RECENT`]), oldest first.
    pub fn recent(&self, span: usize) -> impl Iterator<Item = &Point> {
        self.recent.iter().skip(self.recent.len().saturating_sub(span))
    }

    /// The parameter-change markers.
    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    /// Iterations between two kept points.
    pub fn stride(&self) -> u64 {
        self.stride
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(k: u64) -> StepStats {
        StepStats { iteration: k, activity: 1.0 / (k + 1) as f64, ..Default::default() }
    }

    #[test]
    fn long_runs_stay_bounded_and_span_the_whole_run() {
        let mut h = History::with_capacity(100);
        for k in 0..100_000 {
            h.push(&stats(k));
        }
        assert!(h.points().len() <= 100);
        assert!(h.points().len() >= 50);
        assert_eq!(h.points()[0].iteration, 0.0);
        let last = h.points().last().unwrap().iteration;
        assert!(last >= 100_000.0 - 2.0 * h.stride() as f64, "last kept point {last}");
        assert!(h.points().windows(2).all(|w| w[1].iteration - w[0].iteration == h.stride() as f64));
    }

    fn lr(from: &str, to: &str) -> Vec<Change> {
        vec![Change { what: "lr".into(), from: from.into(), to: to.into() }]
    }

    #[test]
    fn markers_are_bounded() {
        let mut h = History::default();
        for k in 0..1000 {
            h.mark(k, lr("0.1", "0.2"), k as f64 * 2.0, 1.0);
        }
        assert_eq!(h.markers().len(), MAX_MARKERS);
        assert_eq!(h.markers()[0].iteration, (1000 - MAX_MARKERS) as f64);
    }

    #[test]
    fn changes_within_a_second_make_one_marker() {
        let mut h = History::default();
        // Typing or dragging 0.05 -> 0.03 -> 0.02 within a second.
        h.mark(10, lr("0.05", "0.03"), 5.0, 1.0);
        h.mark(12, lr("0.03", "0.02"), 5.6, 1.0);
        h.mark(13, vec![Change { what: "batch".into(), from: "0.5".into(), to: "0.75".into() }], 6.3, 1.0);
        assert_eq!(h.markers().len(), 1);
        let m = &h.markers()[0];
        assert_eq!(m.iteration, 10.0);
        assert_eq!(m.tag(), "lr, batch");
        assert_eq!(m.describe(), "iteration 10\nlr 0.05 -> 0.02\nbatch 0.5 -> 0.75");
        // More than a second later: a marker of its own.
        h.mark(40, lr("0.02", "0.01"), 8.0, 1.0);
        assert_eq!(h.markers().len(), 2);
        // A change undone within the second leaves no marker.
        h.mark(50, lr("0.01", "0.02"), 8.5, 1.0);
        assert_eq!(h.markers().len(), 1);
    }

    #[test]
    fn the_recent_window_keeps_every_iteration() {
        let mut h = History::with_capacity(100);
        for k in 0..30_000 {
            h.push(&stats(k));
        }
        let recent: Vec<f64> = h.recent(1000).map(|p| p.iteration).collect();
        assert_eq!(recent.len(), 1000);
        assert_eq!(recent[0], 29_000.0);
        assert!(recent.windows(2).all(|w| w[1] - w[0] == 1.0));
        assert_eq!(h.recent(usize::MAX).count(), RECENT);
    }
}
