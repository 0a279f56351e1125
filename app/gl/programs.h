// The shader programs of the app: which vertex and fragment file each one links. Every file in
// shaders/ must be used by at least one program here (a test checks it), so adding a shader means
// adding its program to this list, and the tests then compile and link it automatically.
#pragma once

#include "shader.h"

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace attn::gl {

struct ProgramSpec {
    std::string_view name;      // "colormap"
    std::string_view vertex;    // file in shaders/: "fullscreen.vert"
    std::string_view fragment;  // "colormap.frag"
};

const std::vector<ProgramSpec>& program_specs();

// The spec called `name`; InternalError when there is none (a typo in our code, not user input).
const ProgramSpec& program_spec(std::string_view name);

// Compiles and links a program from the embedded shaders, or from the files in `dir` when given
// (hot reload). Throws ShaderError, or FileError for a missing file.
Program build_program(const ProgramSpec& spec, const std::optional<std::filesystem::path>& dir = std::nullopt);

}  // namespace attn::gl
