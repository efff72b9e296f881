//! Lecture files: a storyline of steps, each a scene with a title and a few
//! sentences of notes, and what to start with it (a scan of phi, a second
//! run side by side). RON, in `lectures/`:
//!
//! ```ron
//! (
//!     title: "The absorbing transition of SGD",
//!     theme: Light,
//!     steps: [
//!         (title: "Below phi_c the spheres settle", scene: "absorbing-3d", notes: "..."),
//!         (title: "f_inf rises from zero at phi_c", scene: "default", scan: true),
//!         (title: "BRO is SGD in disguise", scene: "bidisperse-2d", compare: "matched"),
//!     ],
//! )
//! ```

use crate::error::{Error, Result};
use crate::scene::{Scene, Theme};
use crate::sim::Dynamics;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A lecture file as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LectureFile {
    /// The lecture's title.
    pub title: String,
    /// The look of every step (None: each scene's own).
    #[serde(default)]
    pub theme: Option<Theme>,
    /// The steps, in order.
    pub steps: Vec<StepFile>,
}

/// One step as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// Its title.
    pub title: String,
    /// A scene file, or the name of one in scenes/.
    pub scene: String,
    /// What to say.
    #[serde(default)]
    pub notes: String,
    /// Start a scan of phi once the scene is loaded.
    #[serde(default)]
    pub scan: bool,
    /// Compare the scene's run with a second one side by side: `"matched"`
    /// (the gradient scheme matched to the scene's BRO) or a scheme's name;
    /// empty for one run.
    #[serde(default)]
    pub compare: String,
}

/// A step ready to show: its scene found, or why not.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its title.
    pub title: String,
    /// What to say.
    pub notes: String,
    /// The scene's file, or why it cannot be loaded (the other steps still work).
    pub scene: std::result::Result<PathBuf, String>,
    /// Start a scan of phi with it.
    pub scan: bool,
    /// Compare it with a second run under these dynamics.
    pub compare: Option<Dynamics>,
}

/// A lecture: its steps, each checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Lecture {
    /// Its title.
    pub title: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The look of every step (None: each scene's own).
    pub theme: Option<Theme>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Lecture {
    /// Reads a lecture file: errors name the file, line and column. A step
    /// whose scene is missing or invalid keeps the reason in its `scene`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses a lecture; scene names are resolved from the working
    /// directory, then beside the lecture's folder (`lectures/../scenes`).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        // `theme: Light` rather than `theme: Some(Light)`.
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let file: LectureFile = options.from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })?;
        if file.steps.is_empty() {
            return Err(Error::InFile {
                path: path.to_path_buf(),
                error: Box::new(Error::invalid("steps", "an empty list", "at least one step")),
            });
        }
        let beside = path.parent().and_then(Path::parent).map(|p| p.join("scenes"));
        let mut steps = Vec::with_capacity(file.steps.len());
        for (k, s) in file.steps.into_iter().enumerate() {
            let scene = find_scene(&s.scene, beside.as_deref());
            let compare = match (&scene, s.compare.trim()) {
                (_, "") => None,
                (Ok(found), text) => Some(compared(found, text).map_err(|why| Error::InFile {
                    path: path.to_path_buf(),
                    error: Box::new(Error::invalid(
                        format!("steps[{}].compare", k + 1),
                        text,
                        format!("\"matched\" or a scheme's name ({why})"),
                    )),
                })?),
                // A step whose scene is missing says so when shown.
                (Err(_), _) => None,
            };
            steps.push(Step { title: s.title, notes: s.notes, scene, scan: s.scan, compare });
        }
        Ok(Self { title: file.title, path: path.to_path_buf(), theme: file.theme, steps })
    }
}

/// Run B's dynamics beside the scene at `path`, as a step names them.
fn compared(path: &Path, text: &str) -> std::result::Result<Dynamics, String> {
    let kind = crate::compare::parse_compare(text)?;
    let scene = Scene::load(path).map_err(|e| e.to_string())?;
    crate::compare::partner_dynamics(&scene.dynamics(), kind)
}

/// The file of a step's scene, checked to load.
fn find_scene(name: &str, beside: Option<&Path>) -> std::result::Result<PathBuf, String> {
    let mut path = crate::scene::resolve(name);
    if !path.exists()
        && let Some(dir) = beside
    {
        let there = dir.join(format!("{name}.ron"));
        if there.exists() {
            path = there;
        }
    }
    if !path.exists() {
        return Err(format!("no scene \"{name}\": not a file, nor a name in scenes/"));
    }
    Scene::load(&path).map(|_| path).map_err(|e| e.to_string())
}
