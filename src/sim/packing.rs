//! A configuration: dimension, box, radii and positions; and how to draw one.

use super::cells::{CellList, overlaps};
use super::rng::{Purpose, Stream};
use super::space::{self, DIMENSIONS, PeriodicBox};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The packing fraction above which a random start or a rescaling is
/// refused: past 1 the spheres' volume exceeds the box's.
pub const MAX_PHI: f64 = 1.0;

/// The box must be at least this many largest diameters wide: then a pair
/// overlaps through at most one periodic image and no sphere meets itself.
pub const MIN_SIDE_IN_DIAMETERS: f64 = 2.0;

/// How the radii are chosen. Lengths are in diameters of the monodisperse
/// (or small) sphere: its radius is 1/2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum Radii {
    /// Every radius 1/2 (diameter 1). Crystallises in 2D: use `Bidisperse` there.
    #[default]
    Monodisperse,
    /// Small radius 1/2 and large radius `ratio`/2; `large_fraction` of the
    /// particles (rounded) are large. The usual 2D glass former is ratio 1.4,
    /// fraction 0.5.
    Bidisperse {
        /// Large over small radius, >= 1.
        ratio: f64,
        /// Fraction of large particles, in [0, 1].
        large_fraction: f64,
    },
    /// Radii uniform in [min, max], drawn from the seed.
    Uniform {
        /// Smallest radius, > 0.
        min: f64,
        /// Largest radius, >= min.
        max: f64,
    },
}

impl Radii {
    /// The usual 2D bidisperse mixture: 50:50, radius ratio 1.4.
    pub fn bidisperse_2d() -> Self {
        Radii::Bidisperse { ratio: 1.4, large_fraction: 0.5 }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Radii::Monodisperse => Ok(()),
            Radii::Bidisperse { ratio, large_fraction } => {
                if !(ratio.is_finite() && ratio >= 1.0) {
                    return Err(Error::invalid("radii.ratio", ratio, "a finite number >= 1"));
                }
                if !(0.0..=1.0).contains(&large_fraction) {
                    return Err(Error::invalid("radii.large_fraction", large_fraction, "a number in [0, 1]"));
                }
                Ok(())
            }
            Radii::Uniform { min, max } => {
                if !(min.is_finite() && min > 0.0) {
                    return Err(Error::invalid("radii.min", min, "a finite number > 0"));
                }
                if !(max.is_finite() && max >= min) {
                    return Err(Error::invalid("radii.max", max, format!("a finite number >= radii.min ({min})")));
                }
                Ok(())
            }
        }
    }

    /// The `n` radii, drawn from `seed` where random.
    pub fn generate(&self, n: usize, seed: u64) -> Result<Vec<f64>> {
        self.validate()?;
        Ok(match *self {
            Radii::Monodisperse => vec![0.5; n],
            Radii::Bidisperse { ratio, large_fraction } => {
                let n_large = (large_fraction * n as f64).round() as usize;
                (0..n).map(|i| if i < n - n_large { 0.5 } else { 0.5 * ratio }).collect()
            }
            Radii::Uniform { min, max } => (0..n)
                .map(|i| min + (max - min) * Stream::keyed(seed, Purpose::Radius, 0, i as u64, 0).uniform())
                .collect(),
        })
    }
}

/// Spheres in a periodic cube: the state every scheme acts on.
#[derive(Debug, PartialEq)]
pub struct Packing {
    dim: usize,
    bx: PeriodicBox,
    radii: Vec<f64>,
    /// Twice the largest radius, kept with the radii (a scan of N radii,
    /// it had been found afresh twice an iteration).
    max_diameter: f64,
    /// The spheres' summed volume, kept with the radii: phi was a scan of
    /// N radii, which the window's panels asked for several times a frame.
    volume: f64,
    /// N * dim coordinates, particle-major, each in [0, side).
    positions: Vec<f64>,
}

impl Clone for Packing {
    fn clone(&self) -> Self {
        let (radii, positions) = (self.radii.clone(), self.positions.clone());
        Self { dim: self.dim, bx: self.bx, radii, max_diameter: self.max_diameter, volume: self.volume, positions }
    }

    /// Keeps this packing's buffers: the window copies the run into the same
    /// snapshot many times a second.
    fn clone_from(&mut self, from: &Self) {
        (self.dim, self.bx, self.max_diameter, self.volume) = (from.dim, from.bx, from.max_diameter, from.volume);
        self.radii.clone_from(&from.radii);
        self.positions.clone_from(&from.positions);
    }
}

impl Packing {
    /// A packing from its parts. Positions are wrapped into the box.
    pub fn new(dim: usize, side: f64, radii: Vec<f64>, mut positions: Vec<f64>) -> Result<Self> {
        check_dim(dim)?;
        let n = radii.len();
        if n < 2 {
            return Err(Error::invalid("n", n, "at least 2 particles"));
        }
        if positions.len() != n * dim {
            return Err(Error::invalid(
                "positions",
                format!("{} coordinates", positions.len()),
                format!("{dim} coordinates for each of the {n} particles"),
            ));
        }
        if let Some(r) = radii.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
            return Err(Error::invalid("radius", r, "finite radii > 0"));
        }
        if let Some(x) = positions.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid("position", x, "finite coordinates"));
        }
        check_side(side, &radii)?;
        let bx = PeriodicBox { side };
        for x in &mut positions {
            *x = bx.wrap(*x);
        }
        let max_diameter = largest_diameter(&radii);
        let volume = space::spheres_volume(dim, &radii);
        Ok(Self { dim, bx, radii, max_diameter, volume, positions })
    }

    /// Uniform random positions (overlaps allowed) drawn from `seed`, in the
    /// box that gives packing fraction `phi`. The particles (each with its
    /// radius) are then numbered in the order of the cells they lie in (see
    /// [`Self::in_cell_order`]): the labels of a random configuration are
    /// arbitrary, and these keep neighbours near each other in memory.
    pub fn random(dim: usize, radii: Vec<f64>, phi: f64, seed: u64) -> Result<Self> {
        check_dim(dim)?;
        if !(phi.is_finite() && phi > 0.0 && phi <= MAX_PHI) {
            return Err(Error::invalid("phi", phi, format!("a packing fraction in (0, {MAX_PHI}]")));
        }
        if radii.len() < 2 {
            return Err(Error::invalid("n", radii.len(), "at least 2 particles"));
        }
        let side = space::side_for_phi(dim, &radii, phi);
        let positions = (0..radii.len())
            .flat_map(|i| {
                let mut s = Stream::keyed(seed, Purpose::Position, 0, i as u64, 0);
                (0..dim).map(move |_| side * s.uniform()).collect::<Vec<_>>()
            })
            .collect();
        Ok(Self::new(dim, side, radii, positions)?.in_cell_order())
    }

    /// The same spheres numbered in the order a rebuild of the cell list
    /// puts them in (by cell, the cells along the first axis fastest; in
    /// the order of their old numbers within a cell). A full scan finds
    /// each particle's neighbours in this order, so with it the arrays by
    /// particle are read and written nearly in sequence instead of at
    /// random (the time it saves: docs/design.md, "Cell order").
    pub fn in_cell_order(self) -> Self {
        let order =
            crate::with_dim!(self.dim, D, super::cells::cell_order(self.points::<D>(), self.bx, self.max_diameter));
        let dim = self.dim;
        let positions =
            order.iter().flat_map(|&i| &self.positions[i as usize * dim..(i as usize + 1) * dim]).copied().collect();
        let radii: Vec<f64> = order.iter().map(|&i| self.radii[i as usize]).collect();
        let volume = space::spheres_volume(dim, &radii);
        Self { positions, radii, volume, ..self }
    }

    /// Spatial dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of particles N.
    pub fn len(&self) -> usize {
        self.radii.len()
    }

    /// Always false: a packing holds at least two particles.
    pub fn is_empty(&self) -> bool {
        self.radii.is_empty()
    }

    /// The periodic box.
    pub fn periodic_box(&self) -> PeriodicBox {
        self.bx
    }

    /// Box side L in diameters.
    pub fn side(&self) -> f64 {
        self.bx.side
    }

    /// Radii R_i.
    pub fn radii(&self) -> &[f64] {
        &self.radii
    }

    /// Largest diameter, the reach of every interaction.
    pub fn max_diameter(&self) -> f64 {
        self.max_diameter
    }

    /// Packing fraction phi.
    pub fn phi(&self) -> f64 {
        self.volume / self.bx.side.powi(self.dim as i32)
    }

    /// Coordinates, particle-major (x_0, y_0, z_0, x_1, ...), each in [0, L).
    pub fn positions(&self) -> &[f64] {
        &self.positions
    }

    /// Particle i's position.
    pub fn position(&self, i: usize) -> &[f64] {
        &self.positions[i * self.dim..(i + 1) * self.dim]
    }

    /// Positions as points of dimension `D` (which must equal `dim()`).
    pub fn points<const D: usize>(&self) -> &[[f64; D]] {
        debug_assert_eq!(D, self.dim);
        self.positions.as_chunks::<D>().0
    }

    /// Mutable positions as points; callers keep them wrapped.
    pub(crate) fn points_mut<const D: usize>(&mut self) -> &mut [[f64; D]] {
        debug_assert_eq!(D, self.dim);
        self.positions.as_chunks_mut::<D>().0
    }

    /// Replaces the positions (same count), wrapping them into the box.
    pub(crate) fn set_positions(&mut self, positions: Vec<f64>) {
        debug_assert_eq!(positions.len(), self.positions.len());
        self.positions = positions;
        for x in &mut self.positions {
            *x = self.bx.wrap(*x);
        }
    }

    /// Rescales every radius by `factor` (the box is kept), so that phi
    /// changes by factor^d without touching positions.
    pub fn scale_radii(&mut self, factor: f64) -> Result<()> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(Error::invalid("radius scale", factor, "a finite number > 0"));
        }
        if !fits_twice(self.bx.side, self.max_diameter() * factor) {
            return Err(Error::invalid(
                "phi",
                space::packing_fraction(self.dim, &self.radii, self.bx.side) * factor.powi(self.dim as i32),
                "a value whose largest diameter fits twice into the box",
            ));
        }
        for r in &mut self.radii {
            *r *= factor;
        }
        self.max_diameter = largest_diameter(&self.radii);
        self.volume = space::spheres_volume(self.dim, &self.radii);
        Ok(())
    }
}

/// The box holds the largest diameter at least twice.
fn fits_twice(side: f64, max_diameter: f64) -> bool {
    side.is_finite() && side >= MIN_SIDE_IN_DIAMETERS * max_diameter
}

/// Twice the largest of `radii` (0 for none).
fn largest_diameter(radii: &[f64]) -> f64 {
    2.0 * radii.iter().cloned().fold(0.0, f64::max)
}

/// Checks that a box of `side` is wide enough for spheres with these `radii`.
pub fn check_side(side: f64, radii: &[f64]) -> Result<()> {
    let max_diameter = largest_diameter(radii);
    if fits_twice(side, max_diameter) {
        return Ok(());
    }
    Err(Error::invalid(
        "box side",
        format!("{side:.4} diameters"),
        format!(
            "at least {MIN_SIDE_IN_DIAMETERS} of the largest diameter ({max_diameter}): \
             use more particles or a lower phi"
        ),
    ))
}

fn check_dim(dim: usize) -> Result<()> {
    if DIMENSIONS.contains(&dim) { Ok(()) } else { Err(Error::invalid("dim", dim, "2, 3 or 4")) }
}

impl Packing {
    /// Every overlapping pair (i < j, r < R_i + R_j), found with a cell list
    /// (what the tests hold the cell list's searches to, with
    /// [`Self::contact_pairs_brute`]).
    pub fn contact_pairs(&self) -> Vec<(usize, usize)> {
        crate::with_dim!(self.dim(), D, contact_pairs_d::<D>(self))
    }

    /// Every overlapping pair by checking all N(N-1)/2 pairs: the reference
    /// the cell list is tested against.
    pub fn contact_pairs_brute(&self) -> Vec<(usize, usize)> {
        crate::with_dim!(self.dim(), D, contact_pairs_brute_d::<D>(self))
    }
}

fn contact_pairs_d<const D: usize>(packing: &Packing) -> Vec<(usize, usize)> {
    let x = packing.points::<D>();
    let radii = packing.radii();
    let bx = packing.periodic_box();
    let mut cells = CellList::default();
    cells.rebuild(x, radii, bx, packing.max_diameter());
    let ids = cells.ids();
    let mut pairs = Vec::new();
    for s in 0..x.len() {
        let i = ids[s] as usize;
        cells.for_each_candidate::<D>(s, |t| {
            let j = ids[t] as usize;
            if i < j && overlaps(bx, &x[i], &x[j], radii[i] + radii[j]) {
                pairs.push((i, j));
            }
        });
    }
    pairs.sort_unstable();
    pairs
}

fn contact_pairs_brute_d<const D: usize>(packing: &Packing) -> Vec<(usize, usize)> {
    let x = packing.points::<D>();
    let radii = packing.radii();
    let bx = packing.periodic_box();
    let mut pairs = Vec::new();
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            if overlaps(bx, &x[i], &x[j], radii[i] + radii[j]) {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_kept_with_the_radii_is_phi_found_from_them() {
        // Polydisperse radii, put in cell order (a permutation) and rescaled:
        // the kept volume gives the same bits as a scan of the radii.
        let radii = Radii::bidisperse_2d().generate(500, 4).unwrap();
        let mut p = Packing::random(2, radii, 0.7, 4).unwrap();
        let scan = |p: &Packing| space::packing_fraction(p.dim(), p.radii(), p.side());
        assert_eq!(p.phi().to_bits(), scan(&p).to_bits());
        p.scale_radii(0.97).unwrap();
        assert_eq!(p.phi().to_bits(), scan(&p).to_bits());
        let mut copy = Packing::random(3, vec![0.5; 50], 0.3, 1).unwrap();
        copy.clone_from(&p);
        assert_eq!(copy.phi().to_bits(), scan(&p).to_bits());
    }
}
