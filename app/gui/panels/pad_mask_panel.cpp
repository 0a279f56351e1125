#include "pad_mask_panel.h"

#include "view_widgets.h"

#include "errors.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

using views::format_exact;

constexpr int kMaxRowsShown = 12;  // of a tall expansion ([b, h*w, seq]): the rest is "… n more"

// The mask steps of the pass, found once per pass. Only pad_mask [b, seq] is made: an expansion
// is a broadcast of it (PyTorch's expand() is a view that copies nothing), so its cell
// [b, (head,) q, k] is read as pad_mask[b, k]. Making it would take b * heads * L * S values: 3.2 GB
// for 8 heads of a 10,000-token sentence, on the window's thread.
struct MaskSteps {
    std::shared_ptr<const Trace> trace;
    const TraceStep* step[3] = {nullptr, nullptr, nullptr};  // pad_mask, pad_mask_expanded, pad_mask_heads
    Tensor pad_mask;
    std::string error;
};

MaskSteps& mask_steps(AppContext& ctx) {
    static MaskSteps m;
    if (m.trace != ctx.trace) {
        m = MaskSteps();
        m.trace = ctx.trace;
        static const char* kNames[3] = {"pad_mask", "pad_mask_expanded", "pad_mask_heads"};
        try {
            for (int i = 0; i < 3; ++i)
                m.step[i] = ctx.trace->find(kNames[i]);
            if (m.step[0] != nullptr) m.pad_mask = m.step[0]->tensor();
        } catch (const Error& e) {
            m.error = e.what();
        }
    }
    return m;
}

// The widest token labels, measured once per pass (and batch item): a 10,000-token sentence has
// 10,000 labels, too many to measure every frame.
struct LabelWidths {
    std::weak_ptr<const Trace> trace;  // weak: a pass the window no longer shows is not kept
    int batch = -1;
    float widest_key = 0.0f;    // the keys of the chosen batch item: the stood-up column labels
    float widest_token = 0.0f;  // the keys of every batch item: the cells of pad_mask
};

const LabelWidths& label_widths(AppContext& ctx, int batch, int batches, int seq) {
    static LabelWidths w;
    const Scene& scene = *ctx.scene;
    auto widest = [&](int i) {
        float out = 0.0f;
        for (int k = 0; k < seq; ++k)
            out = std::max(out, ImGui::CalcTextSize(scene.key_label(i, k).c_str()).x);
        return out;
    };
    if (w.trace.lock() != ctx.trace) {
        w = LabelWidths();
        w.trace = ctx.trace;
        for (int i = 0; i < batches; ++i)
            w.widest_token = std::max(w.widest_token, widest(i));
    }
    if (w.batch != batch) {
        w.batch = batch;
        w.widest_key = widest(batch);
    }
    return w;
}

struct CellLook {
    ImU32 fill = 0;
    std::string text;
    ImU32 text_colour = IM_COL32_WHITE;
    bool masked = false;  // dark red fill is in `fill`; this adds the hatching
    bool grey_hatch = false;
    bool nan = false;
};

struct Grid {
    const char* id = "";
    int rows_total = 0, rows_shown = 0, cols = 0;
    // Labels are made for the rows and columns on screen only; their widest widths, which the
    // layout needs, come from the caller (label_widths: measured once per pass).
    std::function<std::string(int)> row_label, col_label;
    float widest_row_label = 0.0f, widest_col_label = 0.0f;
    float widest_text = 0.0f;  // of the texts in the cells, when cell_w is 0
    std::function<CellLook(int, int)> look;
    std::function<std::vector<std::string>(int, int)> tip;
    std::function<void(int)> click_row;  // optional
    int selected_row = -1;
    int stack = 0;               // copies drawn behind: the same grid repeated (over heads)
    std::string more;            // the line under a grid that shows only its first rows
    float cell_w = 0.0f;         // 0: wide enough for the texts in the cells
    bool vertical_cols = false;  // column labels stood up (narrow cells without text)
    float max_label_w = 110.0f;  // row labels are cut to this
    bool no_row_labels = false;  // the rows are those of the grid on the left
    float top_pad = 0.0f;        // to line the rows up with the grid on the left
};

struct GridMetrics {
    float label_w = 0, cell_w = 0, cell_h = 0, header_h = 0;
};

// Height of stood-up column labels: the longest label, at most 48 px (longer ones are cut).
float vertical_header_h(float widest_label) {
    return std::min(widest_label, 48.0f) + 8.0f;
}

GridMetrics metrics_for(const Grid& g) {
    GridMetrics m;
    m.label_w = g.no_row_labels ? 0.0f : std::min(g.widest_row_label + 10.0f, g.max_label_w);
    m.cell_h = ImGui::GetTextLineHeight() + 5.0f;
    m.header_h = ImGui::GetTextLineHeightWithSpacing();
    if (g.vertical_cols) m.header_h = vertical_header_h(g.widest_col_label);
    if (g.cell_w > 0.0f) {
        m.cell_w = g.cell_w;
    } else {
        const float widest = std::max(g.vertical_cols ? 0.0f : g.widest_col_label, g.widest_text);
        m.cell_w = std::clamp(widest + 8.0f, 22.0f, 46.0f);
    }
    return m;
}

float widest_of(int count, const std::function<std::string(int)>& label) {
    float widest = 0.0f;
    for (int i = 0; i < count; ++i)
        widest = std::max(widest, ImGui::CalcTextSize(label(i).c_str()).x);
    return widest;
}

float grid_width(const Grid& g, const GridMetrics& m) {
    return m.label_w + m.cell_w * static_cast<float>(g.cols) + 4.0f * static_cast<float>(g.stack);
}

void draw_grid(AppContext& ctx, const Grid& g, const GridMetrics& m) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float stack_off = 4.0f * static_cast<float>(g.stack);
    const ImVec2 m0(origin.x + m.label_w, origin.y + m.header_h + stack_off + g.top_pad);
    const ImVec2 m1(m0.x + m.cell_w * static_cast<float>(g.cols), m0.y + m.cell_h * static_cast<float>(g.rows_shown));

    // Copies behind, offset up and right: "the same for every head".
    for (int s = g.stack; s >= 1; --s) {
        const float o = 4.0f * static_cast<float>(s);
        draw->AddRectFilled(ImVec2(m0.x + o, m0.y - o), ImVec2(m1.x + o, m1.y - o), IM_COL32(70, 70, 78, 255));
        draw->AddRect(ImVec2(m0.x + o, m0.y - o), ImVec2(m1.x + o, m1.y - o), IM_COL32(120, 120, 130, 255));
    }
    // Only the rows and columns inside the clip rectangle: a 10,000-token axis is 220,000 px long.
    const views::CellRange cols = views::visible_columns(m0.x, m.cell_w, g.cols);
    const views::CellRange rows = views::visible_rows(m0.y, m.cell_h, g.rows_shown);
    for (int c = cols.first; c < cols.last; ++c) {
        const float x = m0.x + m.cell_w * static_cast<float>(c);
        const std::string label = g.col_label(c);
        if (g.vertical_cols)
            views::text_vertical(draw,
                                 ImVec2(x + (m.cell_w - ImGui::GetFontSize()) * 0.5f, origin.y + m.header_h - 4.0f),
                                 IM_COL32_WHITE, views::fit_text(label, m.header_h - 8.0f));
        else
            views::text_centred(draw, ImVec2(x, origin.y), ImVec2(x + m.cell_w, origin.y + m.header_h), IM_COL32_WHITE,
                                label);
    }
    for (int r = rows.first; r < rows.last; ++r) {
        const float y = m0.y + m.cell_h * static_cast<float>(r);
        if (!g.no_row_labels) {
            const std::string label = views::fit_text(g.row_label(r), m.label_w - 8.0f);
            const ImVec2 size = ImGui::CalcTextSize(label.c_str());
            draw->AddText(ImVec2(m0.x - 6.0f - size.x, y + (m.cell_h - size.y) * 0.5f),
                          r == g.selected_row ? IM_COL32(255, 210, 90, 255) : IM_COL32_WHITE, label.c_str());
        }
        for (int c = cols.first; c < cols.last; ++c) {
            const ImVec2 c0(m0.x + m.cell_w * static_cast<float>(c), y), c1(c0.x + m.cell_w, y + m.cell_h);
            const CellLook look = g.look(r, c);
            draw->AddRectFilled(c0, c1, look.nan ? views::kNanFill : look.fill);
            if (look.masked) views::hatch(draw, c0, c1, views::kMaskedHatch, 6.0f);
            if (look.grey_hatch) views::hatch(draw, c0, c1, IM_COL32(128, 128, 128, 255), 6.0f);
            if (!look.text.empty()) views::text_centred(draw, c0, c1, look.text_colour, look.text);
        }
    }
    for (int c = cols.first; c <= cols.last; ++c) {
        const float x = m0.x + m.cell_w * static_cast<float>(c);
        draw->AddLine(ImVec2(x, m0.y), ImVec2(x, m1.y), views::kGridLine);
    }
    for (int r = rows.first; r <= rows.last; ++r) {
        const float y = m0.y + m.cell_h * static_cast<float>(r);
        draw->AddLine(ImVec2(m0.x, y), ImVec2(m1.x, y), views::kGridLine);
    }
    if (g.selected_row >= 0 && g.selected_row < g.rows_shown) {
        const float y = m0.y + m.cell_h * static_cast<float>(g.selected_row);
        draw->AddRect(ImVec2(m0.x - 1.0f, y - 1.0f), ImVec2(m1.x + 1.0f, y + m.cell_h + 1.0f), views::kHoverFrame, 0.0f,
                      0, 2.0f);
    }

    ImGui::SetCursorScreenPos(m0);
    if (m1.x > m0.x && m1.y > m0.y) {
        const bool clicked = ImGui::InvisibleButton(g.id, ImVec2(m1.x - m0.x, m1.y - m0.y));
        ctx.note_item(std::string("pad_mask.") + g.id);
        if (ImGui::IsItemHovered()) {
            const ImVec2 mouse = ImGui::GetIO().MousePos;
            const int c = std::clamp(static_cast<int>((mouse.x - m0.x) / m.cell_w), 0, g.cols - 1);
            const int r = std::clamp(static_cast<int>((mouse.y - m0.y) / m.cell_h), 0, g.rows_shown - 1);
            const ImVec2 c0(m0.x + m.cell_w * static_cast<float>(c), m0.y + m.cell_h * static_cast<float>(r));
            draw->AddRect(c0, ImVec2(c0.x + m.cell_w, c0.y + m.cell_h), IM_COL32_WHITE, 0.0f, 0, 2.0f);
            const std::vector<std::string> lines = g.tip(r, c);
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
            for (size_t i = 0; i < lines.size(); ++i)
                if (!lines[i].empty()) {
                    if (i == 0)
                        ImGui::TextUnformatted(lines[i].c_str());
                    else
                        ImGui::TextColored(views::kNoteText, "%s", lines[i].c_str());
                }
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
        if (clicked && g.click_row) {
            const int r =
                std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - m0.y) / m.cell_h), 0, g.rows_shown - 1);
            g.click_row(r);
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, m1.y + 2.0f));
    ImGui::Dummy(ImVec2(grid_width(g, m), 0.0f));
    if (!g.more.empty()) ImGui::TextColored(views::kDimText, "%s", g.more.c_str());
}

// A titled card: a title, a second line (the shape), then the grid. Hovering the title shows
// `details` (the steps' shapes and PyTorch lines in full).
void card(AppContext& ctx, const std::string& title, const std::string& second, const std::string& details,
          const Grid& g) {
    const GridMetrics m = metrics_for(g);
    const float w = std::max(grid_width(g, m), 150.0f);
    ImGui::BeginGroup();
    ImGui::BeginGroup();
    ImGui::TextUnformatted(views::fit_text(title, w).c_str());
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(second, w).c_str());
    ImGui::EndGroup();
    if (ImGui::IsItemHovered() && !details.empty()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
        ImGui::TextUnformatted(details.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
    draw_grid(ctx, g, m);
    ImGui::EndGroup();
}

std::string step_details(const TraceStep& step) {
    return step.name + " " + step.shape.to_string() + "\n    " + step.code + "\n    " + step.change;
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

// Rows of a tall grid to show: those that fit the panel's height under a card's two title lines,
// the column labels and the "… more rows" line; at most kMaxRowsShown.
int rows_that_fit(int total, float avail_h, float header_h) {
    const float cell_h = ImGui::GetTextLineHeight() + 5.0f;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const int fit = static_cast<int>((avail_h - line * 3.0f - header_h - 16.0f) / cell_h);
    return std::clamp(std::min(fit, kMaxRowsShown), 1, std::max(1, total));
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

void draw_body(AppContext& ctx) {
    if (!views::pass_ready(ctx)) return;
    Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const Trace& trace = *ctx.trace;
    MaskSteps& steps = mask_steps(ctx);
    if (!steps.error.empty()) throw ShapeError("the mask steps could not be made: " + steps.error);
    if (steps.step[0] == nullptr || steps.pad_mask.rank() != 2) {
        ImGui::TextWrapped("This pass has no pad_mask: no key is padding, so nothing is masked.");
        ImGui::TextColored(views::kDimText, "(Type sentences of different lengths, or load a --pad-mask, to see one.)");
        return;
    }
    const Tensor& pad = steps.pad_mask;  // [b, seq]
    const int B = static_cast<int>(pad.dim(0)), S = static_cast<int>(pad.dim(1));
    s.batch = std::clamp(s.batch, 0, B - 1);
    const int b = s.batch;
    const bool inf_fill = std::isinf(trace.fill);
    const std::string fill_text = inf_fill ? "-inf" : "-1e9";
    auto is_pad = [&](int i, int k) { return pad.data[static_cast<size_t>(i * S + k)] != 0.0f; };
    const bool row_all_pad = ctx.maps->all_keys_padding(b);  // the same pad_mask, its runs kept per pass

    // Legend: what the mask does, and what the colours mean, on one line.
    ImGui::TextUnformatted("masked_fill writes");
    ImGui::SameLine(0.0f, 4.0f);
    ImGui::TextColored(views::kNoteText, "%s", fill_text.c_str());
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

    ImGui::BeginChild("##cards", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    const float avail_h = ImGui::GetContentRegionAvail().y;
    const float gap = ImGui::GetFontSize() * 0.75f;
    const LabelWidths& widths = label_widths(ctx, b, B, S);
    auto key_label = [&scene, b](int k) { return scene.key_label(b, k); };
    auto query_label = [&scene, b](int q) { return scene.query_label(b, q); };

    // 1. pad_mask [b, seq]: every batch item, the tokens in the cells. Click a row to choose it.
    {
        Grid g;
        g.id = "pad_mask";
        g.rows_total = g.rows_shown = B;
        g.cols = S;
        g.row_label = [](int i) { return "b" + std::to_string(i); };
        g.col_label = [](int k) { return std::to_string(k); };
        g.widest_row_label = widest_of(B, g.row_label);
        g.widest_col_label = ImGui::CalcTextSize(std::to_string(S - 1).c_str()).x;  // the most digits
        g.widest_text = widths.widest_token;
        g.selected_row = b;
        g.look = [&](int r, int c) {
            CellLook l;
            l.masked = is_pad(r, c);
            l.fill = l.masked ? views::kMaskedFill : views::kKeptFill;
            l.text = scene.key_label(r, c);
            return l;
        };
        g.tip = [&](int r, int c) {
            std::vector<std::string> lines{"pad_mask[" + std::to_string(r) + ", " + std::to_string(c) +
                                           "] = " + (is_pad(r, c) ? "True" : "False")};
            lines.push_back(is_pad(r, c) ? quoted(scene.key_label(r, c)) + ": padding (input_ids 0)"
                                         : quoted(scene.key_label(r, c)) + ": a real token");
            lines.push_back("click to show batch item " + std::to_string(r));
            return lines;
        };
        g.click_row = [&](int r) { s.batch = r; };
        const TraceStep& step = *steps.step[0];
        // "pad_mask = input_ids.eq(0)" when the line says that; nn.MultiheadAttention's is a parameter.
        const bool assigns = step.code.rfind(step.name + " = ", 0) == 0;
        card(ctx, assigns ? step.code : step.name + " (key_padding_mask)", step.shape.to_string(), step_details(step),
             g);
    }

    // 2. The expansion that masked_fill uses (pad_mask_heads when there is one: the expanded mask
    //    repeated over heads), for the chosen batch item: rows are the queries, keys stood up.
    const TraceStep* expanded = steps.step[2] != nullptr ? steps.step[2] : steps.step[1];
    const Shape& et = expanded != nullptr ? expanded->shape.sizes : Shape{};  // [b, (heads,) rows, seq]
    float stack_pad = 0.0f;
    const bool has_expansion = et.size() >= 3 && et.front() == B && et.back() == S;
    if (has_expansion) {
        const int heads = et.size() == 4 ? static_cast<int>(et[1]) : 1;
        const int rows = static_cast<int>(et[et.size() - 2]);
        Grid g;
        g.id = "expanded";
        g.rows_total = rows;
        g.stack = heads > 1 ? 2 : 0;
        g.rows_shown =
            rows_that_fit(rows, avail_h, vertical_header_h(widths.widest_key) + 4.0f * static_cast<float>(g.stack));
        g.cols = S;
        g.col_label = key_label;
        g.widest_col_label = widths.widest_key;
        g.vertical_cols = true;
        g.cell_w = std::max(22.0f, ImGui::GetFontSize() + 6.0f);
        g.max_label_w = 72.0f;
        stack_pad = 4.0f * static_cast<float>(g.stack);
        g.row_label = query_label;
        g.widest_row_label = widest_of(g.rows_shown, g.row_label);
        // Cell [b, (head,) q, k] of the broadcast is pad_mask[b, k], whatever the head and query.
        auto value = [is_pad, b](int, int k) { return is_pad(b, k) ? 1.0f : 0.0f; };
        g.look = [value](int q, int k) {
            CellLook l;
            l.masked = value(q, k) != 0.0f;
            l.fill = l.masked ? views::kMaskedFill : views::kKeptFill;
            return l;
        };
        const std::string name = expanded->name;
        g.tip = [&, value, name, heads](int q, int k) {
            const std::string index =
                std::to_string(b) + (heads > 1 ? ", h" : "") + ", " + std::to_string(q) + ", " + std::to_string(k);
            std::vector<std::string> lines{name + "[" + index + "] = " + (value(q, k) != 0.0f ? "True" : "False")};
            lines.push_back("query " + quoted(scene.query_label(b, q)) + ", key " + quoted(scene.key_label(b, k)));
            lines.push_back("copied from pad_mask[" + std::to_string(b) + ", " + std::to_string(k) +
                            "]: the mask depends on the key only" +
                            (heads > 1 ? ", and is the same for every head" : ""));
            return lines;
        };
        g.more = more_rows(g.rows_shown, rows, "all alike");
        std::string details;
        for (int e = 1; e <= 2; ++e)
            if (steps.step[e] != nullptr) details += (details.empty() ? "" : "\n") + step_details(*steps.step[e]);
        const std::string title = heads > 1 ? "expanded, × " + std::to_string(heads) + " heads" : "expanded";
        ImGui::SameLine(0.0f, gap);
        card(ctx, title, expanded->shape.to_string() + ", b = " + std::to_string(b), details, g);
    }

    // 3. What it does: the softmax weights of the chosen batch item and head.
    if (trace.attn().rank() >= 3 && trace.attn().dim(0) == B && trace.attn().dim(-1) == S) {
        const int heads = trace.attn().rank() == 4 ? static_cast<int>(trace.attn().dim(1)) : 1;
        const int head = std::clamp(s.head, heads > 1 ? -1 : 0, heads - 1);
        const int rows = static_cast<int>(trace.attn().dim(-2));
        const Colormap cmap = s.colormap;
        Grid g;
        g.id = "softmax";
        g.rows_total = rows;
        g.rows_shown = rows_that_fit(rows, avail_h, vertical_header_h(widths.widest_key) + stack_pad);
        g.cols = S;
        g.col_label = key_label;
        g.widest_col_label = widths.widest_key;
        g.vertical_cols = true;
        g.cell_w = ImGui::CalcTextSize("0.00").x + 8.0f;
        // The rows are the queries of the expansion on the left: lined up with it, no labels.
        g.no_row_labels = has_expansion;
        g.top_pad = stack_pad;
        g.max_label_w = 72.0f;
        g.row_label = query_label;
        g.widest_row_label = widest_of(g.rows_shown, g.row_label);
        g.look = [&, heads, head, cmap](int q, int k) {
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
            l.grey_hatch = is_pad(b, k);
            return l;
        };
        g.tip = [&, heads, head](int q, int k) {
            const float w = weight_at(trace, heads, b, head, q, k);
            std::vector<std::string> lines{
                "weight " + format_exact(w) + ": query " + quoted(scene.query_label(b, q)) + ", key " +
                quoted(scene.key_label(b, k)) +
                (heads > 1 ? (head < 0 ? " (mean over heads)" : " (head " + std::to_string(head) + ")") : "")};
            if (std::isnan(w))
                lines.push_back(
                    "every key of this row is padding; with -inf the softmax is 0/0 = NaN, as in PyTorch; "
                    "-1e9 gives a uniform row");
            else if (row_all_pad)
                lines.push_back(
                    "every key of this row is padding: with -1e9 all its scores are equal, so the softmax "
                    "is uniform (1/" +
                    std::to_string(S) + "); with -inf it would be NaN, as in PyTorch");
            else if (is_pad(b, k))
                lines.push_back("the key is padding: its score became " + fill_text + ", so exp() gives it weight 0");
            else
                lines.push_back("each row sums to 1 over the keys that are not padding");
            return lines;
        };
        g.more = more_rows(g.rows_shown, rows, "one per query");
        ImGui::SameLine(0.0f, has_expansion ? gap * 0.5f : gap);
        std::string second = heads > 1 ? (head < 0 ? "mean over heads" : "head " + std::to_string(head)) : "weights";
        second += ", b = " + std::to_string(b) + ", fill " + fill_text;
        const TraceStep* softmax = trace.find("softmax");
        card(ctx, "after the softmax", second, softmax != nullptr ? step_details(*softmax) : "", g);
    }
    ImGui::EndChild();
}

}  // namespace

void draw_pad_mask_panel(AppContext& ctx) {
    views::guarded_body(ctx, "Pad mask", [&] { draw_body(ctx); });
}

}  // namespace attn::gui
