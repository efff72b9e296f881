//! The left panel's run controls: play, speed, the scheme and its
//! parameters, the comparison of two schemes side by side, and phi. Each
//! control names the run it changes while two are compared (run A on the
//! left, run B on the right). Everything takes effect at the next
//! iteration, once an edit is done (a typed number on Enter, a slider on
//! release or when it rests).

use super::panel_state::{PHI_FINE_HALF_RANGE, PHI_RANGE, PartnerControls, UiState};
use super::simulation::{Sim, SimCommand, SimSettings};
use crate::compare::partner_dynamics;
use crate::sim::{BatchMode, Param, Potential, SchemeKind, SchemeParams};
use bevy_egui::egui;

/// Play, speed, both runs' schemes and phi.
pub fn controls_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    sim: &Sim,
    settings: &mut SimSettings,
    now: f64,
    out: &mut Vec<SimCommand>,
) {
    let comparing = sim.comparing();
    let both = if comparing { " (runs A and B)" } else { "" };
    ui.heading(format!("Run{both}"));
    ui.horizontal_wrapped(|ui| {
        if ui.button(if settings.playing { "Pause" } else { "Play" }).clicked() {
            settings.playing = !settings.playing;
        }
        if ui.button("Step").clicked() {
            settings.playing = false;
            out.push(SimCommand::Step);
        }
        if ui.button("Reset").on_hover_text("Back to iteration 0, same seed").clicked() {
            out.push(SimCommand::Reset);
        }
        if ui.button("New seed").clicked() {
            out.push(SimCommand::NewSeed);
        }
    });
    let mut fastest = settings.iterations_per_second == 0.0;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut fastest, "as fast as it goes");
        if !fastest {
            let mut ips = if settings.iterations_per_second > 0.0 { settings.iterations_per_second } else { 30.0 };
            ui.add(egui::Slider::new(&mut ips, 1.0..=10_000.0).logarithmic(true).text("it/s"));
            settings.iterations_per_second = ips;
        }
    });
    if fastest {
        settings.iterations_per_second = 0.0;
    }

    ui.heading(if comparing { "Scheme of run A (left)" } else { "Scheme" });
    let mut responses = Vec::new();
    let a = Dyn {
        scheme: &mut state.scheme,
        params: &mut state.params,
        potential: &mut state.potential,
        tolerance: &mut state.tolerance,
    };
    dynamics_ui(ui, "scheme A", a, &mut responses);
    let current = sim.view().dynamics();
    if let Some(matched) = current.scheme.gradient_match() {
        let label =
            if matched.kind() == SchemeKind::Sgd { "Match SGD to this BRO" } else { "Match RCD to this particle BRO" };
        if ui.button(label).on_hover_text("b = 3/4, lr = 2 eps / 3: the same mean and variance per pair").clicked() {
            state.scheme = matched.kind();
            state.params = matched.params(state.params);
        }
    }
    compare_ui(ui, state, sim, out, &mut responses);

    ui.heading(format!("Packing fraction{both}"));
    if let Some(c) = state.phi_fine
        && (state.phi - c).abs() > PHI_FINE_HALF_RANGE
    {
        // The keys took phi out of the narrowed range: centre it again.
        state.phi_fine = Some(state.phi);
    }
    let (lo, hi) = match state.phi_fine {
        Some(c) => ((c - PHI_FINE_HALF_RANGE).max(PHI_RANGE.0), (c + PHI_FINE_HALF_RANGE).min(PHI_RANGE.1)),
        None => PHI_RANGE,
    };
    fit_slider(ui, "phi");
    let phi_response = ui.add(
        egui::Slider::new(&mut state.phi, lo..=hi)
            .clamping(egui::SliderClamping::Never)
            .text("phi")
            .min_decimals(3)
            .max_decimals(4)
            .drag_value_speed(1e-4)
            .update_while_editing(false),
    );
    let mut fine = state.phi_fine.is_some();
    ui.horizontal_wrapped(|ui| {
        if ui
            .checkbox(&mut fine, format!("fine: phi +/- {PHI_FINE_HALF_RANGE}"))
            .on_hover_text("Narrows the slider around the present phi; Up and Down keys step 0.001")
            .changed()
        {
            state.phi_fine = fine.then_some(state.phi);
        }
        ui.label(egui::RichText::new("rescales the radii").small());
    });
    for r in responses.iter().chain([&phi_response]) {
        state.track(r, now);
    }
    if !state.settled(now) {
        return;
    }
    if (state.phi - sim.view().packing().phi()).abs() > 1e-9 && state.sent_phi != Some(state.phi) {
        out.push(SimCommand::SetPhi(state.phi));
        state.sent_phi = Some(state.phi);
    }
    if let Ok(d) = state.dynamics()
        && d != *current
        && state.sent != Some(d)
    {
        out.push(SimCommand::SetDynamics(d));
        state.sent = Some(d);
    }
    if let (Some(b), Some(view)) = (state.partner.as_mut(), sim.partner_view())
        && let Ok(d) = b.dynamics()
        && d != *view.dynamics()
        && b.sent != Some(d)
    {
        out.push(SimCommand::SetPartnerDynamics(d));
        b.sent = Some(d);
    }
}

/// A second run beside the first: before, the scheme to compare with and
/// a button; while comparing, run B's scheme and a button that closes it.
fn compare_ui(
    ui: &mut egui::Ui,
    state: &mut UiState,
    sim: &Sim,
    out: &mut Vec<SimCommand>,
    responses: &mut Vec<egui::Response>,
) {
    // Run B's controls show run B's values whenever they change.
    match sim.partner_view() {
        None => state.partner = None,
        Some(b) if state.partner.as_ref().is_none_or(|p| p.followed != *b.dynamics()) => {
            state.partner = Some(PartnerControls::of(b.dynamics(), state.params));
        }
        Some(_) => {}
    }
    let Some(b) = state.partner.as_mut() else {
        ui.heading("Compare side by side");
        let a = sim.view().dynamics();
        let matched = a.scheme.gradient_match();
        let name = |kind: Option<SchemeKind>| match (kind, matched) {
            (None, Some(m)) => format!("{} matched to this BRO", m.kind().name()),
            (None, None) => "choose a scheme".to_string(),
            (Some(k), _) => k.name().to_string(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label("run B:");
            egui::ComboBox::from_id_salt("compare with").selected_text(name(state.compare_with)).show_ui(ui, |ui| {
                if matched.is_some() {
                    ui.selectable_value(&mut state.compare_with, None, name(None));
                }
                for kind in SchemeKind::ALL {
                    ui.selectable_value(&mut state.compare_with, Some(kind), kind.name());
                }
            });
        });
        let hint = "A second run from the same start and seed beside this one; both restart at iteration 0 \
                    and step together";
        match partner_dynamics(a, state.compare_with) {
            Ok(d) => {
                if ui.button("Compare").on_hover_text(hint).clicked() {
                    out.push(SimCommand::Compare(d));
                }
            }
            Err(why) => {
                ui.add_enabled(false, egui::Button::new("Compare"));
                ui.label(egui::RichText::new(why).small());
            }
        }
        return;
    };
    ui.heading("Scheme of run B (right)");
    let dynamics =
        Dyn { scheme: &mut b.scheme, params: &mut b.params, potential: &mut b.potential, tolerance: &mut b.tolerance };
    dynamics_ui(ui, "scheme B", dynamics, responses);
    if ui.button("Close the comparison").on_hover_text("Run A goes on as it is; run B is dropped").clicked() {
        out.push(SimCommand::EndCompare);
    }
}

/// One run's scheme controls, borrowed from the panel state.
struct Dyn<'a> {
    scheme: &'a mut SchemeKind,
    params: &'a mut SchemeParams,
    potential: &'a mut Potential,
    tolerance: &'a mut f64,
}

/// A scheme picker, its parameters' sliders, the potential and the overlap
/// tolerance; `id` tells two runs' pickers apart.
fn dynamics_ui(ui: &mut egui::Ui, id: &str, d: Dyn, responses: &mut Vec<egui::Response>) {
    egui::ComboBox::from_id_salt(id).selected_text(d.scheme.name()).show_ui(ui, |ui| {
        for kind in SchemeKind::ALL {
            ui.selectable_value(d.scheme, kind, kind.name());
        }
    });
    let uses = d.scheme.parameters(d.params);
    let sa = matches!(*d.scheme, SchemeKind::SaPairwise | SchemeKind::SaParticle);
    let p = &mut *d.params;
    fn slider(ui: &mut egui::Ui, value: &mut f64, range: std::ops::RangeInclusive<f64>, text: &str) -> egui::Response {
        fit_slider(ui, text);
        // Never clamped: a scene's value outside the slider's range stays as it is.
        ui.add(
            egui::Slider::new(value, range)
                .logarithmic(true)
                .text(text)
                .clamping(egui::SliderClamping::Never)
                .update_while_editing(false),
        )
    }
    if sa {
        ui.horizontal_wrapped(|ui| {
            ui.label("noise matched to");
            ui.radio_value(&mut p.sa_matches_sgd, false, "BRO");
            ui.radio_value(&mut p.sa_matches_sgd, true, "SGD / RCD");
        });
        responses.push(slider(ui, &mut p.h, 0.01..=1.0, "step h"));
    }
    if uses.contains(&Param::Kick) || (sa && !p.sa_matches_sgd) {
        responses.push(slider(ui, &mut p.kick, 1e-3..=1.0, "kick eps"));
    }
    if uses.contains(&Param::Lr) {
        responses.push(slider(ui, &mut p.lr, 1e-3..=1.0, "learning rate"));
    }
    if uses.contains(&Param::Batch) {
        responses.push(slider(ui, &mut p.batch, 0.01..=1.0, "batch fraction b"));
        if !sa {
            ui.horizontal_wrapped(|ui| {
                ui.radio_value(&mut p.batch_mode, BatchMode::Probabilistic, "each with prob. b");
                ui.radio_value(&mut p.batch_mode, BatchMode::Fixed, "exactly b of them");
            });
        }
    }
    if *d.scheme == SchemeKind::BroParticle {
        ui.checkbox(&mut p.normalized, "normalized kick");
    }
    let before = *d.potential;
    ui.horizontal_wrapped(|ui| {
        ui.label("potential m");
        for (m, label) in
            [(Potential::LINEAR, "1 linear"), (Potential::HARMONIC, "2 harmonic"), (Potential::HERTZIAN, "5/2 Hertz")]
        {
            ui.radio_value(d.potential, m, label);
        }
    });
    if *d.potential != before && *d.tolerance == before.default_overlap_tolerance() {
        // The tolerance follows the potential unless it was set by hand.
        *d.tolerance = d.potential.default_overlap_tolerance();
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("active when overlap >");
        responses.push(
            ui.add(
                egui::DragValue::new(d.tolerance)
                    .range(0.0..=0.99)
                    .speed(1e-4)
                    .max_decimals(5)
                    .update_while_editing(false),
            )
            .on_hover_text(
                "A pair counts as active only when its overlap 1 - r/sigma exceeds this. \
                 Under m > 1 gradient steps close overlaps only geometrically: 0.001 lets a run \
                 below phi_c absorb in finite time.",
            ),
        );
        ui.label("of sigma");
    });
}

/// Room beside a slider for its number, in points.
const NUMBER_ROOM: f32 = 56.0;
/// The longest a slider gets, in points.
const LONGEST_SLIDER: f32 = 280.0;

/// Makes the next slider as long as the row leaves beside its number and
/// `name`: a lecturer's drag then moves the value in steps the class can follow.
pub(super) fn fit_slider(ui: &mut egui::Ui, name: &str) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let name_width = ui.fonts_mut(|f| f.layout_no_wrap(name.to_owned(), font, egui::Color32::WHITE).size().x);
    let room = name_width + NUMBER_ROOM + 2.0 * ui.spacing().item_spacing.x;
    // What the panel shows of the row: a panel narrowed by a large panel size scrolls sideways.
    let visible = (ui.clip_rect().right() - ui.cursor().min.x).min(ui.available_width());
    ui.spacing_mut().slider_width = (visible - room).clamp(60.0, LONGEST_SLIDER);
}
