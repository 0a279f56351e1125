#include "panels/model_pipeline.h"

#include "model_run.h"
#include "panels/explore_widgets.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <string>

namespace attn::gui {

namespace {

// One stage's steps as three lines each: name and shape, then the code (wrapped).
void stage_steps(const Trace& trace, const char* id) {
    ImGui::PushID(id);
    for (size_t i = 0; i < trace.steps.size(); ++i) {
        const TraceStep& step = trace.steps[i];
        ImGui::Text("%zu  %s", i, step.name.c_str());
        ImGui::SameLine();
        ImGui::TextColored(views::kNoteText, "%s", step.shape.to_string().c_str());
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(views::kDimText, "%s", step.code.c_str());
        ImGui::PopTextWrapPos();
        if (ImGui::IsItemHovered() && !step.change.empty()) ImGui::SetTooltip("%s", step.change.c_str());
    }
    ImGui::PopID();
}

}  // namespace

void draw_model_stages(AppContext& ctx) {
    const ModelRun& run = *ctx.model_run;
    const int layers = static_cast<int>(run.pass.layers.size());
    ImGui::TextColored(views::kDimText, "%s (%s): %d layers x %lld heads", run.info.name.c_str(),
                       family_name(run.info.family).c_str(), layers, static_cast<long long>(run.info.heads));
    explore::layer_slider(ctx, layers, "##pipeline_layer", -FLT_MIN);
    ctx.note_item("pipeline.layer");
    if (run.info.family == ModelFamily::SavedAttention) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(views::kNoteText,
                           "%s holds only each layer's weights, softmax(q kT / sqrt(d) + mask) [b, heads, %lld, "
                           "%lld]: the steps that made them (projections, view, transpose, scores, LayerNorm, FFN) "
                           "are not in the file. The Attention and Explore panels show every layer and head.",
                           model_display_name(run.requested).c_str(),
                           static_cast<long long>(run.pass.layers.empty() ? 0 : run.pass.layers[0].attn->dim(2)),
                           static_cast<long long>(run.pass.layers.empty() ? 0 : run.pass.layers[0].attn->dim(3)));
        ImGui::PopTextWrapPos();
        ctx.note_item("pipeline.saved_note");
    }
    if (!run.pass.embeddings.steps.empty() &&
        ImGui::CollapsingHeader(
            ("Before layer 0: " + std::to_string(run.pass.embeddings.steps.size()) + " steps").c_str()))
        stage_steps(run.pass.embeddings, "embeddings");
    if (!run.pass.pooling.steps.empty() &&
        ImGui::CollapsingHeader(("After layer " + std::to_string(layers - 1) + ": " +
                                 std::to_string(run.pass.pooling.steps.size()) + " steps")
                                    .c_str()))
        stage_steps(run.pass.pooling, "pooling");
    ctx.show_layer_trace();
}

}  // namespace attn::gui
