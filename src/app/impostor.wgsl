// Spheres as ray-cast impostors: one camera-facing quad per sphere, read
// from a buffer of centres and radii by its vertex index; the fragment
// intersects the view ray with the sphere, discards the corners, writes the
// true depth (overlapping spheres cut each other along their intersection)
// and shades with a headlight plus a constant ambient term.
#import bevy_pbr::mesh_view_bindings::view
#import bevy_pbr::mesh_bindings::mesh

// Centre (world) and radius of each sphere; radius 0 hides it.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<storage, read> spheres: array<vec4<f32>>;
// sRGB colour of each sphere, 8 bits a channel (red lowest).
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> colours: array<u32>;
// In 2D the box's half sides (x, y): beyond them nothing is drawn. Zero in 3D.
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<uniform> clip: vec4<f32>;

const AMBIENT: f32 = 0.28;

struct Vertex {
    @builtin(instance_index) instance: u32,
    @builtin(vertex_index) index: u32,
    // The quad's corner, (+-1, +-1, 0).
    @location(0) corner: vec3<f32>,
};

struct VertexOutput {
    @builtin(position) clip: vec4<f32>,
    // The quad's point, in view space.
    @location(0) point: vec3<f32>,
    @location(1) @interpolate(flat) centre: vec3<f32>,
    @location(2) @interpolate(flat) radius: f32,
    @location(3) @interpolate(flat) colour: vec3<f32>,
};

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

fn unpack_colour(packed: u32) -> vec3<f32> {
    return srgb_to_linear(unpack4x8unorm(packed).rgb);
}

fn orthographic() -> bool {
    return view.clip_from_view[3][3] == 1.0;
}

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    // The mesh may lie anywhere in Bevy's vertex buffers: count from its first vertex.
    let k = (v.index - mesh[v.instance].first_vertex_index) / 4u;
    let sphere = spheres[k];
    let centre = (view.view_from_world * vec4<f32>(sphere.xyz, 1.0)).xyz;
    let r = sphere.w;
    var out: VertexOutput;
    out.centre = centre;
    out.radius = r;
    out.colour = unpack_colour(colours[k]);
    var point: vec3<f32>;
    if orthographic() {
        // Rays are parallel to -z: the silhouette is the disk of radius r.
        point = centre + vec3<f32>(v.corner.xy * r, 0.0);
    } else {
        // A quad through the centre, square to the line of sight, that holds
        // the silhouette: the cone from the eye tangent to the sphere meets
        // its plane in a circle of radius r d / sqrt(d^2 - r^2).
        let d = length(centre);
        let toward = centre / d;
        let across = select(vec3<f32>(0.0, 1.0, 0.0), vec3<f32>(1.0, 0.0, 0.0), abs(toward.y) > 0.99);
        let side = normalize(cross(toward, across));
        let up = cross(side, toward);
        let grow = r * d / sqrt(max(d * d - r * r, 1e-12));
        point = centre + (v.corner.x * side + v.corner.y * up) * grow;
        if d <= r {
            // The eye is inside the sphere: nothing to draw.
            out.radius = 0.0;
        }
    }
    out.point = point;
    out.clip = view.clip_from_view * vec4<f32>(point, 1.0);
    if out.radius <= 0.0 {
        // Hidden: a point outside the clip volume.
        out.clip = vec4<f32>(2.0, 2.0, 2.0, 1.0);
    }
    return out;
}

struct FragmentOutput {
    @location(0) colour: vec4<f32>,
    @builtin(frag_depth) depth: f32,
};

@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
    // The ray from the origin o along d (not normalized): the eye and the
    // point under perspective, the point moved back along -z orthographically.
    var o = vec3<f32>(0.0);
    var d = in.point;
    let ortho = orthographic();
    if ortho {
        o = vec3<f32>(in.point.xy, 0.0);
        d = vec3<f32>(0.0, 0.0, -1.0);
    }
    if clip.x > 0.0 {
        // 2D: a disk across the box's edge is cut there; its periodic image shows the rest.
        let world = (view.world_from_view * vec4<f32>(in.point, 1.0)).xy;
        if abs(world.x) > clip.x || abs(world.y) > clip.y {
            discard;
        }
    }
    // |o + t d - c|^2 = r^2, nearer root.
    let oc = o - in.centre;
    let a = dot(d, d);
    let b = dot(oc, d);
    let disc = b * b - a * (dot(oc, oc) - in.radius * in.radius);
    if disc < 0.0 {
        discard;
    }
    let t = (-b - sqrt(disc)) / a;
    let hit = o + t * d;
    let n = (hit - in.centre) / in.radius;
    // The headlight along the ray, towards the eye.
    let diffuse = max(-dot(n, d) * inverseSqrt(a), 0.0);
    var out: FragmentOutput;
    out.colour = vec4<f32>(in.colour * (AMBIENT + (1.0 - AMBIENT) * diffuse), 1.0);
    // Depth as the projection gives it, from the hit's view z alone.
    let p = view.clip_from_view;
    let w = select(-hit.z, 1.0, ortho);
    out.depth = (p[2][2] * hit.z + p[3][2]) / w;
    return out;
}
