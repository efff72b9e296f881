//! The plotted history of a run: every iteration while the run is short, then
//! every 2nd, 4th, ... so that the whole run stays visible in bounded memory.

use crate::sim::StepStats;

/// Points kept at most; past this, every other point is dropped and the
/// stride doubles.
pub const MAX_POINTS: usize = 4096;
/// Parameter-change markers kept at most (the oldest go first).
pub const MAX_MARKERS: usize = 256;

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

/// A vertical marker where a parameter changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Iteration of the change.
    pub iteration: f64,
    /// What changed, for the plot's legend.
    pub label: String,
}

/// The run so far, downsampled.
#[derive(Clone, Debug)]
pub struct History {
    points: Vec<Point>,
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
        Self { points: Vec::new(), markers: Vec::new(), stride: 1, capacity: capacity.max(2) }
    }

    /// Records an iteration if it falls on the current stride.
    pub fn push(&mut self, s: &StepStats) {
        if !s.iteration.is_multiple_of(self.stride) {
            return;
        }
        self.points.push(Point { iteration: s.iteration as f64, activity: s.activity, energy: s.energy, msd: s.msd });
        if self.points.len() > self.capacity {
            self.stride *= 2;
            let stride = self.stride as f64;
            self.points.retain(|p| p.iteration % stride == 0.0);
        }
    }

    /// Marks a parameter change at `iteration`.
    pub fn mark(&mut self, iteration: u64, label: impl Into<String>) {
        self.markers.push(Marker { iteration: iteration as f64, label: label.into() });
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

    #[test]
    fn markers_are_bounded() {
        let mut h = History::default();
        for k in 0..1000 {
            h.mark(k, "lr");
        }
        assert_eq!(h.markers().len(), MAX_MARKERS);
        assert_eq!(h.markers()[0].iteration, (1000 - MAX_MARKERS) as f64);
    }
}
