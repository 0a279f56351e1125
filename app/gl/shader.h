// Compiling and linking GLSL, checked the way Dear ImGui's OpenGL3 backend does (CheckShader,
// CheckProgram), except that a failure throws instead of printing: the GUI shows the message.
// Needs a current GL context (GlContext).
#pragma once

#include "errors.h"

#include <glad/gl.h>

#include <string>
#include <string_view>
#include <utility>

namespace attn::gl {

// A shader that does not compile or a program that does not link. what() holds everything:
// "shader 'colormap.frag' (fragment) failed to compile with GLSL 4.50 (OpenGL 4.5 (Core Profile)
// Mesa ...):\n<info log>". The parts are kept for the GUI too.
struct ShaderError : Error {
    ShaderError(std::string shader_name, std::string glsl_version, std::string info_log, const std::string& what)
        : Error(what),
          shader_name(std::move(shader_name)),
          glsl_version(std::move(glsl_version)),
          info_log(std::move(info_log)) {}
    std::string shader_name;   // "colormap.frag", or "colormap (fullscreen.vert + colormap.frag)" for a link
    std::string glsl_version;  // glGetString(GL_SHADING_LANGUAGE_VERSION), e.g. "4.50"
    std::string info_log;      // the driver's full log
};

// glGetString(GL_SHADING_LANGUAGE_VERSION).
std::string glsl_version();

// The stage a shader file name stands for: "*.vert" / "*.vert.glsl" -> GL_VERTEX_SHADER,
// "*.frag" / "*.frag.glsl" -> GL_FRAGMENT_SHADER, "*.geom" / "*.geom.glsl" -> GL_GEOMETRY_SHADER.
// ConfigError for any other name.
GLenum shader_stage(std::string_view file_name);
const char* stage_name(GLenum stage);  // "vertex", "fragment", "geometry"

// A compiled shader object (RAII, move-only).
class Shader {
public:
    Shader() = default;
    // Compiles `source` as `stage`; ShaderError (with the info log) when it does not compile.
    Shader(GLenum stage, std::string_view source, std::string name);
    ~Shader();
    Shader(Shader&& other) noexcept;
    Shader& operator=(Shader&& other) noexcept;
    Shader(const Shader&) = delete;
    Shader& operator=(const Shader&) = delete;

    GLuint id() const { return id_; }
    const std::string& name() const { return name_; }

private:
    GLuint id_ = 0;
    std::string name_;
};

// A linked program (RAII, move-only).
class Program {
public:
    Program() = default;
    // Links the two shaders; ShaderError (with the info log) when it does not link.
    Program(const Shader& vertex, const Shader& fragment, std::string name);
    ~Program();
    Program(Program&& other) noexcept;
    Program& operator=(Program&& other) noexcept;
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    GLuint id() const { return id_; }
    const std::string& name() const { return name_; }
    explicit operator bool() const { return id_ != 0; }

    // glGetUniformLocation; -1 for a uniform the program does not use (setting it is a no-op).
    GLint uniform(const char* name) const { return glGetUniformLocation(id_, name); }

private:
    GLuint id_ = 0;
    std::string name_;
};

// Compiles both sources and links them; the program is called `name` in errors.
Program build_program(const std::string& name, std::string_view vertex_name, std::string_view vertex_source,
                      std::string_view fragment_name, std::string_view fragment_source);

}  // namespace attn::gl
