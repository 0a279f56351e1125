#include "panels/model_map.h"

#include "imgui_texture.h"
#include "exporter.h"
#include "model_run.h"
#include "panels/explore_widgets.h"
#include "panels/compare_view.h"
#include "panels/head_view.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

const std::string& label_of(const std::vector<std::vector<std::string>>& labels, int b, int i) {
    static const std::string kNone;
    if (b < 0 || b >= static_cast<int>(labels.size())) return kNone;
    const auto& row = labels[static_cast<size_t>(b)];
    return i >= 0 && i < static_cast<int>(row.size()) ? row[static_cast<size_t>(i)] : kNone;
}

void draw_controls(AppContext& ctx, const MapModel& maps, CompareView& compare) {
    Settings& s = ctx.settings;
    const ModelRun& run = *ctx.model_run;
    const int heads = static_cast<int>(maps.heads());
    ImGui::TextColored(views::kDimText, "%s", run.info.name.c_str());
    ImGui::SameLine();
    explore::layer_slider(ctx, static_cast<int>(maps.layers()), "##map_layer", ImGui::GetFontSize() * 8.0f);
    ctx.note_item("attention.layer");
    ImGui::SameLine();
    // Which map of the layer: a head, a fusion of the heads, or the rollout up to the layer.
    const std::string shown = s.rollout ? "rollout" : explore::head_label(s.head);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
    if (ImGui::BeginCombo("##map_head", shown.c_str())) {
        for (int h = 0; h < heads; ++h)
            if (ImGui::Selectable(explore::head_label(h).c_str(), !s.rollout && s.head == h)) {
                s.head = h;
                s.rollout = false;
            }
        if (maps.has_fusions())
            for (int f : {kMeanHead, kMaxHead, kMinHead})
                if (ImGui::Selectable(explore::head_label(f).c_str(), !s.rollout && s.head == f)) {
                    s.head = f;
                    s.rollout = false;
                }
        if (maps.has_rollout() && ImGui::Selectable("rollout", s.rollout)) s.rollout = true;
        ImGui::EndCombo();
    }
    ctx.note_item("attention.head");
    ImGui::SameLine();
    explore::quantity_switch(ctx, maps);
    if (maps.batches() > 1) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.0f);
        int b = s.batch + 1;
        if (ImGui::SliderInt("##map_batch", &b, 1, static_cast<int>(maps.batches()), "item %d"))
            s.batch = std::clamp(b - 1, 0, static_cast<int>(maps.batches()) - 1);
        ctx.note_item("attention.batch");
    }
    if (maps.set().query_kind == QueryKind::Patches && maps.set().prefix_tokens > 0) {
        ImGui::SameLine();
        ImGui::BeginDisabled(s.token == 0);
        if (ImGui::Button("[CLS]")) s.token = 0;  // back to the default query
        ImGui::EndDisabled();
        ctx.note_item("attention.cls");
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("Show the [CLS] row again (click a patch of the picture to make it the query)");
    }
    ImGui::SameLine();
    ImGui::Checkbox("A | B", &compare.enabled);
    ctx.note_item("attention.compare");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Side by side: this map (A), a second one with its own layer, head, rollout or batch item (B),\n"
            "and A - B on a diverging colormap");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.5f);
    views::colormap_combo("##map_colormap", s.colormap);
    ctx.note_item("attention.colormap");
    if (maps.spatial(ctx.current_map())) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.0f);
        ImGui::SliderFloat("##map_opacity", &s.opacity, 0.0f, 1.0f, "opacity %.2f");
        ctx.note_item("attention.opacity");
    }
}

void tooltip(const std::vector<std::string>& lines) {
    ImGui::BeginTooltip();
    for (const std::string& l : lines)
        ImGui::TextUnformatted(l.c_str());
    ImGui::EndTooltip();
}

// Where draw_matrix put its rows, so that the head view beside it lines its tokens up with them.
struct MatrixRows {
    float top = 0.0f;   // screen y of the first row
    float cell = 0.0f;  // row height (px)
    bool labelled = false;
};

// The [L, L] matrix: labelled cells when they are large enough, else the whole matrix fitted.
MatrixRows draw_matrix(AppContext& ctx, MapViews& views, const MapModel& maps, const MapKey& key, ImVec2 box) {
    const AttentionSet& set = maps.set();
    const int nq = static_cast<int>(maps.queries()), nk = static_cast<int>(maps.keys());
    float label_w = 0.0f, header_h = 0.0f;
    for (int q = 0; q < nq; ++q)
        label_w = std::max(label_w, ImGui::CalcTextSize(label_of(set.query_labels, key.batch, q).c_str()).x);
    for (int k = 0; k < nk; ++k)
        header_h = std::max(header_h, views::vertical_length(label_of(set.key_labels, key.batch, k)));
    label_w = std::min(label_w + 8.0f, box.x * 0.25f);
    header_h = std::min(header_h + 8.0f, box.y * 0.25f);
    float cell = std::floor(std::min((box.x - label_w) / nk, (box.y - header_h) / nq));
    const bool labels = cell >= ImGui::GetFontSize() * 0.8f;
    if (!labels) {
        label_w = header_h = 0.0f;
        cell = std::min(box.x / nk, box.y / nq);
    }
    cell = std::max(cell, 0.25f);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 m0(origin.x + label_w, origin.y + header_h);
    const float w = std::max(1.0f, std::floor(cell * nk)), h = std::max(1.0f, std::floor(cell * nq));
    const ImVec2 m1(m0.x + w, m0.y + h);
    if (labels) {
        for (int k = 0; k < nk; ++k) {
            const ImU32 colour = maps.is_pad(key.batch, k) ? ImGui::GetColorU32(views::kDimText) : IM_COL32_WHITE;
            const std::string text = views::fit_text(label_of(set.key_labels, key.batch, k), header_h - 8.0f);
            views::text_vertical(draw, ImVec2(m0.x + cell * k + (cell - ImGui::GetFontSize()) * 0.5f, m0.y - 4.0f),
                                 colour, text);
        }
        for (int q = 0; q < nq; ++q) {
            const std::string text = views::fit_text(label_of(set.query_labels, key.batch, q), label_w - 6.0f);
            const ImVec2 size = ImGui::CalcTextSize(text.c_str());
            draw->AddText(ImVec2(m0.x - 6.0f - size.x, m0.y + cell * q + (cell - size.y) * 0.5f), IM_COL32_WHITE,
                          text.c_str());
        }
    }
    const MapStyle style = ctx.map_style();
    const gl::Texture& texture = views.texture(key, style, static_cast<int>(w), static_cast<int>(h));
    draw->AddImage(gl::imgui_texture_id(texture), m0, m1, ImVec2(0, 1), ImVec2(1, 0));
    for (const auto& [first, last] : maps.padding_runs(key.batch)) {
        const float x0 = m0.x + w * static_cast<float>(first) / nk;
        const float x1 = std::max(m0.x + w * static_cast<float>(last) / nk, x0 + 1.0f);
        views::hatch(draw, ImVec2(x0, m0.y), ImVec2(x1, m1.y), IM_COL32(128, 128, 128, 255), 6.0f);
    }
    if (labels && cell >= ImGui::CalcTextSize("0.00").x + 6.0f) {
        const MapRange range = maps.range(key, style);
        const views::CellRange rows = views::visible_rows(m0.y, cell, nq),
                               cols = views::visible_columns(m0.x, cell, nk);
        for (int q = rows.first; q < rows.last; ++q)
            for (int k = cols.first; k < cols.last; ++k) {
                const float v = maps.value(key, q, k);
                if (!std::isfinite(v)) continue;
                const float t = range.hi > range.lo ? (v - range.lo) / (range.hi - range.lo) : 0.5f;
                char text[16];
                std::snprintf(text, sizeof text, "%.2f", static_cast<double>(v));
                const ImVec2 c0(m0.x + cell * k, m0.y + cell * q);
                views::text_centred(draw, c0, ImVec2(c0.x + cell, c0.y + cell),
                                    views::text_on(colormap_rgb(style.colormap, t)), text);
            }
    }
    // The head view's query row, framed: clicking a row (or its token) chooses it.
    const int chosen = head_view_query(ctx, maps);
    if (!ctx.head_view_every_query)
        draw->AddRect(ImVec2(m0.x - 1.0f, m0.y + cell * chosen - 1.0f),
                      ImVec2(m1.x + 1.0f, m0.y + cell * (chosen + 1) + 1.0f), IM_COL32(255, 176, 64, 255), 0.0f, 0,
                      2.0f);
    if (labels) {
        ImGui::SetCursorScreenPos(ImVec2(origin.x, m0.y));
        ImGui::InvisibleButton("##model_matrix_rows", ImVec2(std::max(1.0f, label_w), h));
        ctx.note_item("attention.row_labels");
        if (ImGui::IsItemClicked())
            ctx.settings.token = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - m0.y) / h * nq), 0, nq - 1);
    }
    ImGui::SetCursorScreenPos(m0);
    ImGui::InvisibleButton("##model_matrix", ImVec2(w, h));
    ctx.note_item("attention.map");
    if (ImGui::IsItemClicked())
        ctx.settings.token = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - m0.y) / h * nq), 0, nq - 1);
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int k = std::clamp(static_cast<int>((mouse.x - m0.x) / w * nk), 0, nk - 1);
        const int q = std::clamp(static_cast<int>((mouse.y - m0.y) / h * nq), 0, nq - 1);
        if (cell >= 4.0f)
            draw->AddRect(ImVec2(m0.x + cell * k, m0.y + cell * q),
                          ImVec2(m0.x + cell * (k + 1), m0.y + cell * (q + 1)), views::kHoverFrame, 0.0f, 0, 2.0f);
        tooltip({"query \"" + label_of(set.query_labels, key.batch, q) + "\" (row " + std::to_string(q) + ")",
                 "key \"" + label_of(set.key_labels, key.batch, k) + "\" (column " + std::to_string(k) + ")" +
                     (maps.is_pad(key.batch, k) ? ", padding" : ""),
                 explore::quantity_caption(key.quantity) + ": " + views::format_exact(maps.value(key, q, k)),
                 explore::map_caption(key), "click: draw this row as lines (head view)"});
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(m1.x - origin.x, m1.y - origin.y));
    return {m0.y, cell, labels};
}

// A patch model's query row over the picture.
void draw_over_picture(AppContext& ctx, MapViews& views, const MapModel& maps, const MapKey& key, ImVec2 box) {
    const auto [rows, cols] = maps.size(key);
    const Image* picture = maps.picture(key.batch);
    const float aw = picture ? static_cast<float>(picture->width) : static_cast<float>(cols);
    const float ah = picture ? static_cast<float>(picture->height) : static_cast<float>(rows);
    const ImVec2 size = views::fit_size(aw, ah, box);
    const gl::Texture& texture =
        views.texture(key, ctx.map_style(), static_cast<int>(size.x), static_cast<int>(size.y));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    gl::image_upright(texture, size);
    ctx.note_item("attention.map");
    const AttentionSet& set = maps.set();
    const float cw = size.x / cols, ch = size.y / rows;
    // The query shown, framed when it is a patch (the [CLS] row has no place on the picture).
    const int64_t query_patch = key.token - set.prefix_tokens;
    if (query_patch >= 0 && query_patch < rows * cols) {
        const float x = p0.x + static_cast<float>(query_patch % cols) * cw,
                    y = p0.y + static_cast<float>(query_patch / cols) * ch;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(x, y), ImVec2(x + cw, y + ch), IM_COL32(255, 176, 64, 255), 0.0f, 0,
                                            2.0f);
    }
    if (!ImGui::IsItemHovered()) return;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const int c = std::clamp(static_cast<int>((mouse.x - p0.x) / size.x * cols), 0, static_cast<int>(cols) - 1);
    const int r = std::clamp(static_cast<int>((mouse.y - p0.y) / size.y * rows), 0, static_cast<int>(rows) - 1);
    // Any query: a click makes that patch the query whose row is drawn over the picture.
    if (ImGui::IsItemClicked() && set.query_kind == QueryKind::Patches)
        ctx.settings.token = static_cast<int>(set.prefix_tokens + static_cast<int64_t>(r) * cols + c);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + c * cw, p0.y + r * ch),
                                        ImVec2(p0.x + (c + 1) * cw, p0.y + (r + 1) * ch), views::kHoverFrame);
    tooltip(
        {"query \"" + label_of(set.query_labels, key.batch, key.token) + "\" (token " + std::to_string(key.token) + ")",
         "key: patch (row " + std::to_string(r) + ", col " + std::to_string(c) + ")",
         explore::quantity_caption(key.quantity) + ": " + views::format_exact(maps.value(key, r, c)),
         explore::map_caption(key), "click: make this patch the query"});
}

}  // namespace

void draw_model_attention(AppContext& ctx, CompareView& compare) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true)) return;
    const MapModel& maps = *ctx.map_model;
    if (maps.empty()) {
        ImGui::TextColored(views::kDimText, "This pass has no attention maps to show.");
        return;
    }
    draw_controls(ctx, maps, compare);
    ImGui::Separator();
    const MapKey key = ctx.current_map();
    ImGui::TextColored(views::kNoteText, "%s", explore::map_caption(key).c_str());
    if (!maps.spatial(key) && !compare.enabled) {
        ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
        ImGui::Checkbox("every query", &ctx.head_view_every_query);
        ctx.note_item("head_view.every_query");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "Head view: draw every query's lines and tint each key by the mean weight it gets (a head that\n"
                "looks at the nouns lights them up); off: the lines of one query (click a token or a row).");
    }
    if (!compare.enabled) {
        // The query's views into the export folder, as attnscope-cli run --model ... --query N:
        // its head views (text) or its rows over the picture (ViT), every layer x head and the mean.
        const bool patches = maps.spatial(key);
        const int query = patches ? key.token : head_view_query(ctx, maps);
        ImGui::SameLine();
        if (ImGui::SmallButton("Save query")) {
            try {
                const ExportResult r = export_query(ctx, query, ctx.export_dir);
                ctx.info(r.summary);
            } catch (const std::exception& e) {
                ctx.error(std::string("Save query: ") + e.what());
            }
        }
        ctx.note_item("attention.save_query");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "%s of query %d, every layer x head and the mean, into %s\n(attnscope-cli run --model ... "
                "--export-maps DIR --query %d writes the same files)",
                patches ? "The rows over the picture" : "The head views (lines)", query, ctx.export_dir.c_str(), query);
    }
    if (key.quantity == MapQuantity::Rollout) {
        ImGui::SameLine();
        ImGui::TextColored(views::kDimText, "%s",
                           views::fit_text("  row i: how much of each input token has reached position i",
                                           ImGui::GetContentRegionAvail().x)
                               .c_str());
    }
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + ImGui::GetStyle().ItemSpacing.y + line;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    if (compare.enabled) {
        // Three panes, each map with its own colorbar (the difference pane draws its own).
        compare.draw(ctx, maps, avail, [&](const MapKey& k, ImVec2 b) {
            const ImVec2 map_box(b.x, std::max(20.0f, b.y - colorbar_h - ImGui::GetStyle().ItemSpacing.y));
            if (maps.spatial(k))
                draw_over_picture(ctx, *ctx.maps, maps, k, map_box);
            else
                draw_matrix(ctx, *ctx.maps, maps, k, map_box);
            views::colorbar(*ctx.maps, ctx.settings.colormap, maps.range(k, ctx.map_style()),
                            std::min(b.x, ImGui::GetFontSize() * 16.0f), explore::quantity_caption(k.quantity).c_str());
        });
        return;
    }
    const ImVec2 box(avail.x, std::max(40.0f, avail.y - colorbar_h - ImGui::GetStyle().ItemSpacing.y));
    if (maps.spatial(key)) {
        draw_over_picture(ctx, *ctx.maps, maps, key, box);
    } else {
        // The matrix and, beside it, the head view of its chosen row.
        const float spacing = ImGui::GetStyle().ItemSpacing.x * 2.0f;
        const float view_w = std::min(head_view_width(maps, key.batch), box.x * 0.45f);
        const bool beside = box.x - view_w - spacing >= 120.0f;
        const ImVec2 start = ImGui::GetCursorScreenPos();
        const MatrixRows rows =
            draw_matrix(ctx, *ctx.maps, maps, key, ImVec2(beside ? box.x - view_w - spacing : box.x, box.y));
        float bottom = ImGui::GetItemRectMax().y;
        if (beside) {
            // Its tokens on the matrix's rows when those are labelled, so a row and its lines line up.
            // (Placed by hand, not with SameLine, whose line height would carry the matrix's below it.)
            const float x = ImGui::GetItemRectMax().x + spacing;
            const float top = rows.labelled ? rows.top : start.y;
            ImGui::SetCursorScreenPos(ImVec2(x, top));
            draw_head_view(ctx, maps, key, ImVec2(view_w, box.y - (top - start.y)), rows.labelled ? rows.cell : 0.0f);
            bottom = std::max(bottom, ImGui::GetItemRectMax().y);
        }
        ImGui::SetCursorScreenPos(ImVec2(start.x, bottom));
        ImGui::Dummy(ImVec2(0.0f, 0.0f));  // the colorbar goes on the next line, below both
    }
    const MapRange range = maps.range(key, ctx.map_style());
    const std::string caption = explore::quantity_caption(key.quantity);
    views::colorbar(*ctx.maps, ctx.settings.colormap, range, std::min(avail.x, ImGui::GetFontSize() * 24.0f),
                    caption.c_str());
    if (ctx.items && maps.spatial(key)) {
        // The row drawn over the picture, for the tests that click a patch.
        const auto [rows, cols] = maps.size(key);
        std::vector<double> values;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                values.push_back(maps.value(key, r, c));
        ctx.test_state["patch_row"] = {{"rows", rows}, {"cols", cols}, {"values", values}};
    }
    if (ctx.items)
        ctx.test_state["large_map"] = {{"layer", key.layer},
                                       {"head", key.head},
                                       {"batch", key.batch},
                                       {"token", key.token},
                                       {"quantity", quantity_name(key.quantity)},
                                       {"file", maps.file_name(key)}};
}

}  // namespace attn::gui
