#include "panels/panel.h"

#include "lessons/widget_names.h"

#include <imgui_internal.h>  // ErrorCheckEndWindowRecover

#include <exception>

namespace attn::gui {

namespace {

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

}  // namespace

Panel::Panel(std::string title, ImGuiWindowFlags extra_flags)
    : title_(std::move(title)), item_name_(panel_item_name(title_)), flags_(extra_flags) {}

void Panel::draw(AppContext& ctx, const PanelRect& rect) {
    ImGui::SetNextWindowPos(ImVec2(rect.x, rect.y), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(rect.w, rect.h), ImGuiCond_Always);
    ImGui::Begin(title_.c_str(), nullptr, kPanelFlags | flags_);
    const ImVec2 at = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    ctx.note_rect(item_name_, at.x, at.y, at.x + size.x, at.y + size.y);  // "panel.model", for lessons
    try {
        draw_content(ctx);
        last_error_.clear();
    } catch (const std::exception& e) {
        // Back to this window: a Begin/Push inside the content that its End/Pop never reached.
        ImGui::ErrorCheckEndWindowRecover(nullptr);
        const std::string name = title_.rfind("##", 0) == 0 ? title_.substr(2) : title_;
        const std::string text = name + ": " + e.what();
        if (text != last_error_) ctx.error(text);
        last_error_ = text;
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.42f, 0.42f, 1.0f));
        ImGui::TextWrapped("%s", text.c_str());
        ImGui::PopStyleColor();
    }
    ImGui::End();
}

}  // namespace attn::gui
