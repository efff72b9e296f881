// Sphere shading that costs a few operations per pixel, so software
// renderers keep up: a headlight from the camera plus a constant ambient term.
#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> color: vec4<f32>;

const AMBIENT: f32 = 0.28;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let n = normalize(in.world_normal);
    let to_eye = normalize(view.world_position.xyz - in.world_position.xyz);
    let diffuse = max(dot(n, to_eye), 0.0);
    return vec4<f32>(color.rgb * (AMBIENT + (1.0 - AMBIENT) * diffuse), 1.0);
}
