// Saving and restoring the GL state our passes touch, so that Dear ImGui (which draws after us in
// the same frame) finds everything as it left it. Scope-based: the destructor restores.
#pragma once

#include <glad/gl.h>

#include <array>

namespace attn::gl {

// The texture units our passes bind: 0 .. kGuardedTextureUnits - 1.
constexpr int kGuardedTextureUnits = 4;

// Everything a full-screen pass changes: viewport, draw and read framebuffers, program, vertex
// array, active texture unit and the 2D texture and sampler of units 0..3, blend / scissor /
// depth / stencil / cull / sRGB enables, colour write mask and polygon mode.
class RenderStateGuard {
public:
    RenderStateGuard();
    ~RenderStateGuard();
    RenderStateGuard(const RenderStateGuard&) = delete;
    RenderStateGuard& operator=(const RenderStateGuard&) = delete;

private:
    std::array<GLint, 4> viewport_{};
    GLint draw_framebuffer_ = 0, read_framebuffer_ = 0;
    GLint program_ = 0, vertex_array_ = 0, active_texture_ = 0;
    std::array<GLint, kGuardedTextureUnits> textures_{}, samplers_{};
    GLboolean blend_ = GL_FALSE, scissor_ = GL_FALSE, depth_ = GL_FALSE, stencil_ = GL_FALSE, cull_ = GL_FALSE,
              srgb_ = GL_FALSE;
    std::array<GLboolean, 4> colour_mask_{};
    std::array<GLint, 2> polygon_mode_{};
};

// Pixel transfer state of uploads and readbacks: pack and unpack alignment and row length, the
// pixel pack and unpack buffers, and the 2D texture bound to the active unit. The constructor
// sets alignment 1, row length 0 and no buffers, so tightly packed client memory is read and
// written as it is.
class PixelTransferGuard {
public:
    PixelTransferGuard();
    ~PixelTransferGuard();
    PixelTransferGuard(const PixelTransferGuard&) = delete;
    PixelTransferGuard& operator=(const PixelTransferGuard&) = delete;

private:
    GLint pack_alignment_ = 4, unpack_alignment_ = 4, pack_row_length_ = 0, unpack_row_length_ = 0;
    GLint pack_buffer_ = 0, unpack_buffer_ = 0, texture_ = 0;
};

}  // namespace attn::gl
