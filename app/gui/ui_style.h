// The window's look: its theme (dark, or light: a white page with dark text and grid; the maps
// keep their colormaps) and its size for a classroom (presentation mode, 100% to 250%), on top
// of the monitor's own content scale (glfwGetWindowContentScale: a high-DPI screen says 2).
//
// A new size rebuilds the fonts at that pixel size rather than stretching them (Dear ImGui 1.86:
// the atlas again, then the OpenGL3 backend's font texture), and scales the style's paddings,
// spacings and roundings; the layout follows the font size. This happens between frames, before
// ImGui::NewFrame, and only when the size or the theme changed.
#pragma once

#include "classroom_settings.h"
#include "fonts.h"

#include <functional>
#include <string>
#include <vector>

struct GLFWwindow;

namespace attn::gui {

class UiStyle {
public:
    explicit UiStyle(std::string asset_dir) : asset_dir_(std::move(asset_dir)) {}

    // Makes the look of `s` for this window, when it is not the one made last. `glyph_text`:
    // text whose characters need glyphs (the sentences, the lessons' texts). The first call comes
    // before the backend made its font texture (first_frame_done() not yet called): it only
    // fills the atlas, which the backend uploads at its first frame. Returns true when it rebuilt.
    bool apply(GLFWwindow* window, const ClassroomSettings& s,
               const std::function<std::vector<std::string>()>& glyph_text);
    // The fonts are made again at the next apply (new texts may need new glyphs).
    void invalidate_fonts() { font_px_ = 0.0f; }
    // After the first frame: the backend's font texture exists, rebuilds replace it.
    void first_frame_done() { backend_ready_ = true; }

    // The size the window is drawn at: ui_scale x the monitor's content scale (1 = 100%).
    float scale() const { return scale_; }
    WindowTheme theme() const { return theme_; }
    // The colour the window is cleared with, behind the panels.
    void clear_colour(float rgba[4]) const;
    // Problems with the fonts (missing files) of the newest build, for the window's messages.
    const std::vector<std::string>& font_problems() const { return fonts_.problems; }

private:
    std::string asset_dir_;
    FontReport fonts_;  // lives as long as the atlas (its glyph ranges)
    float scale_ = 0.0f;
    float font_px_ = 0.0f;
    WindowTheme theme_ = WindowTheme::Dark;
    bool styled_ = false;
    bool backend_ready_ = false;
};

}  // namespace attn::gui
