#include "programs.h"

#include "shader_sources.h"

#include <string>

namespace attn::gl {

const std::vector<ProgramSpec>& program_specs() {
    static const std::vector<ProgramSpec> specs = {
        // An attention map through a colormap, optionally over a picture (MapRenderer).
        {"colormap", "fullscreen.vert", "colormap.frag"},
        // The Pipeline panel's step diagrams: instanced boxes, outlines, hatching, glyphs (QuadRenderer).
        {"quads", "quads.vert", "quads.frag"},
    };
    return specs;
}

const ProgramSpec& program_spec(std::string_view name) {
    for (const ProgramSpec& spec : program_specs())
        if (spec.name == name) return spec;
    throw InternalError("no shader program called '" + std::string(name) + "' in programs.cpp");
}

Program build_program(const ProgramSpec& spec, const std::optional<std::filesystem::path>& dir) {
    const std::string vertex = shader_source(spec.vertex, dir);
    const std::string fragment = shader_source(spec.fragment, dir);
    return build_program(std::string(spec.name), spec.vertex, vertex, spec.fragment, fragment);
}

}  // namespace attn::gl
