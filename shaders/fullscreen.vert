#version 330 core
// One triangle that covers the whole viewport, built from gl_VertexID: draw 3 vertices with an
// empty vertex array, no buffer needed. Corners (-1,-1), (3,-1), (-1,3) in clip space.
//
// v_uv: texture coordinates of the pictures we sample. Map and image textures are uploaded top
// row first (row 0 of a [h, w] map sits at v = 0), so v runs from 0 at the TOP of the viewport to
// 1 at the bottom. The picture in the target is then upright in GL's bottom-left convention:
// reading it back needs a row flip, and ImGui::Image shows it with uv0 = (0, 1), uv1 = (1, 0).
out vec2 v_uv;

void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));  // (0,0) (2,0) (0,2)
    v_uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
