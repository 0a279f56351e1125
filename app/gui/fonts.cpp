#include "fonts.h"

#include <imgui.h>

#include <cmath>
#include <filesystem>

namespace attn::gui {

namespace {

// What DejaVu Sans draws: Basic Latin and Latin-1, Latin Extended-A, Greek, Cyrillic, general
// punctuation, arrows, mathematical operators (× √ ≤), box drawing and geometric shapes, and the
// check marks of the lessons' done tasks (✓ ✔).
const ImWchar kLatinRanges[] = {
    0x0020, 0x00FF, 0x0100, 0x017F, 0x0370, 0x03FF, 0x0400, 0x04FF, 0x2000, 0x206F,
    0x2190, 0x21FF, 0x2200, 0x22FF, 0x2500, 0x25FF, 0x2713, 0x2714, 0,
};

bool readable(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

FontReport load_fonts(const std::string& asset_dir, const std::vector<std::string>& text, float size_px) {
    FontReport report;
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();

    const std::string latin = (std::filesystem::path(asset_dir) / "fonts" / "DejaVuSans.ttf").string();
    ImFontConfig base;
    base.OversampleH = 2;
    base.OversampleV = 1;
    if (!readable(latin) || !io.Fonts->AddFontFromFileTTF(latin.c_str(), size_px, &base, kLatinRanges)) {
        report.problems.push_back(latin + ": font missing; using Dear ImGui's built-in font (ASCII only)");
        ImFontConfig fallback;
        fallback.SizePixels = std::round(13.0f * size_px / kFontSizePx);  // ImGui's own is 13 px
        io.Fonts->AddFontDefault(&fallback);
        return report;
    }
    report.latin = latin;

    if (!readable(kCjkFontPath)) {
        report.problems.push_back(std::string("no CJK font (") + kCjkFontPath +
                                  "): Chinese and Japanese text shows as '?'; install fonts-droid-fallback");
        return report;
    }
    ImVector<ImWchar> ranges;
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(io.Fonts->GetGlyphRangesChineseSimplifiedCommon());
    for (const std::string& t : text)
        builder.AddText(t.c_str());
    builder.BuildRanges(&ranges);
    report.cjk_ranges.assign(ranges.begin(), ranges.end());

    ImFontConfig merge;
    merge.MergeMode = true;
    merge.OversampleH = 1;  // ~2,600 ideographs: keep the atlas small
    merge.OversampleV = 1;
    merge.PixelSnapH = true;
    if (io.Fonts->AddFontFromFileTTF(kCjkFontPath, size_px, &merge, report.cjk_ranges.data()))
        report.cjk = kCjkFontPath;
    else
        report.problems.push_back(std::string(kCjkFontPath) + ": could not be read as a font");
    return report;
}

}  // namespace attn::gui
