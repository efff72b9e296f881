//! Extended XYZ frames that OVITO and ASE read without options.

use crate::sim::{Dynamics, Packing};
use std::io::Write;

/// What the comment line says of a frame beyond the box and the columns.
#[derive(Clone, Copy, Debug)]
pub struct FrameInfo<'a> {
    /// Iteration of the frame.
    pub step: u64,
    /// The dynamics the frame was made with (its scheme and every parameter).
    pub dynamics: &'a Dynamics,
}

/// Writes one frame: N, the comment line with `Lattice`, `Properties`, `pbc`,
/// `step`, `phi`, the dynamics (`scheme`, its parameters such as `lr` and
/// `batch`, `potential`, `overlap_tolerance`: [`Dynamics::fields`]) and `dim`,
/// then `X x y z radius active` per particle.
/// 2D frames have z = 0 and a third lattice vector one largest diameter long;
/// 4D frames show the first three coordinates (`dim=4` in the comment).
pub fn write_frame(w: &mut dyn Write, packing: &Packing, contacts: &[u32], info: FrameInfo<'_>) -> std::io::Result<()> {
    let l = packing.side();
    let dim = packing.dim();
    let lz = if dim == 2 { packing.max_diameter() } else { l };
    let pbc = if dim == 2 { "T T F" } else { "T T T" };
    writeln!(w, "{}", packing.len())?;
    writeln!(
        w,
        "Lattice=\"{l} 0 0 0 {l} 0 0 0 {lz}\" Properties=species:S:1:pos:R:3:radius:R:1:active:I:1 \
         pbc=\"{pbc}\" step={} phi={} {} dim={dim}",
        info.step,
        packing.phi(),
        info.dynamics.fields().iter().map(|f| format!("{}={}", f.name, f.value)).collect::<Vec<_>>().join(" "),
    )?;
    for (i, (r, c)) in packing.radii().iter().zip(contacts).enumerate() {
        let x = packing.position(i);
        let z = if dim >= 3 { x[2] } else { 0.0 };
        writeln!(w, "X {} {} {} {} {}", x[0], x[1], z, r, u8::from(*c > 0))?;
    }
    Ok(())
}

/// The `key=value` pairs of a frame's comment line (the quoted `Lattice`,
/// `Properties` and `pbc` values are skipped), in order.
pub fn header_values(comment: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = comment;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().rsplit(' ').next().unwrap_or("").to_string();
        let after = &rest[eq + 1..];
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key, value.to_string()));
        rest = tail;
    }
    out
}

/// Reads a frame written by [`write_frame`] (the first frame of a file):
/// dimension, box side, radii and positions. Errors name the file and line.
pub fn read_frame(text: &str, path: &std::path::Path) -> crate::Result<Packing> {
    let bad = |line: usize, message: String| crate::Error::Parse { path: path.to_path_buf(), line, column: 1, message };
    let mut lines = text.lines();
    let n: usize = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| bad(1, "the first line must be the number of particles".into()))?;
    let comment = lines.next().ok_or_else(|| bad(2, "missing comment line".into()))?;
    if !comment.contains("Properties=species:S:1:pos:R:3:radius:R:1") {
        return Err(bad(
            2,
            "expected Properties=species:S:1:pos:R:3:radius:R:1:... (a frame written by absorb)".into(),
        ));
    }
    let lattice: Vec<f64> = comment
        .split("Lattice=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|l| l.split_whitespace().filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_default();
    if lattice.len() != 9 {
        return Err(bad(2, "expected Lattice=\"L 0 0 0 L 0 0 0 L\"".into()));
    }
    let side = lattice[0];
    let dim = comment
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dim="))
        .and_then(|d| d.parse().ok())
        .unwrap_or(if comment.contains("pbc=\"T T F\"") { 2 } else { 3 });
    if dim > 3 {
        return Err(bad(2, format!("dim={dim}: frames show only three coordinates; a 4D start cannot be read")));
    }
    let mut radii = Vec::with_capacity(n);
    let mut positions = Vec::with_capacity(n * dim);
    for k in 0..n {
        let line = lines.next().ok_or_else(|| bad(3 + k, format!("expected {n} particle lines, found {k}")))?;
        let words: Vec<f64> = line.split_whitespace().skip(1).take(4).filter_map(|w| w.parse().ok()).collect();
        if words.len() != 4 {
            return Err(bad(3 + k, format!("expected `X x y z radius ...`, found `{line}`")));
        }
        positions.extend_from_slice(&words[..dim]);
        radii.push(words[3]);
    }
    Packing::new(dim, side, radii, positions)
        .map_err(|e| crate::Error::InFile { path: path.to_path_buf(), error: Box::new(e) })
}
