#include "panels/anim_controls.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attn::gui::views {

namespace {

constexpr float kSpan = 0.999f;  // of a step on the slider

}  // namespace

float anim_position(int step, float progress) {
    return static_cast<float>(step) + std::clamp(progress, 0.0f, 1.0f) * kSpan;
}

void anim_from_position(float position, int steps, int& step, float& progress) {
    step = std::clamp(static_cast<int>(std::floor(position)), 0, std::max(steps - 1, 0));
    progress = std::clamp((position - static_cast<float>(step)) / kSpan, 0.0f, 1.0f);
}

void anim_controls(AppContext& ctx, const std::string& prefix, bool diagram_toggle) {
    Settings& s = ctx.settings;
    const int n = ctx.trace ? static_cast<int>(ctx.trace->steps.size()) : 0;
    if (n == 0) return;
    const bool playing = ctx.player.playing();
    const float font = ImGui::GetFontSize();
    if (ImGui::Button(playing ? "Pause" : "Play", ImVec2(font * 3.6f, 0.0f))) {
        if (playing) {
            ctx.player.pause();
        } else {
            ctx.player.play(s, n);
            s.diagram_open = true;
        }
    }
    ctx.note_item(prefix + ".play");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Animate the selected step on a diagram of its tensor, then the steps after it");
    ImGui::SameLine();
    float pos = anim_position(s.step, s.anim_progress);
    char text[96];
    const std::string& name = ctx.trace->steps[static_cast<size_t>(std::clamp(s.step, 0, n - 1))].name;
    // (ImGui reads the label as a printf format: %%%% stands for one %.)
    std::snprintf(text, sizeof text, "%d %s  %d%%%%", s.step, name.c_str(),
                  static_cast<int>(std::lround(s.anim_progress * 100.0f)));
    const float toggle_w = diagram_toggle ? ImGui::CalcTextSize("Diagram").x + font * 1.4f : 0.0f;
    ImGui::SetNextItemWidth(std::max(font * 6.0f, ImGui::GetContentRegionAvail().x - font * 5.2f - toggle_w));
    if (ImGui::SliderFloat(("##" + prefix + ".slider").c_str(), &pos, 0.0f, anim_position(n - 1, 1.0f), text)) {
        int step = 0;
        float progress = 0.0f;
        anim_from_position(pos, n, step, progress);
        ctx.player.seek(s, step, progress);
        s.diagram_open = true;
    }
    ctx.note_item(prefix + ".slider");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Where the animation is: the step, and how far into it");
    ImGui::SameLine();
    const char* speeds[] = {"0.25x", "0.5x", "1x", "2x"};
    const float values[] = {0.25f, 0.5f, 1.0f, 2.0f};
    int current = 2;
    for (int i = 0; i < 4; ++i)
        if (ctx.player.speed == values[i]) current = i;
    ImGui::SetNextItemWidth(font * 4.2f);
    if (ImGui::Combo(("##" + prefix + ".speed").c_str(), &current, speeds, 4)) ctx.player.speed = values[current];
    ctx.note_item(prefix + ".speed");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("How fast the animation plays");
    if (!diagram_toggle) return;
    ImGui::SameLine();
    if (ImGui::Button("Diagram")) s.diagram_open = !s.diagram_open;
    ctx.note_item(prefix + ".diagram");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show or hide the step diagram window");
}

}  // namespace attn::gui::views
