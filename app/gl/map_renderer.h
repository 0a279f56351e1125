// An attention map -> an RGBA8 texture of our own, through shaders/colormap.frag, ready for
// ImGui::Image. Each value v becomes t = (v - lo) / (hi - lo) clamped to [0, 1] and the colour of
// t in the colormap texture (NaN -> kNanColour), optionally blended over a background picture:
// out = (1 - opacity) * picture + opacity * colour.
//
// Orientation: the target is upright in GL's convention (the map's row 0 is at the top, i.e. the
// highest GL row). read_rgb() flips it into top-row-first order; Dear ImGui puts v = 0 at the top,
// so show it with uv0 = (0, 1), uv1 = (1, 0): image_upright() in imgui_texture.h does that.
//
// Needs a current GL context. render() saves and restores all the GL state it touches (see
// RenderStateGuard), so it can run in the middle of an ImGui frame.
#pragma once

#include "export/png.h"
#include "shader.h"
#include "textures.h"

#include <glad/gl.h>

#include <filesystem>

namespace attn::gl {

struct MapRenderInputs {
    const Texture* map = nullptr;         // R32F [h, w] (upload_map_texture)
    const Texture* colormap = nullptr;    // 256 x 1 RGB8 (upload_colormap_texture)
    float lo = 0.0f, hi = 1.0f;           // value range mapped to the two ends of the colormap;
                                          // hi <= lo draws every finite value at t = 0.5
    const Texture* background = nullptr;  // RGB8 picture under the map, or null for the map alone
    float opacity = 1.0f;                 // of the map over the background, in [0, 1]
};

class MapRenderer {
public:
    // Builds the "colormap" program from the embedded shaders; ShaderError if it does not build.
    MapRenderer();
    ~MapRenderer();
    MapRenderer(const MapRenderer&) = delete;
    MapRenderer& operator=(const MapRenderer&) = delete;

    // Draws into the target, (re)allocated to width x height pixels when the size changed. The map
    // and background are stretched over the whole target. ConfigError for a missing map or
    // colormap texture, a bad size or an opacity outside [0, 1].
    void render(const MapRenderInputs& inputs, int width, int height);

    // The target (RGBA8, alpha 1); empty before the first render().
    const Texture& texture() const { return target_; }
    int width() const { return target_.width(); }
    int height() const { return target_.height(); }

    // The target as RGB8 [height, width, 3], top row first (rows flipped from GL's bottom-up order).
    RgbImage read_rgb() const;

    // Rebuilds the program from the shader files in `dir` (hot reload). If they do not build, the
    // error is thrown and the previous program stays in use, so a typo never blanks the window.
    void reload(const std::filesystem::path& dir);
    // reload(shader_reload_dir()) when there is such a folder; false (nothing done) otherwise.
    bool reload_from_source();

private:
    void ensure_target(int width, int height);

    Program program_;
    GLuint vertex_array_ = 0;  // empty: fullscreen.vert makes its triangle from gl_VertexID
    GLuint framebuffer_ = 0;
    Texture target_;
};

}  // namespace attn::gl
