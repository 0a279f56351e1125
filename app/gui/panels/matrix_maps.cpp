#include "panels/matrix_maps.h"

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

// --- Self-attention modules: matrices with tokens on both axes.

// Cells narrower than this are not drawn one by one (no labels, values or grid lines to see): the
// matrix is shown whole instead, fitted to the panel, each pixel the mean of the weights under it.
constexpr float kMinCellPx = 4.0f;

bool fits_whole_cells(int nq, int nk, ImVec2 box) {
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    return box.x / static_cast<float>(nk) >= kMinCellPx && (box.y - header_h) / static_cast<float>(nq) >= kMinCellPx;
}

// The hover text of weight (q, k) of the matrix shown.
std::vector<std::string> weight_lines(AppContext& ctx, const MapViews& maps, const MapKey& key, int q, int k) {
    const Scene& scene = *ctx.scene;
    const float w = maps.value(key, q, k);
    std::vector<std::string> lines;
    lines.push_back("query " + quoted(scene.query_label(key.batch, q)) + " (row " + std::to_string(q) + ")");
    lines.push_back("key " + quoted(scene.key_label(key.batch, k)) + " (column " + std::to_string(k) + ")");
    lines.push_back("weight: " + format_exact(w) + "  (" + head_name(key.head, maps.heads()) + ")");
    lines.push_back(padding_note(*ctx.trace, maps.is_pad(key.batch, k), maps.all_keys_padding(key.batch), w));
    return lines;
}

struct MatrixLayout {
    float label_w = 0, header_h = 0, cell = 0;
    bool vertical_keys = false;
};

MatrixLayout layout_matrix(const std::vector<std::string>& queries, const std::vector<std::string>& keys, ImVec2 box) {
    MatrixLayout l;
    float max_q = 0.0f, max_k = 0.0f;
    for (const std::string& q : queries)
        max_q = std::max(max_q, ImGui::CalcTextSize(q.c_str()).x);
    for (const std::string& k : keys)
        max_k = std::max(max_k, ImGui::CalcTextSize(k.c_str()).x);
    l.label_w = std::min(max_q + 8.0f, std::max(40.0f, box.x * 0.22f));
    const float nq = static_cast<float>(queries.size()), nk = static_cast<float>(keys.size());
    l.header_h = ImGui::GetTextLineHeightWithSpacing();
    l.cell = std::floor(std::min((box.x - l.label_w) / nk, (box.y - l.header_h) / nq));
    if (max_k + 6.0f > l.cell) {  // key labels do not fit across their column: stand them up
        l.vertical_keys = true;
        l.header_h = std::min(max_k, 96.0f) + 8.0f;
        l.cell = std::floor(std::min((box.x - l.label_w) / nk, (box.y - l.header_h) / nq));
    }
    l.cell = std::clamp(l.cell, kMinCellPx, 72.0f);
    return l;
}

// Cells of at least kMinCellPx, labelled; the matrix has at most (panel size / kMinCellPx) tokens
// a side here, and only the cells inside the panel's clip rectangle are drawn one by one.
void draw_matrix_cells(AppContext& ctx, MapViews& maps, ImVec2 box) {
    const Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const MapKey key = ctx.current_map();
    const MapStyle style = ctx.map_style();
    const int nq = maps.rows(), nk = maps.cols();
    std::vector<std::string> queries, keys;
    for (int q = 0; q < nq; ++q)
        queries.push_back(scene.query_label(s.batch, q));
    for (int k = 0; k < nk; ++k)
        keys.push_back(scene.key_label(s.batch, k));
    const MatrixLayout l = layout_matrix(queries, keys, box);
    const float cell = l.cell;

    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 m0(origin.x + l.label_w, origin.y + l.header_h);
    const ImVec2 m1(m0.x + cell * static_cast<float>(nk), m0.y + cell * static_cast<float>(nq));
    const views::CellRange cols = views::visible_columns(m0.x, cell, nk);
    const views::CellRange rows = views::visible_rows(m0.y, cell, nq);

    // Key labels (columns) on top, query labels (rows) on the left, where a cell is wide enough
    // to tell which label is whose.
    const bool labels_fit = cell >= ImGui::GetFontSize() * 0.8f;
    for (int k = cols.first; k < cols.last && labels_fit; ++k) {
        const float x = m0.x + cell * static_cast<float>(k);
        const ImU32 colour = maps.is_pad(s.batch, k) ? ImGui::GetColorU32(views::kDimText) : views::kText;
        if (l.vertical_keys) {
            const std::string shown = views::fit_text(keys[static_cast<size_t>(k)], l.header_h - 8.0f);
            views::text_vertical(draw, ImVec2(x + (cell - ImGui::GetFontSize()) * 0.5f, m0.y - 4.0f), colour, shown);
        } else {
            views::text_centred(draw, ImVec2(x, origin.y), ImVec2(x + cell, m0.y), colour,
                                keys[static_cast<size_t>(k)]);
        }
    }
    for (int q = rows.first; q < rows.last && labels_fit; ++q) {
        const float y = m0.y + cell * static_cast<float>(q);
        const std::string shown = views::fit_text(queries[static_cast<size_t>(q)], l.label_w - 6.0f);
        const ImVec2 size = ImGui::CalcTextSize(shown.c_str());
        draw->AddText(ImVec2(m0.x - 6.0f - size.x, y + (cell - size.y) * 0.5f), views::kText, shown.c_str());
    }

    // The matrix itself, through the colormap shader, crisp cells.
    const gl::Texture& texture = maps.texture(key, style, static_cast<int>(cell) * nk, static_cast<int>(cell) * nq);
    draw->AddImage(gl::imgui_texture_id(texture), m0, m1, ImVec2(0, 1), ImVec2(1, 0));
    const MapRange range = maps.range(key, style);
    const bool values_fit = cell >= ImGui::CalcTextSize("0.00").x + 6.0f;
    for (int q = rows.first; q < rows.last; ++q)
        for (int k = cols.first; k < cols.last; ++k) {
            const ImVec2 c0(m0.x + cell * static_cast<float>(k), m0.y + cell * static_cast<float>(q));
            const ImVec2 c1(c0.x + cell, c0.y + cell);
            const float w = maps.value(key, q, k);
            if (maps.is_pad(s.batch, k) && !std::isnan(w))
                views::hatch(draw, c0, c1, IM_COL32(128, 128, 128, 255), 6.0f);
            if (std::isnan(w)) {
                draw->AddLine(c0, c1, views::kGridLine, 1.5f);
                draw->AddLine(ImVec2(c1.x, c0.y), ImVec2(c0.x, c1.y), views::kGridLine, 1.5f);
            } else if (values_fit) {
                const float t = range.hi > range.lo ? (w - range.lo) / (range.hi - range.lo) : 0.5f;
                char text[16];
                std::snprintf(text, sizeof text, "%.2f", static_cast<double>(w));
                views::text_centred(draw, c0, c1, views::text_on(colormap_rgb(style.colormap, t)), text);
            }
        }
    if (cell >= 8.0f) {
        for (int k = cols.first; k <= cols.last; ++k) {
            const float x = m0.x + cell * static_cast<float>(k);
            draw->AddLine(ImVec2(x, m0.y), ImVec2(x, m1.y), views::kGridLine);
        }
        for (int q = rows.first; q <= rows.last; ++q) {
            const float y = m0.y + cell * static_cast<float>(q);
            draw->AddLine(ImVec2(m0.x, y), ImVec2(m1.x, y), views::kGridLine);
        }
    }

    ImGui::SetCursorScreenPos(m0);
    ImGui::InvisibleButton("##matrix", ImVec2(m1.x - m0.x, m1.y - m0.y));
    ctx.note_item("attention.map");
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int k = std::clamp(static_cast<int>((mouse.x - m0.x) / cell), 0, nk - 1);
        const int q = std::clamp(static_cast<int>((mouse.y - m0.y) / cell), 0, nq - 1);
        if (ImGui::IsItemClicked()) inspect(ctx, key, q, k);
        const ImVec2 c0(m0.x + cell * static_cast<float>(k), m0.y + cell * static_cast<float>(q));
        draw->AddRect(c0, ImVec2(c0.x + cell, c0.y + cell), views::kHoverFrame, 0.0f, 0, 2.0f);
        std::vector<std::string> lines = weight_lines(ctx, maps, key, q, k);
        lines.push_back("click: take this weight apart in the Q·K inspector");
        tooltip_lines(lines);
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(m1.x - origin.x, m1.y - origin.y));
}

// Too many tokens for cells of kMinCellPx: the whole matrix fitted to `box`, each pixel the mean
// of the weights under it (MapViews area-averages it, from a preview made with the pass), padding
// keys hatched as runs of columns, and the exact weight under the pointer in the tooltip.
void draw_matrix_whole(AppContext& ctx, MapViews& maps, ImVec2 box) {
    const MapKey key = ctx.current_map();
    const int nq = maps.rows(), nk = maps.cols();
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    const float scale = std::min(box.x / static_cast<float>(nk), (box.y - header_h) / static_cast<float>(nq));
    const float w = std::max(1.0f, std::floor(scale * static_cast<float>(nk)));
    const float h = std::max(1.0f, std::floor(scale * static_cast<float>(nq)));

    char caption[160];
    if (w >= static_cast<float>(nk) && h >= static_cast<float>(nq))
        std::snprintf(caption, sizeof caption, "%d x %d weights, %.1f px each", nq, nk, static_cast<double>(scale));
    else
        std::snprintf(caption, sizeof caption, "%d x %d weights; a pixel is the mean of ~%.0f x %.0f", nq, nk,
                      std::ceil(static_cast<double>(nq) / h), std::ceil(static_cast<double>(nk) / w));
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(caption, std::max(box.x, w)).c_str());
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 m0 = ImGui::GetCursorScreenPos(), m1(m0.x + w, m0.y + h);
    const gl::Texture& texture = maps.texture(key, ctx.map_style(), static_cast<int>(w), static_cast<int>(h));
    draw->AddImage(gl::imgui_texture_id(texture), m0, m1, ImVec2(0, 1), ImVec2(1, 0));
    // With -inf every row of an all-padding item is NaN (magenta): nothing to hatch, as cell by cell.
    const bool nan_rows = maps.all_keys_padding(key.batch) && std::isinf(ctx.trace->fill);
    if (!nan_rows)
        for (const auto& [first, last] : maps.padding_runs(key.batch)) {
            const float x0 = m0.x + w * static_cast<float>(first) / static_cast<float>(nk);
            const float x1 = std::max(m0.x + w * static_cast<float>(last) / static_cast<float>(nk), x0 + 1.0f);
            views::hatch(draw, ImVec2(x0, m0.y), ImVec2(x1, m1.y), IM_COL32(128, 128, 128, 255), 6.0f);
        }

    ImGui::InvisibleButton("##matrix", ImVec2(w, h));
    ctx.note_item("attention.map");
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int k = std::clamp(static_cast<int>((mouse.x - m0.x) / w * static_cast<float>(nk)), 0, nk - 1);
        const int q = std::clamp(static_cast<int>((mouse.y - m0.y) / h * static_cast<float>(nq)), 0, nq - 1);
        if (ImGui::IsItemClicked()) inspect(ctx, key, q, k);
        const ImVec2 p(std::floor(mouse.x), std::floor(mouse.y));
        draw->AddRect(ImVec2(p.x - 2.0f, p.y - 2.0f), ImVec2(p.x + 3.0f, p.y + 3.0f), views::kHoverFrame);
        std::vector<std::string> lines = weight_lines(ctx, maps, key, q, k);
        lines.insert(lines.end() - 1, "the pixel shows the mean of the weights around it");
        lines.push_back("click: take this weight apart in the Q·K inspector");
        tooltip_lines(lines);
    }
}

void draw_matrix(AppContext& ctx, MapViews& maps, ImVec2 box) {
    if (fits_whole_cells(maps.rows(), maps.cols(), box))
        draw_matrix_cells(ctx, maps, box);
    else
        draw_matrix_whole(ctx, maps, box);
}

void draw_head_thumbnails(AppContext& ctx, MapViews& maps, ImVec2 box) {
    Settings& s = ctx.settings;
    const int H = maps.heads();
    std::vector<int> heads{-1};
    for (int h = 0; h < H; ++h)
        heads.push_back(h);
    const int n = static_cast<int>(heads.size());
    const float caption_h = ImGui::GetTextLineHeight() + 2.0f;
    // The largest square thumbnails that fit `box` in some number of columns.
    float best = 0.0f;
    int best_cols = 1;
    for (int cols = 1; cols <= n; ++cols) {
        const int rows = (n + cols - 1) / cols;
        const float side = std::min(box.x / static_cast<float>(cols) - kGap * 2.0f,
                                    box.y / static_cast<float>(rows) - caption_h - kGap * 2.0f);
        if (side > best) {
            best = side;
            best_cols = cols;
        }
    }
    const float side = std::floor(std::clamp(best, 12.0f, 140.0f));
    const MapStyle style = ctx.map_style();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const int rows = (n + best_cols - 1) / best_cols;
    for (int i = 0; i < n; ++i) {
        const int h = heads[static_cast<size_t>(i)];
        const float x = origin.x + static_cast<float>(i % best_cols) * (side + kGap * 2.0f);
        const float y = origin.y + static_cast<float>(i / best_cols) * (side + caption_h + kGap * 2.0f);
        const std::string caption = h < 0 ? "mean" : "head " + std::to_string(h);
        views::text_centred(draw, ImVec2(x, y), ImVec2(x + side, y + caption_h),
                            ImGui::GetColorU32(h < 0 ? views::kNoteText : ImGui::GetStyleColorVec4(ImGuiCol_Text)),
                            caption);
        const ImVec2 p0(x, y + caption_h), p1(x + side, y + caption_h + side);
        ImGui::SetCursorScreenPos(p0);
        ImGui::PushID(i);
        const bool clicked = ImGui::InvisibleButton("##head", ImVec2(side, side));
        ImGui::PopID();
        ctx.note_item("attention.thumb.h" + (h < 0 ? std::string("mean") : std::to_string(h)));
        const gl::Texture& texture =
            maps.texture({s.batch, h, 0}, style, static_cast<int>(side), static_cast<int>(side));
        draw->AddImage(gl::imgui_texture_id(texture), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
        if (clicked) s.head = h;
        if (h == s.head)
            draw->AddRect(ImVec2(p0.x - 1, p0.y - 1), ImVec2(p1.x + 1, p1.y + 1), views::kSelectedFrame, 0, 0, 2.0f);
        else if (ImGui::IsItemHovered())
            draw->AddRect(p0, p1, views::kHoverFrame);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nclick to show it large", caption.c_str());
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(static_cast<float>(best_cols) * (side + kGap * 2.0f),
                        static_cast<float>(rows) * (side + caption_h + kGap * 2.0f)));
}

}  // namespace

void draw_matrices(AppContext& ctx, MapViews& maps) {
    const Settings& s = ctx.settings;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const bool multi = maps.heads() > 1;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + st.ItemSpacing.y + line;
    const float main_w = multi ? std::floor(avail.x * (avail.x >= 520.0f ? 0.62f : 1.0f)) : avail.x;

    ImGui::BeginGroup();
    ImGui::TextUnformatted(
        views::fit_text("Each row: how a query token spreads its attention over the keys", main_w).c_str());
    ImGui::TextColored(views::kDimText, "%s",
                       views::fit_text(head_name(s.head, maps.heads()) + ", batch item " + std::to_string(s.batch) +
                                           "; hatched: padding keys",
                                       main_w)
                           .c_str());
    const float box_h = avail.y - line * 2.0f - colorbar_h - st.ItemSpacing.y;
    draw_matrix(ctx, maps, ImVec2(main_w, std::max(box_h, 40.0f)));
    draw_colorbar_for(ctx, maps, std::min(main_w, 320.0f));
    ImGui::EndGroup();

    if (!multi) return;
    if (avail.x >= 520.0f) ImGui::SameLine(0.0f, st.ItemSpacing.x * 2.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Every head (click one):");
    const ImVec2 rest = ImGui::GetContentRegionAvail();
    draw_head_thumbnails(ctx, maps, ImVec2(rest.x, std::max(rest.y, 80.0f)));
    ImGui::EndGroup();
}

}  // namespace attn::gui::attention_view
