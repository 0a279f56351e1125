#include "widget_tracker.h"

#include <imgui_internal.h>  // the current window's clip rectangle, ScrollToItem

#include <algorithm>
#include <cmath>

namespace attn::gui {

namespace {

constexpr int kViewFrames = 120;                     // about two seconds of trying to bring a widget into view
const ImVec4 kHighlight(1.00f, 0.62f, 0.10f, 1.0f);  // amber: reads on the dark and the light theme

}  // namespace

void WidgetTracker::begin_frame() {
    seen_.clear();
    for (auto it = to_view_.begin(); it != to_view_.end();)
        it = --it->second <= 0 ? to_view_.erase(it) : std::next(it);
}

void WidgetTracker::note(const std::string& name) {
    if (forward_) forward_->note(name);
    const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
    const ImGuiWindow* window = ImGui::GetCurrentWindowRead();
    const ImRect clip = window ? window->ClipRect : ImRect(lo, hi);
    seen_[name] = {lo, hi, clip.Min, clip.Max};
    const auto wanted = to_view_.find(name);
    if (wanted == to_view_.end()) return;
    const bool inside = lo.y >= clip.Min.y && hi.y <= clip.Max.y && lo.x >= clip.Min.x && hi.x <= clip.Max.x;
    if (inside) {
        to_view_.erase(wanted);
        return;
    }
    // This window (and the windows around it) scroll so the widget is in the middle.
    ImGui::ScrollToItem(ImGuiScrollFlags_KeepVisibleCenterY | ImGuiScrollFlags_KeepVisibleEdgeX);
}

void WidgetTracker::note_rect(const std::string& name, float x0, float y0, float x1, float y1) {
    if (forward_) forward_->note_rect(name, x0, y0, x1, y1);
    seen_[name] = {ImVec2(x0, y0), ImVec2(x1, y1), ImVec2(x0, y0), ImVec2(x1, y1)};
}

void WidgetTracker::bring_into_view(const std::vector<std::string>& names) {
    for (const std::string& name : names)
        if (name.rfind("panel.", 0) != 0) to_view_[name] = kViewFrames;  // panels are always in view
}

bool WidgetTracker::find(const std::string& name, ImVec2& lo, ImVec2& hi) const {
    const auto it = seen_.find(name);
    if (it == seen_.end()) return false;
    lo = it->second.lo;
    hi = it->second.hi;
    return true;
}

void WidgetTracker::draw_highlights(const std::vector<std::string>& names, double phase, float scale) const {
    ImDrawList* draw = ImGui::GetForegroundDrawList();
    // 0.35 .. 1 and back, once every 1.2 s: seen from the back of a room, never blinking.
    const float pulse = 0.675f + 0.325f * static_cast<float>(std::sin(phase * 2.0 * 3.14159265358979 / 1.2));
    for (const std::string& name : names) {
        const auto it = seen_.find(name);
        if (it == seen_.end()) continue;
        const Seen& s = it->second;
        const bool panel = name.rfind("panel.", 0) == 0;
        const float pad = (panel ? -1.5f : 3.0f) * scale;
        ImVec2 lo(s.lo.x - pad, s.lo.y - pad), hi(s.hi.x + pad, s.hi.y + pad);
        if (!panel) {  // what the widget's window shows of it (a scrolled-out row is not framed)
            const float margin = 4.0f * scale;
            lo = ImVec2(std::max(lo.x, s.clip_lo.x - margin), std::max(lo.y, s.clip_lo.y - margin));
            hi = ImVec2(std::min(hi.x, s.clip_hi.x + margin), std::min(hi.y, s.clip_hi.y + margin));
            if (hi.x <= lo.x || hi.y <= lo.y) continue;
        }
        ImVec4 c = kHighlight;
        c.w = panel ? 0.55f * pulse : pulse;
        const float thickness = (panel ? 2.0f : 3.0f) * scale;
        draw->AddRect(lo, hi, ImGui::GetColorU32(c), panel ? 0.0f : 4.0f * scale, 0, thickness);
        if (!panel) {  // a soft glow outside the frame
            c.w = 0.25f * pulse;
            const float g = thickness * 1.5f;
            draw->AddRect(ImVec2(lo.x - g, lo.y - g), ImVec2(hi.x + g, hi.y + g), ImGui::GetColorU32(c), 6.0f * scale,
                          0, thickness);
        }
    }
}

}  // namespace attn::gui
