// Side by side, for a real model's maps: the Attention panel split into three panes,
//   A       the map the view settings name (layer, head or fusion or rollout, weights or norms),
//   B       a second map with its own layer, head (or fusion, or rollout) and batch item,
//   A - B   their difference on a diverging colormap (coolwarm, as the exports: blue where B is
//           larger, red where A is), with its own colorbar symmetric about 0,
// so that a student can hold layer 0 head 3 against layer 1 head 1, a head against the rollout,
// or one sentence against another. Hovering any pane gives A, B and A - B at that cell.
// The difference is computed once per (pass, A, B), not per frame.
#pragma once

#include "app_context.h"
#include "maps/map_export.h"

#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace attn::gui {

class CompareView {
public:
    // Draws the three panes in `box` at the cursor. `draw_map(key, box)` draws one map as the large
    // view does (matrix or picture), so A and B look as they do alone.
    template <class DrawMap>
    void draw(AppContext& ctx, const MapModel& maps, ImVec2 box, DrawMap&& draw_map);

    // B: the second pane's map (defaults to the next head of A's layer on first use).
    const MapKey& b() const { return b_; }

    bool enabled = false;  // the Attention panel shows the three panes (its "A | B" switch)

private:
    bool b_controls(AppContext& ctx, const MapModel& maps, float width);
    void draw_difference(AppContext& ctx, const MapModel& maps, const MapKey& a, ImVec2 box);
    void update_difference(const AppContext& ctx, const MapModel& maps, const MapKey& a);
    // "Save panes": A, B and A - B into the export folder (export_compare, as attnscope-cli's
    // --export-panes DIR --pane-a A --pane-b B).
    void save_button(AppContext& ctx, const MapKey& a);

    MapKey b_;
    bool b_set_ = false;
    uint64_t b_pass_ = 0;  // the pass B was checked against (its layer/head clamped to it)
    // A - B, [rows, cols], and its largest |value|; empty when A and B differ in size.
    std::vector<float> diff_;
    int64_t rows_ = 0, cols_ = 0;
    float diff_max_ = 0.0f;
    uint64_t diff_pass_ = 0;
    MapKey diff_a_, diff_b_;
};

// The "Save panes" button of both A | B views: `save()` writes A, B and A - B into the export folder
// (its summary or its error becomes the message); the tooltip names the CLI line `cli` that
// writes the same files.
void save_panes_button(AppContext& ctx, const char* cli, const std::function<ExportResult()>& save);

// The difference pane's colour of t in [-1, 1] (-1 blue, 0 white, +1 red): the exports' coolwarm.
ImU32 diverging_colour(float t);

template <class DrawMap>
void CompareView::draw(AppContext& ctx, const MapModel& maps, ImVec2 box, DrawMap&& draw_map) {
    const MapKey a = ctx.current_map();
    const float spacing = ImGui::GetStyle().ItemSpacing.x * 2.0f;
    const float pane_w = std::max(60.0f, (box.x - 2.0f * spacing) / 3.0f);
    const float controls_h = ImGui::GetFrameHeightWithSpacing();
    const ImVec2 map_box(pane_w, std::max(40.0f, box.y - controls_h));

    // Each pane is a column placed with Indent, not BeginGroup: inside a group SameLine(x) counts
    // from the group's left edge while GetCursorPosX counts from the window's, and the colorbar
    // (which places its labels with both) would spread over the next pane.
    const ImVec2 start = ImGui::GetCursorScreenPos();
    float bottom = start.y;
    const auto pane = [&](int i, const char* id, auto&& body) {
        const float offset = (pane_w + spacing) * static_cast<float>(i);
        ImGui::SetCursorScreenPos(ImVec2(start.x + offset, start.y));
        if (offset > 0.0f) ImGui::Indent(offset);
        ImGui::PushID(id);
        body();
        ImGui::PopID();
        if (offset > 0.0f) ImGui::Unindent(offset);
        bottom = std::max(bottom, ImGui::GetCursorScreenPos().y);
    };
    const ImVec4 accent(0.95f, 0.69f, 0.25f, 1.0f);
    pane(0, "pane_a", [&] {
        ImGui::TextColored(accent, "A");
        ImGui::SameLine();
        ImGui::TextUnformatted("the map chosen above");
        ImGui::Dummy(ImVec2(0.0f, controls_h - ImGui::GetTextLineHeightWithSpacing()));
        draw_map(a, map_box);
        ctx.note_item("compare.a");
    });
    pane(1, "pane_b", [&] {
        b_controls(ctx, maps, pane_w);
        draw_map(b_, map_box);
        ctx.note_item("compare.b");
    });
    pane(2, "pane_diff", [&] {
        ImGui::TextColored(accent, "A - B");
        ImGui::SameLine();
        save_button(ctx, a);
        ImGui::Dummy(ImVec2(0.0f, controls_h - ImGui::GetFrameHeightWithSpacing()));
        draw_difference(ctx, maps, a, map_box);
    });
    ImGui::SetCursorScreenPos(ImVec2(start.x, bottom));
    ImGui::Dummy(ImVec2(0.0f, 0.0f));
}

}  // namespace attn::gui
