//! Scenes in RON: everything a person sets about a run and its view, parsed
//! once into validated values. Every field is documented in docs/scenes.md.

use crate::error::{Error, Result};
use crate::sim::packing::{MAX_PHI, Packing, Radii};
use crate::sim::space::DIMENSIONS;
use crate::sim::{Dynamics, Potential, Scheme, Simulation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The scene `cargo run --release` opens: built in, so the program works from
/// any directory.
pub const DEFAULT_SCENE: &str = include_str!("../scenes/default.ron");

/// Most particles a scene may ask for: beyond this the arrays alone outgrow a
/// laptop's memory.
pub const MAX_PARTICLES: usize = 50_000_000;

/// A run and how to show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scene {
    /// One line saying what the scene shows (the visualizer's picker lists it).
    pub description: String,
    /// Spatial dimension d: 2, 3 or 4.
    pub dim: usize,
    /// Number of particles N (at least 2).
    pub n: usize,
    /// Packing fraction phi of the random start, in (0, 1].
    pub phi: f64,
    /// Radius distribution (lengths in small diameters).
    pub radii: Radii,
    /// Where the positions come from: `Random` (uniform, from the seed) or
    /// `File("path.xyz")`, a frame written by absorb; a file fixes N, the
    /// dimension, the radii and the box, and `n`, `dim`, `phi` and `radii`
    /// are then ignored.
    pub start: Start,
    /// Update scheme and its step size.
    pub scheme: Scheme,
    /// Exponent m of the pair potential: 1 linear (default), 2 harmonic, 2.5 Hertzian.
    pub potential: Potential,
    /// A pair is active only when its overlap 1 - r/sigma exceeds this, in
    /// [0, 1); when not given, 0 for the linear potential and 10^-3 for
    /// m > 1 ([`Potential::default_overlap_tolerance`]).
    #[serde(deserialize_with = "some_number", skip_serializing_if = "Option::is_none")]
    pub overlap_tolerance: Option<f64>,
    /// Seed of the initial configuration and of every random number of the run.
    pub seed: u64,
    /// Iterations a headless run does at most (it stops early once absorbed).
    pub steps: u64,
    /// A headless run also stops once no particle moves farther than this in
    /// one iteration, in diameters (GD settling into an overlapping minimum);
    /// 0 never stops for this.
    pub stall_tolerance: f64,
    /// How the visualizer shows the run.
    pub view: View,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            description: String::new(),
            dim: 3,
            n: 2000,
            phi: 0.5,
            radii: Radii::Monodisperse,
            start: Start::Random,
            scheme: Scheme::default(),
            potential: Potential::LINEAR,
            overlap_tolerance: None,
            seed: 1,
            steps: 10_000,
            stall_tolerance: 0.0,
            view: View::default(),
        }
    }
}

/// Where a run's positions come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Start {
    /// Uniform random positions (overlaps allowed), from the seed.
    #[default]
    Random,
    /// The first frame of an extended XYZ file written by absorb
    /// (`final.xyz`, a recording); relative paths are from the working directory.
    File(PathBuf),
}

/// An RGB colour, components in [0, 1].
pub type Rgb = [f32; 3];

/// The window's look: dark panels on a dark background, or light ones on
/// white for a projector in a bright room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Dark panels; the background is the scene's `background`.
    #[default]
    Dark,
    /// Light panels on a near-white background.
    Light,
}

/// What the visualizer needs beyond the physics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct View {
    /// Iterations per second; 0 runs as fast as the frame budget allows.
    pub iterations_per_second: f64,
    /// Colour of overlapping (active) spheres: Okabe-Ito vermillion, warm and
    /// told apart from `resting_color` by every common colour-vision deficiency.
    pub active_color: Rgb,
    /// Colour of resting spheres: Okabe-Ito blue.
    pub resting_color: Rgb,
    /// Background colour.
    pub background: Rgb,
    /// Camera distance from the box centre, in box sides.
    pub camera_distance: f64,
    /// Camera azimuth around the vertical axis, in degrees.
    pub camera_yaw: f64,
    /// Camera elevation above the horizontal plane, in degrees.
    pub camera_pitch: f64,
    /// Dark or light panels and background.
    pub theme: Theme,
}

impl Default for View {
    fn default() -> Self {
        Self {
            iterations_per_second: 30.0,
            active_color: [0.835, 0.369, 0.0],
            resting_color: [0.0, 0.447, 0.698],
            background: [0.08, 0.08, 0.1],
            camera_distance: 2.8,
            camera_yaw: 30.0,
            camera_pitch: 25.0,
            theme: Theme::Dark,
        }
    }
}

impl Scene {
    /// Parses and validates a scene from RON text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let scene = Self::parse_unchecked(text, path)?;
        scene.validate().map_err(|e| Error::InFile { path: path.to_path_buf(), error: Box::new(e) })?;
        Ok(scene)
    }

    /// Parses RON text without checking the values' ranges (the command line
    /// overrides fields first, then validates).
    pub fn parse_unchecked(text: &str, path: &Path) -> Result<Self> {
        ron::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }

    /// Reads, parses and validates a scene file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::parse(&read(path)?, path)
    }

    /// Reads and parses a scene file without checking the values' ranges.
    pub fn load_unchecked(path: &Path) -> Result<Self> {
        Self::parse_unchecked(&read(path)?, path)
    }

    /// The built-in default scene.
    pub fn default_scene() -> Result<Self> {
        Self::parse(DEFAULT_SCENE, Path::new("scenes/default.ron"))
    }

    /// The scene as RON text, loadable again.
    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::new().struct_names(false);
        // Serializing plain numbers, strings and enums cannot fail.
        ron::ser::to_string_pretty(self, config).unwrap_or_default()
    }

    /// Checks every field; the error names it, its value and what is allowed.
    pub fn validate(&self) -> Result<()> {
        if !DIMENSIONS.contains(&self.dim) {
            return Err(Error::invalid("dim", self.dim, "2, 3 or 4"));
        }
        if !(2..=MAX_PARTICLES).contains(&self.n) {
            return Err(Error::invalid("n", self.n, format!("a number of particles from 2 to {MAX_PARTICLES}")));
        }
        if !(self.phi.is_finite() && self.phi > 0.0 && self.phi <= MAX_PHI) {
            return Err(Error::invalid("phi", self.phi, format!("a packing fraction in (0, {MAX_PHI}]")));
        }
        self.radii.validate()?;
        self.dynamics().validate()?;
        if self.steps == 0 {
            return Err(Error::invalid("steps", 0, "at least 1 iteration"));
        }
        if !(self.stall_tolerance.is_finite() && self.stall_tolerance >= 0.0) {
            return Err(Error::invalid("stall_tolerance", self.stall_tolerance, "a distance >= 0, in diameters"));
        }
        self.view.validate()?;
        match &self.start {
            // The box side follows from n, radii and phi: check it without
            // drawing the positions, which the run draws once.
            Start::Random => {
                let radii = self.radii.generate(self.n, self.seed)?;
                crate::sim::packing::check_side(crate::sim::space::side_for_phi(self.dim, &radii, self.phi), &radii)
            }
            Start::File(_) => self.packing().map(|_| ()),
        }
    }

    /// The dynamics the scene sets.
    pub fn dynamics(&self) -> Dynamics {
        Dynamics { scheme: self.scheme, potential: self.potential, overlap_tolerance: self.overlap_tolerance() }
    }

    /// The overlap tolerance of the run: the scene's, or the potential's default.
    pub fn overlap_tolerance(&self) -> f64 {
        self.overlap_tolerance.unwrap_or(self.potential.default_overlap_tolerance())
    }

    /// The initial configuration: random from the seed, or read from the start file.
    pub fn packing(&self) -> Result<Packing> {
        match &self.start {
            Start::Random => {
                let radii = self.radii.generate(self.n, self.seed)?;
                Packing::random(self.dim, radii, self.phi, self.seed)
            }
            Start::File(path) => {
                let text = read(path)?;
                crate::io::xyz::read_frame(&text, path)
            }
        }
    }

    /// A simulation at iteration 0 of this scene.
    pub fn simulation(&self) -> Result<Simulation> {
        Simulation::new(self.packing()?, self.dynamics(), self.seed)
    }
}

impl View {
    fn validate(&self) -> Result<()> {
        if !(self.iterations_per_second.is_finite() && self.iterations_per_second >= 0.0) {
            return Err(Error::invalid(
                "view.iterations_per_second",
                self.iterations_per_second,
                "a rate >= 0 (0: as fast as it goes)",
            ));
        }
        for (name, c) in [
            ("view.active_color", self.active_color),
            ("view.resting_color", self.resting_color),
            ("view.background", self.background),
        ] {
            if c.iter().any(|v| !(0.0..=1.0).contains(v)) {
                return Err(Error::invalid(name, format!("{c:?}"), "three components in [0, 1]"));
            }
        }
        if !(self.camera_distance.is_finite() && self.camera_distance > 0.0) {
            return Err(Error::invalid("view.camera_distance", self.camera_distance, "a distance > 0, in box sides"));
        }
        for (name, v) in [("view.camera_yaw", self.camera_yaw), ("view.camera_pitch", self.camera_pitch)] {
            if !v.is_finite() {
                return Err(Error::invalid(name, v, "a finite angle in degrees"));
            }
        }
        Ok(())
    }
}

/// A field written as a plain number (`overlap_tolerance: 0.001`) that may
/// also be left out (`None`).
fn some_number<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    f64::deserialize(d).map(Some)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Where a scene named on the command line lives: a path as given, or a name
/// looked up as `scenes/NAME.ron` here and then beside the sources.
pub fn resolve(name: &str) -> PathBuf {
    let given = PathBuf::from(name);
    if given.exists() || name.ends_with(".ron") || name.contains(std::path::MAIN_SEPARATOR) {
        return given;
    }
    let local = Path::new("scenes").join(format!("{name}.ron"));
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes").join(format!("{name}.ron"))
}
