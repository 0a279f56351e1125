#include "shader.h"

#include <utility>
#include <vector>

namespace attn::gl {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string gl_version_string() {
    const GLubyte* s = glGetString(GL_VERSION);
    return s ? reinterpret_cast<const char*>(s) : "(unknown)";
}

// The log of a shader or program object; get_iv / get_log are the glGetShader* or glGetProgram* pair.
template <typename GetIv, typename GetLog>
std::string info_log(GLuint object, GetIv get_iv, GetLog get_log) {
    GLint length = 0;
    get_iv(object, GL_INFO_LOG_LENGTH, &length);
    if (length <= 1) return "";
    std::vector<char> log(static_cast<size_t>(length));
    GLsizei written = 0;
    get_log(object, length, &written, log.data());
    return std::string(log.data(), static_cast<size_t>(written));
}

}  // namespace

std::string glsl_version() {
    const GLubyte* s = glGetString(GL_SHADING_LANGUAGE_VERSION);
    return s ? reinterpret_cast<const char*>(s) : "(unknown)";
}

GLenum shader_stage(std::string_view file_name) {
    std::string_view base = file_name;
    if (ends_with(base, ".glsl")) base.remove_suffix(5);
    if (ends_with(base, ".vert")) return GL_VERTEX_SHADER;
    if (ends_with(base, ".frag")) return GL_FRAGMENT_SHADER;
    if (ends_with(base, ".geom")) return GL_GEOMETRY_SHADER;
    throw ConfigError("shader '" + std::string(file_name) +
                      "': cannot tell its stage; name it *.vert, *.frag or *.geom (optionally + .glsl)");
}

const char* stage_name(GLenum stage) {
    switch (stage) {
        case GL_VERTEX_SHADER:
            return "vertex";
        case GL_FRAGMENT_SHADER:
            return "fragment";
        case GL_GEOMETRY_SHADER:
            return "geometry";
        default:
            return "unknown stage";
    }
}

Shader::Shader(GLenum stage, std::string_view source, std::string name) : name_(std::move(name)) {
    id_ = glCreateShader(stage);
    ATTN_CHECK(id_ != 0, "glCreateShader failed for " + name_);
    const GLchar* text = source.data();
    const auto length = static_cast<GLint>(source.size());
    glShaderSource(id_, 1, &text, &length);
    glCompileShader(id_);
    GLint ok = GL_FALSE;
    glGetShaderiv(id_, GL_COMPILE_STATUS, &ok);
    if (ok != GL_TRUE) {
        std::string log = info_log(id_, glGetShaderiv, glGetShaderInfoLog);
        glDeleteShader(id_);
        id_ = 0;
        const std::string version = glsl_version();
        throw ShaderError(name_, version, log,
                          "shader '" + name_ + "' (" + stage_name(stage) + ") failed to compile with GLSL " + version +
                              " (OpenGL " + gl_version_string() + "):\n" + (log.empty() ? "(empty info log)" : log));
    }
}

Shader::~Shader() {
    if (id_ != 0) glDeleteShader(id_);
}

Shader::Shader(Shader&& other) noexcept : id_(std::exchange(other.id_, 0)), name_(std::move(other.name_)) {}

Shader& Shader::operator=(Shader&& other) noexcept {
    if (this != &other) {
        if (id_ != 0) glDeleteShader(id_);
        id_ = std::exchange(other.id_, 0);
        name_ = std::move(other.name_);
    }
    return *this;
}

Program::Program(const Shader& vertex, const Shader& fragment, std::string name) : name_(std::move(name)) {
    ATTN_CHECK(vertex.id() != 0 && fragment.id() != 0, "Program " + name_ + ": a shader is empty");
    id_ = glCreateProgram();
    ATTN_CHECK(id_ != 0, "glCreateProgram failed for " + name_);
    glAttachShader(id_, vertex.id());
    glAttachShader(id_, fragment.id());
    glLinkProgram(id_);
    glDetachShader(id_, vertex.id());
    glDetachShader(id_, fragment.id());
    GLint ok = GL_FALSE;
    glGetProgramiv(id_, GL_LINK_STATUS, &ok);
    if (ok != GL_TRUE) {
        std::string log = info_log(id_, glGetProgramiv, glGetProgramInfoLog);
        glDeleteProgram(id_);
        id_ = 0;
        const std::string version = glsl_version();
        const std::string full_name = name_ + " (" + vertex.name() + " + " + fragment.name() + ")";
        throw ShaderError(full_name, version, log,
                          "program " + full_name + " failed to link with GLSL " + version + " (OpenGL " +
                              gl_version_string() + "):\n" + (log.empty() ? "(empty info log)" : log));
    }
}

Program::~Program() {
    if (id_ != 0) glDeleteProgram(id_);
}

Program::Program(Program&& other) noexcept : id_(std::exchange(other.id_, 0)), name_(std::move(other.name_)) {}

Program& Program::operator=(Program&& other) noexcept {
    if (this != &other) {
        if (id_ != 0) glDeleteProgram(id_);
        id_ = std::exchange(other.id_, 0);
        name_ = std::move(other.name_);
    }
    return *this;
}

Program build_program(const std::string& name, std::string_view vertex_name, std::string_view vertex_source,
                      std::string_view fragment_name, std::string_view fragment_source) {
    const Shader vertex(GL_VERTEX_SHADER, vertex_source, std::string(vertex_name));
    const Shader fragment(GL_FRAGMENT_SHADER, fragment_source, std::string(fragment_name));
    return Program(vertex, fragment, name);
}

}  // namespace attn::gl
