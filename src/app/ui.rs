//! The panels: controls on the left, plots on the right, readouts on top, a
//! help overlay (the keys are in keys.rs, the picture section in
//! picture_panel.rs). Panels edit the panel state or send commands;
//! they never reach into the particle arrays.

use super::camera::{CameraOptions, PanelInsets};
use super::controls::controls_ui;
use super::flatness::{FlatnessProbe, MeasureFlatness, flatness_ui};
use super::keys;
use super::lecture::{LectureCommand, LectureState, lecture_ui, lectures_ui};
use super::limits::{DrawLimit, Drawable};
use super::panel_state::{PanelStatePlugin, PanelsShown, UiState, UiSystems, catalog};
use super::phase_panel::phase_ui;
use super::pick::Selected;
use super::picture::{ColorMode, Legend};
use super::picture_panel::{picture_ui, selected_ui};
use super::plots::{PlotTab, plots_ui};
use super::readouts::{fps, readouts_ui, replaying, status_bar_ui};
use super::record::Recorder;
use super::replay::{Replay, ReplayCommand, replay_ui};
use super::scan::{PhaseDiagram, ScanCommand};
use super::screenshot::CaptureRequest;
use super::show::Show;
use super::simulation::{LastStats, PlotHistory, Setup, Sim, SimCommand, SimSettings, StatusLine};
use super::video::VideoRecorder;
use crate::scene::{MAX_PARTICLES, Theme};
use crate::sim::packing::Radii;
use bevy::diagnostic::DiagnosticsStore;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use std::path::PathBuf;

/// The panels and the keys.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(PanelStatePlugin)
            .add_systems(Update, keys::keys.in_set(UiSystems::Keys))
            .add_systems(EguiPrimaryContextPass, panels.in_set(UiSystems::Panels));
    }
}

/// Everything the panels read and write, gathered in one place.
#[derive(bevy::ecs::system::SystemParam)]
struct PanelParams<'w> {
    sim: Res<'w, Sim>,
    setup: ResMut<'w, Setup>,
    settings: ResMut<'w, SimSettings>,
    last: Res<'w, LastStats>,
    history: Res<'w, PlotHistory>,
    status: Res<'w, StatusLine>,
    mode: ResMut<'w, ColorMode>,
    show: ResMut<'w, Show>,
    selected: Res<'w, Selected>,
    legend: Option<Res<'w, Legend>>,
    camera: ResMut<'w, CameraOptions>,
    insets: ResMut<'w, PanelInsets>,
    recorder: ResMut<'w, Recorder>,
    capture: ResMut<'w, CaptureRequest>,
    diagnostics: Res<'w, DiagnosticsStore>,
    limit: Res<'w, DrawLimit>,
    diagram: ResMut<'w, PhaseDiagram>,
    flatness: Res<'w, FlatnessProbe>,
    measure: MessageWriter<'w, MeasureFlatness>,
    lecture: ResMut<'w, LectureState>,
    lecture_out: MessageWriter<'w, LectureCommand>,
    scans: MessageWriter<'w, ScanCommand>,
    replay: ResMut<'w, Replay>,
    video: ResMut<'w, VideoRecorder>,
    replay_out: MessageWriter<'w, ReplayCommand>,
}

/// Window height (logical pixels) at which the panels are drawn at egui's
/// own size; taller windows scale them up, so that text is 16 px tall at
/// 1080 (egui's body text is 12.5 px).
const HEIGHT_AT_UNIT_ZOOM: f32 = 830.0;
/// The panels' default widths, in points.
const LEFT_WIDTH: f32 = 340.0;
const RIGHT_WIDTH: f32 = 320.0;
/// The panels' scroll bars show whenever there is more to see (solid, not
/// floating: a bar that appears only on hover leaves controls looking cut off).
const WHEN_NEEDED: egui::scroll_area::ScrollBarVisibility = egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded;
/// Room a slider row leaves beside the slider for its number and name, in points.
const SLIDER_ROOM: f32 = 230.0;
/// The panels together take at most this share of the window's width.
const PANELS_MAX_SHARE: f32 = 0.5;

/// The zoom of the panels for a window `height` logical pixels tall, times
/// the "panel size" setting, as far as the window keeps [`MIN_POINTS`].
pub fn panel_zoom(width: f32, height: f32, setting: f32) -> f32 {
    let base = base_zoom(height);
    (base * setting).min(largest_zoom(width, height, base))
}

/// The largest "panel size" setting that a window of `width` x `height`
/// logical pixels takes.
pub fn largest_setting(width: f32, height: f32) -> f32 {
    let base = base_zoom(height);
    largest_zoom(width, height, base) / base
}

fn base_zoom(height: f32) -> f32 {
    (height / HEIGHT_AT_UNIT_ZOOM).clamp(1.0, MAX_PANEL_ZOOM)
}

fn largest_zoom(width: f32, height: f32, base: f32) -> f32 {
    (width / MIN_POINTS.0).min(height / MIN_POINTS.1).max(base)
}

/// The side panels' ids.
const LEFT_PANEL: &str = "controls";
const RIGHT_PANEL: &str = "plots";

/// The least room, in points, that the panels' zoom leaves a window:
/// smaller, the side panels clip their controls and the plots shrink to
/// thumbnails (a 1280 x 720 projector takes a panel size of 1.28 at most).
const MIN_POINTS: (f32, f32) = (1000.0, 560.0);

/// The largest automatic zoom of the panels: an 8K picture (4320 px tall)
/// keeps the panels' share of it, as a slide's picture should.
const MAX_PANEL_ZOOM: f32 = 6.0;

/// egui's small text (9 points) would read 12 px at 1080: small labels
/// here are a little below the body text (13 points) instead.
const SMALL_TEXT: f32 = 12.5;

fn panels(
    mut contexts: EguiContexts,
    mut ui: ResMut<UiState>,
    mut p: PanelParams,
    mut commands: MessageWriter<SimCommand>,
    mut styled: Local<bool>,
    mut last_zoom: Local<f32>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !*styled {
        ctx.all_styles_mut(|style| {
            style.text_styles.insert(egui::TextStyle::Small, egui::FontId::proportional(SMALL_TEXT));
            // Solid scroll bars stay visible without hovering.
            style.spacing.scroll = egui::style::ScrollStyle::solid();
        });
        *styled = true;
    }
    let dark = p.setup.scene.view.theme == Theme::Dark;
    let wanted = if dark { egui::ThemePreference::Dark } else { egui::ThemePreference::Light };
    if ctx.options(|o| o.theme_preference) != wanted {
        ctx.set_theme(wanted);
    }
    let logical = ctx.viewport_rect().size() * ctx.zoom_factor();
    let largest = largest_setting(logical.x, logical.y);
    let zoom = panel_zoom(logical.x, logical.y, ui.ui_scale);
    if (*last_zoom - zoom).abs() > 1e-3 {
        // The side panels take their default widths again: those narrowed
        // at a large zoom do not stay narrow when it goes back.
        ctx.data_mut(|d| {
            for id in [LEFT_PANEL, RIGHT_PANEL] {
                d.remove::<egui::containers::panel::PanelState>(egui::Id::new(id));
            }
        });
        *last_zoom = zoom;
    }
    if (ctx.zoom_factor() - zoom).abs() > 1e-3 {
        ctx.set_zoom_factor(zoom);
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "absorb".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let mut insets = PanelInsets::default();
    let shown = if p.capture.hides_panels() { PanelsShown::Nothing } else { ui.panels };
    let now = ctx.input(|i| i.time);
    // In points: the two side panels never take more than half the window.
    let width = ctx.viewport_rect().width();
    let side_room = width * PANELS_MAX_SHARE;
    let (left_max, right_max) =
        (side_room * LEFT_WIDTH / (LEFT_WIDTH + RIGHT_WIDTH), side_room * RIGHT_WIDTH / (LEFT_WIDTH + RIGHT_WIDTH));
    match shown {
        PanelsShown::Nothing => {}
        PanelsShown::StatusBar => {
            insets.top = egui::Panel::top("status")
                .show(&mut root, |row| status_bar_ui(row, &p.sim, &p.last, &p.settings, replaying(&p.replay)))
                .response
                .rect
                .height();
        }
        PanelsShown::All => {
            insets.top = egui::Panel::top("readouts")
                .show(&mut root, |row| {
                    let fps = fps(&p.diagnostics);
                    readouts_ui(row, &p.sim, &p.last, &p.settings, fps, &p.status, replaying(&p.replay))
                })
                .response
                .rect
                .height();
            if p.replay.state.is_some() {
                insets.bottom += egui::Panel::bottom("replay")
                    .show(&mut root, |row| {
                        if let Some(asked) = replay_ui(row, &mut p.replay) {
                            p.replay_out.write(asked);
                        }
                    })
                    .response
                    .rect
                    .height();
            }
            if p.lecture.lecture.is_some() {
                insets.bottom += egui::Panel::bottom("lecture")
                    .show(&mut root, |row| {
                        if let Some(asked) = lecture_ui(row, &mut p.lecture) {
                            p.lecture_out.write(asked);
                        }
                    })
                    .response
                    .rect
                    .height();
            }
            insets.left = egui::Panel::left(LEFT_PANEL)
                .default_size(LEFT_WIDTH.min(left_max))
                .max_size(left_max)
                .show(&mut root, |col| {
                    // Narrowed panels (a large "panel size") scroll sideways too.
                    egui::ScrollArea::both().scroll_bar_visibility(WHEN_NEEDED).show(col, |col| {
                        col.spacing_mut().slider_width = (col.available_width() - SLIDER_ROOM).clamp(60.0, 140.0);
                        let mut out = Vec::new();
                        ui.editing = false;
                        // A replayed frame takes no commands: the run's controls wait for the live run.
                        let live = replaying(&p.replay).is_none();
                        col.add_enabled_ui(live, |col| {
                            controls_ui(col, &mut ui, &p.sim, &mut p.settings, now, &mut out)
                        })
                        .response
                        .on_disabled_hover_text("Replaying a recording: \"Back to the live run\" to change the run");
                        if flatness_ui(col, &p.flatness, p.sim.comparing()) {
                            p.measure.write(MeasureFlatness);
                        }
                        col.separator();
                        // Copies, written back only when they changed: a change
                        // makes the picture refill its buffers.
                        let (mut mode, mut show) = (*p.mode, *p.show);
                        picture_ui(col, &mut mode, &mut show, p.legend.as_deref(), &p.sim, &mut p.camera);
                        p.mode.set_if_neq(mode);
                        p.show.set_if_neq(show);
                        if let Some(reading) = &p.selected.reading {
                            selected_ui(col, reading);
                        }
                        col.separator();
                        setup_ui(col, &mut ui, &p.setup, p.limit.0.as_ref(), &mut out);
                        col.separator();
                        output_ui(col, &mut ui, &p.setup, &mut p.recorder, &mut p.capture, &mut out);
                        video_ui(col, &mut p.video);
                        output_messages_ui(col, &p.capture, &p.recorder, &p.video);
                        if let Some(asked) = replay_open_ui(col, &mut p.replay) {
                            p.replay_out.write(asked);
                        }
                        col.separator();
                        let mut theme = p.setup.scene.view.theme;
                        if let Some(asked) = lectures_ui(col, &mut p.lecture, &mut theme, &mut ui.ui_scale, largest) {
                            p.lecture_out.write(asked);
                        }
                        if theme != p.setup.scene.view.theme {
                            p.setup.scene.view.theme = theme;
                        }
                        if col.button("Keys (H)").on_hover_text("What each key does").clicked() {
                            ui.show_help = !ui.show_help;
                        }
                        commands.write_batch(out);
                    })
                })
                .response
                .rect
                .width();
            insets.right = egui::Panel::right(RIGHT_PANEL)
                .default_size(RIGHT_WIDTH.min(right_max))
                .max_size(right_max)
                .show(&mut root, |col| {
                    col.horizontal_wrapped(|row| {
                        row.selectable_value(&mut ui.plots.tab, PlotTab::TimeSeries, "Time series");
                        row.selectable_value(&mut ui.plots.tab, PlotTab::PhaseDiagram, "Phase diagram");
                    });
                    // Each tab keeps its own scroll position.
                    let scroll = egui::ScrollArea::vertical().id_salt(("plots", ui.plots.tab));
                    scroll.scroll_bar_visibility(WHEN_NEEDED).show(col, |col| match ui.plots.tab {
                        PlotTab::TimeSeries => plots_ui(col, &p.history, &mut ui.plots),
                        PlotTab::PhaseDiagram => {
                            let mut out = Vec::new();
                            let phi = p.sim.view().packing().phi();
                            phase_ui(col, &mut p.diagram, &mut ui.scan_file, phi, &mut out);
                            p.scans.write_batch(out);
                        }
                    })
                })
                .response
                .rect
                .width();
        }
    }
    if ui.show_help {
        egui::Window::new("Keys")
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, keys::help_ui);
    }
    // The camera works in logical pixels.
    let insets = PanelInsets {
        left: insets.left * zoom,
        right: insets.right * zoom,
        top: insets.top * zoom,
        bottom: insets.bottom * zoom,
    };
    if *p.insets != insets {
        *p.insets = insets;
    }
    super::compare::view_labels(ctx, &p.sim, &p.last, &insets, zoom);
    Ok(())
}

/// N, dimension, radii and seed: these rebuild the run. N is checked
/// against what a run needs (at least two spheres) and what this window can
/// draw, and the panel says when it changed what was typed.
pub fn setup_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    setup: &Setup,
    limit: Option<&Drawable>,
    out: &mut Vec<SimCommand>,
) {
    ui.heading("Setup (needs a restart)");
    let pending = &mut state.pending;
    let mut n = pending.n;
    ui.horizontal_wrapped(|ui| {
        ui.label("N");
        ui.add(egui::DragValue::new(&mut n).speed(10).update_while_editing(false));
        ui.label("dimension");
        ui.radio_value(&mut pending.dim, 2, "2D");
        ui.radio_value(&mut pending.dim, 3, "3D");
    });
    if n != pending.n {
        let (kept, note) = clamp_n(n, limit);
        pending.n = kept;
        state.n_note = note;
    }
    if let Some(note) = &state.n_note {
        note_ui(ui, note);
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("radii");
        let scene_radii = setup.scene.radii.clone();
        let mono = matches!(pending.radii, Radii::Monodisperse);
        let two = pending.radii == Radii::bidisperse_2d();
        if ui.radio(mono, "equal").clicked() {
            pending.radii = Radii::Monodisperse;
        }
        if ui.radio(two, "50:50, ratio 1.4").clicked() {
            pending.radii = Radii::bidisperse_2d();
        }
        if scene_radii != Radii::Monodisperse
            && scene_radii != Radii::bidisperse_2d()
            && ui.radio(pending.radii == scene_radii, "the scene's").on_hover_text(format!("{scene_radii:?}")).clicked()
        {
            pending.radii = scene_radii;
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut pending.seed).update_while_editing(false));
    });
    let differs = pending.n != setup.scene.n
        || pending.dim != setup.scene.dim
        || pending.radii != setup.scene.radii
        || pending.seed != setup.scene.seed;
    if differs {
        ui.label(egui::RichText::new("These take effect when you apply them (the run restarts).").italics());
    }
    if ui.add_enabled(differs, egui::Button::new("Apply and restart")).clicked()
        && let Ok(scene) = state.restart_scene(setup)
    {
        out.push(SimCommand::Rebuild(Box::new(scene)));
    }
}

/// A warning in words, with the commands in it (between backticks) set in
/// a fixed-width font so that `--n` reads as two dashes.
fn note_ui(ui: &mut egui::Ui, note: &str) {
    let colour = egui::Color32::from_rgb(255, 190, 120);
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for (k, part) in note.split('`').enumerate() {
            let text = egui::RichText::new(part).color(colour);
            ui.label(if k % 2 == 1 { text.monospace() } else { text.small() });
        }
    });
}

/// N as typed, kept within 2 and the window's limit, with a note saying why
/// when it was changed.
pub fn clamp_n(typed: usize, limit: Option<&Drawable>) -> (usize, Option<String>) {
    if typed < 2 {
        return (2, Some(format!("N = {typed} was raised to 2: a run needs two spheres at least.")));
    }
    if let Some(limit) = limit
        && typed > limit.max
    {
        let note = format!(
            "N = {typed} was lowered to {}: the most this window can draw ({}). \
             `absorb run --n {typed}` runs it without a window.",
            limit.max, limit.reason
        );
        return (limit.max, Some(note));
    }
    if typed > MAX_PARTICLES {
        return (MAX_PARTICLES, Some(format!("N = {typed} was lowered to {MAX_PARTICLES}, the most a scene allows.")));
    }
    (typed, None)
}

/// Scenes, screenshots and recordings.
pub fn output_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    setup: &Setup,
    recorder: &mut Recorder,
    capture: &mut CaptureRequest,
    out: &mut Vec<SimCommand>,
) {
    ui.heading("Scenes");
    for (path, description) in state.catalog.clone() {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if ui.button(&name).on_hover_text(&description).clicked() {
            out.push(SimCommand::Load(path.clone()));
            state.open_path = path.display().to_string();
        }
        ui.label(egui::RichText::new(description).small());
    }
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut state.open_path).desired_width(ui.available_width() - 70.0));
        if ui.button("Open").clicked() {
            out.push(SimCommand::Load(PathBuf::from(&state.open_path)));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut state.save_name).desired_width(ui.available_width() - 110.0));
        if ui.button("Save as scene").clicked() {
            let path = PathBuf::from("scenes").join(format!("{}.ron", state.save_name.trim()));
            let text = setup.scene.to_ron();
            let result = std::fs::create_dir_all("scenes")
                .map_err(|e| crate::Error::io("scenes", e))
                .and_then(|()| crate::io::write_atomically(&path, |w| w.write_all(text.as_bytes())));
            recorder.message = Some(match result {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => e.to_string(),
            });
            state.catalog = catalog();
        }
    });

    ui.heading("Screenshots and recordings");
    ui.horizontal_wrapped(|ui| {
        if ui.button("Screenshot (P)").clicked() {
            capture.ask(state.screenshot_panels);
        }
        for scale in [1, 2, 4] {
            ui.radio_value(&mut capture.scale, scale, format!("{scale}x"));
        }
        if capture.scale == 1 {
            ui.checkbox(&mut state.screenshot_panels, "with panels");
        } else {
            ui.label("(the picture alone)");
        }
    });
    ui.horizontal_wrapped(|ui| {
        let label = if recorder.is_recording() { "Stop recording" } else { "Record" };
        if ui.button(label).clicked() {
            recorder.toggle();
        }
        ui.add(egui::DragValue::new(&mut recorder.every).range(1..=100_000).prefix("every "));
        ui.label("iterations");
    });
}

/// Where pictures go and what the last screenshot, recording and video
/// said: below all three rows of buttons, so that a message does not move
/// a button between two clicks.
fn output_messages_ui(ui: &mut egui::Ui, capture: &CaptureRequest, recorder: &Recorder, video: &VideoRecorder) {
    let top = ui.cursor().min.y;
    ui.label(format!("saved in {}", crate::io::absolute(&capture.folder).display()));
    for m in [capture.message.clone(), recorder.message.clone(), video.status()].into_iter().flatten() {
        ui.label(egui::RichText::new(m).small());
    }
    // Room for a few messages is kept, so that what comes below (the
    // replay's field, the lecture) does not move as they come and go.
    let room = MESSAGE_LINES * ui.text_style_height(&egui::TextStyle::Small);
    let used = ui.cursor().min.y - top;
    if used < room {
        ui.add_space(room - used);
    }
}

/// Lines of small text kept for the screenshot, recording and video messages.
const MESSAGE_LINES: f32 = 6.0;

/// "Record video": the window's frames, made into an MP4 when stopped.
fn video_ui(ui: &mut egui::Ui, video: &mut VideoRecorder) {
    let label = if video.is_recording() { "Stop video" } else { "Record video" };
    let hint = "Every frame the window shows, made into an MP4 when stopped (with ffmpeg; else a folder of PNGs)";
    ui.horizontal_wrapped(|ui| {
        if ui.button(label).on_hover_text(hint).clicked() {
            video.toggle();
        }
        ui.add_enabled_ui(!video.is_recording(), |ui| {
            ui.radio_value(&mut video.scale, 1, "the window");
            ui.radio_value(&mut video.scale, 2, "the picture at 2x");
        });
    });
}

/// Opens a recording (its folder or trajectory.xyz) for replay.
fn replay_open_ui(ui: &mut egui::Ui, replay: &mut Replay) -> Option<ReplayCommand> {
    let mut asked = None;
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut replay.path).desired_width(ui.available_width() - 70.0));
        if ui.button("Replay").on_hover_text("A recording's folder or its trajectory.xyz").clicked() {
            asked = Some(ReplayCommand::Open(PathBuf::from(replay.path.trim())));
        }
    });
    if replay.state.is_none()
        && let Some(e) = &replay.error
    {
        note_ui(ui, e);
    }
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_n_field_says_when_it_changes_what_was_typed() {
        let limit = Drawable { max: 762_600, reason: "a test device".into() };
        assert_eq!(clamp_n(5000, Some(&limit)), (5000, None));
        let (n, note) = clamp_n(0, Some(&limit));
        assert_eq!(n, 2);
        assert!(note.unwrap().contains("N = 0 was raised to 2"));
        let (n, note) = clamp_n(10_000_000, Some(&limit));
        assert_eq!(n, 762_600);
        let note = note.unwrap();
        assert!(note.contains("lowered to 762600") && note.contains("`absorb run --n 10000000`"), "{note}");
        // Before the device is known only the scene's own bound applies.
        assert_eq!(clamp_n(10_000_000, None), (10_000_000, None));
    }

    #[test]
    fn the_panels_keep_their_share_of_a_picture_up_to_8k() {
        assert_eq!(panel_zoom(1280.0, 720.0, 1.0), 1.0);
        for height in [1080.0, 2160.0, 4320.0] {
            let share = panel_zoom(height * 16.0 / 9.0, height, 1.0) / height;
            assert!((share - 1.0 / HEIGHT_AT_UNIT_ZOOM).abs() < 1e-6, "{height}: {share}");
        }
    }

    #[test]
    fn a_larger_panel_size_leaves_the_window_room_for_its_controls() {
        // A 1280 x 720 projector: 1.25 as asked, 2.0 held at 1.28 (1000 x
        // 562 points left), and the slider stops there.
        assert_eq!(panel_zoom(1280.0, 720.0, 1.25), 1.25);
        assert!((panel_zoom(1280.0, 720.0, 2.0) - 1.28).abs() < 1e-6);
        assert!((largest_setting(1280.0, 720.0) - 1.28).abs() < 1e-6);
        // At 1920 x 1080 the panels are already zoomed 1.3 for the height.
        let base = 1080.0 / HEIGHT_AT_UNIT_ZOOM;
        assert!((panel_zoom(1920.0, 1080.0, 2.0) - 1.92).abs() < 1e-6);
        assert!((largest_setting(1920.0, 1080.0) - 1.92 / base).abs() < 1e-6);
        // Smaller settings are never held back, even in a small window.
        assert_eq!(panel_zoom(800.0, 600.0, 0.75), 0.75);
        assert_eq!(panel_zoom(800.0, 600.0, 1.0), 1.0);
    }
}
