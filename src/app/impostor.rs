//! Spheres drawn as ray-cast impostors, as molecular viewers draw them: one
//! camera-facing quad per sphere in a single mesh, one draw for them all.
//! The quads' vertex shader reads each sphere's centre, radius and colour
//! from two storage buffers filled from the run every frame it changes; the
//! fragment shader intersects the view ray with the sphere and writes its
//! true depth (src/app/impostor.wgsl).

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{Material, MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, RenderPipelineDescriptor, SpecializedMeshPipelineError};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;

/// The spheres' buffers: centre and radius (`[x, y, z, r]`, world units)
/// and sRGB colour (8 bits a channel, red lowest) of each.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct ImpostorMaterial {
    /// `[x, y, z, r]` of each sphere; r = 0 hides it.
    #[storage(0, read_only)]
    pub spheres: Handle<ShaderBuffer>,
    /// Packed sRGB colour of each sphere.
    #[storage(1, read_only)]
    pub colours: Handle<ShaderBuffer>,
    /// In 2D the box's half sides in x and y: what lies beyond is cut, so
    /// that a disk across an edge shows as two parts, as periodic
    /// boundaries make it. Zero: nothing is cut (3D).
    #[uniform(2)]
    pub clip: Vec4,
}

impl Material for ImpostorMaterial {
    fn vertex_shader() -> ShaderRef {
        "embedded://absorb/app/impostor.wgsl".into()
    }

    fn fragment_shader() -> ShaderRef {
        "embedded://absorb/app/impostor.wgsl".into()
    }

    fn enable_prepass() -> bool {
        false
    }

    fn enable_shadows() -> bool {
        false
    }

    fn specialize(
        _: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        _: &MeshVertexBufferLayoutRef,
        _: MaterialPipelineKey<Self>,
    ) -> std::result::Result<(), SpecializedMeshPipelineError> {
        // A quad faces the eye whichever way it was wound.
        descriptor.primitive.cull_mode = None;
        Ok(())
    }
}

/// Bytes of one sphere's record in the largest buffer the picture makes
/// (the quads' corners: four vertices of three floats).
pub const LARGEST_BUFFER_BYTES_PER_SPHERE: u64 = 4 * 3 * 4;

/// Bytes the picture keeps on the device per sphere: the quads' corners and
/// indices, the centres and radii, the colours.
pub const DEVICE_BYTES_PER_SPHERE: u64 = LARGEST_BUFFER_BYTES_PER_SPHERE + 6 * 4 + 16 + 4;

/// The quads of `n` spheres: four corners (+-1, +-1, 0) each, two triangles.
pub fn quads(n: usize) -> Mesh {
    const CORNERS: [[f32; 3]; 4] = [[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]];
    let corners: Vec<[f32; 3]> = (0..n).flat_map(|_| CORNERS).collect();
    let indices: Vec<u32> = (0..n as u32).flat_map(|i| [0, 1, 2, 0, 2, 3].map(|k| 4 * i + k)).collect();
    let mut mesh = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD);
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, corners);
    mesh.insert_indices(Indices::U32(indices));
    mesh
}

/// A colour as the shader reads it: sRGB, 8 bits a channel, red lowest.
pub fn pack(c: [f32; 3]) -> u32 {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u32;
    byte(c[0]) | byte(c[1]) << 8 | byte(c[2]) << 16 | 255 << 24
}

/// A storage buffer that the render world takes (the main world keeps no copy).
pub fn buffer(bytes: Vec<u8>) -> ShaderBuffer {
    let mut buffer = ShaderBuffer::new(&[], RenderAssetUsages::RENDER_WORLD);
    buffer.data = Some(bytes);
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quad_a_sphere_two_triangles_each() {
        let mesh = quads(3);
        assert_eq!(mesh.count_vertices(), 12);
        let Some(Indices::U32(indices)) = mesh.indices() else { panic!("32-bit indices") };
        assert_eq!(indices.len(), 18);
        assert_eq!(&indices[6..12], &[4, 5, 6, 4, 6, 7]);
    }

    #[test]
    fn colours_pack_red_lowest() {
        assert_eq!(pack([1.0, 0.0, 0.0]), 0xff00_00ff);
        assert_eq!(pack([0.0, 0.0, 1.0]), 0xffff_0000);
        assert_eq!(pack([2.0, -1.0, 0.5]), 0xff80_00ff);
    }
}
