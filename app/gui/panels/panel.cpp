#include "panels/panel.h"

#include "lessons/widget_names.h"

#include <imgui_internal.h>  // ErrorCheckEndWindowRecover

#include <exception>

namespace attn::gui {

namespace {

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                                         ImGuiWindowFlags_NoBringToFrontOnFocus;  // floating ones stay on top
constexpr ImGuiWindowFlags kFloatingFlags = ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

}  // namespace

Panel::Panel(std::string title, ImGuiWindowFlags extra_flags, Placement placement)
    : title_(std::move(title)), item_name_(panel_item_name(title_)), flags_(extra_flags), placement_(placement) {}

void Panel::draw(AppContext& ctx, const PanelRect& rect) {
    const bool floating = placement_ == Placement::Floating;
    if (floating && !is_open(ctx)) return;
    const ImGuiCond cond = floating ? ImGuiCond_Appearing : ImGuiCond_Always;
    ImGui::SetNextWindowPos(ImVec2(rect.x, rect.y), cond);
    ImGui::SetNextWindowSize(ImVec2(rect.w, rect.h), cond);
    if (floating) ImGui::SetNextWindowBgAlpha(1.0f);  // over the panels: opaque, or their text shows through
    bool open = true;
    ImGui::Begin(title_.c_str(), floating ? &open : nullptr, (floating ? kFloatingFlags : kPanelFlags) | flags_);
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
    if (!open) close(ctx);
}

}  // namespace attn::gui
