#include "menu_bar.h"

#include "shader_sources.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

namespace attn::gui {

MenuRequests draw_menu_bar(AppContext& ctx) {
    MenuRequests out;
    if (!ImGui::BeginMainMenuBar()) return out;
    if (ImGui::BeginMenu("File")) {
        const bool can = ctx.scene != nullptr;
        if (ImGui::MenuItem("Export every map", "Ctrl+E", false, can)) out.export_kind = ExportKind::EveryMap;
        if (ImGui::MenuItem("Export the current map", "Ctrl+Shift+E", false, can))
            out.export_kind = ExportKind::CurrentMap;
        if (ImGui::MenuItem("Export the grid of this batch item", nullptr, false, can))
            out.export_kind = ExportKind::Grid;
        if (ImGui::MenuItem("Export the tensors (.npy)", nullptr, false, can)) out.export_kind = ExportKind::Tensors;
        ImGui::Separator();
        ImGui::TextUnformatted("Export folder");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22.0f);
        ImGui::InputText("##export_dir", &ctx.export_dir);
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) out.quit = true;
        ImGui::EndMenu();
    }
    const bool view_open = ImGui::BeginMenu("View");
    ctx.note_item("menu.view");
    if (view_open) {
        const bool can_reload = gl::shader_reload_dir().has_value();
        if (ImGui::MenuItem("Reload shaders", "F5", false, can_reload)) out.reload_shaders = true;
        if (!can_reload && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("Development builds (Debug, RelWithDebInfo) or $ATTNSCOPE_SHADER_DIR");
        // The teaching windows (issue 12).
        ImGui::Separator();
        ImGui::MenuItem("Step diagram", nullptr, &ctx.settings.diagram_open);
        ctx.note_item("menu.view.diagram");
        bool inspecting = ctx.settings.inspect_cell.size() == 4;
        if (ImGui::MenuItem("Q·K inspector", nullptr, &inspecting))
            ctx.settings.inspect_cell = inspecting
                                            ? std::vector<int>{ctx.settings.batch, std::max(ctx.settings.head, 0), 0, 0}
                                            : std::vector<int>{};
        ctx.note_item("menu.view.inspector");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Or click a cell of a matrix or of the scores step's heat map");
        ImGui::MenuItem("Mask lab", nullptr, &ctx.settings.mask_lab_open);
        ctx.note_item("menu.view.mask_lab");
        ImGui::EndMenu();
    }
    // What is on screen, in one line.
    const Settings& s = ctx.settings;
    std::string summary = module_class_name(s.module) + "   emb_dim " + std::to_string(s.emb_dim);
    if (has_heads(s.module)) summary += "   heads " + std::to_string(s.heads);
    summary += "   batch " + std::to_string(s.sentences.size());
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 2.0f);
    ImGui::TextColored(ImVec4(0.62f, 0.62f, 0.66f, 1.0f), "%s", summary.c_str());
    ImGui::EndMainMenuBar();
    return out;
}

}  // namespace attn::gui
