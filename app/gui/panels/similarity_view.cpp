#include "panels/similarity_view.h"

#include "export/dump.h"
#include "io/npy.h"
#include "model_run.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace attn::gui {

namespace {

std::string two_digits(float v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(v));
    return buf;
}

}  // namespace

void SimilarityView::draw(AppContext& ctx) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true)) return;
    if (!ctx.real_model()) {
        ImGui::TextWrapped(
            "Sentence similarity compares a real text model's sentence embeddings: choose use-lite or a "
            "BERT folder in the Model panel.");
        return;
    }
    const ModelRun& run = *ctx.model_run;
    if (run.info.family == ModelFamily::SavedAttention) {
        ImGui::TextWrapped(
            "%s holds attention weights only, no sentence embeddings: there is no sentence similarity to show.",
            model_display_name(run.requested).c_str());
        return;
    }
    if (!run.similarity) {
        ImGui::TextWrapped("%s takes pictures, not sentences: there is no sentence similarity to show.",
                           run.info.name.c_str());
        return;
    }
    const Tensor& sim = *run.similarity;  // [b, b]
    const int n = static_cast<int>(sim.dim(0));
    ImGui::TextWrapped("Cosine similarity of the sentences' embeddings: %s.", run.similarity_source.c_str());
    if (n < 2) ImGui::TextColored(views::kNoteText, "Add sentences in the Input panel (one per line) to compare them.");

    // Rows: the sentences (cut to fit), columns: their numbers.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = std::floor(std::min(avail.x * 0.45f, ImGui::GetFontSize() * 22.0f));
    const float cell =
        std::floor(std::clamp(std::min((avail.x - label_w) / std::max(1, n),
                                       (avail.y - ImGui::GetTextLineHeightWithSpacing() * 3.0f) / std::max(1, n + 1)),
                              14.0f, 64.0f));
    // Colours over [min, 1]: the diagonal is 1, and what matters is how the rest compare.
    float lo = 1.0f;
    for (float v : sim.data)
        lo = std::min(lo, v);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float top = ImGui::GetTextLineHeight() + 2.0f;
    for (int j = 0; j < n; ++j)
        views::text_centred(draw, ImVec2(origin.x + label_w + cell * j, origin.y),
                            ImVec2(origin.x + label_w + cell * (j + 1), origin.y + top), IM_COL32_WHITE,
                            std::to_string(j + 1));
    for (int i = 0; i < n; ++i) {
        const float y = origin.y + top + cell * i;
        const std::string& sentence =
            i < static_cast<int>(ctx.settings.sentences.size()) ? ctx.settings.sentences[static_cast<size_t>(i)] : "";
        const std::string label = views::fit_text(std::to_string(i + 1) + "  " + sentence, label_w - 6.0f);
        draw->AddText(ImVec2(origin.x, y + (cell - ImGui::GetTextLineHeight()) * 0.5f), IM_COL32_WHITE, label.c_str());
        for (int j = 0; j < n; ++j) {
            const float v = sim.data[static_cast<size_t>(i) * static_cast<size_t>(n) + static_cast<size_t>(j)];
            const ImVec2 c0(origin.x + label_w + cell * j, y), c1(c0.x + cell - 1.0f, y + cell - 1.0f);
            const auto rgb = colormap_rgb(ctx.settings.colormap, 1.0f > lo ? (v - lo) / (1.0f - lo) : 1.0f);
            draw->AddRectFilled(c0, c1, IM_COL32(rgb[0], rgb[1], rgb[2], 255));
            if (cell >= ImGui::CalcTextSize("0.00").x + 2.0f)
                views::text_centred(draw, c0, c1, views::text_on(rgb), two_digits(v));
            ImGui::SetCursorScreenPos(c0);
            ImGui::PushID(i * n + j);
            ImGui::InvisibleButton("##s", ImVec2(cell, cell));
            ImGui::PopID();
            if (ctx.items) ctx.note_item("similarity.cell." + std::to_string(i) + "." + std::to_string(j));
            if (ImGui::IsItemHovered()) {
                const auto& ss = ctx.settings.sentences;
                ImGui::SetTooltip("cos = %s\n%d: %s\n%d: %s", views::format_exact(v).c_str(), i + 1,
                                  i < static_cast<int>(ss.size()) ? ss[static_cast<size_t>(i)].c_str() : "", j + 1,
                                  j < static_cast<int>(ss.size()) ? ss[static_cast<size_t>(j)].c_str() : "");
            }
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + top + cell * n + 4.0f));
    ImGui::TextColored(views::kDimText, "colours from %s (the least similar pair) to 1", two_digits(lo).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Save .npy")) {
        try {
            const std::filesystem::path dir = std::filesystem::absolute(ctx.export_dir);
            make_directories(dir.string());
            const std::string path = (dir / "sentence_similarity.npy").string();
            write_npy(path, sim);
            ctx.info("Saved the [" + std::to_string(n) + ", " + std::to_string(n) + "] cosine similarities to " + path);
        } catch (const std::exception& e) {
            ctx.error(std::string("Export failed: ") + e.what());
        }
    }
    ctx.note_item("similarity.export");

    if (ctx.items) {
        nlohmann::json values = nlohmann::json::array();
        for (float v : sim.data)
            values.push_back(v);
        ctx.test_state["similarity"] = {{"n", n}, {"values", values}};
    }
}

}  // namespace attn::gui
