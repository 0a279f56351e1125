#include "state_guard.h"

#include <cstddef>

namespace attn::gl {

namespace {

void set_enabled(GLenum cap, GLboolean on) {
    if (on)
        glEnable(cap);
    else
        glDisable(cap);
}

GLint get_int(GLenum name) {
    GLint value = 0;
    glGetIntegerv(name, &value);
    return value;
}

}  // namespace

RenderStateGuard::RenderStateGuard() {
    glGetIntegerv(GL_VIEWPORT, viewport_.data());
    draw_framebuffer_ = get_int(GL_DRAW_FRAMEBUFFER_BINDING);
    read_framebuffer_ = get_int(GL_READ_FRAMEBUFFER_BINDING);
    program_ = get_int(GL_CURRENT_PROGRAM);
    vertex_array_ = get_int(GL_VERTEX_ARRAY_BINDING);
    active_texture_ = get_int(GL_ACTIVE_TEXTURE);
    for (int unit = 0; unit < kGuardedTextureUnits; ++unit) {
        glActiveTexture(GL_TEXTURE0 + static_cast<GLenum>(unit));
        textures_[static_cast<std::size_t>(unit)] = get_int(GL_TEXTURE_BINDING_2D);
        samplers_[static_cast<std::size_t>(unit)] = get_int(GL_SAMPLER_BINDING);
    }
    glActiveTexture(static_cast<GLenum>(active_texture_));
    blend_ = glIsEnabled(GL_BLEND);
    scissor_ = glIsEnabled(GL_SCISSOR_TEST);
    depth_ = glIsEnabled(GL_DEPTH_TEST);
    stencil_ = glIsEnabled(GL_STENCIL_TEST);
    cull_ = glIsEnabled(GL_CULL_FACE);
    srgb_ = glIsEnabled(GL_FRAMEBUFFER_SRGB);
    glGetBooleanv(GL_COLOR_WRITEMASK, colour_mask_.data());
    // Core profile keeps one mode for both faces; GL_POLYGON_MODE still returns two values.
    glGetIntegerv(GL_POLYGON_MODE, polygon_mode_.data());
}

RenderStateGuard::~RenderStateGuard() {
    glPolygonMode(GL_FRONT_AND_BACK, static_cast<GLenum>(polygon_mode_[0]));
    glColorMask(colour_mask_[0], colour_mask_[1], colour_mask_[2], colour_mask_[3]);
    set_enabled(GL_FRAMEBUFFER_SRGB, srgb_);
    set_enabled(GL_CULL_FACE, cull_);
    set_enabled(GL_STENCIL_TEST, stencil_);
    set_enabled(GL_DEPTH_TEST, depth_);
    set_enabled(GL_SCISSOR_TEST, scissor_);
    set_enabled(GL_BLEND, blend_);
    for (int unit = 0; unit < kGuardedTextureUnits; ++unit) {
        glActiveTexture(GL_TEXTURE0 + static_cast<GLenum>(unit));
        glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(textures_[static_cast<std::size_t>(unit)]));
        glBindSampler(static_cast<GLuint>(unit), static_cast<GLuint>(samplers_[static_cast<std::size_t>(unit)]));
    }
    glActiveTexture(static_cast<GLenum>(active_texture_));
    glBindVertexArray(static_cast<GLuint>(vertex_array_));
    glUseProgram(static_cast<GLuint>(program_));
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(draw_framebuffer_));
    glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(read_framebuffer_));
    glViewport(viewport_[0], viewport_[1], viewport_[2], viewport_[3]);
}

PixelTransferGuard::PixelTransferGuard() {
    pack_alignment_ = get_int(GL_PACK_ALIGNMENT);
    unpack_alignment_ = get_int(GL_UNPACK_ALIGNMENT);
    pack_row_length_ = get_int(GL_PACK_ROW_LENGTH);
    unpack_row_length_ = get_int(GL_UNPACK_ROW_LENGTH);
    pack_buffer_ = get_int(GL_PIXEL_PACK_BUFFER_BINDING);
    unpack_buffer_ = get_int(GL_PIXEL_UNPACK_BUFFER_BINDING);
    texture_ = get_int(GL_TEXTURE_BINDING_2D);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
}

PixelTransferGuard::~PixelTransferGuard() {
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture_));
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, static_cast<GLuint>(unpack_buffer_));
    glBindBuffer(GL_PIXEL_PACK_BUFFER, static_cast<GLuint>(pack_buffer_));
    glPixelStorei(GL_UNPACK_ROW_LENGTH, unpack_row_length_);
    glPixelStorei(GL_PACK_ROW_LENGTH, pack_row_length_);
    glPixelStorei(GL_UNPACK_ALIGNMENT, unpack_alignment_);
    glPixelStorei(GL_PACK_ALIGNMENT, pack_alignment_);
}

}  // namespace attn::gl
