// Instanced quads into an RGBA8 texture of our own, through shaders/quads.{vert,frag}: what the
// Pipeline panel's step diagrams are drawn with (filled and outlined rounded boxes, hatching, and
// text as glyph quads sampled from Dear ImGui's font atlas, so an exported frame carries its
// labels). One draw call a frame: every quad is an instance.
//
// Coordinates are target pixels with the origin at the top left. The target is upright in GL's
// convention like MapRenderer's: read_rgb() flips it into top-row-first order, and
// gl::image_upright shows it the right way up.
//
// Needs a current GL context. render() saves and restores the GL state it touches (the
// RenderStateGuard's, plus the blend function and the array buffer binding), so it can run in the
// middle of an ImGui frame.
#pragma once

#include "export/png.h"
#include "shader.h"
#include "textures.h"

#include <glad/gl.h>

#include <filesystem>
#include <vector>

namespace attn::gl {

enum class QuadKind {
    Fill = 0,   // the rounded box filled with the colour
    Frame = 1,  // its outline, `line` pixels wide, inside the box
    Hatch = 2,  // 45-degree stripes inside the box, one every `line` pixels, `hatch_line` wide
    Glyph = 3,  // the colour times the font atlas's alpha at uv
};

struct Quad {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // pixels, top-left origin
    float u0 = 0, v0 = 0, u1 = 0, v1 = 0;  // Glyph: the atlas rectangle
    float r = 1, g = 1, b = 1, a = 1;      // straight alpha
    QuadKind kind = QuadKind::Fill;
    float radius = 0.0f;  // of the corners, pixels
    float line = 1.0f;    // Frame: width; Hatch: period
    float hatch_line = 1.5f;
};

class QuadRenderer {
public:
    // Builds the "quads" program from the embedded shaders; ShaderError if it does not build.
    QuadRenderer();
    ~QuadRenderer();
    QuadRenderer(const QuadRenderer&) = delete;
    QuadRenderer& operator=(const QuadRenderer&) = delete;

    // Clears the target (reallocated to width x height when the size changed) to `clear` (RGBA)
    // and draws the quads in order, alpha-blended. `atlas` is the texture Glyph quads sample
    // (0: none; glyphs are then drawn as boxes). ConfigError for a size outside
    // GL_MAX_VIEWPORT_DIMS.
    void render(const std::vector<Quad>& quads, int width, int height, const float clear[4], GLuint atlas);

    const Texture& texture() const { return target_; }
    int width() const { return target_.width(); }
    int height() const { return target_.height(); }
    // The target as RGB8 [height, width, 3], top row first.
    RgbImage read_rgb() const;

    // Rebuilds the program from `dir` (hot reload); on a ShaderError the old one stays.
    void reload(const std::filesystem::path& dir);

private:
    void ensure_target(int width, int height);

    Program program_;
    GLuint vertex_array_ = 0, buffer_ = 0, framebuffer_ = 0;
    size_t buffer_bytes_ = 0;
    Texture target_;
};

}  // namespace attn::gl
