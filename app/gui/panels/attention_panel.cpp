#include "attention_panel.h"

#include "model_map.h"
#include "view_widgets.h"
#include "panels/attention_parts.h"
#include "panels/cross_maps.h"
#include "panels/matrix_maps.h"

#include "errors.h"
#include "imgui_texture.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

using namespace attention_view;

// --- Controls: batch item, colormap, shared range, opacity.

void draw_controls(AppContext& ctx, MapViews& maps) {
    Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const float font = ImGui::GetFontSize();

    ImGui::SetNextItemWidth(font * 13.0f);
    const std::string preview = "batch " + std::to_string(s.batch) + ": " + sentence_of(scene, s.batch);
    if (ImGui::BeginCombo("##batch", preview.c_str())) {
        for (int b = 0; b < maps.batches(); ++b) {
            const std::string item = "batch " + std::to_string(b) + ": " + sentence_of(scene, b);
            ImGui::PushID(b);
            if (ImGui::Selectable(item.c_str(), b == s.batch)) s.batch = b;
            ImGui::PopID();
            ctx.note_item("attention.batch." + std::to_string(b));
        }
        ImGui::EndCombo();
    }
    ctx.note_item("attention.batch");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The batch item (sentence) whose maps are shown");

    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 6.0f);
    views::colormap_combo("##colormap", s.colormap);
    ctx.note_item("attention.colormap");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Colormap (the exported maps use it too)");

    ImGui::SameLine();
    ImGui::Checkbox("shared range", &s.shared_normalisation);
    ctx.note_item("attention.shared");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(maps.is_cross()
                              ? "On: one colour range over every map of the pass, so maps can be compared.\n"
                                "Off: each map from its own lowest (dark) to its highest (bright) weight."
                              : "On: one colour range, the lowest to the highest weight of every matrix.\n"
                                "Off: the absolute range 0..1 (a weight is a probability; rows sum to 1).");

    if (maps.is_cross()) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 6.0f);
        ImGui::SliderFloat("opacity", &s.opacity, 0.0f, 1.0f, "%.2f");
        s.opacity = std::clamp(s.opacity, 0.0f, 1.0f);
        ctx.note_item("attention.opacity");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("How much the map covers the picture");
    }
}

}  // namespace

void AttentionPanel::draw_content(AppContext& ctx) {
    if (ctx.real_model()) {  // a real model's maps, from its map model (model_map.h)
        draw_model_attention(ctx, compare_);
        return;
    }
    if (!views::pass_ready(ctx)) return;
    MapViews& maps = *ctx.maps;
    if (maps.batches() == 0) {
        ImGui::TextColored(views::kDimText, "This pass has no attention maps to show.");
        return;
    }
    Settings& s = ctx.settings;
    s.batch = std::clamp(s.batch, 0, maps.batches() - 1);
    s.head = std::clamp(s.head, maps.heads() > 1 ? -1 : 0, maps.heads() - 1);
    s.token = std::clamp(s.token, 0, std::max(0, maps.tokens() - 1));

    draw_controls(ctx, maps);
    ImGui::SameLine();
    SeedCompare::draw_switch(ctx);
    ImGui::Separator();
    if (s.compare_open) {  // A | B: B is the scene under its own settings (seed_compare.h)
        seed_compare_.draw(ctx);
        return;
    }
    if (maps.is_cross())
        draw_cross(ctx, maps, pixel_bars_);
    else
        draw_matrices(ctx, maps);
}

}  // namespace attn::gui
