#include "map_renderer.h"

#include "errors.h"
#include "programs.h"
#include "shader_sources.h"
#include "state_guard.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace attn::gl {

namespace {

// Texture units of the colormap pass (all below kGuardedTextureUnits).
constexpr GLint kMapUnit = 0;
constexpr GLint kColormapUnit = 1;
constexpr GLint kBackgroundUnit = 2;
static_assert(kBackgroundUnit < kGuardedTextureUnits, "the state guard must cover every unit we bind");

void bind_unit(GLint unit, const Texture* texture) {
    glActiveTexture(GL_TEXTURE0 + static_cast<GLenum>(unit));
    glBindTexture(GL_TEXTURE_2D, texture != nullptr ? texture->id() : 0);
    glBindSampler(static_cast<GLuint>(unit), 0);  // the texture's own filter and wrap apply
}

std::string hex(GLenum value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", value);
    return text;
}

}  // namespace

MapRenderer::MapRenderer() : program_(build_program(program_spec("colormap"))) {
    glGenVertexArrays(1, &vertex_array_);
    glGenFramebuffers(1, &framebuffer_);
    ATTN_CHECK(vertex_array_ != 0 && framebuffer_ != 0, "MapRenderer: glGen* failed");
}

MapRenderer::~MapRenderer() {
    if (framebuffer_ != 0) glDeleteFramebuffers(1, &framebuffer_);
    if (vertex_array_ != 0) glDeleteVertexArrays(1, &vertex_array_);
}

void MapRenderer::ensure_target(int width, int height) {
    if (target_ && target_.width() == width && target_.height() == height) return;
    target_ = allocate_render_texture(width, height);
    // Called inside render(), whose RenderStateGuard restores the framebuffer binding.
    glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, target_.id(), 0);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        target_ = Texture();  // so the next render() tries again instead of drawing into nothing
        throw InternalError("MapRenderer: framebuffer with a " + std::to_string(width) + " x " +
                            std::to_string(height) + " RGBA8 texture is incomplete (status " + hex(status) + ")");
    }
}

void MapRenderer::render(const MapRenderInputs& inputs, int width, int height) {
    if (inputs.map == nullptr || !*inputs.map) throw ConfigError("map render: no attention map texture");
    if (inputs.colormap == nullptr || !*inputs.colormap) throw ConfigError("map render: no colormap texture");
    if (!(inputs.opacity >= 0.0f && inputs.opacity <= 1.0f))
        throw ConfigError("overlay opacity must be in [0, 1], got " + std::to_string(inputs.opacity));
    GLint max_dims[2] = {0, 0};
    glGetIntegerv(GL_MAX_VIEWPORT_DIMS, max_dims);
    if (width < 1 || height < 1 || width > max_dims[0] || height > max_dims[1])
        throw ConfigError("map render: target " + std::to_string(width) + " x " + std::to_string(height) +
                          " must be 1.." + std::to_string(max_dims[0]) + " x 1.." + std::to_string(max_dims[1]) +
                          " px (GL_MAX_VIEWPORT_DIMS)");

    const RenderStateGuard guard;
    ensure_target(width, height);

    // 1. Our framebuffer, the whole target, a plain overwrite: no blending with what was there,
    //    no scissor or depth from whoever drew before, every channel written.
    bind_target_for_overwrite(framebuffer_, width, height);
    glDisable(GL_BLEND);

    // 2. Inputs.
    bind_unit(kMapUnit, inputs.map);
    bind_unit(kColormapUnit, inputs.colormap);
    bind_unit(kBackgroundUnit, inputs.background);
    glUseProgram(program_.id());
    glUniform1i(program_.uniform("u_map"), kMapUnit);
    glUniform1i(program_.uniform("u_colormap"), kColormapUnit);
    glUniform1i(program_.uniform("u_background"), kBackgroundUnit);
    glUniform2f(program_.uniform("u_range"), inputs.lo, inputs.hi);
    glUniform3f(program_.uniform("u_nan_colour"), kNanColour[0] / 255.0f, kNanColour[1] / 255.0f,
                kNanColour[2] / 255.0f);
    glUniform1i(program_.uniform("u_has_background"), inputs.background != nullptr ? 1 : 0);
    glUniform1f(program_.uniform("u_opacity"), inputs.opacity);

    // 3. One full-screen triangle.
    glBindVertexArray(vertex_array_);
    glDrawArrays(GL_TRIANGLES, 0, 3);
}

RgbImage MapRenderer::read_rgb() const {
    if (!target_) return {};
    return read_framebuffer_rgb(framebuffer_, target_.width(), target_.height());
}

void MapRenderer::reload(const std::filesystem::path& dir) {
    Program rebuilt = build_program(program_spec("colormap"), dir);  // throws before touching program_
    program_ = std::move(rebuilt);
}

bool MapRenderer::reload_from_source() {
    const std::optional<std::filesystem::path> dir = shader_reload_dir();
    if (!dir) return false;
    reload(*dir);
    return true;
}

}  // namespace attn::gl
