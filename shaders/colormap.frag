#version 330 core
// Attention value -> colour through a 256-entry colormap table, optionally blended over a picture.
// The same steps as the CPU's colormap_rgb (core/render/colormap.h), so a map looks the same in
// the window and in an exported PNG.
in vec2 v_uv;
out vec4 frag_colour;

uniform sampler2D u_map;         // R32F [h, w]: raw values, row 0 at v = 0
uniform sampler2D u_colormap;    // RGB8 256 x 1: colormap_table(cmap), GL_LINEAR, clamp to edge
uniform sampler2D u_background;  // RGB8 [H, W]: the picture under the map (when u_has_background)
uniform vec2 u_range;            // (lo, hi): lo -> first entry, hi -> last
uniform vec3 u_nan_colour;       // kNanColour / 255
uniform bool u_has_background;
uniform float u_opacity;         // of the map over the background, in [0, 1]

void main() {
    float v = texture(u_map, v_uv).r;
    vec3 colour;
    if (isnan(v)) {
        // Checked before any arithmetic: clamp() of NaN is undefined in GLSL.
        colour = u_nan_colour;
    } else {
        // hi <= lo is a constant map: the middle of the colormap, as the CPU export does.
        float t = 0.5;
        if (u_range.y > u_range.x) t = clamp((v - u_range.x) / (u_range.y - u_range.x), 0.0, 1.0);
        // Entry i belongs to t = i / 255 and its texel centre is at (i + 0.5) / 256: this maps
        // t = 0 and t = 1 to the first and last centres, and GL_LINEAR interpolates between
        // neighbouring entries exactly like colormap_rgb does.
        colour = texture(u_colormap, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb;
    }
    if (u_has_background) {
        vec3 under = texture(u_background, v_uv).rgb;
        colour = (1.0 - u_opacity) * under + u_opacity * colour;
    }
    frag_colour = vec4(colour, 1.0);
}
