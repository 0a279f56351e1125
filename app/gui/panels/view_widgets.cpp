#include "view_widgets.h"

#include "errors.h"
#include "imgui_texture.h"

#include "text/utf8.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace attn::gui::views {

namespace {

// The theme-dependent colours: one palette per theme, the current one copied into `palette`.
struct Palette {
    ImVec4 dim_text, note_text;
    ImU32 text, selected_frame, hover_frame;
};
const Palette kDarkPalette = {ImVec4(0.62f, 0.62f, 0.66f, 1.0f), ImVec4(0.85f, 0.80f, 0.62f, 1.0f),
                              IM_COL32(255, 255, 255, 255), IM_COL32(255, 255, 255, 255), IM_COL32(255, 210, 90, 255)};
const Palette kLightPalette = {ImVec4(0.36f, 0.36f, 0.40f, 1.0f), ImVec4(0.45f, 0.36f, 0.08f, 1.0f),
                               IM_COL32(18, 18, 22, 255), IM_COL32(0, 0, 0, 255), IM_COL32(214, 120, 0, 255)};
Palette palette = kDarkPalette;
bool light_page = false;

}  // namespace

const ImVec4& kDimText = palette.dim_text;
const ImVec4& kNoteText = palette.note_text;
const ImU32& kText = palette.text;
const ImU32 kMaskedFill = IM_COL32(120, 28, 36, 255);
const ImU32 kMaskedHatch = IM_COL32(200, 80, 90, 255);
const ImU32 kKeptFill = IM_COL32(44, 56, 66, 255);
const ImU32 kNanFill = IM_COL32(kNanColour[0], kNanColour[1], kNanColour[2], 255);
const ImU32 kGridLine = IM_COL32(24, 24, 24, 255);
const ImU32& kSelectedFrame = palette.selected_frame;
const ImU32& kHoverFrame = palette.hover_frame;

void use_theme(WindowTheme theme) {
    light_page = theme == WindowTheme::Light;
    palette = light_page ? kLightPalette : kDarkPalette;
}

ImVec4 themed(const ImVec4& on_dark) {
    if (!light_page) return on_dark;
    // HSL lightness mirrored (L' = 1 - L): every channel moves by the same amount, which keeps
    // hue and saturation.
    const float l = 0.5f * (std::max({on_dark.x, on_dark.y, on_dark.z}) + std::min({on_dark.x, on_dark.y, on_dark.z}));
    auto channel = [&](float v) { return std::clamp(v + 1.0f - 2.0f * l, 0.0f, 1.0f); };
    return ImVec4(channel(on_dark.x), channel(on_dark.y), channel(on_dark.z), on_dark.w);
}

bool pass_ready(AppContext& ctx, bool real_models_too) {
    if (ctx.real_model() && !real_models_too) {
        ImGui::TextColored(kDimText, "This panel is about the seed's modules.");
        ImGui::TextWrapped("A real model's tokens and attention_mask are in the Explore panel's Tokens tab.");
        return false;
    }
    if (!ctx.has_pass() || !ctx.trace) {
        if (!ctx.engine_error.empty()) {
            ImGui::TextColored(ImVec4(1.0f, 0.42f, 0.42f, 1.0f), "Nothing to show: the engine refused the settings.");
            ImGui::TextWrapped("%s", ctx.engine_error.c_str());
        } else {
            ImGui::TextColored(kDimText, "computing…");
        }
        return false;
    }
    if (ctx.maps == nullptr) {
        ImGui::TextColored(kDimText, "no GPU views (the map shaders did not build)");
        return false;
    }
    if (ctx.maps->trace() != ctx.trace.get() || ctx.maps->scene() != ctx.scene.get())
        ctx.maps->set_pass(ctx.scene, ctx.trace, ctx.map_model);
    return true;
}

std::string format_value(float v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[32];
    const float a = std::fabs(v);
    if (v == 0.0f)
        std::snprintf(buf, sizeof buf, "0");
    else if (a >= 1e5f || a < 1e-3f)
        std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
    else if (a >= 100.0f)
        std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(v));
    else
        std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(v));
    return buf;
}

std::string format_exact(float v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

namespace {

constexpr Colormap kAllColormaps[] = {Colormap::Viridis, Colormap::Magma, Colormap::Inferno, Colormap::Turbo,
                                      Colormap::Grey};

}  // namespace

bool colormap_combo(const char* label, Colormap& cmap) {
    bool changed = false;
    const std::string current = colormap_name(cmap);
    if (ImGui::BeginCombo(label, current.c_str())) {
        for (Colormap c : kAllColormaps) {
            const std::string name = colormap_name(c);
            if (ImGui::Selectable(name.c_str(), c == cmap)) {
                changed = c != cmap;
                cmap = c;
            }
        }
        ImGui::EndCombo();
    }
    return changed;
}

void colorbar(MapViews& maps, Colormap cmap, MapRange range, float width, const char* caption) {
    const float bar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f);
    const int w = std::max(1, static_cast<int>(width));
    gl::image_upright(maps.colorbar(cmap, w, static_cast<int>(bar_h)), ImVec2(static_cast<float>(w), bar_h));
    // The two ends under the bar, and the caption between them when there is room.
    const std::string lo = format_value(range.lo), hi = format_value(range.hi);
    const std::string cap = caption != nullptr ? caption : "";
    const float x0 = ImGui::GetCursorPosX(), fw = static_cast<float>(w), pad = 8.0f;
    const float lo_w = ImGui::CalcTextSize(lo.c_str()).x, hi_w = ImGui::CalcTextSize(hi.c_str()).x;
    const float cap_w = ImGui::CalcTextSize(cap.c_str()).x;
    ImGui::TextUnformatted(lo.c_str());
    if (!cap.empty() && lo_w + cap_w + hi_w + 2.0f * pad <= fw) {
        ImGui::SameLine(x0 + std::clamp((fw - cap_w) * 0.5f, lo_w + pad, fw - hi_w - pad - cap_w));
        ImGui::TextColored(kDimText, "%s", cap.c_str());
    }
    if (lo_w + hi_w + pad <= fw) ImGui::SameLine(x0 + fw - hi_w);
    ImGui::TextUnformatted(hi.c_str());
}

void hatch(ImDrawList* draw, ImVec2 lo, ImVec2 hi, ImU32 colour, float spacing, float thickness) {
    draw->PushClipRect(lo, hi, true);
    const float w = hi.x - lo.x, h = hi.y - lo.y;
    // Lines x - y = c for c over the whole rectangle: from bottom-left to top-right.
    for (float c = -h; c < w; c += spacing)
        draw->AddLine(ImVec2(lo.x + c, hi.y), ImVec2(lo.x + c + h, lo.y), colour, thickness);
    draw->PopClipRect();
}

namespace {

bool is_cjk(char32_t c) {
    return (c >= 0x1100 && c <= 0x11FF) ||  // Hangul Jamo
           (c >= 0x2E80 && c <= 0x303F) ||  // CJK radicals, Kangxi, ideographic description, CJK symbols
           (c >= 0x3040 && c <= 0x31FF) ||  // Hiragana, Katakana, Bopomofo, Hangul compatibility, Kanbun
           (c >= 0x3200 && c <= 0x9FFF) ||  // enclosed CJK, compatibility, Extension A, Unified
           (c >= 0xAC00 && c <= 0xD7AF) ||  // Hangul syllables
           (c >= 0xF900 && c <= 0xFAFF) ||  // compatibility ideographs
           (c >= 0xFE30 && c <= 0xFE4F) ||  // CJK compatibility forms
           (c >= 0xFF00 && c <= 0xFFEF) ||  // half-width and full-width forms
           (c >= 0x20000 && c <= 0x3FFFF);  // Extensions B..H
}

// The characters of `text`, each as its UTF-8 bytes; empty when it is not valid UTF-8.
std::vector<std::string> characters(const std::string& text) {
    std::vector<std::string> out;
    try {
        for (char32_t c : decode_utf8(text, "label"))
            out.push_back(encode_utf8(c));
    } catch (const Error&) {
        return {};
    }
    return out;
}

}  // namespace

bool reads_upright(const std::string& text) {
    std::vector<char32_t> code_points;
    try {
        code_points = decode_utf8(text, "label");
    } catch (const Error&) {
        return false;
    }
    return !code_points.empty() && std::all_of(code_points.begin(), code_points.end(), is_cjk);
}

float vertical_length(const std::string& text) {
    if (!reads_upright(text)) return ImGui::CalcTextSize(text.c_str()).x;
    return ImGui::GetFontSize() * static_cast<float>(characters(text).size());
}

std::string fit_vertical(const std::string& text, float max_length) {
    if (!reads_upright(text)) return fit_text(text, max_length);
    const float line = ImGui::GetFontSize();
    const std::vector<std::string> chars = characters(text);
    if (line * static_cast<float>(chars.size()) <= max_length) return text;
    // Upright: as many characters as fit with the "…" under them (it stands upright too).
    const int fit = static_cast<int>(max_length / line) - 1;
    std::string out;
    for (int i = 0; i < fit; ++i)
        out += chars[static_cast<size_t>(i)];
    return fit > 0 ? out + "…" : std::string();
}

void text_vertical(ImDrawList* draw, ImVec2 bottom_left, ImU32 colour, const std::string& text) {
    const std::string dots = "…";
    // Upright (CJK, maybe cut with "…"): each character centred on the column, stacked so that the
    // last one ends at the bottom.
    const bool cut = text.size() > dots.size() && text.compare(text.size() - dots.size(), dots.size(), dots) == 0;
    if (reads_upright(cut ? text.substr(0, text.size() - dots.size()) : text)) {
        const float line = ImGui::GetFontSize();
        const std::vector<std::string> chars = characters(text);
        float y = bottom_left.y - line * static_cast<float>(chars.size());
        for (const std::string& c : chars) {
            const ImVec2 size = ImGui::CalcTextSize(c.c_str());
            draw->AddText(ImVec2(std::floor(bottom_left.x + (line - size.x) * 0.5f), std::floor(y)), colour, c.c_str());
            y += line;
        }
        return;
    }
    // Laid out horizontally where the clip rectangle certainly shows it (ImGui drops glyphs
    // outside it while laying out), then turned: (dx, dy) from the start -> (dy, -dx).
    const ImVec2 start = draw->GetClipRectMin();
    const int first = draw->VtxBuffer.Size;
    draw->AddText(start, colour, text.c_str());
    for (int i = first; i < draw->VtxBuffer.Size; ++i) {
        ImDrawVert& v = draw->VtxBuffer[i];
        const float dx = v.pos.x - start.x, dy = v.pos.y - start.y;
        v.pos = ImVec2(bottom_left.x + dy, bottom_left.y - dx);
    }
}

std::string fit_text(const std::string& text, float max_width) {
    if (ImGui::CalcTextSize(text.c_str()).x <= max_width) return text;
    const std::string dots = "…";
    // Cut at UTF-8 character boundaries, shortest first.
    std::string best;
    for (size_t i = 0; i < text.size();) {
        size_t next = i + 1;
        while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80)
            ++next;
        const std::string candidate = text.substr(0, next) + dots;
        if (ImGui::CalcTextSize(candidate.c_str()).x > max_width) break;
        best = candidate;
        i = next;
    }
    return best.empty() ? (ImGui::CalcTextSize(dots.c_str()).x <= max_width ? dots : std::string()) : best;
}

ImVec2 fit_size(float w, float h, ImVec2 box) {
    if (w <= 0.0f || h <= 0.0f || box.x <= 0.0f || box.y <= 0.0f) return ImVec2(0.0f, 0.0f);
    const float s = std::min(box.x / w, box.y / h);
    return ImVec2(std::floor(w * s), std::floor(h * s));
}

void text_centred(ImDrawList* draw, ImVec2 lo, ImVec2 hi, ImU32 colour, const std::string& text) {
    const std::string shown = fit_text(text, hi.x - lo.x - 2.0f);
    if (shown.empty()) return;
    const ImVec2 size = ImGui::CalcTextSize(shown.c_str());
    draw->PushClipRect(lo, hi, true);
    draw->AddText(ImVec2(std::floor((lo.x + hi.x - size.x) * 0.5f), std::floor((lo.y + hi.y - size.y) * 0.5f)), colour,
                  shown.c_str());
    draw->PopClipRect();
}

ImU32 text_on(const std::array<uint8_t, 3>& fill) {
    const float luma = 0.299f * fill[0] + 0.587f * fill[1] + 0.114f * fill[2];
    return luma > 140.0f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
}

void help_marker(const char* text) {
    ImGui::TextColored(kDimText, "(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

namespace {

CellRange visible_cells(float start, float step, int count, float lo, float hi) {
    if (count <= 0 || !(step > 0.0f)) return {};
    const float first = std::floor((lo - start) / step), last = std::ceil((hi - start) / step);
    CellRange r;
    r.first = static_cast<int>(std::clamp(first, 0.0f, static_cast<float>(count)));
    r.last = static_cast<int>(std::clamp(last, static_cast<float>(r.first), static_cast<float>(count)));
    return r;
}

}  // namespace

CellRange visible_columns(float start, float step, int count) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    return visible_cells(start, step, count, draw->GetClipRectMin().x, draw->GetClipRectMax().x);
}

CellRange visible_rows(float start, float step, int count) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    return visible_cells(start, step, count, draw->GetClipRectMin().y, draw->GetClipRectMax().y);
}

}  // namespace attn::gui::views
