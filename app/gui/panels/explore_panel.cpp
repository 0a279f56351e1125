#include "panels/explore_panel.h"

#include "model_run.h"
#include "panels/explore_widgets.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <string>

namespace attn::gui {

namespace {

struct TabInfo {
    ExploreTab tab;
    const char* label;
    const char* item;
};

constexpr TabInfo kTabs[] = {
    {ExploreTab::ModelView, "Model view", "explore.tab.model_view"},
    {ExploreTab::HeadStats, "Head statistics", "explore.tab.head_stats"},
    {ExploreTab::Similarity, "Similarity", "explore.tab.similarity"},
    {ExploreTab::Tokens, "Tokens", "explore.tab.tokens"},
};

}  // namespace

void ExplorePanel::draw_tokens(AppContext& ctx) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true) || !ctx.real_model()) return;
    const ModelRun& run = *ctx.model_run;
    const ModelInputs& in = run.inputs;
    if (in.patch_rows > 0) {
        ImGui::TextWrapped(
            "%s cuts the picture into %lld x %lld patches of %lld px after %lld prefix token(s) "
            "([CLS]): %lld tokens, none of them padding (attention_mask is all ones).",
            run.info.name.c_str(), static_cast<long long>(in.patch_rows), static_cast<long long>(in.patch_cols),
            static_cast<long long>(run.info.patch_size), static_cast<long long>(in.prefix_tokens),
            static_cast<long long>(in.prefix_tokens + in.patch_rows * in.patch_cols));
        return;
    }
    ImGui::TextWrapped(
        "Each sentence is padded on the right to the longest one. attention_mask is 1 for a token and 0 for padding; "
        "the model adds a large negative number to the scores of padded keys, so they get weight 0 (hatched in the "
        "maps). This is what the seed's pad_mask does, with the opposite meaning of 1 and 0.");
    const bool ids = in.input_ids.numel() > 0 && in.input_ids.rank() == 2;
    const int64_t L = ids ? in.input_ids.dim(1) : 0;
    for (size_t b = 0; b < in.tokens.size(); ++b) {
        ImGui::Separator();
        ImGui::Text("sentence %zu", b + 1);
        ImGui::PushID(static_cast<int>(b));
        const ImGuiTableFlags flags =
            ImGuiTableFlags_Borders | ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit;
        const int columns = static_cast<int>(in.tokens[b].size()) + 1;
        const float h = ImGui::GetTextLineHeightWithSpacing() * 4.4f + ImGui::GetStyle().ScrollbarSize;
        if (columns > 1 && columns <= 512 && ImGui::BeginTable("##tokens", columns, flags, ImVec2(0.0f, h))) {
            ImGui::TableSetupScrollFreeze(1, 0);
            const char* rows[] = {"token", "input_ids", "attention_mask"};
            for (int r = 0; r < 3; ++r) {
                ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(0);
                ImGui::TextColored(views::kDimText, "%s", rows[r]);
                for (size_t j = 0; j < in.tokens[b].size(); ++j) {
                    ImGui::TableSetColumnIndex(static_cast<int>(j) + 1);
                    const int64_t at = static_cast<int64_t>(b) * L + static_cast<int64_t>(j);
                    const bool real = !ids || in.attention_mask.data[static_cast<size_t>(at)] != 0.0f;
                    const ImVec4 colour = real ? ImVec4(1, 1, 1, 1) : views::kDimText;
                    if (r == 0) ImGui::TextColored(colour, "%s", in.tokens[b][j].c_str());
                    if (r == 1 && ids)
                        ImGui::TextColored(colour, "%lld",
                                           static_cast<long long>(in.input_ids.data[static_cast<size_t>(at)]));
                    if (r == 2 && ids) ImGui::TextColored(colour, "%d", real ? 1 : 0);
                }
            }
            ImGui::EndTable();
        }
        ImGui::PopID();
    }
}

void ExplorePanel::draw_content(AppContext& ctx) {
    Settings& s = ctx.settings;
    if (ctx.real_model() && ctx.map_model) explore::layer_keys(ctx, static_cast<int>(ctx.map_model->layers()));
    if (!ImGui::BeginTabBar("##explore_tabs")) return;
    for (const TabInfo& t : kTabs) {
        ImGuiTabItemFlags flags = ImGuiTabItemFlags_None;
        if (!tab_restored_ && static_cast<int>(t.tab) == s.explore_tab) flags |= ImGuiTabItemFlags_SetSelected;
        const bool open = ImGui::BeginTabItem(t.label, nullptr, flags);
        ctx.note_item(t.item);
        if (!open) continue;
        if (tab_restored_) s.explore_tab = static_cast<int>(t.tab);
        switch (t.tab) {
            case ExploreTab::ModelView:
                model_view_.draw(ctx);
                break;
            case ExploreTab::HeadStats:
                head_stats_.draw(ctx);
                break;
            case ExploreTab::Similarity:
                similarity_.draw(ctx);
                break;
            case ExploreTab::Tokens:
                draw_tokens(ctx);
                break;
        }
        ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    tab_restored_ = true;
    if (ctx.items) ctx.test_state["explore_tab"] = s.explore_tab;
}

}  // namespace attn::gui
