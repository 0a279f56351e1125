#include "panels/step_heat_map.h"

#include "panels/view_widgets.h"

#include "imgui_texture.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>

namespace attn::gui {

namespace {

using views::format_exact;
using views::format_value;

// The (h, w) grid of the cross modules' pictures, or {0, 0} (also for a real model: no scene).
std::pair<int64_t, int64_t> picture_grid(const Scene* scene) {
    if (!scene || !is_cross(scene->module.kind) || scene->inputs.x.rank() != 4) return {0, 0};
    return {scene->inputs.x.dim(2), scene->inputs.x.dim(3)};
}

std::string index_text(const TraceStep& step, const std::vector<int64_t>& idx) {
    std::string out = step.name + "[";
    for (size_t d = 0; d < idx.size(); ++d) {
        if (d) out += ", ";
        const std::string name = d < step.shape.names.size() ? step.shape.names[d] : "?";
        out += name + "=" + (idx[d] < 0 ? std::string("mean") : std::to_string(idx[d]));
    }
    return out + "]";
}

std::string dim_name(const TraceStep& step, int d) {
    return d >= 0 && d < static_cast<int>(step.shape.names.size()) ? step.shape.names[static_cast<size_t>(d)]
                                                                   : std::string("-");
}

}  // namespace

void StepHeatMap::make_tensor(AppContext& ctx, int index) {
    reset();
    pass_ = ctx.pass_id;
    trace_ = ctx.trace.get();
    step_ = index;
    const TraceStep& step = ctx.trace->steps[static_cast<size_t>(index)];
    // A full-resolution pass has steps of hundreds of MB ([3, 8, 135300, 64]): those are not
    // made here, on the window's thread; the CLI's --dump writes them.
    const int64_t values = shape_numel(step.shape.sizes);
    if (values > kMaxPipelineStepValues) {
        error_ = "the tensor has " + std::to_string(values) + " values (" + std::to_string(values * 4 / (1024 * 1024)) +
                 " MiB), too many to show here; attnscope-cli run --dump DIR --steps " + step.name + " writes it";
        return;
    }
    // The closure reads the trace, which the job keeps alive past a pass that replaces it.
    job_.start([trace = ctx.trace, index] { return trace->steps[static_cast<size_t>(index)].tensor(); });
    take_made_tensor(kStepMadeWithinFrame);
}

void StepHeatMap::publish(AppContext& ctx, const TraceStep& step) const {
    nlohmann::json j;
    j["step"] = step.name;
    j["making"] = job_.pending();
    j["error"] = error_;
    j["shown"] = have_slice_;
    if (have_slice_) j["range"] = {slice_.range_lo, slice_.range_hi};
    ctx.probes["pipeline"] = j.dump();
}

void StepHeatMap::take_made_tensor(std::chrono::milliseconds wait) {
    std::optional<BackgroundJob<Tensor>::Outcome> made = job_.take_within(wait);
    if (!made) return;
    if (made->value)
        tensor_ = std::move(*made->value);
    else
        error_ = made->error;
}

SliceChoice StepHeatMap::choice(const AppContext& ctx) const {
    SliceChoice c;
    c.batch = ctx.settings.batch;
    c.head = ctx.settings.head;
    c.other = other_index_;
    c.fold = fold_;
    c.fold_index = fold_index_;
    std::tie(c.grid_h, c.grid_w) = picture_grid(ctx.scene.get());
    return c;
}

void StepHeatMap::draw(AppContext& ctx, int index) {
    if (pass_ != ctx.pass_id || trace_ != ctx.trace.get() || step_ != index) {
        const std::string posted = posted_error_;
        make_tensor(ctx, index);
        posted_error_ = posted;
    }
    const TraceStep& step = ctx.trace->steps[static_cast<size_t>(index)];
    if (job_.pending()) take_made_tensor(std::chrono::milliseconds(0));
    if (ctx.testing()) publish(ctx, step);
    if (job_.pending()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(views::kNoteText, "Making %s %s (%.0f MiB): it is computed when asked ...",
                           step.name.c_str(), step.shape.to_string().c_str(),
                           static_cast<double>(shape_numel(step.shape.sizes)) * 4.0 / (1024.0 * 1024.0));
        ImGui::PopTextWrapPos();
        ctx.note_item("pipeline.making");
        return;
    }
    if (!error_.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.42f, 0.42f, 1.0f), "Not shown: %s", error_.c_str());
        ImGui::PopTextWrapPos();
        if (error_ != posted_error_) {
            ctx.error("Pipeline, step " + step.name + ": " + error_);
            posted_error_ = error_;
        }
        return;
    }
    if (tensor_.rank() == 0 || tensor_.numel() == 0) {
        ImGui::TextColored(views::kDimText, "(no values)");
        return;
    }
    draw_controls(ctx, step);
    const SliceChoice wanted = choice(ctx);
    if (!have_slice_ || wanted != slice_choice_) {
        slice_ = make_step_slice(step, tensor_, ctx.trace->fill, wanted);
        slice_choice_ = wanted;
        have_slice_ = true;
        ++version_;
    }
    // What the axes of the heat map are.
    const StepSlice& sl = slice_;
    std::string axes;
    if (sl.folded)
        axes = "rows h, columns w: " + dim_name(step, sl.fold_dim) + " folded into the picture's grid";
    else if (sl.row_dim >= 0)
        axes = "rows: " + dim_name(step, sl.row_dim) + " (" +
               std::to_string(tensor_.shape[static_cast<size_t>(sl.row_dim)]) +
               "), columns: " + dim_name(step, sl.col_dim) + " (" +
               std::to_string(tensor_.shape[static_cast<size_t>(sl.col_dim)]) + ")";
    else
        axes = "columns: " + dim_name(step, sl.col_dim);
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(axes, ImGui::GetContentRegionAvail().x).c_str());
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float below = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + ImGui::GetTextLineHeightWithSpacing() * 2.0f +
                        ImGui::GetStyle().ItemSpacing.y * 2.0f;
    draw_map(ctx, step, ImVec2(avail.x, std::max(avail.y - below, 16.0f)));
}

void StepHeatMap::draw_controls(AppContext& ctx, const TraceStep& step) {
    Settings& s = ctx.settings;
    const int rank = tensor_.rank();
    const float font = ImGui::GetFontSize();
    bool any = false;
    for (int d = 0; d < std::max(0, rank - 2); ++d) {
        const std::string name = d < static_cast<int>(step.shape.names.size())
                                     ? step.shape.names[static_cast<size_t>(d)]
                                     : "dim " + std::to_string(d);
        const int size = static_cast<int>(tensor_.shape[static_cast<size_t>(d)]);
        if (any) ImGui::SameLine();
        any = true;
        ImGui::PushID(d);
        ImGui::SetNextItemWidth(font * 5.0f);
        if (name == "b") {
            int b = std::clamp(s.batch, 0, size - 1);
            if (ImGui::SliderInt("b", &b, 0, size - 1)) s.batch = b;
            ctx.note_item("pipeline.batch");
        } else if (name == "heads") {
            int h = s.head < 0 ? -1 : std::clamp(s.head, 0, size - 1);
            if (ImGui::SliderInt("head", &h, -1, size - 1, h < 0 ? "mean" : "%d")) s.head = h;
            ctx.note_item("pipeline.head");
        } else {
            int v = static_cast<int>(std::clamp<int64_t>(other_index_[name], 0, size - 1));
            ImGui::SliderInt(name.c_str(), &v, 0, size - 1);
            other_index_[name] = v;
            ctx.note_item("pipeline.index." + name);
        }
        ImGui::PopID();
    }
    const auto [gh, gw] = picture_grid(ctx.scene.get());
    const int hw = foldable_dimension(step, tensor_, gh, gw);
    if (hw < 0) return;
    const int other = hw == rank - 1 ? rank - 2 : rank - 1;
    if (any) ImGui::SameLine();
    ImGui::Checkbox("as picture", &fold_);
    ctx.note_item("pipeline.fold");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Fold h*w back into the %lld x %lld grid and show one %s as a picture",
                          static_cast<long long>(gh), static_cast<long long>(gw),
                          step.shape.names[static_cast<size_t>(other)].c_str());
    if (fold_) {
        const int size = static_cast<int>(tensor_.shape[static_cast<size_t>(other)]);
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 5.0f);
        fold_index_ = std::clamp(fold_index_, 0, size - 1);
        ImGui::SliderInt(step.shape.names[static_cast<size_t>(other)].c_str(), &fold_index_, 0, size - 1);
        ctx.note_item("pipeline.fold_index");
    }
}

void StepHeatMap::draw_map(AppContext& ctx, const TraceStep& step, ImVec2 box) {
    const StepSlice& sl = slice_;
    if (sl.rows < 1 || sl.cols < 1 || box.x < 8.0f || box.y < 8.0f) return;
    const float rows = static_cast<float>(sl.rows), cols = static_cast<float>(sl.cols);
    // Square cells when the slice fits that way; otherwise each axis stretched on its own, so a
    // [1600, 5] strip is still five readable columns.
    const float cx = std::min(box.x / cols, 48.0f), cy = std::min(box.y / rows, 48.0f);
    const float cell = std::min(cx, cy);
    float w = cell * cols, h = cell * rows;
    // Only a strip (one side at least 4 times the other) is stretched; anything squarer, like a
    // folded picture, keeps square cells.
    if (w < std::min(box.x, 200.0f) && rows >= 4.0f * cols) w = std::min(box.x, cols * 48.0f);
    if (h < std::min(box.y, 120.0f) && cols >= 4.0f * rows) h = std::min(box.y, rows * 48.0f);
    w = std::floor(std::max(w, 1.0f));
    h = std::floor(std::max(h, 1.0f));

    const Colormap cmap = ctx.settings.colormap;
    const MapRange range{sl.range_lo, sl.range_hi};
    const gl::Texture& texture = ctx.maps->array_texture("pipeline", version_, sl.values.data(), sl.rows, sl.cols,
                                                         range, cmap, static_cast<int>(w), static_cast<int>(h));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    gl::image_upright(texture, ImVec2(w, h));
    ctx.note_item("pipeline.heatmap");
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int col = std::clamp(static_cast<int>((mouse.x - p0.x) / w * cols), 0, sl.cols - 1);
        const int row = std::clamp(static_cast<int>((mouse.y - p0.y) / h * rows), 0, sl.rows - 1);
        const float cw = w / cols, ch = h / rows;
        if (cw >= 3.0f && ch >= 3.0f)
            ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + col * cw, p0.y + row * ch),
                                                ImVec2(p0.x + (col + 1) * cw, p0.y + (row + 1) * ch),
                                                views::kHoverFrame);
        const auto [gh, gw] = picture_grid(ctx.scene.get());
        const std::vector<int64_t> idx = sl.index_of(row, col);
        const float v = sl.values[static_cast<size_t>(row) * static_cast<size_t>(sl.cols) + static_cast<size_t>(col)];
        // A score cell of the pass opens the Q·K inspector on it.
        const bool score_step =
            step.name == "scores" || step.name == "scaled" || step.name == "masked" || step.name == "softmax";
        if (score_step && idx.size() >= 3 && !sl.folded && ImGui::IsItemClicked()) {
            int b = 0, h = 0;
            for (size_t d = 0; d + 2 < idx.size() && d < step.shape.names.size(); ++d) {
                if (step.shape.names[d] == "b") b = static_cast<int>(std::max<int64_t>(idx[d], 0));
                if (step.shape.names[d] == "heads") h = static_cast<int>(std::max<int64_t>(idx[d], 0));
            }
            ctx.settings.inspect_cell = {b, h, static_cast<int>(idx[idx.size() - 2]), static_cast<int>(idx.back())};
        }
        ImGui::BeginTooltip();
        ImGui::TextUnformatted(index_text(step, idx).c_str());
        if (step.dtype == DType::Bool)
            ImGui::Text("= %s", v != 0.0f ? "True" : "False");
        else
            ImGui::Text("= %s", format_exact(v).c_str());
        // Which pixel an h*w index is.
        for (size_t d = 0; d < idx.size() && gw > 0; ++d)
            if (d < step.shape.names.size() && step.shape.names[d] == "h*w")
                ImGui::TextColored(views::kDimText, "h*w = %lld is pixel (row %lld, col %lld) of the %lld x %lld grid",
                                   static_cast<long long>(idx[d]), static_cast<long long>(idx[d] / gw),
                                   static_cast<long long>(idx[d] % gw), static_cast<long long>(gh),
                                   static_cast<long long>(gw));
        if (step.name == "masked" && v == ctx.trace->fill)
            ImGui::TextColored(views::kNoteText, "a padding key: masked_fill wrote %s here",
                               std::isinf(ctx.trace->fill) ? "-inf" : "-1e9");
        if (std::isnan(v))
            ImGui::TextColored(views::kNoteText,
                               "NaN: every key of this row is padding; with -inf the softmax is 0/0 = NaN, as in "
                               "PyTorch; -1e9 gives a uniform row.");
        if (score_step && !sl.folded) ImGui::TextColored(views::kDimText, "click: open the Q·K inspector on this cell");
        ImGui::EndTooltip();
    }
    // Min and max of the slice, and the colorbar.
    views::colorbar(*ctx.maps, cmap, range, std::min(w, 320.0f), step.dtype == DType::Bool ? "False .. True" : "value");
    std::string stats = sl.has_finite ? "min " + format_value(sl.min) + ", max " + format_value(sl.max)
                                      : std::string("no finite value");
    if (sl.fill_left_out)
        stats += "; colours leave out the fill " + std::string(std::isinf(ctx.trace->fill) ? "-inf" : "-1e9");
    if (sl.nan_count > 0) stats += "; " + std::to_string(sl.nan_count) + " NaN (magenta)";
    if (sl.row_stride > 1 || sl.col_stride > 1)
        stats += "; 1 row/column in " + std::to_string(std::max(sl.row_stride, sl.col_stride)) + " shown";
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(views::kDimText, "%s", stats.c_str());
    ImGui::PopTextWrapPos();
}

}  // namespace attn::gui
