#include "quad_renderer.h"

#include "errors.h"
#include "programs.h"
#include "state_guard.h"

#include <cstring>
#include <string>
#include <utility>

namespace attn::gl {

namespace {

constexpr int kFloatsPerQuad = 16;  // rect, uv, colour, style: four vec4 attributes

// What RenderStateGuard leaves out and this pass changes: the blend function and equation and
// the GL_ARRAY_BUFFER binding (Dear ImGui sets its own before drawing, but a later pass of ours
// might not).
class BlendAndBufferGuard {
public:
    BlendAndBufferGuard() {
        glGetIntegerv(GL_BLEND_SRC_RGB, &src_rgb_);
        glGetIntegerv(GL_BLEND_DST_RGB, &dst_rgb_);
        glGetIntegerv(GL_BLEND_SRC_ALPHA, &src_alpha_);
        glGetIntegerv(GL_BLEND_DST_ALPHA, &dst_alpha_);
        glGetIntegerv(GL_BLEND_EQUATION_RGB, &eq_rgb_);
        glGetIntegerv(GL_BLEND_EQUATION_ALPHA, &eq_alpha_);
        glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &array_buffer_);
        glGetFloatv(GL_COLOR_CLEAR_VALUE, clear_);
    }
    ~BlendAndBufferGuard() {
        glBlendEquationSeparate(static_cast<GLenum>(eq_rgb_), static_cast<GLenum>(eq_alpha_));
        glBlendFuncSeparate(static_cast<GLenum>(src_rgb_), static_cast<GLenum>(dst_rgb_),
                            static_cast<GLenum>(src_alpha_), static_cast<GLenum>(dst_alpha_));
        glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(array_buffer_));
        glClearColor(clear_[0], clear_[1], clear_[2], clear_[3]);
    }
    BlendAndBufferGuard(const BlendAndBufferGuard&) = delete;
    BlendAndBufferGuard& operator=(const BlendAndBufferGuard&) = delete;

private:
    GLint src_rgb_ = 0, dst_rgb_ = 0, src_alpha_ = 0, dst_alpha_ = 0, eq_rgb_ = 0, eq_alpha_ = 0;
    GLint array_buffer_ = 0;
    GLfloat clear_[4] = {0, 0, 0, 0};
};

}  // namespace

QuadRenderer::QuadRenderer() : program_(build_program(program_spec("quads"))) {
    glGenVertexArrays(1, &vertex_array_);
    glGenBuffers(1, &buffer_);
    glGenFramebuffers(1, &framebuffer_);
    ATTN_CHECK(vertex_array_ != 0 && buffer_ != 0 && framebuffer_ != 0, "QuadRenderer: glGen* failed");
    // The instance attributes, set up once in our own vertex array.
    GLint previous_vao = 0, previous_buffer = 0;
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &previous_vao);
    glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &previous_buffer);
    glBindVertexArray(vertex_array_);
    glBindBuffer(GL_ARRAY_BUFFER, buffer_);
    const GLsizei stride = kFloatsPerQuad * static_cast<GLsizei>(sizeof(float));
    for (GLuint i = 0; i < 4; ++i) {
        glEnableVertexAttribArray(i);
        glVertexAttribPointer(i, 4, GL_FLOAT, GL_FALSE, stride,
                              reinterpret_cast<const void*>(static_cast<uintptr_t>(i * 4 * sizeof(float))));
        glVertexAttribDivisor(i, 1);
    }
    glBindVertexArray(static_cast<GLuint>(previous_vao));
    glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(previous_buffer));
}

QuadRenderer::~QuadRenderer() {
    if (framebuffer_ != 0) glDeleteFramebuffers(1, &framebuffer_);
    if (buffer_ != 0) glDeleteBuffers(1, &buffer_);
    if (vertex_array_ != 0) glDeleteVertexArrays(1, &vertex_array_);
}

void QuadRenderer::ensure_target(int width, int height) {
    if (target_ && target_.width() == width && target_.height() == height) return;
    target_ = allocate_render_texture(width, height);
    glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);  // restored by render()'s guard
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, target_.id(), 0);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        target_ = Texture();
        throw InternalError("QuadRenderer: framebuffer with a " + std::to_string(width) + " x " +
                            std::to_string(height) + " RGBA8 texture is incomplete (status " + std::to_string(status) +
                            ")");
    }
}

void QuadRenderer::render(const std::vector<Quad>& quads, int width, int height, const float clear[4], GLuint atlas) {
    GLint max_dims[2] = {0, 0};
    glGetIntegerv(GL_MAX_VIEWPORT_DIMS, max_dims);
    if (width < 1 || height < 1 || width > max_dims[0] || height > max_dims[1])
        throw ConfigError("diagram render: target " + std::to_string(width) + " x " + std::to_string(height) +
                          " must be 1.." + std::to_string(max_dims[0]) + " x 1.." + std::to_string(max_dims[1]) +
                          " px (GL_MAX_VIEWPORT_DIMS)");
    const RenderStateGuard guard;
    const BlendAndBufferGuard blend_guard;
    ensure_target(width, height);

    bind_target_for_overwrite(framebuffer_, width, height);
    glClearColor(clear[0], clear[1], clear[2], clear[3]);
    glClear(GL_COLOR_BUFFER_BIT);
    if (quads.empty()) return;

    // Straight alpha over the target; the target's alpha stays that of the (opaque) clear.
    glEnable(GL_BLEND);
    glBlendEquationSeparate(GL_FUNC_ADD, GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);

    std::vector<float> data;
    data.reserve(quads.size() * kFloatsPerQuad);
    for (const Quad& q : quads) {
        const float kind = atlas == 0 && q.kind == QuadKind::Glyph ? 0.0f : static_cast<float>(q.kind);
        data.insert(data.end(), {q.x0, q.y0, q.x1, q.y1, q.u0, q.v0, q.u1, q.v1, q.r, q.g, q.b, q.a, kind, q.radius,
                                 q.line, q.hatch_line});
    }
    glBindBuffer(GL_ARRAY_BUFFER, buffer_);
    const size_t bytes = data.size() * sizeof(float);
    if (bytes > buffer_bytes_) {
        glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), data.data(), GL_STREAM_DRAW);
        buffer_bytes_ = bytes;
    } else {
        glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), data.data());
    }

    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, atlas);
    glBindSampler(0, 0);
    glUseProgram(program_.id());
    glUniform1i(program_.uniform("u_atlas"), 0);
    glUniform2f(program_.uniform("u_target"), static_cast<float>(width), static_cast<float>(height));
    glBindVertexArray(vertex_array_);
    glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, static_cast<GLsizei>(quads.size()));
}

RgbImage QuadRenderer::read_rgb() const {
    if (!target_) return {};
    return read_framebuffer_rgb(framebuffer_, target_.width(), target_.height());
}

void QuadRenderer::reload(const std::filesystem::path& dir) {
    Program rebuilt = build_program(program_spec("quads"), dir);
    program_ = std::move(rebuilt);
}

}  // namespace attn::gl
