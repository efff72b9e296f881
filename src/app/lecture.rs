//! A lecture in the window: Page Down and Page Up (what a presenter's
//! remote sends) and the arrows of the notes panel move between its steps;
//! each step loads its scene and may start a scan. The panels draw the notes
//! (`lecture_ui`) and the left panel's lecture section (`lectures_ui`); the
//! steps need no window: tests drive them.

use super::panel_state::UiState;
use super::plots::PlotTab;
use super::scan::ScanCommand;
use super::simulation::{Setup, SimCommand, StatusLine};
use crate::lecture::Lecture;
use crate::scene::Theme;
use bevy::prelude::*;
use bevy_egui::egui;
use std::path::PathBuf;

/// The lecture on screen.
#[derive(Resource, Default)]
pub struct LectureState {
    /// The lecture, if one is open.
    pub lecture: Option<Lecture>,
    /// The step shown.
    pub current: usize,
    /// The notes panel is shown.
    pub notes_shown: bool,
    /// Why the last lecture file did not open.
    pub error: Option<String>,
    /// The path typed in "open lecture".
    pub open_path: String,
    /// A scan waits for the step's scene: it starts once the run is not this one.
    scan_after_run: Option<u64>,
    /// The steps whose scans have started since the lecture opened: going
    /// back to a step shows its scan, it does not run it again.
    scanned: Vec<usize>,
}

impl LectureState {
    /// The step shown, if a lecture is open.
    pub fn step(&self) -> Option<&crate::lecture::Step> {
        self.lecture.as_ref()?.steps.get(self.current)
    }
}

/// What the keys and the notes panel ask of the lecture.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum LectureCommand {
    /// Open a lecture file at this step (from 0).
    Open(PathBuf, usize),
    /// Show this step (from 0).
    Go(usize),
    /// The next step.
    Next,
    /// The step before.
    Previous,
}

/// Opens lectures and moves between their steps.
pub struct LecturePlugin;

impl Plugin for LecturePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LectureState>()
            .add_message::<LectureCommand>()
            .add_systems(Update, (lecture_keys, lecture_commands, keep_theme, start_scan).chain());
    }
}

fn lecture_keys(input: Option<Res<ButtonInput<KeyCode>>>, mut out: MessageWriter<LectureCommand>) {
    let Some(input) = input else { return };
    if input.just_pressed(KeyCode::PageDown) {
        out.write(LectureCommand::Next);
    }
    if input.just_pressed(KeyCode::PageUp) {
        out.write(LectureCommand::Previous);
    }
}

fn lecture_commands(
    mut commands: MessageReader<LectureCommand>,
    mut state: ResMut<LectureState>,
    mut sim: MessageWriter<SimCommand>,
    setup: Res<Setup>,
    mut status: ResMut<StatusLine>,
    mut ui: Option<ResMut<UiState>>,
) {
    for command in commands.read() {
        let count = state.lecture.as_ref().map_or(0, |l| l.steps.len());
        let target = match command {
            LectureCommand::Open(path, step) => match Lecture::load(path) {
                Ok(lecture) => {
                    let last = lecture.steps.len() - 1;
                    state.lecture = Some(lecture);
                    state.scanned.clear();
                    state.notes_shown = true;
                    state.error = None;
                    state.open_path = path.display().to_string();
                    if *step > last {
                        state.error = Some(format!(
                            "--step {} is not allowed: this lecture has steps 1 to {}",
                            step + 1,
                            last + 1
                        ));
                    }
                    (*step).min(last)
                }
                Err(e) => {
                    state.error = Some(e.to_string());
                    continue;
                }
            },
            _ if count == 0 => continue,
            LectureCommand::Go(k) => (*k).min(count - 1),
            LectureCommand::Next => (state.current + 1).min(count - 1),
            LectureCommand::Previous => state.current.saturating_sub(1),
        };
        let moved = target != state.current || matches!(command, LectureCommand::Open(..));
        if !moved {
            continue;
        }
        state.current = target;
        let Some(step) = state.step() else { continue };
        match &step.scene {
            Ok(path) => {
                sim.write(SimCommand::Load(path.clone()));
                if let Some(d) = step.compare {
                    sim.write(SimCommand::Compare(d));
                }
                let scan = step.scan;
                if let Some(ui) = ui.as_deref_mut() {
                    ui.plots.tab = if scan { PlotTab::PhaseDiagram } else { PlotTab::TimeSeries };
                }
                if scan && !state.scanned.contains(&target) {
                    state.scanned.push(target);
                    state.scan_after_run = Some(setup.run);
                }
                status.0 = None;
            }
            Err(e) => status.0 = Some(format!("step {}: {e}", target + 1)),
        }
    }
}

/// A step's scan starts once its scene has replaced the run.
fn start_scan(mut state: ResMut<LectureState>, setup: Res<Setup>, mut scans: MessageWriter<ScanCommand>) {
    if state.scan_after_run.is_none_or(|run| run == setup.run) {
        return;
    }
    state.scan_after_run = None;
    scans.write(ScanCommand::Start);
}

/// A lecture's theme holds for every step, whatever the scenes say.
fn keep_theme(state: Res<LectureState>, mut setup: ResMut<Setup>) {
    let Some(theme) = state.lecture.as_ref().and_then(|l| l.theme) else { return };
    if setup.scene.view.theme != theme {
        setup.scene.view.theme = theme;
    }
}

/// The notes panel: the lecture's title, the step's number and title, its
/// notes (or why its scene did not load), and arrows; folded to its first
/// line while the notes are hidden. Returns what was asked.
pub fn lecture_ui(ui: &mut egui::Ui, state: &mut LectureState) -> Option<LectureCommand> {
    let mut asked = None;
    let Some(lecture) = &state.lecture else { return None };
    let count = lecture.steps.len();
    let step = &lecture.steps[state.current.min(count - 1)];
    ui.horizontal_wrapped(|ui| {
        if ui.add_enabled(state.current > 0, egui::Button::new("< Previous")).on_hover_text("Page Up").clicked() {
            asked = Some(LectureCommand::Previous);
        }
        if ui.add_enabled(state.current + 1 < count, egui::Button::new("Next >")).on_hover_text("Page Down").clicked() {
            asked = Some(LectureCommand::Next);
        }
        ui.label(format!("{} | step {} of {}:", lecture.title, state.current + 1, count));
        ui.heading(&step.title);
        let (text, hint) = if state.notes_shown { ("Hide notes", "N") } else { ("Show notes", "N") };
        if ui.button(text).on_hover_text(hint).clicked() {
            state.notes_shown = !state.notes_shown;
        }
    });
    if !state.notes_shown {
        // Folded: the step's line alone, so the class sees more of the picture.
        return asked;
    }
    if let Err(e) = &step.scene {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 90), format!("this step's scene did not load: {e}"));
    }
    if let Some(e) = &state.error {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 90), e);
    }
    if !step.notes.is_empty() {
        ui.label(egui::RichText::new(&step.notes).size(ui.style().text_styles[&egui::TextStyle::Body].size * 1.15));
    }
    asked
}

/// Lectures in lectures/ and any other by its path, and the look for a
/// projector: dark or light.
pub fn lectures_ui(
    ui: &mut egui::Ui,
    state: &mut LectureState,
    theme: &mut Theme,
    ui_scale: &mut f32,
    largest: f32,
) -> Option<LectureCommand> {
    let mut asked = None;
    ui.heading("Lecture and projector");
    ui.horizontal_wrapped(|ui| {
        ui.label("look");
        ui.radio_value(theme, Theme::Dark, "dark");
        ui.radio_value(theme, Theme::Light, "light");
    });
    super::controls::fit_slider(ui, "panel size");
    ui.add(egui::Slider::new(ui_scale, 0.75..=largest.max(1.0)).text("panel size")).on_hover_text(
        "Relative to the size chosen for this window, as large as leaves room for the controls; \
         the panels never take more than half of it",
    );
    for path in lecture_files() {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if ui.button(format!("Lecture: {name}")).on_hover_text("Page Down / Page Up move between its steps").clicked() {
            asked = Some(LectureCommand::Open(path, 0));
        }
    }
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut state.open_path).desired_width(ui.available_width() - 110.0));
        if ui.button("Open lecture").clicked() {
            asked = Some(LectureCommand::Open(PathBuf::from(&state.open_path), 0));
        }
    });
    if let Some(e) = &state.error {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 90), e);
    }
    asked
}

/// The lecture files in lectures/ (here, else beside the sources).
pub fn lecture_files() -> Vec<PathBuf> {
    let here = PathBuf::from("lectures");
    let dir = if here.is_dir() { here } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("lectures") };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ron")).collect())
        .unwrap_or_default();
    found.sort();
    found
}
