#include "panels/cross_maps.h"

#include "panels/attention_parts.h"
#include "panels/view_widgets.h"

#include "errors.h"
#include "imgui_texture.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui::attention_view {

namespace {

using views::format_exact;
using views::format_value;

// --- Cross modules: the map over the picture, and the heads x tokens grid.

// Natural aspect of a cross map: the picture's, else the grid's.
ImVec2 cross_aspect(const Scene& scene, const MapViews& maps, int b) {
    const Image* picture =
        b >= 0 && b < static_cast<int>(scene.images.size()) ? scene.images[static_cast<size_t>(b)].get() : nullptr;
    if (picture && picture->width > 0)
        return ImVec2(static_cast<float>(picture->width), static_cast<float>(picture->height));
    return ImVec2(static_cast<float>(maps.cols()), static_cast<float>(maps.rows()));
}

void draw_cross_big(AppContext& ctx, MapViews& maps, ImVec2 size, PixelRowBars& bars) {
    const Scene& scene = *ctx.scene;
    const MapKey key = ctx.current_map();
    const std::string token = scene.key_label(key.batch, key.token);
    // A padding key has no map (weight 0 everywhere), as in the export. A batch item that is
    // padding throughout (an empty sentence) is shown as it is: uniform with -1e9, NaN with -inf.
    if (maps.is_pad(key.batch, key.token) && !row_all_pad(maps, key.batch)) {
        padding_placeholder(size, token, "pad_mask hides it from every query:\nweight 0, no map");
        return;
    }
    const MapStyle style = ctx.map_style();
    const gl::Texture& texture = maps.texture(key, style, static_cast<int>(size.x), static_cast<int>(size.y));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    gl::image_upright(texture, size);
    ctx.note_item("attention.map");
    const int rows = maps.rows(), cols = maps.cols();
    const float cw = size.x / static_cast<float>(cols), ch = size.y / static_cast<float>(rows);
    if (bars.selected() >= 0 && bars.selected() < rows * cols) {  // the pixel whose row the bars show
        const int r = bars.selected() / cols, c = bars.selected() % cols;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + c * cw - 1, p0.y + r * ch - 1),
                                            ImVec2(p0.x + (c + 1) * cw + 1, p0.y + (r + 1) * ch + 1),
                                            views::kSelectedFrame, 0.0f, 0, 2.0f);
    }
    if (!ImGui::IsItemHovered()) return;

    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const int col = std::clamp(static_cast<int>((mouse.x - p0.x) / size.x * static_cast<float>(cols)), 0, cols - 1);
    const int row = std::clamp(static_cast<int>((mouse.y - p0.y) / size.y * static_cast<float>(rows)), 0, rows - 1);
    // A click shows the pixel's row as bars; a click on a bar takes its weight apart (Q·K inspector).
    if (ImGui::IsItemClicked()) bars.select(row * cols + col);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + col * cw, p0.y + row * ch),
                                        ImVec2(p0.x + (col + 1) * cw, p0.y + (row + 1) * ch), views::kHoverFrame);
    const float w = maps.value(key, row, col);
    std::vector<std::string> lines;
    lines.push_back("query: pixel (row " + std::to_string(row) + ", col " + std::to_string(col) + ") of the " +
                    std::to_string(rows) + " × " + std::to_string(cols) + " grid (h*w index " +
                    std::to_string(row * cols + col) + ")");
    lines.push_back("key: " + quoted(token) + " (token " + std::to_string(key.token) + ")");
    lines.push_back("weight: " + format_exact(w) + "  (" + head_name(key.head, maps.heads()) + ")");
    lines.push_back(padding_note(*ctx.trace, false, row_all_pad(maps, key.batch), w));
    lines.push_back("click: this pixel's row as bars over the tokens (click a bar: its weight in the Q·K inspector)");
    tooltip_lines(lines);
}

void draw_cross_grid(AppContext& ctx, MapViews& maps, ImVec2 box) {
    Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const int H = maps.heads(), T = maps.tokens(), b = s.batch;
    std::vector<int> heads;
    if (H > 1) heads.push_back(-1);
    for (int h = 0; h < H; ++h)
        heads.push_back(h);
    const int n_rows = static_cast<int>(heads.size());

    const ImVec2 aspect = cross_aspect(scene, maps, b);
    const float label_w = ImGui::CalcTextSize("mean").x + 8.0f;
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    float tw = std::floor((box.x - label_w) / static_cast<float>(T) - kGap);
    float th = std::floor(tw * aspect.y / aspect.x);
    if (header_h + static_cast<float>(n_rows) * (th + kGap) > box.y) {
        th = std::floor((box.y - header_h) / static_cast<float>(n_rows) - kGap);
        tw = std::floor(th * aspect.x / aspect.y);
    }
    // Never smaller than a line of text: the panel scrolls instead.
    const float min_h = ImGui::GetTextLineHeight();
    if (th < min_h) {
        th = min_h;
        tw = std::floor(th * aspect.x / aspect.y);
    }
    tw = std::max(tw, 8.0f);

    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const MapStyle style = ctx.map_style();
    const bool all_pad = row_all_pad(maps, b);
    // Only what the panel can show is drawn, and only those tokens are visited: a 10,000-token
    // sentence has 10,000 thumbnails a head, and rendering a texture for each of them froze the
    // window for minutes.
    // Header: the key tokens.
    const views::CellRange shown = views::visible_columns(origin.x + label_w, tw + kGap, T);
    for (int t = shown.first; t < shown.last; ++t) {
        const float x = origin.x + label_w + static_cast<float>(t) * (tw + kGap);
        if (!ImGui::IsRectVisible(ImVec2(x, origin.y), ImVec2(x + tw, origin.y + header_h))) continue;
        const bool pad = maps.is_pad(b, t);
        views::text_centred(draw, ImVec2(x, origin.y), ImVec2(x + tw, origin.y + header_h),
                            pad ? ImGui::GetColorU32(views::kDimText) : views::kText, scene.key_label(b, t));
    }
    for (int r = 0; r < n_rows; ++r) {
        const int h = heads[static_cast<size_t>(r)];
        const float y = origin.y + header_h + static_cast<float>(r) * (th + kGap);
        const std::string row_label = h < 0 ? "mean" : "h" + std::to_string(h);
        draw->AddText(ImVec2(origin.x, y + (th - ImGui::GetTextLineHeight()) * 0.5f),
                      ImGui::GetColorU32(h < 0 ? views::kNoteText : ImGui::GetStyleColorVec4(ImGuiCol_Text)),
                      row_label.c_str());
        for (int t = shown.first; t < shown.last; ++t) {
            const ImVec2 p0(origin.x + label_w + static_cast<float>(t) * (tw + kGap), y), p1(p0.x + tw, p0.y + th);
            if (!ImGui::IsRectVisible(p0, p1)) continue;
            ImGui::SetCursorScreenPos(p0);
            ImGui::PushID(r * 4096 + t);
            const bool clicked = ImGui::InvisibleButton("##thumb", ImVec2(tw, th));
            ImGui::PopID();
            ctx.note_item("attention.thumb.h" + (h < 0 ? std::string("mean") : std::to_string(h)) + ".t" +
                          std::to_string(t));
            const bool hovered = ImGui::IsItemHovered();
            const bool pad = maps.is_pad(b, t) && !all_pad;
            if (pad) {
                draw->AddRectFilled(p0, p1, views::kMaskedFill);
                views::hatch(draw, p0, p1, views::kMaskedHatch, 6.0f);
            } else {
                const gl::Texture& texture = maps.texture({b, h, t}, style, static_cast<int>(tw), static_cast<int>(th));
                draw->AddImage(gl::imgui_texture_id(texture), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
            }
            if (clicked) {
                s.head = h;
                s.token = t;
            }
            if (h == s.head && t == s.token)
                draw->AddRect(ImVec2(p0.x - 1, p0.y - 1), ImVec2(p1.x + 1, p1.y + 1), views::kSelectedFrame, 0, 0,
                              2.0f);
            else if (hovered)
                draw->AddRect(p0, p1, views::kHoverFrame);
            if (hovered) {
                const std::string what = (h < 0 ? std::string("mean over heads") : "head " + std::to_string(h)) +
                                         ", key " + quoted(scene.key_label(b, t));
                ImGui::SetTooltip("%s", pad ? (what + "\npadding: pad_mask hides it, no map").c_str()
                                            : (what + "\nclick to show it large").c_str());
            }
        }
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(
        ImVec2(label_w + static_cast<float>(T) * (tw + kGap), header_h + static_cast<float>(n_rows) * (th + kGap)));
}

}  // namespace

void draw_cross(AppContext& ctx, MapViews& maps, PixelRowBars& bars) {
    const Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const bool side_by_side = avail.x >= 520.0f;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + st.ItemSpacing.y + line;
    const float big_box_w = side_by_side ? std::floor(avail.x * 0.56f) : avail.x;
    const float big_box_h =
        (side_by_side ? avail.y : std::floor(avail.y * 0.6f)) - line * 2.0f - colorbar_h - bars.height(maps.tokens());

    const ImVec2 aspect = cross_aspect(scene, maps, s.batch);
    const ImVec2 big = views::fit_size(aspect.x, aspect.y, ImVec2(big_box_w, std::max(big_box_h, 32.0f)));

    ImGui::BeginGroup();
    const std::string token = scene.key_label(s.batch, s.token);
    ImGui::TextUnformatted(
        views::fit_text("How much each pixel attends to " + quoted(token) + ",", std::max(big.x, 160.0f)).c_str());
    ImGui::TextColored(views::kDimText, "%s",
                       views::fit_text(head_name(s.head, maps.heads()) + ", batch item " + std::to_string(s.batch),
                                       std::max(big.x, 160.0f))
                           .c_str());
    if (big.x >= 1.0f && big.y >= 1.0f) {
        draw_cross_big(ctx, maps, big, bars);
        draw_colorbar_for(ctx, maps, big.x);
    }
    bars.draw(ctx, maps, std::max(big.x, 240.0f));
    if (row_all_pad(maps, s.batch)) {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(big.x, 160.0f));
        ImGui::TextColored(views::kNoteText, "%s",
                           std::isinf(ctx.trace->fill)
                               ? "Every key of this item is padding: with -inf the softmax is 0/0 = NaN (magenta)."
                               : "Every key of this item is padding: with -1e9 the softmax is uniform.");
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();

    if (side_by_side) ImGui::SameLine(0.0f, st.ItemSpacing.x * 2.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted(maps.heads() > 1 ? "Every head and token (click one):" : "Every token (click one):");
    const ImVec2 rest = ImGui::GetContentRegionAvail();
    draw_cross_grid(ctx, maps, ImVec2(rest.x, side_by_side ? rest.y : std::max(rest.y, 120.0f)));
    ImGui::EndGroup();
}

}  // namespace attn::gui::attention_view
