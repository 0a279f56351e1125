#include "pipeline_panel.h"

#include "view_widgets.h"

#include "errors.h"
#include "imgui_texture.h"

#include <imgui.h>
#include <imgui_internal.h>  // ErrorCheckEndWindowRecover

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

using views::format_exact;
using views::format_value;

// What happened to a dimension, compared with the step the tensor comes from.
enum class DimKind { Same, Moved, New, Resized };

const ImVec4 kNewColour(1.00f, 0.66f, 0.25f, 1.0f);      // split, flattened, added
const ImVec4 kMovedColour(0.45f, 0.76f, 1.00f, 1.0f);    // same dimension, another place
const ImVec4 kResizedColour(1.00f, 0.90f, 0.35f, 1.0f);  // same name, another size
const ImVec4 kGoneColour(1.00f, 0.45f, 0.45f, 1.0f);     // contracted, reduced, merged
const ImVec4 kSameColour(0.86f, 0.86f, 0.88f, 1.0f);

constexpr int kMaxShownSide = 2048;                       // longer slices are shown every n-th row / column

ImVec4 colour_of(DimKind kind) {
    switch (kind) {
        case DimKind::New:
            return kNewColour;
        case DimKind::Moved:
            return kMovedColour;
        case DimKind::Resized:
            return kResizedColour;
        case DimKind::Same:
            break;
    }
    return kSameColour;
}

struct ShapeDiff {
    int from = -1;                   // index of the step compared with; -1: an input
    std::vector<DimKind> kinds;      // per dimension of the step
    std::vector<std::string> notes;  // per dimension: why it is coloured
    std::vector<std::string> gone;   // dimensions of `from` that are not here, with why
};

int find_step(const Trace& trace, const std::string& name, int before) {
    for (int i = before - 1; i >= 0; --i)
        if (trace.steps[static_cast<size_t>(i)].name == name) return i;
    return -1;
}

// The step a step's tensor is made from: mostly the one before, but the seed computes q, k and v
// side by side, and the mask steps sit between the scores and the masking.
int predecessor(const Trace& trace, int i) {
    const TraceStep& s = trace.steps[static_cast<size_t>(i)];
    if (s.change.rfind("input", 0) == 0) return -1;
    auto first_of = [&](std::initializer_list<const char*> names) {
        for (const char* n : names) {
            const int j = find_step(trace, n, i);
            if (j >= 0) return j;
        }
        return -1;
    };
    int j = -1;
    if (s.name == "q_heads")
        j = first_of({"q"});
    else if (s.name == "k_heads")
        j = first_of({"k"});
    else if (s.name == "v_heads")
        j = first_of({"v"});
    else if (s.name == "q")
        j = first_of({"flatten"});
    else if (s.name == "k" || s.name == "v")
        j = first_of({"context"});
    else if (s.name == "scores")
        j = first_of({"q_heads", "q"});
    else if (s.name == "masked")
        j = first_of({"scaled"});
    else if (s.name == "softmax")
        j = first_of({"masked", "scaled"});
    else if (s.name == "weighted_sum")
        j = first_of({"softmax"});
    else if (s.name == "pad_mask_expanded")
        j = first_of({"pad_mask"});
    else if (s.name == "pad_mask_heads")
        j = first_of({"pad_mask_expanded"});
    if (j < 0 && (s.name == "q" || s.name == "k" || s.name == "v")) j = 0;  // self-attention: from x
    return j >= 0 ? j : i - 1;
}

std::vector<std::string> split_product(const std::string& name) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t star = name.find('*'); star != std::string::npos; star = name.find('*', start)) {
        parts.push_back(name.substr(start, star - start));
        start = star + 1;
    }
    parts.push_back(name.substr(start));
    return parts;
}

ShapeDiff diff_shapes(const Trace& trace, int i) {
    ShapeDiff d;
    const NamedShape& cur = trace.steps[static_cast<size_t>(i)].shape;
    d.kinds.assign(cur.names.size(), DimKind::Same);
    d.notes.assign(cur.names.size(), "");
    d.from = i > 0 ? predecessor(trace, i) : -1;
    if (d.from < 0) {
        for (std::string& n : d.notes)
            n = "an input of the module";
        return d;
    }
    const NamedShape& prev = trace.steps[static_cast<size_t>(d.from)].shape;
    auto index_in = [](const NamedShape& s, const std::string& name) {
        const auto it = std::find(s.names.begin(), s.names.end(), name);
        return it == s.names.end() ? -1 : static_cast<int>(it - s.names.begin());
    };
    // Match each dimension with one of the same name before: counted from the end first (as
    // broadcasting and unsqueeze/expand line shapes up: [b, seq] -> [b, seq, seq] adds the query
    // dimension in the middle), then from the start, then the first one of that name not matched
    // yet (a name can occur twice, as seq in [b, seq, seq]).
    std::vector<int> match(cur.names.size(), -1);
    std::vector<bool> used(prev.names.size(), false);
    const size_t nc = cur.names.size(), np = prev.names.size();
    for (size_t back = 1; back <= std::min(nc, np); ++back)
        if (cur.names[nc - back] == prev.names[np - back]) {
            match[nc - back] = static_cast<int>(np - back);
            used[np - back] = true;
        }
    for (size_t k = 0; k < std::min(nc, np); ++k)
        if (match[k] < 0 && !used[k] && prev.names[k] == cur.names[k]) {
            match[k] = static_cast<int>(k);
            used[k] = true;
        }
    for (size_t k = 0; k < nc; ++k) {
        if (match[k] >= 0) continue;
        for (size_t jj = 0; jj < np; ++jj)
            if (!used[jj] && prev.names[jj] == cur.names[k]) {
                match[k] = static_cast<int>(jj);
                used[jj] = true;
                break;
            }
    }
    std::vector<int> fresh;
    for (size_t k = 0; k < cur.names.size(); ++k) {
        const int j = match[k];
        if (j < 0) {
            d.kinds[k] = DimKind::New;
            fresh.push_back(static_cast<int>(k));
        } else if (prev.sizes[static_cast<size_t>(j)] != cur.sizes[k]) {
            d.kinds[k] = DimKind::Resized;
            d.notes[k] = cur.names[k] + " was " + std::to_string(prev.sizes[static_cast<size_t>(j)]);
        } else if (j != static_cast<int>(k)) {
            d.kinds[k] = DimKind::Moved;
            d.notes[k] = cur.names[k] + " moved from place " + std::to_string(j) + " to " + std::to_string(k);
        }
    }
    std::vector<std::string> vanished;
    for (size_t j = 0; j < prev.names.size(); ++j)
        if (!used[j]) vanished.push_back(prev.names[j]);

    std::vector<bool> explained(vanished.size(), false);
    // Flattened: a new "h*w" whose parts were dimensions before.
    for (int k : fresh) {
        const std::vector<std::string> parts = split_product(cur.names[static_cast<size_t>(k)]);
        if (parts.size() < 2) continue;
        bool all = true;
        for (const std::string& p : parts)
            all = all && index_in(prev, p) >= 0;
        if (!all) continue;
        std::string list;
        for (size_t p = 0; p < parts.size(); ++p)
            list += (p ? " and " : "") + parts[p];
        d.notes[static_cast<size_t>(k)] = list + " flattened into " + cur.names[static_cast<size_t>(k)];
        for (size_t v = 0; v < vanished.size(); ++v)
            if (std::find(parts.begin(), parts.end(), vanished[v]) != parts.end()) explained[v] = true;
    }
    // Split: new dimensions whose sizes multiply to the size of one that is gone (emb -> heads x depth).
    if (fresh.size() >= 2)
        for (size_t v = 0; v < vanished.size(); ++v) {
            const int64_t size = prev.sizes[static_cast<size_t>(index_in(prev, vanished[v]))];
            int64_t product = 1;
            std::string list;
            for (int k : fresh) {
                product *= cur.sizes[static_cast<size_t>(k)];
                list += (list.empty() ? "" : " x ") + cur.names[static_cast<size_t>(k)];
            }
            if (product != size) continue;
            for (int k : fresh)
                d.notes[static_cast<size_t>(k)] = vanished[v] + " split into " + list;
            explained[v] = true;
            break;
        }
    // Unflattened: a gone "h*w" whose parts are new.
    for (size_t v = 0; v < vanished.size(); ++v) {
        const std::vector<std::string> parts = split_product(vanished[v]);
        if (parts.size() < 2) continue;
        bool all = true;
        for (const std::string& p : parts)
            all = all && index_in(cur, p) >= 0;
        if (!all) continue;
        for (const std::string& p : parts)
            d.notes[static_cast<size_t>(index_in(cur, p))] = vanished[v] + " unflattened";
        explained[v] = true;
    }
    for (int k : fresh)
        if (d.notes[static_cast<size_t>(k)].empty())
            d.notes[static_cast<size_t>(k)] = "new: " + cur.names[static_cast<size_t>(k)];
    // Only the unexplained ones are listed as gone; the new dimensions tell the rest.
    for (size_t v = 0; v < vanished.size(); ++v)
        if (!explained[v]) d.gone.push_back(vanished[v]);
    return d;
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
    piece("[", kSameColour, "");
    for (size_t k = 0; k < n; ++k)
        piece(shape.names[k] + (k + 1 < n ? ", " : ""), colour_of(diff.kinds[k]), diff.notes[k]);
    piece("] = [", kSameColour, "");
    for (size_t k = 0; k < n; ++k)
        piece(std::to_string(shape.sizes[k]) + (k + 1 < n ? ", " : ""), colour_of(diff.kinds[k]), diff.notes[k]);
    ImGui::TextColored(kSameColour, "]");
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
    put("[", kSameColour);
    for (size_t k = 0; k < n; ++k)
        put(shape.names[k] + (k + 1 < n ? ", " : ""), colour_of(diff.kinds[k]));
    put("] = [", kSameColour);
    for (size_t k = 0; k < n; ++k)
        put(std::to_string(shape.sizes[k]) + (k + 1 < n ? ", " : ""), colour_of(diff.kinds[k]));
    put("]", kSameColour);
}

// --- The selected step's tensor, produced on demand and kept for that step only.

struct Slice {
    std::vector<float> values;  // [rows, cols]
    int rows = 0, cols = 0;
    int row_stride = 1, col_stride = 1;
    // Where cell (r, c) is in the tensor: index of every dimension.
    std::vector<int64_t> base;  // leading indices (-1: mean over that dimension)
    int row_dim = -1, col_dim = -1;
    bool folded = false;  // rows x cols = h x w of the h*w dimension
    int fold_dim = -1;    // the h*w dimension
    int fold_other = -1;  // the other shown dimension, fixed at fold_index
    int64_t fold_index = 0;
    float lo = 0, hi = 0;    // finite min / max (the fill of masked_fill left out)
    float min = 0, max = 0;  // finite min / max of everything
    bool fill_left_out = false;
    bool has_finite = false;
    int nan_count = 0;
    MapRange range;
};

struct StepCache {
    std::shared_ptr<const Trace> trace;
    int step = -1;
    Tensor tensor;
    std::string error;
    std::string slice_key;
    Slice slice;
    uint64_t version = 0;
    std::map<std::string, int> other_index;  // slider of each leading dimension that is not b or heads
    bool fold = false;
    int fold_index = 0;
    int scroll_to = -1;  // list row to bring into view
    std::string last_posted_error;
};

StepCache& cache() {
    static StepCache c;
    return c;
}

int64_t flat_index(const Tensor& t, const std::vector<int64_t>& idx) {
    int64_t flat = 0;
    for (size_t d = 0; d < idx.size(); ++d)
        flat = flat * t.shape[d] + idx[d];
    return flat;
}

// Value at `idx`; -1 in a leading dimension averages over it (the mean over heads).
float value_at(const Tensor& t, std::vector<int64_t> idx) {
    for (size_t d = 0; d < idx.size(); ++d)
        if (idx[d] < 0) {
            double sum = 0.0;
            for (int64_t k = 0; k < t.shape[d]; ++k) {
                idx[d] = k;
                sum += value_at(t, idx);
            }
            return static_cast<float>(sum / static_cast<double>(t.shape[d]));
        }
    return t.data[static_cast<size_t>(flat_index(t, idx))];
}

// The tensor index of cell (r, c) of the slice.
std::vector<int64_t> cell_index(const Slice& s, const Tensor& t, int r, int c, int grid_w) {
    std::vector<int64_t> idx = s.base;
    idx.resize(static_cast<size_t>(t.rank()), 0);
    if (s.folded) {
        const int64_t pixel = static_cast<int64_t>(r * s.row_stride) * grid_w + c * s.col_stride;
        idx[static_cast<size_t>(s.fold_dim)] = pixel;
        idx[static_cast<size_t>(s.fold_other)] = s.fold_index;
    } else {
        if (s.row_dim >= 0) idx[static_cast<size_t>(s.row_dim)] = static_cast<int64_t>(r) * s.row_stride;
        if (s.col_dim >= 0) idx[static_cast<size_t>(s.col_dim)] = static_cast<int64_t>(c) * s.col_stride;
    }
    return idx;
}

// The values of every cell of the slice (up to kMaxShownSide^2 of them), read through the
// tensor's strides: value_at(cell_index(...)) builds two index vectors per cell, which made this
// the slowest part of choosing a step of a few thousand tokens.
void fill_slice(Slice& s, const Tensor& t, int grid_w) {
    s.values.resize(static_cast<size_t>(s.rows) * static_cast<size_t>(s.cols));
    const int rank = t.rank();
    std::vector<int64_t> stride(static_cast<size_t>(rank), 1);
    for (int d = rank - 2; d >= 0; --d)
        stride[static_cast<size_t>(d)] = stride[static_cast<size_t>(d + 1)] * t.shape[static_cast<size_t>(d + 1)];
    // Cell (0, 0): its offset, and the dimension averaged over (the mean over heads), if any.
    const std::vector<int64_t> first = cell_index(s, t, 0, 0, grid_w);
    int64_t base = 0;
    int mean_dim = -1, means = 0;
    for (int d = 0; d < rank; ++d) {
        if (first[static_cast<size_t>(d)] < 0) {
            mean_dim = d;
            ++means;
        } else {
            base += first[static_cast<size_t>(d)] * stride[static_cast<size_t>(d)];
        }
    }
    for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
            float& out = s.values[static_cast<size_t>(r) * static_cast<size_t>(s.cols) + static_cast<size_t>(c)];
            if (means > 1) {  // never from the controls (only heads has a mean), but kept right
                out = value_at(t, cell_index(s, t, r, c, grid_w));
                continue;
            }
            int64_t at = base;
            if (s.folded) {
                const int64_t pixel = static_cast<int64_t>(r * s.row_stride) * grid_w + c * s.col_stride;
                at += pixel * stride[static_cast<size_t>(s.fold_dim)];
            } else {
                if (s.row_dim >= 0)
                    at += static_cast<int64_t>(r) * s.row_stride * stride[static_cast<size_t>(s.row_dim)];
                if (s.col_dim >= 0)
                    at += static_cast<int64_t>(c) * s.col_stride * stride[static_cast<size_t>(s.col_dim)];
            }
            if (mean_dim < 0) {
                out = t.data[static_cast<size_t>(at)];
                continue;
            }
            // As value_at: summed in double in index order, then divided.
            const int64_t n = t.shape[static_cast<size_t>(mean_dim)];
            double sum = 0.0;
            for (int64_t k = 0; k < n; ++k)
                sum += t.data[static_cast<size_t>(at + k * stride[static_cast<size_t>(mean_dim)])];
            out = static_cast<float>(sum / static_cast<double>(n));
        }
}

void finish_range(Slice& s, const Trace& trace, const TraceStep& step) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo, mn = lo, mx = -lo;
    const bool masked_step = step.name == "masked";
    for (float v : s.values) {
        if (std::isnan(v)) ++s.nan_count;
        if (!std::isfinite(v)) continue;
        mn = std::min(mn, v);
        mx = std::max(mx, v);
        if (masked_step && v == trace.fill) {
            s.fill_left_out = true;
            continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    s.has_finite = mn <= mx;
    s.min = mn <= mx ? mn : 0.0f;
    s.max = mn <= mx ? mx : 0.0f;
    s.lo = lo <= hi ? lo : s.min;
    s.hi = lo <= hi ? hi : s.max;
    if (step.dtype == DType::Bool)
        s.range = {0.0f, 1.0f};
    else
        s.range = {s.lo, s.hi};
}

}  // namespace

namespace {

// The (h, w) grid of the cross modules' pictures, or {0, 0}.
std::pair<int64_t, int64_t> picture_grid(const Scene& scene) {
    if (!is_cross(scene.module.kind) || scene.inputs.x.rank() != 4) return {0, 0};
    return {scene.inputs.x.dim(2), scene.inputs.x.dim(3)};
}

void draw_step_list(AppContext& ctx, float height) {
    Settings& s = ctx.settings;
    const Trace& trace = *ctx.trace;
    StepCache& c = cache();
    ImGui::BeginChild("##steps", ImVec2(0.0f, height), true);
    const float line = ImGui::GetTextLineHeight();
    const float row_h = line * 3.0f + 4.0f;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    for (int i = 0; i < static_cast<int>(trace.steps.size()); ++i) {
        const TraceStep& step = trace.steps[static_cast<size_t>(i)];
        const ShapeDiff diff = diff_shapes(trace, i);
        ImGui::PushID(i);
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        if (ImGui::Selectable("##step", i == s.step, 0, ImVec2(0.0f, row_h))) s.step = i;
        ImGui::PopID();
        ctx.note_item("pipeline.step." + std::to_string(i));
        if (i == c.scroll_to) {
            ImGui::SetScrollHereY(0.5f);
            c.scroll_to = -1;
        }
        const float max_x = ImGui::GetItemRectMax().x - 4.0f;
        const std::string head = std::to_string(i) + "  " + step.name;
        draw->AddText(ImVec2(p0.x + 2.0f, p0.y + 1.0f), IM_COL32_WHITE, head.c_str());
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
}

void keyboard(AppContext& ctx) {
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
    s.step = std::clamp(s.step + delta, 0, n - 1);
    cache().scroll_to = s.step;
}

// Builds the slice shown for the selected step under the current choices; true when it changed.
bool update_slice(AppContext& ctx, const TraceStep& step) {
    StepCache& c = cache();
    Settings& s = ctx.settings;
    const Tensor& t = c.tensor;
    const int rank = t.rank();
    const auto [gh, gw] = picture_grid(*ctx.scene);

    Slice sl;
    // Leading dimensions: all but the last two.
    const int lead = std::max(0, rank - 2);
    for (int d = 0; d < lead; ++d) {
        const std::string& name =
            d < static_cast<int>(step.shape.names.size()) ? step.shape.names[static_cast<size_t>(d)] : "";
        const int64_t size = t.shape[static_cast<size_t>(d)];
        int64_t index = 0;
        if (name == "b")
            index = std::clamp<int64_t>(s.batch, 0, size - 1);
        else if (name == "heads")
            index = s.head < 0 ? -1 : std::clamp<int64_t>(s.head, 0, size - 1);
        else
            index = std::clamp<int64_t>(c.other_index[name], 0, size - 1);
        sl.base.push_back(index);
    }
    if (rank >= 2) {
        sl.row_dim = rank - 2;
        sl.col_dim = rank - 1;
    } else if (rank == 1) {
        sl.col_dim = 0;
    }
    // Fold h*w back into the picture's grid when asked.
    int hw_dim = -1;
    for (int d = std::max(0, rank - 2); d < rank; ++d)
        if (d < static_cast<int>(step.shape.names.size()) && step.shape.names[static_cast<size_t>(d)] == "h*w" &&
            gh * gw == t.shape[static_cast<size_t>(d)])
            hw_dim = d;
    if (c.fold && hw_dim >= 0 && rank >= 2) {
        sl.folded = true;
        sl.fold_dim = hw_dim;
        sl.fold_other = hw_dim == rank - 1 ? rank - 2 : rank - 1;
        sl.fold_index = std::clamp<int64_t>(c.fold_index, 0, t.shape[static_cast<size_t>(sl.fold_other)] - 1);
    }

    std::string key = step.name + "|" + std::to_string(sl.folded) + "|" + std::to_string(sl.fold_index);
    for (int64_t i : sl.base)
        key += "," + std::to_string(i);
    if (key == c.slice_key) return false;
    c.slice_key = key;

    const int64_t full_rows = sl.folded ? gh : (sl.row_dim >= 0 ? t.shape[static_cast<size_t>(sl.row_dim)] : 1);
    const int64_t full_cols = sl.folded ? gw : (sl.col_dim >= 0 ? t.shape[static_cast<size_t>(sl.col_dim)] : 1);
    sl.row_stride = static_cast<int>((full_rows + kMaxShownSide - 1) / kMaxShownSide);
    sl.col_stride = static_cast<int>((full_cols + kMaxShownSide - 1) / kMaxShownSide);
    sl.rows = static_cast<int>((full_rows + sl.row_stride - 1) / sl.row_stride);
    sl.cols = static_cast<int>((full_cols + sl.col_stride - 1) / sl.col_stride);
    fill_slice(sl, t, static_cast<int>(gw));
    finish_range(sl, *ctx.trace, step);
    c.slice = std::move(sl);
    ++c.version;
    return true;
}

void draw_slice_controls(AppContext& ctx, const TraceStep& step) {
    StepCache& c = cache();
    Settings& s = ctx.settings;
    const Tensor& t = c.tensor;
    const int rank = t.rank();
    const float font = ImGui::GetFontSize();
    bool any = false;
    for (int d = 0; d < std::max(0, rank - 2); ++d) {
        const std::string name = d < static_cast<int>(step.shape.names.size())
                                     ? step.shape.names[static_cast<size_t>(d)]
                                     : "dim " + std::to_string(d);
        const int size = static_cast<int>(t.shape[static_cast<size_t>(d)]);
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
            int& v = c.other_index[name];
            v = std::clamp(v, 0, size - 1);
            ImGui::SliderInt(name.c_str(), &v, 0, size - 1);
            ctx.note_item("pipeline.index." + name);
        }
        ImGui::PopID();
    }
    const auto [gh, gw] = picture_grid(*ctx.scene);
    for (int d = std::max(0, rank - 2); d < rank && rank >= 2; ++d) {
        if (d >= static_cast<int>(step.shape.names.size()) || step.shape.names[static_cast<size_t>(d)] != "h*w" ||
            gh * gw != t.shape[static_cast<size_t>(d)])
            continue;
        if (any) ImGui::SameLine();
        ImGui::Checkbox("as picture", &c.fold);
        ctx.note_item("pipeline.fold");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Fold h*w back into the %lld x %lld grid and show one %s as a picture",
                              static_cast<long long>(gh), static_cast<long long>(gw),
                              step.shape.names[static_cast<size_t>(d == rank - 1 ? rank - 2 : rank - 1)].c_str());
        if (c.fold) {
            const int other = d == rank - 1 ? rank - 2 : rank - 1;
            const int size = static_cast<int>(t.shape[static_cast<size_t>(other)]);
            ImGui::SameLine();
            ImGui::SetNextItemWidth(font * 5.0f);
            c.fold_index = std::clamp(c.fold_index, 0, size - 1);
            ImGui::SliderInt(step.shape.names[static_cast<size_t>(other)].c_str(), &c.fold_index, 0, size - 1);
            ctx.note_item("pipeline.fold_index");
        }
        break;
    }
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

void draw_heat_map(AppContext& ctx, const TraceStep& step, ImVec2 box) {
    StepCache& c = cache();
    const Slice& sl = c.slice;
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
    const gl::Texture& texture = ctx.maps->array_texture("pipeline", c.version, sl.values.data(), sl.rows, sl.cols,
                                                         sl.range, cmap, static_cast<int>(w), static_cast<int>(h));
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
        const auto [gh, gw] = picture_grid(*ctx.scene);
        const std::vector<int64_t> idx = cell_index(sl, c.tensor, row, col, static_cast<int>(gw));
        const float v = sl.values[static_cast<size_t>(row) * static_cast<size_t>(sl.cols) + static_cast<size_t>(col)];
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
        ImGui::EndTooltip();
    }
    // Min and max of the slice, and the colorbar.
    views::colorbar(*ctx.maps, cmap, sl.range, std::min(w, 320.0f),
                    step.dtype == DType::Bool ? "False .. True" : "value");
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

void draw_details(AppContext& ctx) {
    StepCache& c = cache();
    const Trace& trace = *ctx.trace;
    const int i = ctx.settings.step;
    const TraceStep& step = trace.steps[static_cast<size_t>(i)];

    // The tensor of the selected step only: a new step (or pass) replaces it.
    if (c.trace != ctx.trace || c.step != i) {
        c.trace = ctx.trace;
        c.step = i;
        c.tensor = Tensor();
        c.error.clear();
        c.slice_key.clear();
        c.slice = Slice();
        // A full-resolution pass has steps of hundreds of MB ([3, 8, 135300, 64]): those are not
        // made here, on the window's thread; the CLI's --dump writes them.
        const int64_t values = shape_numel(step.shape.sizes);
        if (values > kMaxPipelineStepValues) {
            c.error = "the tensor has " + std::to_string(values) + " values (" +
                      std::to_string(values * 4 / (1024 * 1024)) +
                      " MiB), too many to show here; attnscope-cli run --dump DIR --steps " + step.name + " writes it";
        } else {
            try {
                c.tensor = step.tensor();
            } catch (const Error& e) {
                c.error = e.what();
            }
        }
    }

    ImGui::Text("Step %d: %s", i, step.name.c_str());
    const ShapeDiff diff = diff_shapes(trace, i);
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
    for (size_t k = 0; k < diff.kinds.size(); ++k) {
        if (diff.kinds[k] == DimKind::Same || std::find(seen.begin(), seen.end(), diff.notes[k]) != seen.end())
            continue;
        seen.push_back(diff.notes[k]);
        legend(colour_of(diff.kinds[k]), diff.notes[k]);
    }
    for (const std::string& g : diff.gone)
        legend(kGoneColour, "- " + g + " (gone)");
    if (first)
        ImGui::TextColored(views::kDimText, diff.from < 0 ? "an input: nothing before it" : "same shape as before");

    ImGui::Separator();
    if (!c.error.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.42f, 0.42f, 1.0f), "Not shown: %s", c.error.c_str());
        ImGui::PopTextWrapPos();
        if (c.error != c.last_posted_error) {
            ctx.error("Pipeline, step " + step.name + ": " + c.error);
            c.last_posted_error = c.error;
        }
        return;
    }
    if (c.tensor.rank() == 0 || c.tensor.numel() == 0) {
        ImGui::TextColored(views::kDimText, "(no values)");
        return;
    }
    draw_slice_controls(ctx, step);
    update_slice(ctx, step);
    // What the axes of the heat map are.
    const Slice& sl = c.slice;
    auto dim_name = [&](int d) {
        return d >= 0 && d < static_cast<int>(step.shape.names.size()) ? step.shape.names[static_cast<size_t>(d)]
                                                                       : std::string("-");
    };
    std::string axes;
    if (sl.folded)
        axes = "rows h, columns w: " + dim_name(sl.fold_dim) + " folded into the picture's grid";
    else if (sl.row_dim >= 0)
        axes = "rows: " + dim_name(sl.row_dim) + " (" +
               std::to_string(c.tensor.shape[static_cast<size_t>(sl.row_dim)]) + "), columns: " + dim_name(sl.col_dim) +
               " (" + std::to_string(c.tensor.shape[static_cast<size_t>(sl.col_dim)]) + ")";
    else
        axes = "columns: " + dim_name(sl.col_dim);
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(axes, ImGui::GetContentRegionAvail().x).c_str());
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float below = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + ImGui::GetTextLineHeightWithSpacing() * 2.0f +
                        ImGui::GetStyle().ItemSpacing.y * 2.0f;
    draw_heat_map(ctx, step, ImVec2(avail.x, std::max(avail.y - below, 16.0f)));
}

}  // namespace

static void draw_pipeline_body(AppContext& ctx) {
    if (!views::pass_ready(ctx)) {
        cache() = StepCache();  // nothing of an older pass is kept
        return;
    }
    const Trace& trace = *ctx.trace;
    if (trace.steps.empty()) {
        ImGui::TextColored(views::kDimText, "This pass recorded no steps.");
        return;
    }
    Settings& s = ctx.settings;
    s.step = std::clamp(s.step, 0, static_cast<int>(trace.steps.size()) - 1);
    keyboard(ctx);

    ImGui::TextColored(views::kDimText, "%s: %zu steps (Up/Down or K/J)", trace.module.c_str(), trace.steps.size());
    const float avail = ImGui::GetContentRegionAvail().y;
    draw_step_list(ctx, std::floor(std::max(avail * 0.36f, std::min(avail, 160.0f))));
    draw_details(ctx);
}

void draw_pipeline_panel(AppContext& ctx) {
    views::guarded_body(ctx, "Pipeline", [&] { draw_pipeline_body(ctx); });
}

}  // namespace attn::gui
