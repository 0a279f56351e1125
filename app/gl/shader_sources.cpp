#include "shader_sources.h"

#include "errors.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace attn::gl {

std::string_view embedded_shader(std::string_view name) {
    for (const EmbeddedShader& shader : embedded_shaders())
        if (shader.name == name) return shader.source;
    std::string known;
    for (const EmbeddedShader& shader : embedded_shaders())
        known += (known.empty() ? "" : ", ") + std::string(shader.name);
    throw FileError("shader '" + std::string(name) +
                    "' is not embedded in this build; embedded shaders: " + (known.empty() ? "(none)" : known));
}

std::vector<std::string> embedded_shader_names() {
    std::vector<std::string> names;
    for (const EmbeddedShader& shader : embedded_shaders())
        names.emplace_back(shader.name);
    return names;
}

std::string read_shader_file(const std::filesystem::path& dir, std::string_view name) {
    const std::filesystem::path path = dir / std::string(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path.string() + ": cannot open shader file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw FileError(path.string() + ": error while reading shader file");
    return text.str();
}

std::optional<std::filesystem::path> shader_reload_dir() {
    if (const char* env = std::getenv("ATTNSCOPE_SHADER_DIR"); env != nullptr && env[0] != '\0')
        return std::filesystem::path(env);
#ifdef ATTNSCOPE_SHADER_SOURCE_DIR
    return std::filesystem::path(ATTNSCOPE_SHADER_SOURCE_DIR);
#else
    return std::nullopt;
#endif
}

std::string shader_source(std::string_view name, const std::optional<std::filesystem::path>& dir) {
    if (dir) return read_shader_file(*dir, name);
    return std::string(embedded_shader(name));
}

}  // namespace attn::gl
