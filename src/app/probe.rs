//! `absorb view --measure-fps`: the frame rate, and where a frame's time
//! goes: the main world's schedules; within them the simulation, the panels
//! and each refill of the spheres' buffers (timed inside, so other systems
//! running beside them do not count); and each render pass on the processor
//! and on the device.

use super::panel_state::UiSystems;
use super::picture::RefillTime;
use super::simulation::{Sim, SimSystems};
use bevy::diagnostic::{DiagnosticsStore, FrameCount, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy::render::renderer::RenderAdapterInfo;
use bevy_egui::{EguiPrimaryContextPass, EguiRenderOutput, egui};
use std::collections::BTreeMap;
use std::time::Instant;

/// Frames before the frame rate is sampled: pipelines compile first.
const WARMUP_FRAMES: u32 = 20;

/// Measures for `seconds` after the warm-up, prints one JSON line and exits.
pub struct ProbePlugin {
    /// How long to measure.
    pub seconds: f64,
}

impl Plugin for ProbePlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(RenderDiagnosticsPlugin)
            .insert_resource(Probe { seconds: self.seconds, ..Probe::default() })
            .add_systems(First, start_frame)
            .add_systems(RunFixedMainLoop, start_span::<0>.before(SimSystems::Commands))
            .add_systems(RunFixedMainLoop, end_span::<0>.after(RunFixedMainLoopSystems::AfterFixedMainLoop))
            .add_systems(EguiPrimaryContextPass, start_span::<1>.before(UiSystems::Panels))
            .add_systems(EguiPrimaryContextPass, end_span::<1>.after(UiSystems::Panels))
            .add_systems(Last, (read_refill, count_panels, measure).chain());
    }
}

/// What the frames measured.
#[derive(Resource, Default)]
struct Probe {
    seconds: f64,
    started: Option<Instant>,
    frame_start: Option<Instant>,
    span_start: [Option<Instant>; 2],
    /// Frames per second, from Bevy's frame-time diagnostic.
    fps: Vec<f64>,
    /// Milliseconds of each frame's main-world schedules (First to Last).
    main: Vec<f64>,
    /// Milliseconds of the simulation (commands and fixed steps) and of the panels.
    spans: [Vec<f64>; 2],
    /// Milliseconds of each refill of the spheres' buffers, and the frames measured.
    refills: Vec<f64>,
    refill_frames: u32,
    /// The panels' triangles each frame, and the area they cover in points
    /// (counted once per triangle that covers it): what a software
    /// rasterizer pays for.
    egui_triangles: Vec<f64>,
    egui_area: Vec<f64>,
    /// The panels' draws (one per clip rectangle and texture).
    egui_draws: Vec<f64>,
}

/// Counts the triangles egui hands the renderer, and the area they cover.
fn count_panels(mut probe: ResMut<Probe>, outputs: Query<&EguiRenderOutput>, frames: Res<FrameCount>) {
    if frames.0 < WARMUP_FRAMES {
        return;
    }
    let (mut triangles, mut area, mut draws) = (0usize, 0.0f64, 0usize);
    for output in &outputs {
        draws += output.paint_jobs.len();
        for job in &output.paint_jobs {
            let egui::epaint::Primitive::Mesh(mesh) = &job.primitive else { continue };
            triangles += mesh.indices.len() / 3;
            for t in mesh.indices.chunks_exact(3) {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| mesh.vertices[i as usize].pos);
                area += 0.5 * f64::from(((b - a).x * (c - a).y - (b - a).y * (c - a).x).abs());
            }
        }
    }
    probe.egui_triangles.push(triangles as f64);
    probe.egui_area.push(area);
    probe.egui_draws.push(draws as f64);
}

fn read_refill(mut probe: ResMut<Probe>, refill: Res<RefillTime>, frames: Res<FrameCount>) {
    if frames.0 < WARMUP_FRAMES {
        return;
    }
    probe.refill_frames += 1;
    if !refill.0.is_zero() {
        probe.refills.push(1e3 * refill.0.as_secs_f64());
    }
}

fn start_frame(mut probe: ResMut<Probe>) {
    probe.frame_start = Some(Instant::now());
}

fn start_span<const K: usize>(mut probe: ResMut<Probe>) {
    probe.span_start[K] = Some(Instant::now());
}

fn end_span<const K: usize>(mut probe: ResMut<Probe>, frames: Res<FrameCount>) {
    if let Some(start) = probe.span_start[K].take()
        && frames.0 >= WARMUP_FRAMES
    {
        probe.spans[K].push(1e3 * start.elapsed().as_secs_f64());
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Samples after the warm-up, then prints the medians and exits.
fn measure(
    mut probe: ResMut<Probe>,
    diagnostics: Res<DiagnosticsStore>,
    frames: Res<FrameCount>,
    sim: Res<Sim>,
    adapter: Option<Res<RenderAdapterInfo>>,
    mut exit: MessageWriter<AppExit>,
) {
    if frames.0 < WARMUP_FRAMES {
        return;
    }
    let started = *probe.started.get_or_insert_with(Instant::now);
    if let Some(fps) = diagnostics.get(&FrameTimeDiagnosticsPlugin::FPS).and_then(|d| d.value()) {
        probe.fps.push(fps);
    }
    if let Some(start) = probe.frame_start {
        probe.main.push(1e3 * start.elapsed().as_secs_f64());
    }
    if started.elapsed().as_secs_f64() < probe.seconds {
        return;
    }
    // Each render pass's time on the processor and on the device, in ms
    // (averages over Bevy's recent history of the diagnostic).
    let mut passes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in diagnostics.iter() {
        let path = d.path().as_str();
        let Some(rest) = path.strip_prefix("render/") else { continue };
        let Some((pass, what)) = rest.rsplit_once('/') else { continue };
        if let (Some(side), Some(ms)) = (what.strip_prefix("elapsed_"), d.average()) {
            passes.entry(pass.to_string()).or_default().push(format!("\"{side}\": {ms:.2}"));
        }
    }
    let passes: Vec<String> = passes.iter().map(|(pass, t)| format!("\"{pass}\": {{{}}}", t.join(", "))).collect();
    let p = sim.view().packing();
    let device = adapter.map_or("unknown device".to_string(), |a| format!("{} ({:?})", a.name, a.device_type));
    println!(
        "{{\"fps_median\": {:.2}, \"frames\": {}, \"seconds\": {:.1}, \"n\": {}, \"dim\": {}, \"iterations\": {}, \
         \"main_world_ms\": {:.2}, \"simulation_ms\": {:.2}, \"panels_ms\": {:.2}, \"refill_ms\": {:.2}, \
         \"refills_per_frame\": {:.2}, \"panel_draws\": {:.0}, \"panel_triangles\": {:.0}, \"panel_kilopoints\": {:.0}, \"passes_ms\": {{{}}}, \"device\": \"{device}\"}}",
        median(&probe.fps),
        probe.fps.len(),
        started.elapsed().as_secs_f64(),
        p.len(),
        p.dim(),
        sim.view().iteration(),
        median(&probe.main),
        median(&probe.spans[0]),
        median(&probe.spans[1]),
        median(&probe.refills),
        probe.refills.len() as f64 / probe.refill_frames.max(1) as f64,
        median(&probe.egui_draws),
        median(&probe.egui_triangles),
        median(&probe.egui_area) / 1e3,
        passes.join(", ")
    );
    exit.write(AppExit::Success);
}
