#include "menu_bar.h"

#include "model_run.h"
#include "shader_sources.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <string>

namespace attn::gui {

MenuRequests draw_menu_bar(AppContext& ctx) {
    MenuRequests out;
    if (!ImGui::BeginMainMenuBar()) return out;
    if (ImGui::BeginMenu("File")) {
        const bool can = ctx.has_pass();
        if (ImGui::MenuItem("Export every map", "Ctrl+E", false, can)) out.export_kind = ExportKind::EveryMap;
        if (ImGui::MenuItem("Export the current map", "Ctrl+Shift+E", false, can))
            out.export_kind = ExportKind::CurrentMap;
        if (ImGui::MenuItem("Export the grid of this batch item", nullptr, false, can))
            out.export_kind = ExportKind::Grid;
        if (ImGui::MenuItem("Export the tensors (.npy)", nullptr, false, can)) out.export_kind = ExportKind::Tensors;
        if (ImGui::MenuItem("Export the head statistics (CSV + JSON)", nullptr, false, can && ctx.real_model()))
            out.export_kind = ExportKind::HeadStats;
        ImGui::Separator();
        ImGui::TextUnformatted("Export folder");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22.0f);
        ImGui::InputText("##export_dir", &ctx.export_dir);
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) out.quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        const bool can_reload = gl::shader_reload_dir().has_value();
        if (ImGui::MenuItem("Reload shaders", "F5", false, can_reload)) out.reload_shaders = true;
        if (!can_reload && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("Development builds (Debug, RelWithDebInfo) or $ATTNSCOPE_SHADER_DIR");
        ImGui::EndMenu();
    }
    // What is on screen, in one line.
    const Settings& s = ctx.settings;
    std::string summary = module_class_name(s.module) + "   emb_dim " + std::to_string(s.emb_dim);
    if (has_heads(s.module)) summary += "   heads " + std::to_string(s.heads);
    if (ctx.real_model()) {
        const ModelInfo& info = ctx.model_run->info;
        summary = info.name + "   " + std::to_string(info.layers) + " layers x " + std::to_string(info.heads) +
                  " heads   hidden " + std::to_string(info.hidden) + "   batch " +
                  std::to_string(ctx.model_run->inputs.tokens.size());
    } else {
        summary += "   batch " + std::to_string(s.sentences.size());
    }
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 2.0f);
    ImGui::TextColored(ImVec4(0.62f, 0.62f, 0.66f, 1.0f), "%s", summary.c_str());
    ImGui::EndMainMenuBar();
    return out;
}

}  // namespace attn::gui
