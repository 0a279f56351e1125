#version 330 core
// The quads of quads.vert: a filled rounded box (kind 0), its outline (1), diagonal hatching
// inside it (2), or a glyph from the font atlas (3). Coverage comes from the distance to the
// exact box, so edges are anti-aliased and a box that moves by a fraction of a pixel moves
// smoothly instead of jumping.
in vec2 v_pos;
flat in vec4 v_rect;
flat in vec4 v_uv;
flat in vec4 v_colour;
flat in vec4 v_style;

uniform sampler2D u_atlas;  // Dear ImGui's font atlas: coverage in alpha

out vec4 frag_colour;

// Signed distance from p to a box of half_size size `half_size` centred at 0 with corners of radius r.
float box_distance(vec2 p, vec2 half_size, float r) {
    r = min(r, min(half_size.x, half_size.y));
    vec2 q = abs(p) - half_size + vec2(r);
    return length(max(q, 0.0)) + min(max(q.x, q.y), 0.0) - r;
}

void main() {
    int kind = int(v_style.x + 0.5);
    vec2 centre = 0.5 * (v_rect.xy + v_rect.zw);
    vec2 half_size = max(0.5 * (v_rect.zw - v_rect.xy), vec2(0.0));
    float d = box_distance(v_pos - centre, half_size, v_style.y);
    float inside = clamp(0.5 - d, 0.0, 1.0);
    float alpha = inside;
    if (kind == 1) {
        // An outline of width v_style.z inside the box's edge.
        alpha = inside - clamp(0.5 - (d + v_style.z), 0.0, 1.0);
    } else if (kind == 2) {
        // Stripes at 45 degrees, one every v_style.z pixels, v_style.w wide, continuous from one
        // box to the next (they follow the target's pixels, not the box).
        float period = max(v_style.z, 2.0);
        float s = mod(v_pos.x + v_pos.y, period) - 0.5 * period;
        float line = clamp(0.5 * v_style.w - abs(s) * 0.70710678 + 0.5, 0.0, 1.0);
        alpha = inside * line;
    } else if (kind == 3) {
        vec2 size = max(v_rect.zw - v_rect.xy, vec2(1e-6));
        vec2 t = clamp((v_pos - v_rect.xy) / size, 0.0, 1.0);
        alpha = inside * texture(u_atlas, mix(v_uv.xy, v_uv.zw, t)).a;
    }
    frag_colour = vec4(v_colour.rgb, v_colour.a * alpha);
}
