//! How many spheres this window can draw: the graphics device's largest
//! buffer holds one instance record per sphere, and the window holds its
//! entities and their render copies in memory besides the run. The picture
//! learns it once the device is known; a setup over the limit is refused
//! with a message that says the limit and points to `absorb run`.

use crate::budget::{self, MemoryLimit};
use crate::error::{Error, Result};
use bevy::prelude::*;

/// The most spheres this window can draw, once the graphics device is known;
/// larger setups are refused with a message.
#[derive(Resource, Clone, Debug, Default)]
pub struct DrawLimit(pub Option<Drawable>);

/// Bytes a sphere takes in the largest buffer the picture makes on the
/// device (the impostors' quads).
pub fn device_bytes_per_sphere() -> u64 {
    super::impostor::LARGEST_BUFFER_BYTES_PER_SPHERE
}

/// Memory the window holds per sphere besides the run: the entity, its
/// components, the render world's copy and the instance buffers' staging.
/// Measured as the growth of the window's peak resident size from
/// N = 10^4 to 10^5 (docs/design.md, "Memory a window needs").
pub const WINDOW_BYTES_PER_SPHERE: u64 = 2600;

/// The most spheres the window draws, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawable {
    /// Most spheres.
    pub max: usize,
    /// What sets it, in words.
    pub reason: String,
}

impl Drawable {
    /// The limit on a device whose largest buffer binding holds `buffer_bytes`,
    /// named `device`, with `memory` left to the process.
    pub fn new(buffer_bytes: u64, device: &str, memory: Option<MemoryLimit>) -> Self {
        let per_sphere = device_bytes_per_sphere();
        let by_device = (buffer_bytes / per_sphere) as usize;
        let mut out = Self {
            max: by_device,
            reason: format!("{device} holds {} per buffer, {per_sphere} bytes a sphere", budget::bytes(buffer_bytes)),
        };
        if let Some(memory) = memory {
            // The run itself (3D, the larger of 2D and 3D) and the picture, per sphere.
            let per_sphere = WINDOW_BYTES_PER_SPHERE + budget::bytes_per_particle(3);
            let by_memory = (memory.bytes.saturating_sub(budget::RUN_BASE_BYTES * 8) / per_sphere) as usize;
            if by_memory < out.max {
                out = Self {
                    max: by_memory,
                    reason: format!(
                        "{} of memory left, some {} bytes a sphere with the picture",
                        budget::bytes(memory.bytes),
                        per_sphere
                    ),
                };
            }
        }
        out
    }

    /// Refuses `n` spheres over the limit.
    pub fn check(&self, n: usize) -> Result<()> {
        if n <= self.max {
            return Ok(());
        }
        Err(Error::TooLarge(format!(
            "N = {n} is more than this window can draw: at most {} spheres ({}); \
             `absorb run --n {n}` runs it without a window",
            self.max, self.reason
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::LimitSource;

    #[test]
    fn the_device_or_the_memory_sets_the_limit() {
        let mib128 = 128 << 20;
        let device = Drawable::new(mib128, "llvmpipe", None);
        assert_eq!(device.max as u64, mib128 / device_bytes_per_sphere());
        assert!(device.check(device.max).is_ok());
        let over = device.max + 1;
        let refused = device.check(over).unwrap_err().to_string();
        assert!(refused.contains(&format!("N = {over}")) && refused.contains(&device.max.to_string()), "{refused}");
        assert!(refused.contains(&format!("absorb run --n {over}")), "{refused}");

        let tight = MemoryLimit { bytes: 2 << 30, source: LimitSource::Available };
        let memory = Drawable::new(16 << 30, "a large GPU", Some(tight));
        assert!(memory.max < 1_000_000 && memory.max > 100_000, "{memory:?}");
        assert!(memory.reason.contains("memory"), "{memory:?}");
    }
}
