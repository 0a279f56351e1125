// The window's fonts: DejaVu Sans (bundled in assets/fonts) for Latin, Greek, Cyrillic, arrows
// and maths signs, with Debian's Droid Sans Fallback merged in for Chinese (and Japanese kana)
// when the package fonts-droid-fallback is installed, so that "汤姆追逐杰瑞" renders.
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

namespace attn::gui {

constexpr float kFontSizePx = 16.0f;

// Where the CJK font is looked for.
constexpr const char* kCjkFontPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

struct FontReport {
    std::string latin;                  // file used for Latin text ("" = ImGui's built-in font)
    std::string cjk;                    // file merged for CJK ("" = none found)
    std::vector<std::string> problems;  // for the window's messages
    // The glyph ranges of the CJK font. ImGui's atlas reads them until it is built (at the first
    // frame), so the report must live as long as the atlas; a move keeps the buffer where it is.
    std::vector<ImWchar> cjk_ranges;
};

// Adds the fonts to ImGui's atlas; call after ImGui::CreateContext and before the first frame.
// Besides the common simplified Chinese characters, every character of `text` (e.g. the session's
// sentences) gets a glyph, so rarer characters typed in a previous session still render. Keep the
// report while ImGui's context lives (see cjk_ranges). `size_px`: the presentation scale's size
// (ui_style.h rebuilds the fonts at it rather than stretching them).
FontReport load_fonts(const std::string& asset_dir, const std::vector<std::string>& text, float size_px = kFontSizePx);

}  // namespace attn::gui
