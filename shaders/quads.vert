#version 330 core
// Instanced quads for the step diagrams (app/gl/quad_renderer.h): four vertices a quad, made
// from gl_VertexID (a triangle strip), one instance per quad. Positions are target pixels with
// the origin at the TOP left; the quad is grown by a pixel on each side so that the fragment
// shader can anti-alias its edges from the exact rectangle (smooth sub-pixel motion).
layout(location = 0) in vec4 a_rect;    // x0, y0, x1, y1 in pixels, top-left origin
layout(location = 1) in vec4 a_uv;      // glyphs: u0, v0, u1, v1 in the font atlas
layout(location = 2) in vec4 a_colour;  // straight (not premultiplied) RGBA in [0, 1]
layout(location = 3) in vec4 a_style;   // kind, corner radius, line width / hatch period, hatch line

uniform vec2 u_target;  // width, height of the target in pixels

out vec2 v_pos;                  // this fragment's position in target pixels
flat out vec4 v_rect;
flat out vec4 v_uv;
flat out vec4 v_colour;
flat out vec4 v_style;

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    vec2 lo = min(a_rect.xy, a_rect.zw) - vec2(1.0);
    vec2 hi = max(a_rect.xy, a_rect.zw) + vec2(1.0);
    v_pos = mix(lo, hi, corner);
    v_rect = vec4(min(a_rect.xy, a_rect.zw), max(a_rect.xy, a_rect.zw));
    v_uv = a_uv;
    v_colour = a_colour;
    v_style = a_style;
    // Top-left pixels -> clip space with y up: the picture is upright in GL's convention, as the
    // map renderer's targets are (read back with a row flip, shown with flipped v).
    gl_Position = vec4(v_pos.x / u_target.x * 2.0 - 1.0, 1.0 - v_pos.y / u_target.y * 2.0, 0.0, 1.0);
}
