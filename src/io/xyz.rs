//! Extended XYZ frames that OVITO and ASE read without options.

use crate::sim::Packing;
use std::io::Write;

/// What the comment line says of a frame beyond the box and the columns.
#[derive(Clone, Copy, Debug)]
pub struct FrameInfo<'a> {
    /// Iteration of the frame.
    pub step: u64,
    /// Scheme name as in MODEL.md.
    pub scheme: &'a str,
}

/// Writes one frame: N, the comment line with `Lattice`, `Properties`, `pbc`,
/// `step`, `phi` and `scheme`, then `X x y z radius active` per particle.
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
         pbc=\"{pbc}\" step={} phi={} scheme={} dim={dim}",
        info.step,
        packing.phi(),
        info.scheme,
    )?;
    for (i, (r, c)) in packing.radii().iter().zip(contacts).enumerate() {
        let x = packing.position(i);
        let z = if dim >= 3 { x[2] } else { 0.0 };
        writeln!(w, "X {} {} {} {} {}", x[0], x[1], z, r, u8::from(*c > 0))?;
    }
    Ok(())
}
