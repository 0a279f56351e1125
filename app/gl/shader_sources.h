// Where shader text comes from. Release: the copies of shaders/ embedded in the binary at build
// time (embed_shaders.cmake), so the app runs from anywhere. Development: the files themselves,
// read again on request, so a shader can be edited while the app runs.
//
// The reload folder is $ATTNSCOPE_SHADER_DIR when set (any build), else the source folder
// compiled into Debug and RelWithDebInfo builds, else none.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attn::gl {

struct EmbeddedShader {
    std::string_view name;    // file name in shaders/: "colormap.frag"
    std::string_view source;  // its text, byte for byte
};

// Every shaders/*.vert, *.frag, *.glsl, sorted by name. Defined in the generated
// embedded_shaders.cpp.
const std::vector<EmbeddedShader>& embedded_shaders();

// The embedded text of one shader. FileError naming the shader and listing the embedded ones when
// there is no such file.
std::string_view embedded_shader(std::string_view name);

// The names of embedded_shaders(), in the same order.
std::vector<std::string> embedded_shader_names();

// <dir>/<name> read whole. FileError naming the path when it cannot be read.
std::string read_shader_file(const std::filesystem::path& dir, std::string_view name);

// The folder to reload shaders from (see the top of this file), or nullopt.
std::optional<std::filesystem::path> shader_reload_dir();

// The text of a shader: from `dir` when given, else the embedded copy.
std::string shader_source(std::string_view name, const std::optional<std::filesystem::path>& dir = std::nullopt);

}  // namespace attn::gl
