#include "panels/pad_mask_panel.h"

#include "panels/cell_grid.h"
#include "panels/view_widgets.h"

#include "errors.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace attn::gui {

using views::CellLook;
using views::format_exact;
using views::Grid;

namespace {

constexpr int kMaxRowsShown = 12;  // of a tall expansion ([b, h*w, seq]): the rest is "… n more"

std::string step_details(const TraceStep& step) {
    return step.name + " " + step.shape.to_string() + "\n    " + step.code + "\n    " + step.change;
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

std::string more_rows(int shown, int total, const char* what) {
    if (shown >= total) return "";
    return "… " + std::to_string(total - shown) + " more rows (" + what + ")";
}

float weight_at(const Trace& trace, int heads, int b, int h, int64_t q, int64_t k) {
    const Tensor& a = trace.attn();
    const int64_t lq = a.dim(-2), lk = a.dim(-1);
    auto at = [&](int hd) { return a.data[static_cast<size_t>(((b * heads + hd) * lq + q) * lk + k)]; };
    if (h >= 0) return at(h);
    float sum = 0.0f;
    for (int hd = 0; hd < heads; ++hd)
        sum += at(hd) / static_cast<float>(heads);
    return sum;
}

}  // namespace

struct PadMaskPanel::Frame {
    Frame(const Scene& scene, const Trace& trace, const Tensor& pad) : scene(scene), trace(trace), pad(pad) {}

    const Scene& scene;
    const Trace& trace;
    const Tensor& pad;  // pad_mask [b, seq]
    int B = 0, S = 0, b = 0;
    std::string fill_text;  // "-inf" or "-1e9"
    bool row_all_pad = false;
    float avail_h = 0.0f, gap = 0.0f;
    bool has_expansion = false;

    bool is_pad(int i, int k) const { return pad.data[static_cast<size_t>(i * S + k)] != 0.0f; }
    std::string key_label(int k) const { return scene.key_label(b, k); }
    std::string query_label(int q) const { return scene.query_label(b, q); }
};

void PadMaskPanel::find_mask_steps(AppContext& ctx) {
    if (steps_pass_ == ctx.pass_id) return;
    steps_pass_ = ctx.pass_id;
    steps_[0] = steps_[1] = steps_[2] = nullptr;
    pad_mask_ = Tensor();
    steps_error_.clear();
    const char* names[3] = {"pad_mask", "pad_mask_expanded", "pad_mask_heads"};
    try {
        for (int i = 0; i < 3; ++i)
            steps_[i] = ctx.trace->find(names[i]);
        if (steps_[0] != nullptr) pad_mask_ = steps_[0]->tensor();
    } catch (const Error& e) {
        steps_error_ = e.what();
    }
}

void PadMaskPanel::measure_labels(AppContext& ctx, int batch, int batches, int seq) {
    const Scene& scene = *ctx.scene;
    auto longest = [&](int i, bool along_column) {
        float out = 0.0f;
        for (int k = 0; k < seq; ++k) {
            const std::string label = scene.key_label(i, k);
            out = std::max(out, along_column ? views::vertical_length(label) : ImGui::CalcTextSize(label.c_str()).x);
        }
        return out;
    };
    if (labels_pass_ != ctx.pass_id) {
        labels_pass_ = ctx.pass_id;
        labels_batch_ = -1;
        widest_token_ = 0.0f;
        for (int i = 0; i < batches; ++i)
            widest_token_ = std::max(widest_token_, longest(i, false));
    }
    if (labels_batch_ != batch) {
        labels_batch_ = batch;
        longest_key_ = longest(batch, true);
    }
}

void PadMaskPanel::draw_content(AppContext& ctx) {
    if (!views::pass_ready(ctx)) return;
    find_mask_steps(ctx);
    if (!steps_error_.empty()) throw ShapeError("the mask steps could not be made: " + steps_error_);
    if (steps_[0] == nullptr || pad_mask_.rank() != 2) {
        ImGui::TextWrapped("This pass has no pad_mask: no key is padding, so nothing is masked.");
        ImGui::TextColored(views::kDimText, "(Type sentences of different lengths, or load a --pad-mask, to see one.)");
        return;
    }
    Settings& s = ctx.settings;
    Frame f(*ctx.scene, *ctx.trace, pad_mask_);
    f.B = static_cast<int>(pad_mask_.dim(0));
    f.S = static_cast<int>(pad_mask_.dim(1));
    s.batch = std::clamp(s.batch, 0, f.B - 1);
    f.b = s.batch;
    f.fill_text = std::isinf(f.trace.fill) ? "-inf" : "-1e9";
    f.row_all_pad = ctx.maps->all_keys_padding(f.b);  // the same pad_mask, its runs kept per pass

    draw_legend(f);
    ImGui::BeginChild("##cards", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    f.avail_h = ImGui::GetContentRegionAvail().y;
    f.gap = ImGui::GetFontSize() * 0.75f;
    measure_labels(ctx, f.b, f.B, f.S);
    draw_pad_mask_card(ctx, f);
    const float stack_pad = draw_expansion_card(ctx, f);
    f.has_expansion = stack_pad >= 0.0f;
    draw_softmax_card(ctx, f, std::max(stack_pad, 0.0f));
    ImGui::EndChild();
}

// What the mask does, and what the colours mean, on one line.
void PadMaskPanel::draw_legend(const Frame& f) {
    ImGui::TextUnformatted("masked_fill writes");
    ImGui::SameLine(0.0f, 4.0f);
    ImGui::TextColored(views::kNoteText, "%s", f.fill_text.c_str());
    ImGui::SameLine(0.0f, 4.0f);
    ImGui::TextUnformatted("where pad_mask is True.");
    ImGui::SameLine(0.0f, ImGui::GetFontSize());
    auto swatch = [&](ImU32 fill, bool hatched, const char* label) {
        ImDrawList* draw = ImGui::GetWindowDrawList();
        const float h = ImGui::GetTextLineHeight();
        const ImVec2 p0 = ImGui::GetCursorScreenPos(), p1(p0.x + h * 1.4f, p0.y + h);
        draw->AddRectFilled(p0, p1, fill);
        if (hatched) views::hatch(draw, p0, p1, views::kMaskedHatch, 5.0f);
        ImGui::Dummy(ImVec2(h * 1.4f, h));
        ImGui::SameLine();
        ImGui::TextUnformatted(label);
        ImGui::SameLine(0.0f, ImGui::GetFontSize());
    };
    swatch(views::kMaskedFill, true, "True: padding");
    swatch(views::kKeptFill, false, "False: token");
    swatch(views::kNanFill, false, "NaN");
    ImGui::NewLine();
}

// 1. pad_mask [b, seq]: every batch item, the tokens in the cells. Click a row to choose it.
void PadMaskPanel::draw_pad_mask_card(AppContext& ctx, const Frame& f) {
    Grid g;
    g.id = "pad_mask";
    g.rows_total = g.rows_shown = f.B;
    g.cols = f.S;
    g.row_label = [](int i) { return "b" + std::to_string(i); };
    g.col_label = [](int k) { return std::to_string(k); };
    g.widest_row_label = views::widest_of(f.B, g.row_label);
    g.widest_col_label = ImGui::CalcTextSize(std::to_string(f.S - 1).c_str()).x;  // the most digits
    g.widest_text = widest_token_;
    g.selected_row = f.b;
    g.look = [&](int r, int c) {
        CellLook l;
        l.masked = f.is_pad(r, c);
        l.fill = l.masked ? views::kMaskedFill : views::kKeptFill;
        l.text = f.scene.key_label(r, c);
        return l;
    };
    g.tip = [&](int r, int c) {
        std::vector<std::string> lines{"pad_mask[" + std::to_string(r) + ", " + std::to_string(c) +
                                       "] = " + (f.is_pad(r, c) ? "True" : "False")};
        lines.push_back(f.is_pad(r, c) ? quoted(f.scene.key_label(r, c)) + ": padding (input_ids 0)"
                                       : quoted(f.scene.key_label(r, c)) + ": a real token");
        lines.push_back("click to show batch item " + std::to_string(r));
        return lines;
    };
    g.click_row = [&ctx](int r) { ctx.settings.batch = r; };
    const TraceStep& step = *steps_[0];
    // "pad_mask = input_ids.eq(0)" when the line says that; nn.MultiheadAttention's is a parameter.
    const bool assigns = step.code.rfind(step.name + " = ", 0) == 0;
    views::card(ctx, assigns ? step.code : step.name + " (key_padding_mask)", step.shape.to_string(),
                step_details(step), g);
}

// 2. The expansion that masked_fill uses (pad_mask_heads when there is one: the expanded mask
//    repeated over heads), for the chosen batch item: rows are the queries, keys stood up.
//    Returns -1 when the pass has none.
float PadMaskPanel::draw_expansion_card(AppContext& ctx, const Frame& f) {
    const TraceStep* expanded = steps_[2] != nullptr ? steps_[2] : steps_[1];
    const Shape& et = expanded != nullptr ? expanded->shape.sizes : Shape{};  // [b, (heads,) rows, seq]
    if (!(et.size() >= 3 && et.front() == f.B && et.back() == f.S)) return -1.0f;
    const int b = f.b;
    const int heads = et.size() == 4 ? static_cast<int>(et[1]) : 1;
    const int rows = static_cast<int>(et[et.size() - 2]);
    Grid g;
    g.id = "expanded";
    g.rows_total = rows;
    g.stack = heads > 1 ? 2 : 0;
    g.rows_shown = views::rows_that_fit(
        rows, f.avail_h, views::vertical_header_h(longest_key_) + 4.0f * static_cast<float>(g.stack), kMaxRowsShown);
    g.cols = f.S;
    g.col_label = [&f](int k) { return f.key_label(k); };
    g.widest_col_label = longest_key_;
    g.vertical_cols = true;
    g.cell_w = std::max(22.0f, ImGui::GetFontSize() + 6.0f);
    g.max_label_w = 72.0f;
    g.row_label = [&f](int q) { return f.query_label(q); };
    g.widest_row_label = views::widest_of(g.rows_shown, g.row_label);
    // Cell [b, (head,) q, k] of the broadcast is pad_mask[b, k], whatever the head and query.
    g.look = [&f](int, int k) {
        CellLook l;
        l.masked = f.is_pad(f.b, k);
        l.fill = l.masked ? views::kMaskedFill : views::kKeptFill;
        return l;
    };
    const std::string name = expanded->name;
    g.tip = [&f, name, heads, b](int q, int k) {
        const std::string index =
            std::to_string(b) + (heads > 1 ? ", h" : "") + ", " + std::to_string(q) + ", " + std::to_string(k);
        std::vector<std::string> lines{name + "[" + index + "] = " + (f.is_pad(b, k) ? "True" : "False")};
        lines.push_back("query " + quoted(f.query_label(q)) + ", key " + quoted(f.key_label(k)));
        lines.push_back("copied from pad_mask[" + std::to_string(b) + ", " + std::to_string(k) +
                        "]: the mask depends on the key only" + (heads > 1 ? ", and is the same for every head" : ""));
        return lines;
    };
    g.more = more_rows(g.rows_shown, rows, "all alike");
    std::string details;
    for (int e = 1; e <= 2; ++e)
        if (steps_[e] != nullptr) details += (details.empty() ? "" : "\n") + step_details(*steps_[e]);
    const std::string title = heads > 1 ? "expanded, × " + std::to_string(heads) + " heads" : "expanded";
    ImGui::SameLine(0.0f, f.gap);
    views::card(ctx, title, expanded->shape.to_string() + ", b = " + std::to_string(b), details, g);
    return 4.0f * static_cast<float>(g.stack);
}

// 3. What it does: the softmax weights of the chosen batch item and head.
void PadMaskPanel::draw_softmax_card(AppContext& ctx, const Frame& f, float stack_pad) {
    const Trace& trace = f.trace;
    if (!(trace.attn().rank() >= 3 && trace.attn().dim(0) == f.B && trace.attn().dim(-1) == f.S)) return;
    const int b = f.b, S = f.S;
    const int heads = trace.attn().rank() == 4 ? static_cast<int>(trace.attn().dim(1)) : 1;
    const int head = std::clamp(ctx.settings.head, heads > 1 ? -1 : 0, heads - 1);
    const int rows = static_cast<int>(trace.attn().dim(-2));
    const Colormap cmap = ctx.settings.colormap;
    Grid g;
    g.id = "softmax";
    g.rows_total = rows;
    g.rows_shown =
        views::rows_that_fit(rows, f.avail_h, views::vertical_header_h(longest_key_) + stack_pad, kMaxRowsShown);
    g.cols = S;
    g.col_label = [&f](int k) { return f.key_label(k); };
    g.widest_col_label = longest_key_;
    g.vertical_cols = true;
    g.cell_w = ImGui::CalcTextSize("0.00").x + 8.0f;
    // The rows are the queries of the expansion on the left: lined up with it, no labels.
    g.no_row_labels = f.has_expansion;
    g.top_pad = stack_pad;
    g.max_label_w = 72.0f;
    g.row_label = [&f](int q) { return f.query_label(q); };
    g.widest_row_label = views::widest_of(g.rows_shown, g.row_label);
    g.look = [&f, &trace, heads, head, cmap, b](int q, int k) {
        const float w = weight_at(trace, heads, b, head, q, k);
        CellLook l;
        if (std::isnan(w)) {
            l.nan = true;
            l.text = "NaN";
            l.text_colour = IM_COL32(0, 0, 0, 255);
            return l;
        }
        const auto rgb = colormap_rgb(cmap, w);  // absolute 0..1, as the matrices
        l.fill = IM_COL32(rgb[0], rgb[1], rgb[2], 255);
        char text[16];
        std::snprintf(text, sizeof text, "%.2f", static_cast<double>(w));
        l.text = text;
        l.text_colour = views::text_on(rgb);
        l.grey_hatch = f.is_pad(b, k);
        return l;
    };
    g.tip = [&f, &trace, heads, head, b, S](int q, int k) {
        const float w = weight_at(trace, heads, b, head, q, k);
        std::vector<std::string> lines{
            "weight " + format_exact(w) + ": query " + quoted(f.query_label(q)) + ", key " + quoted(f.key_label(k)) +
            (heads > 1 ? (head < 0 ? " (mean over heads)" : " (head " + std::to_string(head) + ")") : "")};
        if (std::isnan(w))
            lines.push_back(
                "every key of this row is padding; with -inf the softmax is 0/0 = NaN, as in PyTorch; "
                "-1e9 gives a uniform row");
        else if (f.row_all_pad)
            lines.push_back(
                "every key of this row is padding: with -1e9 all its scores are equal, so the softmax "
                "is uniform (1/" +
                std::to_string(S) + "); with -inf it would be NaN, as in PyTorch");
        else if (f.is_pad(b, k))
            lines.push_back("the key is padding: its score became " + f.fill_text + ", so exp() gives it weight 0");
        else
            lines.push_back("each row sums to 1 over the keys that are not padding");
        return lines;
    };
    g.more = more_rows(g.rows_shown, rows, "one per query");
    ImGui::SameLine(0.0f, f.has_expansion ? f.gap * 0.5f : f.gap);
    std::string second = heads > 1 ? (head < 0 ? "mean over heads" : "head " + std::to_string(head)) : "weights";
    second += ", b = " + std::to_string(b) + ", fill " + f.fill_text;
    const TraceStep* softmax = trace.find("softmax");
    views::card(ctx, "after the softmax", second, softmax != nullptr ? step_details(*softmax) : "", g);
}

}  // namespace attn::gui
