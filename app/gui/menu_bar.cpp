#include "menu_bar.h"

#include "model_run.h"
#include "shader_sources.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

// View: presentation mode (the UI size, 100% to 250%) and the light theme.
void draw_look_items(AppContext& ctx) {
    ClassroomSettings& c = ctx.settings.classroom();
    if (ImGui::MenuItem("Larger", "Ctrl+=", false, c.ui_scale < kMaxUiScale)) c.ui_scale = step_ui_scale(c.ui_scale, 1);
    ctx.note_item("menu.view.scale_up");
    if (ImGui::MenuItem("Smaller", "Ctrl+-", false, c.ui_scale > kMinUiScale))
        c.ui_scale = step_ui_scale(c.ui_scale, -1);
    ctx.note_item("menu.view.scale_down");
    if (ImGui::BeginMenu("Size")) {
        for (float v = kMinUiScale; v <= kMaxUiScale + 1e-3f; v += kUiScaleStep) {
            const std::string label = std::to_string(static_cast<int>(v * 100.0f + 0.5f)) + "%";
            if (ImGui::MenuItem(label.c_str(), v == kMinUiScale ? "Ctrl+0" : nullptr, std::abs(c.ui_scale - v) < 1e-3f))
                c.ui_scale = v;
        }
        ImGui::EndMenu();
    }
    bool light = c.theme == WindowTheme::Light;
    if (ImGui::MenuItem("Light theme", nullptr, &light)) c.theme = light ? WindowTheme::Light : WindowTheme::Dark;
    ctx.note_item("menu.view.light_theme");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("A white page with dark text and grid; the maps keep their colormaps");
}

}  // namespace

MenuRequests draw_menu_bar(AppContext& ctx, const std::function<void()>& view_items) {
    MenuRequests out;
    if (!ImGui::BeginMainMenuBar()) return out;
    const bool file_open = ImGui::BeginMenu("File");
    ctx.note_item("menu.file");
    if (file_open) {
        const bool can = ctx.has_pass();  // the seed's module's pass or a real model's
        if (ImGui::MenuItem("Export every map", "Ctrl+E", false, can)) out.export_kind = ExportKind::EveryMap;
        if (ImGui::MenuItem("Export the current map", "Ctrl+Shift+E", false, can))
            out.export_kind = ExportKind::CurrentMap;
        if (ImGui::MenuItem("Export the grid of this batch item", nullptr, false, can))
            out.export_kind = ExportKind::Grid;
        if (ImGui::MenuItem("Export the tensors (.npy)", nullptr, false, can)) out.export_kind = ExportKind::Tensors;
        if (ImGui::MenuItem("Export the head statistics (CSV + JSON)", nullptr, false, can && ctx.real_model()))
            out.export_kind = ExportKind::HeadStats;
        bool print = ctx.settings.export_theme == WindowTheme::Light;
        if (ImGui::MenuItem("Exports for print (light)", nullptr, &print))
            ctx.settings.export_theme = print ? WindowTheme::Light : WindowTheme::Dark;
        ctx.note_item("menu.file.export_light");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Pictures on a white page with dark text and grid (as attnscope-cli --theme light)");
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
        if (view_items) {
            view_items();
            ImGui::Separator();
        }
        draw_look_items(ctx);
        ImGui::Separator();
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
    if (ctx.real_model()) {
        const ModelInfo& info = ctx.model_run->info;
        // A saved attention file has no hidden size: it is named as what it is.
        const std::string kind = info.family == ModelFamily::SavedAttention
                                     ? "   saved attention"
                                     : "   hidden " + std::to_string(info.hidden);
        summary = info.name + "   " + std::to_string(info.layers) + " layers x " + std::to_string(info.heads) +
                  " heads" + kind + "   batch " + std::to_string(ctx.model_run->inputs.tokens.size());
    } else {
        summary += "   batch " + std::to_string(s.sentences.size());
    }
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 2.0f);
    ImGui::TextColored(ImVec4(0.62f, 0.62f, 0.66f, 1.0f), "%s", summary.c_str());
    ImGui::EndMainMenuBar();
    return out;
}

}  // namespace attn::gui
