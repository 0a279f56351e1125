#include "panels/compare_view.h"

#include "exporter.h"
#include "maps/view_export.h"
#include "panels/explore_widgets.h"
#include "render/colormap.h"
#include "panels/view_widgets.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace attn::gui {

namespace {

std::string fmt(float v) {
    return views::format_exact(v);
}

}  // namespace

ImU32 diverging_colour(float t) {
    if (!std::isfinite(t)) return views::kNanFill;
    // The exports' difference colormap (core/maps/view_export.h), so the screen and the files agree.
    const auto rgb = colormap_rgb(kDifferenceColormap, (std::clamp(t, -1.0f, 1.0f) + 1.0f) * 0.5f);
    return IM_COL32(rgb[0], rgb[1], rgb[2], 255);
}

bool CompareView::b_controls(AppContext& ctx, const MapModel& maps, float width) {
    const int layers = static_cast<int>(maps.layers()), heads = static_cast<int>(maps.heads());
    const MapKey a = ctx.current_map();
    if (!b_set_) {  // first use: the next head of A's layer, so that the panes differ at once
        b_ = a;
        b_.quantity = a.quantity == MapQuantity::Rollout ? MapQuantity::Weights : a.quantity;
        b_.head = heads > 1 ? (std::max(a.head, 0) + 1) % heads : 0;
        b_set_ = true;
    }
    // A new pass may have fewer layers, heads or batch items: B stays inside it.
    b_.layer = std::clamp(b_.layer, 0, std::max(layers - 1, 0));
    b_.batch = std::clamp(b_.batch, 0, static_cast<int>(std::max<int64_t>(maps.batches(), 1)) - 1);
    if (b_.head >= heads) b_.head = 0;
    if (b_.quantity == MapQuantity::Rollout && !maps.has_rollout()) b_.quantity = MapQuantity::Weights;
    // B follows A's weights / norms switch (a rollout is a rollout either way) and A's query.
    if (b_.quantity != MapQuantity::Rollout) b_.quantity = explore::head_quantity(ctx);
    b_.token = a.token;

    bool changed = false;
    ImGui::TextColored(ImVec4(0.95f, 0.69f, 0.25f, 1.0f), "B");
    ImGui::SameLine();
    const float w = std::max(30.0f, (width - ImGui::GetFontSize() * 1.5f) / (maps.batches() > 1 ? 3.0f : 2.0f) - 6.0f);
    ImGui::SetNextItemWidth(w);
    int layer = b_.layer;
    if (ImGui::SliderInt("##b_layer", &layer, 0, std::max(layers - 1, 0), "layer %d")) {
        b_.layer = layer;
        changed = true;
    }
    ctx.note_item("compare.b_layer");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(w);
    const bool rollout = b_.quantity == MapQuantity::Rollout;
    const std::string shown = rollout ? "rollout" : explore::head_label(b_.head);
    if (ImGui::BeginCombo("##b_head", shown.c_str())) {
        for (int h = 0; h < heads; ++h) {
            if (ImGui::Selectable(explore::head_label(h).c_str(), !rollout && b_.head == h)) {
                b_.head = h;
                if (rollout) b_.quantity = MapQuantity::Weights;
                changed = true;
            }
            ctx.note_item("compare.b_head." + std::to_string(h));
        }
        if (maps.has_fusions())
            for (int f : {kMeanHead, kMaxHead, kMinHead})
                if (ImGui::Selectable(explore::head_label(f).c_str(), !rollout && b_.head == f)) {
                    b_.head = f;
                    if (rollout) b_.quantity = MapQuantity::Weights;
                    changed = true;
                }
        if (maps.has_rollout()) {
            if (ImGui::Selectable("rollout", rollout)) {
                b_.quantity = MapQuantity::Rollout;
                changed = true;
            }
            ctx.note_item("compare.b_head.rollout");
        }
        ImGui::EndCombo();
    }
    ctx.note_item("compare.b_head");
    if (maps.batches() > 1) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(w);
        int b = b_.batch + 1;
        if (ImGui::SliderInt("##b_batch", &b, 1, static_cast<int>(maps.batches()), "item %d")) {
            b_.batch = b - 1;
            changed = true;
        }
        ctx.note_item("compare.b_batch");
    }
    return changed;
}

void save_panes_button(AppContext& ctx, const char* cli, const std::function<ExportResult()>& save) {
    if (ImGui::SmallButton("Save panes")) {
        try {
            ctx.info(save().summary);
        } catch (const std::exception& e) {
            ctx.error(std::string("Save panes: ") + e.what());
        }
    }
    ctx.note_item("compare.save");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("A, B and A - B as pictures and .npy with panes.json, into %s\n(%s writes the same files)",
                          ctx.export_dir.c_str(), cli);
}

void CompareView::save_button(AppContext& ctx, const MapKey& a) {
    save_panes_button(ctx, "attnscope-cli run --model ... --export-panes DIR --pane-a A --pane-b B",
                      [&] { return export_compare(ctx, a, b_, ctx.export_dir); });
}

void CompareView::update_difference(const AppContext& ctx, const MapModel& maps, const MapKey& a) {
    if (diff_pass_ == ctx.pass_id && diff_a_ == a && diff_b_ == b_) return;
    diff_pass_ = ctx.pass_id;
    diff_a_ = a;
    diff_b_ = b_;
    diff_.clear();
    rows_ = cols_ = 0;
    diff_max_ = 0.0f;
    const auto [ar, ac] = maps.size(a);
    const auto [br, bc] = maps.size(b_);
    if (ar != br || ac != bc) return;  // e.g. two sentences padded alike always match; kept for safety
    rows_ = ar;
    cols_ = ac;
    const MapValues va = maps.values(a), vb = maps.values(b_);
    diff_.resize(static_cast<size_t>(rows_ * cols_));
    for (int64_t r = 0; r < rows_; ++r)
        for (int64_t c = 0; c < cols_; ++c) {
            const float d = va.at(r, c) - vb.at(r, c);
            diff_[static_cast<size_t>(r * cols_ + c)] = d;
            if (std::isfinite(d)) diff_max_ = std::max(diff_max_, std::fabs(d));
        }
}

void CompareView::draw_difference(AppContext& ctx, const MapModel& maps, const MapKey& a, ImVec2 box) {
    update_difference(ctx, maps, a);
    if (diff_.empty()) {
        ImGui::TextColored(views::kDimText, "A and B differ in size: no difference to draw.");
        return;
    }
    const float bar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f);
    const float colorbar_h = bar_h + ImGui::GetStyle().ItemSpacing.y + ImGui::GetTextLineHeightWithSpacing();
    const ImVec2 area(box.x, std::max(20.0f, box.y - colorbar_h - ImGui::GetStyle().ItemSpacing.y));
    // Square cells for a matrix; the picture's shape for a map over a picture.
    ImVec2 size;
    if (maps.spatial(a) && maps.picture(a.batch)) {
        const Image* p = maps.picture(a.batch);
        size = views::fit_size(static_cast<float>(p->width), static_cast<float>(p->height), area);
    } else {
        const float cell = std::min(area.x / cols_, area.y / rows_);
        size = ImVec2(cell * cols_, cell * rows_);
    }
    const float cw = size.x / cols_, ch = size.y / rows_;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float scale = diff_max_ > 0.0f ? 1.0f / diff_max_ : 0.0f;
    // Only the cells inside the clip rectangle (a 512-token matrix has 262,144).
    const ImVec4 clip = draw->_ClipRectStack.back();
    const int r0 = std::clamp(static_cast<int>((clip.y - p0.y) / ch), 0, static_cast<int>(rows_));
    const int r1 = std::clamp(static_cast<int>((clip.w - p0.y) / ch) + 1, 0, static_cast<int>(rows_));
    for (int r = r0; r < r1; ++r)
        for (int c = 0; c < cols_; ++c) {
            const ImVec2 c0(p0.x + cw * c, p0.y + ch * r);
            draw->AddRectFilled(c0, ImVec2(c0.x + cw + 0.5f, c0.y + ch + 0.5f),
                                diverging_colour(diff_[static_cast<size_t>(r * cols_ + c)] * scale));
        }
    ImGui::InvisibleButton("##difference", ImVec2(std::max(size.x, 1.0f), std::max(size.y, 1.0f)));
    ctx.note_item("compare.diff");
    if (ImGui::IsItemHovered()) {
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int c = std::clamp(static_cast<int>((m.x - p0.x) / cw), 0, static_cast<int>(cols_) - 1);
        const int r = std::clamp(static_cast<int>((m.y - p0.y) / ch), 0, static_cast<int>(rows_) - 1);
        draw->AddRect(ImVec2(p0.x + cw * c, p0.y + ch * r), ImVec2(p0.x + cw * (c + 1), p0.y + ch * (r + 1)),
                      views::kHoverFrame);
        ImGui::BeginTooltip();
        ImGui::Text("row %d, column %d", r, c);
        ImGui::Text("A (%s): %s", explore::map_caption(a).c_str(), fmt(maps.value(a, r, c)).c_str());
        ImGui::Text("B (%s): %s", explore::map_caption(b_).c_str(), fmt(maps.value(b_, r, c)).c_str());
        ImGui::Text("A - B: %s", fmt(diff_[static_cast<size_t>(r * cols_ + c)]).c_str());
        ImGui::EndTooltip();
    }
    // Its own colorbar, symmetric about 0.
    const ImVec2 b0 = ImGui::GetCursorScreenPos();
    const float bw = std::min(box.x, ImGui::GetFontSize() * 16.0f);
    const int steps = 32;
    for (int i = 0; i < steps; ++i) {
        const float x0 = b0.x + bw * i / steps, x1 = b0.x + bw * (i + 1) / steps;
        const float t0 = -1.0f + 2.0f * i / steps, t1 = -1.0f + 2.0f * (i + 1) / steps;
        draw->AddRectFilledMultiColor(ImVec2(x0, b0.y), ImVec2(x1 + 0.5f, b0.y + bar_h), diverging_colour(t0),
                                      diverging_colour(t1), diverging_colour(t1), diverging_colour(t0));
    }
    ImGui::Dummy(ImVec2(bw, bar_h));
    // The ends and the name under the bar, placed by hand (one line).
    const std::string lo = views::format_value(-diff_max_), hi = views::format_value(diff_max_);
    const char* cap = "A - B (coolwarm)";
    const ImVec2 t0 = ImGui::GetCursorScreenPos();
    const float lo_w = ImGui::CalcTextSize(lo.c_str()).x, hi_w = ImGui::CalcTextSize(hi.c_str()).x;
    const float cap_w = ImGui::CalcTextSize(cap).x;
    draw->AddText(t0, IM_COL32_WHITE, lo.c_str());
    if (lo_w + hi_w + 8.0f <= bw) draw->AddText(ImVec2(t0.x + bw - hi_w, t0.y), IM_COL32_WHITE, hi.c_str());
    if (lo_w + cap_w + hi_w + 16.0f <= bw)
        draw->AddText(ImVec2(t0.x + (bw - cap_w) * 0.5f, t0.y), ImGui::GetColorU32(views::kDimText), cap);
    ImGui::Dummy(ImVec2(bw, ImGui::GetTextLineHeight()));

    if (ctx.items)
        ctx.test_state["compare"] = {
            {"a", {{"layer", a.layer}, {"head", a.head}, {"batch", a.batch}, {"quantity", quantity_name(a.quantity)}}},
            {"b",
             {{"layer", b_.layer}, {"head", b_.head}, {"batch", b_.batch}, {"quantity", quantity_name(b_.quantity)}}},
            {"rows", rows_},
            {"cols", cols_},
            {"max_abs_difference", diff_max_}};
}

}  // namespace attn::gui
