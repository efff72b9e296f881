//! The keys the window answers to: what they do, and the list the help
//! overlay shows. A presenter's remote sends some of them.

use super::camera::ResetView;
use super::lecture::LectureState;
use super::panel_state::UiState;
use super::scan::ScanCommand;
use super::screenshot::CaptureRequest;
use super::show::{Show, ShowMode};
use super::simulation::{Sim, SimCommand, SimSettings};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

/// Every key the window answers to, for the help overlay.
pub const KEYS: [(&str, &str); 15] = [
    ("Space", "play / pause"),
    ("Right arrow", "one iteration"),
    ("Up / Down", "phi + / - 0.001 (with Shift: 0.01)"),
    ("R", "reset (same seed)"),
    ("P", "save a screenshot"),
    ("F", "the picture fuller: panels, then the status bar alone, then nothing"),
    ("C", "fit the box in the view"),
    ("M", "pin this run on the phase diagram"),
    ("Page Down / Up", "next / previous step of a lecture"),
    ("N", "lecture notes shown / hidden"),
    ("S", "show all, overlapping only, overlapping + points, a slab (3D)"),
    ("[ / ]", "move the slab"),
    ("click / Esc", "select a sphere / clear the selection"),
    ("H or F1", "this help"),
    ("drag / scroll", "rotate / zoom (3D)"),
];

/// Answers the keys, unless a text field has the keyboard.
pub(super) fn keys(
    input: Res<ButtonInput<KeyCode>>,
    mut contexts: EguiContexts,
    mut settings: ResMut<SimSettings>,
    mut ui: ResMut<UiState>,
    mut out: KeyOutputs,
    mut capture: ResMut<CaptureRequest>,
    (sim, replaying): (Res<Sim>, Res<super::simulation::Replaying>),
) {
    let (commands, view, show) = (&mut out.commands, &mut out.view, &mut out.show);
    if let Ok(ctx) = contexts.ctx_mut()
        && ctx.egui_wants_keyboard_input()
    {
        return;
    }
    // The run's keys wait while a recording is replayed, as its controls do.
    let live = !replaying.0;
    if live && input.just_pressed(KeyCode::Space) {
        settings.playing = !settings.playing;
    }
    if live && input.just_pressed(KeyCode::ArrowRight) {
        settings.playing = false;
        commands.write(SimCommand::Step);
    }
    let coarse = input.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let step = if coarse { 10.0 } else { 1.0 };
    for (key, sign) in [(KeyCode::ArrowUp, 1.0), (KeyCode::ArrowDown, -1.0)] {
        if live && input.just_pressed(key) {
            let phi = ui.step_phi(sign * step);
            commands.write(SimCommand::SetPhi(phi));
        }
    }
    if live && input.just_pressed(KeyCode::KeyR) {
        commands.write(SimCommand::Reset);
    }
    if input.just_pressed(KeyCode::KeyP) {
        capture.ask(ui.screenshot_panels);
    }
    if input.just_pressed(KeyCode::KeyF) {
        ui.panels = ui.panels.next();
    }
    if input.any_just_pressed([KeyCode::KeyH, KeyCode::F1]) {
        ui.show_help = !ui.show_help;
    }
    if input.just_pressed(KeyCode::KeyC) {
        view.write(ResetView);
    }
    if input.just_pressed(KeyCode::KeyM) {
        out.scans.write(ScanCommand::Pin);
    }
    if input.just_pressed(KeyCode::KeyN) {
        out.lecture.notes_shown = !out.lecture.notes_shown;
    }
    let p = sim.view().packing();
    if p.dim() >= 3 && input.just_pressed(KeyCode::KeyS) {
        show.mode = show.mode.next();
    }
    for (key, steps) in [(KeyCode::BracketLeft, -1.0), (KeyCode::BracketRight, 1.0)] {
        if input.just_pressed(key) && show.mode == ShowMode::Slab {
            show.move_slab(steps, p.side(), p.max_diameter());
        }
    }
}

/// What the keys send or change besides the panel state.
#[derive(bevy::ecs::system::SystemParam)]
pub(super) struct KeyOutputs<'w> {
    commands: MessageWriter<'w, SimCommand>,
    view: MessageWriter<'w, ResetView>,
    show: ResMut<'w, Show>,
    scans: MessageWriter<'w, ScanCommand>,
    lecture: ResMut<'w, LectureState>,
}

/// The key list.
pub fn help_ui(ui: &mut egui::Ui) {
    egui::Grid::new("keys").striped(true).show(ui, |ui| {
        for (key, what) in KEYS {
            ui.strong(key);
            ui.label(what);
            ui.end_row();
        }
    });
}
