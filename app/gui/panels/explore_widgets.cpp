#include "panels/explore_widgets.h"

#include <imgui.h>

#include <algorithm>

namespace attn::gui::explore {

std::string head_label(int head) {
    switch (head) {
        case kMeanHead:
            return "mean";
        case kMaxHead:
            return "max";
        case kMinHead:
            return "min";
        default:
            return "head " + std::to_string(head);
    }
}

std::string map_caption(const MapKey& key) {
    const std::string layer = "layer " + std::to_string(key.layer);
    if (key.quantity == MapQuantity::Rollout) return "rollout from the input to " + layer;
    std::string head = key.head >= 0 ? head_label(key.head) : head_label(key.head) + " over heads";
    if (key.quantity == MapQuantity::Norms) head += ", norm-based";
    return layer + ", " + head;
}

MapQuantity head_quantity(const AppContext& ctx) {
    return ctx.settings.norms && ctx.map_model && ctx.map_model->has_norms() ? MapQuantity::Norms
                                                                             : MapQuantity::Weights;
}

std::string quantity_caption(MapQuantity quantity) {
    switch (quantity) {
        case MapQuantity::Weights:
            return "weight α (softmax)";
        case MapQuantity::Norms:
            return "norm ||α f(x)||";
        case MapQuantity::Rollout:
            return "rollout (products of 0.5 A + 0.5 I)";
    }
    return "";
}

void quantity_switch(AppContext& ctx, const MapModel& maps) {
    Settings& s = ctx.settings;
    const bool can = maps.has_norms();
    ImGui::BeginDisabled(!can);
    if (ImGui::RadioButton("weights", !s.norms || !can)) s.norms = false;
    ctx.note_item("explore.weights");
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("The softmax weights α_ij, what transformers returns with output_attentions=True.");
    ImGui::SameLine();
    if (ImGui::RadioButton("norms", s.norms && can)) s.norms = true;
    ctx.note_item("explore.norms");
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(can ? "Norm-based attention ||α_ij f(x_j)|| (Kobayashi et al. 2020): the weight times the\n"
                                "length of what token j sends through the head. A weight on a token with a tiny\n"
                                "value vector (often [CLS], [SEP], punctuation) counts for little."
                              : "Needs the value vectors of a real model.");
}

void open_head(AppContext& ctx, int layer, int head, bool rollout) {
    Settings& s = ctx.settings;
    s.layer = layer;
    s.rollout = rollout;
    if (!rollout) s.head = head;
    ctx.show_layer_trace();
}

bool layer_keys(AppContext& ctx, int layers) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || layers < 2) return false;
    int delta = 0;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_PageUp))) delta -= 1;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_PageDown))) delta += 1;
    for (int i = 0; i < io.InputQueueCharacters.Size; ++i) {
        if (io.InputQueueCharacters[i] == '[') delta -= 1;
        if (io.InputQueueCharacters[i] == ']') delta += 1;
    }
    if (delta == 0) return false;
    Settings& s = ctx.settings;
    const int before = s.layer;
    s.layer = std::clamp(s.layer + delta, 0, layers - 1);
    ctx.show_layer_trace();
    return s.layer != before;
}

bool layer_slider(AppContext& ctx, int layers, const char* id, float width) {
    Settings& s = ctx.settings;
    int layer = std::clamp(s.layer, 0, std::max(0, layers - 1));
    ImGui::SetNextItemWidth(width);
    const std::string format = "layer %d of " + std::to_string(layers);
    bool changed = false;
    ImGui::BeginDisabled(layers < 2);
    if (ImGui::SliderInt(id, &layer, 0, std::max(0, layers - 1), format.c_str())) {
        s.layer = layer;
        ctx.show_layer_trace();
        changed = true;
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(
            "The layer shown: the large map and the Pipeline's steps.\nPageUp / PageDown or [ / ] step through "
            "the layers.");
    return changed;
}

}  // namespace attn::gui::explore
