#include "panels/pipeline_panel.h"

#include "panels/model_pipeline.h"
#include "panels/anim_controls.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

const ImVec4 kNewColour(1.00f, 0.66f, 0.25f, 1.0f);      // split, flattened, added
const ImVec4 kMovedColour(0.45f, 0.76f, 1.00f, 1.0f);    // same dimension, another place
const ImVec4 kResizedColour(1.00f, 0.90f, 0.35f, 1.0f);  // same name, another size
const ImVec4 kGoneColour(1.00f, 0.45f, 0.45f, 1.0f);     // contracted, reduced, merged
const ImVec4 kSameColour(0.86f, 0.86f, 0.88f, 1.0f);

// On the light theme, in darker shades (views::themed).
ImVec4 colour_of(DimChange kind) {
    switch (kind) {
        case DimChange::New:
            return views::themed(kNewColour);
        case DimChange::Moved:
            return views::themed(kMovedColour);
        case DimChange::Resized:
            return views::themed(kResizedColour);
        case DimChange::Same:
            break;
    }
    return views::themed(kSameColour);
}

// "[b, heads, h*w, depth] = [3, 8, 1600, 64]" with each changed dimension in its colour, as
// ImGui text items on one line (wrapping to the next when it does not fit).
void shape_text(const NamedShape& shape, const ShapeDiff& diff, bool tooltips) {
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0.0f, ImGui::GetStyle().ItemSpacing.y));
    auto piece = [&](const std::string& text, const ImVec4& colour, const std::string& note) {
        ImGui::TextColored(colour, "%s", text.c_str());
        if (tooltips && !note.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", note.c_str());
        ImGui::SameLine();
    };
    const size_t n = shape.names.size();
    piece("[", colour_of(DimChange::Same), "");
    for (size_t k = 0; k < n; ++k)
        piece(shape.names[k] + (k + 1 < n ? ", " : ""), colour_of(diff.changes[k]), diff.notes[k]);
    piece("] = [", colour_of(DimChange::Same), "");
    for (size_t k = 0; k < n; ++k)
        piece(std::to_string(shape.sizes[k]) + (k + 1 < n ? ", " : ""), colour_of(diff.changes[k]), diff.notes[k]);
    ImGui::TextColored(colour_of(DimChange::Same), "]");
    ImGui::PopStyleVar();
}

// The same, drawn with the draw list at `pos` (for the rows of the step list).
void shape_draw(ImDrawList* draw, ImVec2 pos, const NamedShape& shape, const ShapeDiff& diff, float max_x) {
    auto put = [&](const std::string& text, const ImVec4& colour) {
        if (pos.x >= max_x) return;
        draw->AddText(pos, ImGui::GetColorU32(colour), text.c_str());
        pos.x += ImGui::CalcTextSize(text.c_str()).x;
    };
    const size_t n = shape.names.size();
    put("[", colour_of(DimChange::Same));
    for (size_t k = 0; k < n; ++k)
        put(shape.names[k] + (k + 1 < n ? ", " : ""), colour_of(diff.changes[k]));
    put("] = [", colour_of(DimChange::Same));
    for (size_t k = 0; k < n; ++k)
        put(std::to_string(shape.sizes[k]) + (k + 1 < n ? ", " : ""), colour_of(diff.changes[k]));
    put("]", colour_of(DimChange::Same));
}

}  // namespace

void PipelinePanel::draw_step_list(AppContext& ctx, float height) {
    Settings& s = ctx.settings;
    const Trace& trace = *ctx.trace;
    ImGui::BeginChild("##steps", ImVec2(0.0f, height), true);
    const float line = ImGui::GetTextLineHeight();
    const float row_h = line * 3.0f + 4.0f;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    for (int i = 0; i < static_cast<int>(trace.steps.size()); ++i) {
        const TraceStep& step = trace.steps[static_cast<size_t>(i)];
        const ShapeDiff& diff = diffs_[static_cast<size_t>(i)];
        ImGui::PushID(i);
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        if (ImGui::Selectable("##step", i == s.step, 0, ImVec2(0.0f, row_h))) ctx.player.seek(s, i, 1.0f);
        ImGui::PopID();
        ctx.note_item("pipeline.step." + std::to_string(i));
        // A new selection out of sight (restored from the session, reached with the keys or by the
        // animation) is scrolled to the middle of the list; one in sight stays where it is.
        if (i == s.step && s.step != shown_step_) {
            const float top = ImGui::GetWindowPos().y, bottom = top + ImGui::GetWindowHeight();
            if (ImGui::GetItemRectMin().y < top || ImGui::GetItemRectMax().y > bottom) ImGui::SetScrollHereY(0.5f);
            shown_step_ = s.step;
        }
        const float max_x = ImGui::GetItemRectMax().x - 4.0f;
        const std::string head = std::to_string(i) + "  " + step.name;
        draw->AddText(ImVec2(p0.x + 2.0f, p0.y + 1.0f), views::kText, head.c_str());
        shape_draw(draw, ImVec2(p0.x + 2.0f + ImGui::CalcTextSize("00  ").x, p0.y + 1.0f + line), step.shape, diff,
                   max_x);
        const std::string code = views::fit_text(step.code, max_x - p0.x - 2.0f - ImGui::CalcTextSize("00  ").x);
        draw->AddText(ImVec2(p0.x + 2.0f + ImGui::CalcTextSize("00  ").x, p0.y + 1.0f + 2.0f * line),
                      ImGui::GetColorU32(views::kDimText), code.c_str());
        if (ImGui::IsItemHovered()) {
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
            ImGui::TextUnformatted(step.code.c_str());
            ImGui::TextColored(views::kNoteText, "%s", step.change.c_str());
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
    }
    ImGui::EndChild();
    ctx.note_item("pipeline.steps");  // the list's visible rectangle
}

void PipelinePanel::keyboard(AppContext& ctx) {
    Settings& s = ctx.settings;
    const int n = static_cast<int>(ctx.trace->steps.size());
    if (!ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows)) return;
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || ImGui::IsAnyItemActive()) return;
    int delta = 0;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow))) delta -= 1;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow))) delta += 1;
    for (int i = 0; i < io.InputQueueCharacters.Size; ++i) {
        const ImWchar ch = io.InputQueueCharacters[i];
        if (ch == 'k' || ch == 'K') delta -= 1;
        if (ch == 'j' || ch == 'J') delta += 1;
    }
    if (delta == 0) return;
    ctx.player.seek(s, std::clamp(s.step + delta, 0, n - 1), 1.0f);
}

void PipelinePanel::draw_details(AppContext& ctx) {
    const Trace& trace = *ctx.trace;
    const int i = ctx.settings.step;
    const TraceStep& step = trace.steps[static_cast<size_t>(i)];

    ImGui::Text("Step %d: %s", i, step.name.c_str());
    const ShapeDiff& diff = diffs_[static_cast<size_t>(i)];
    shape_text(step.shape, diff, true);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(views::kDimText, "%s", step.code.c_str());
    std::string changed = step.change;
    if (diff.from >= 0)
        changed += "   (from step " + std::to_string(diff.from) + ", " +
                   trace.steps[static_cast<size_t>(diff.from)].name + ")";
    ImGui::TextColored(views::kNoteText, "%s", changed.c_str());
    ImGui::PopTextWrapPos();
    // What the colours of the dimensions mean, only those that occur.
    bool first = true;
    auto legend = [&](const ImVec4& colour, const std::string& text) {
        // On the same line while it fits, else on the next.
        if (!first) {
            ImGui::SameLine();
            if (ImGui::CalcTextSize(text.c_str()).x > ImGui::GetContentRegionAvail().x) ImGui::NewLine();
        }
        first = false;
        ImGui::TextColored(colour, "%s", text.c_str());
    };
    std::vector<std::string> seen;
    for (size_t k = 0; k < diff.changes.size(); ++k) {
        if (diff.changes[k] == DimChange::Same || std::find(seen.begin(), seen.end(), diff.notes[k]) != seen.end())
            continue;
        seen.push_back(diff.notes[k]);
        legend(colour_of(diff.changes[k]), diff.notes[k]);
    }
    for (const std::string& g : diff.gone)
        legend(views::themed(kGoneColour), "- " + g + " (gone)");
    if (first)
        ImGui::TextColored(views::kDimText, diff.from < 0 ? "an input: nothing before it" : "same shape as before");

    ImGui::Separator();
    heat_map_.draw(ctx, i);
}

void PipelinePanel::draw_content(AppContext& ctx) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true)) {
        heat_map_.reset();  // nothing of an older pass is kept
        return;
    }
    // A real model: which layer's steps (the layer slider moves ctx.trace), and the steps before
    // the first layer and after the last (model_pipeline.h).
    if (ctx.real_model()) draw_model_stages(ctx);
    const Trace& trace = *ctx.trace;
    if (pass_ != ctx.pass_id || trace_ != &trace || diffs_.size() != trace.steps.size()) {
        diffs_.clear();
        for (int i = 0; i < static_cast<int>(trace.steps.size()); ++i)
            diffs_.push_back(diff_shapes(trace, i));
        pass_ = ctx.pass_id;
        trace_ = &trace;
    }
    if (trace.steps.empty()) {
        // A saved attention file says why itself (draw_model_stages).
        if (!ctx.real_model() || ctx.model_run->info.family != ModelFamily::SavedAttention)
            ImGui::TextColored(views::kDimText, "This pass recorded no steps.");
        return;
    }
    Settings& s = ctx.settings;
    const int n = static_cast<int>(trace.steps.size());
    s.step = std::clamp(s.step, 0, n - 1);
    keyboard(ctx);
    // The animation's clock.
    const double now = ctx.clock ? ctx.clock() : 0.0;
    if (last_clock_ >= 0.0 && ctx.player.playing()) ctx.player.advance(s, n, std::min(now - last_clock_, 0.1));
    last_clock_ = now;
    if (ctx.player.playing()) ctx.animating = true;

    ImGui::TextColored(views::kDimText, "%s: %zu steps (Up/Down or K/J)", trace.module.c_str(), trace.steps.size());
    views::anim_controls(ctx, "pipeline", /*diagram_toggle=*/true);
    const float avail = ImGui::GetContentRegionAvail().y;
    draw_step_list(ctx, std::floor(std::max(avail * 0.36f, std::min(avail, 160.0f))));
    draw_details(ctx);
}

}  // namespace attn::gui
