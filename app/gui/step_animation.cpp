#include "step_animation.h"

#include "errors.h"
#include "step_animation_parts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attn::gui::anim {

namespace detail {

const Rgba kBackground = kCanvasBackground;
const Rgba kText{0.92f, 0.92f, 0.94f, 1.0f};
const Rgba kDim{0.62f, 0.62f, 0.66f, 1.0f};
const Rgba kAccent{1.00f, 0.78f, 0.25f, 1.0f};
const Rgba kQ{0.30f, 0.55f, 0.95f, 1.0f};
const Rgba kK{0.95f, 0.55f, 0.25f, 1.0f};
const Rgba kV{0.35f, 0.75f, 0.45f, 1.0f};
const Rgba kNeutral{0.42f, 0.48f, 0.60f, 1.0f};
const Rgba kMaskFill{0.30f, 0.07f, 0.10f, 1.0f};
const Rgba kMaskHatch{0.95f, 0.38f, 0.42f, 0.9f};
const Rgba kNan{1.0f, 0.0f, 1.0f, 1.0f};
const Rgba kEdge{0.05f, 0.05f, 0.06f, 0.9f};

Rgba head_colour(int h) {
    // Ten distinct hues (matplotlib's tab10), a little brighter for the dark canvas.
    static const Rgba kHues[] = {{0.30f, 0.55f, 0.85f, 1}, {1.00f, 0.55f, 0.20f, 1}, {0.30f, 0.72f, 0.35f, 1},
                                 {0.90f, 0.30f, 0.30f, 1}, {0.65f, 0.48f, 0.82f, 1}, {0.66f, 0.45f, 0.38f, 1},
                                 {0.92f, 0.52f, 0.78f, 1}, {0.60f, 0.60f, 0.60f, 1}, {0.78f, 0.78f, 0.25f, 1},
                                 {0.25f, 0.78f, 0.85f, 1}};
    return kHues[static_cast<size_t>(std::max(h, 0)) % 10];
}

Rgba darker(Rgba c, float f) {
    c.r *= f, c.g *= f, c.b *= f;
    return c;
}

Rgba value_colour(Colormap cmap, float v, float lo, float hi) {
    if (std::isnan(v)) return kNan;
    const float t = hi > lo ? (v - lo) / (hi - lo) : 0.5f;
    const std::array<uint8_t, 3> rgb = colormap_rgb(cmap, t);
    return {rgb[0] / 255.0f, rgb[1] / 255.0f, rgb[2] / 255.0f, 1.0f};
}

Rgba text_on(const Rgba& c) {
    const float luma = 0.299f * c.r + 0.587f * c.g + 0.114f * c.b;
    return luma > 0.55f ? Rgba{0.05f, 0.05f, 0.06f, 1.0f} : Rgba{0.97f, 0.97f, 0.98f, 1.0f};
}

std::string fmt(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    if (v == -1e9) return "-1e9";
    char text[32];
    const double a = std::fabs(v);
    if (a >= 1e5)
        std::snprintf(text, sizeof text, "%.1e", v);
    else
        std::snprintf(text, sizeof text, "%.2f", v);
    return text;
}

std::string dim_text(const std::string& name, int64_t size) {
    return name + " = " + std::to_string(size);
}

std::string axis_text(const Axis& a) {
    return (a.letter.empty() ? "" : a.letter + ": ") + dim_text(a.name, a.size);
}

int StepContext::find(const std::string& name) const {
    for (int i = index - 1; i >= 0; --i)
        if (trace.steps[static_cast<size_t>(i)].name == name) return i;
    return -1;
}

const StepSlice* StepContext::slice(int i) const {
    if (i < 0 || !in.slice) return nullptr;
    const StepSlice* sl = in.slice(i);
    return sl != nullptr && sl->rows > 0 && sl->cols > 0 ? sl : nullptr;
}

float StepContext::value(int i, int r, int c) const {
    const StepSlice* sl = slice(i);
    if (sl == nullptr) return std::nanf("");
    const TraceStep& st = trace.steps[static_cast<size_t>(i)];
    if (st.shape.sizes.size() == 2 && !st.shape.names.empty() && st.shape.names[0] == "b") r = in.batch;
    if (r < 0 || c < 0 || r >= sl->rows || c >= sl->cols) return std::nanf("");
    return sl->values[static_cast<size_t>(r) * static_cast<size_t>(sl->cols) + static_cast<size_t>(c)];
}

std::string StepContext::query_label(int r) const {
    return in.query_label ? in.query_label(r) : std::string();
}

std::string StepContext::key_label(int c) const {
    return in.key_label ? in.key_label(c) : std::string();
}

Grid make_grid(const std::string& id, float x, float y, float cell_w, float cell_h, int64_t rows, int64_t cols,
               int max_rows, int max_cols, float gap) {
    Grid g;
    g.id = id;
    g.x = x, g.y = y, g.cell_w = cell_w, g.cell_h = cell_h, g.gap = gap;
    g.rows_total = std::max<int64_t>(rows, 1);
    g.cols_total = std::max<int64_t>(cols, 1);
    g.rows = static_cast<int>(std::min<int64_t>(g.rows_total, max_rows));
    g.cols = static_cast<int>(std::min<int64_t>(g.cols_total, max_cols));
    return g;
}

Box cell_box(const Grid& g, int r, int c, const Rgba& fill) {
    Box b;
    b.id = g.cell_id(r, c);
    b.x = g.cx(c), b.y = g.cy(r), b.w = g.cell_w, b.h = g.cell_h;
    b.fill = fill;
    b.edge = kEdge;
    b.edge_width = 1.0f;
    b.radius = 2.0f;
    return b;
}

void add_ellipses(Picture& p, const Grid& g, const std::string& row_name, const std::string& col_name) {
    if (g.rows_total > g.rows)
        p.text(g.id + "/more_rows", "⋮ " + std::to_string(g.rows_total - g.rows) + " more " + row_name, g.x,
               g.y + g.height() + 6.0f, kLabelSize, kDim);
    if (g.cols_total > g.cols)
        p.text(g.id + "/more_cols", "⋯ " + std::to_string(g.cols_total - g.cols) + " more " + col_name,
               g.x + g.width() + 8.0f, g.y + g.height() * 0.5f, kLabelSize, kDim, 0.0f, 0.5f);
}

void label_top(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour) {
    p.text(id, text, g.x + g.width() * 0.5f, g.y - 8.0f, kLabelSize, colour, 0.5f, 1.0f);
}

void label_left(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour) {
    p.text(id, text, g.x - 12.0f, g.y + g.height() * 0.5f, kLabelSize, colour, 1.0f, 0.5f);
}

void label_corner(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour) {
    p.text(id, text + " ↓", g.x - 8.0f, g.y - 8.0f, kLabelSize, colour, 1.0f, 1.0f);
}

void label_bottom(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour) {
    p.text(id, text, g.x + g.width() * 0.5f, g.y + g.height() + 8.0f, kLabelSize, colour, 0.5f, 0.0f);
}

void row_labels(Picture& p, const StepContext& s, const Grid& g, const std::string& id) {
    for (int r = 0; r < g.rows; ++r) {
        const std::string t = s.query_label(r);
        if (!t.empty())
            p.text(id + "/" + std::to_string(r), t, g.x - 8.0f, g.cy(r) + g.cell_h * 0.5f, kCellTextSize, kDim, 1.0f,
                   0.5f);
    }
}

void col_labels(Picture& p, const StepContext& s, const Grid& g, const std::string& id, bool below) {
    // A token wider than its column is drawn smaller, down to 15 units, then cut with an ellipsis.
    const float room = g.cell_w + g.gap - 2.0f;
    for (int c = 0; c < g.cols; ++c) {
        std::string t = s.key_label(c);
        if (t.empty()) continue;
        const auto width = [](const std::string& x, float size) {
            size_t chars = 0;
            for (unsigned char ch : x)
                chars += (ch & 0xC0) != 0x80;
            return 0.56f * size * static_cast<float>(chars);
        };
        float size = kCellTextSize;
        while (size > 15.0f && width(t, size) > room)
            size -= 1.0f;
        if (width(t, size) > room) {
            std::string cut = t;
            while (!cut.empty() && width(cut + "…", size) > room) {
                while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
                    cut.pop_back();                // continuation bytes of the last character...
                if (!cut.empty()) cut.pop_back();  // ...and its first byte
            }
            t = cut + "…";
        }
        p.text(id + "/" + std::to_string(c), t, g.cx(c) + g.cell_w * 0.5f, below ? g.y + g.height() + 6.0f : g.y - 6.0f,
               size, kDim, 0.5f, below ? 0.0f : 1.0f);
    }
}

Grid add_block(Picture& p, const std::string& id, const NamedShape& shape, const Rgba& fill, float cx, float cy,
               float max_w, float max_h) {
    const size_t n = shape.sizes.size();
    const int64_t rows = n >= 2 ? shape.sizes[n - 2] : 1;
    const int64_t cols = n >= 1 ? shape.sizes[n - 1] : 1;
    const std::string row_name = n >= 2 ? shape.names[n - 2] : "";
    const std::string col_name = n >= 1 ? shape.names[n - 1] : "";
    const int vr = static_cast<int>(std::min<int64_t>(rows, kMaxRows));
    const int vc = static_cast<int>(std::min<int64_t>(cols, kMaxCols));
    const float cell = std::min({max_w / static_cast<float>(vc), max_h / static_cast<float>(vr), 56.0f});
    Grid g = make_grid(id, cx - cell * static_cast<float>(vc) * 0.5f, cy - cell * static_cast<float>(vr) * 0.5f, cell,
                       cell, rows, cols, kMaxRows, kMaxCols);
    for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c)
            p.add(cell_box(g, r, c, fill));
    if (n >= 2) label_left(p, id + "/rows", g, dim_text(row_name, rows), kText);
    label_top(p, id + "/cols", g, dim_text(col_name, cols), kText);
    add_ellipses(p, g, row_name, col_name);
    // The leading dimensions: each one a copy of the block.
    std::string lead;
    for (size_t k = 0; k + 2 < n; ++k)
        lead += (lead.empty() ? "" : " x ") + dim_text(shape.names[k], shape.sizes[k]);
    if (!lead.empty()) p.text(id + "/lead", "for each " + lead, g.x, g.y + g.height() + 34.0f, kLabelSize, kDim);
    return g;
}

// Linear layers, inputs, and every step no other builder knows: the source's block becomes this
// step's block (an input fades in).
void build_generic(const StepContext& s, StepAnimation& a) {
    Phase ph;
    ph.code = s.step.code;
    const Rgba to_colour = s.step.name == "q" ? kQ : s.step.name == "k" ? kK : s.step.name == "v" ? kV : kNeutral;
    if (s.source == nullptr) {
        ph.caption = "an input of the module";
        add_block(ph.to, "block", s.step.shape, to_colour, kCanvasW * 0.5f, 400.0f, 700.0f, 330.0f);
        ph.from = ph.to;  // nothing comes before it: it is simply there
        a.phases.push_back(std::move(ph));
        return;
    }
    ph.caption = s.step.change.empty() ? "the tensor changes" : s.step.change;
    // The source on the left, the step on the right; their cells share ids, so each flies over.
    add_block(ph.from, "block", s.source->shape, kNeutral, kCanvasW * 0.30f, 400.0f, 420.0f, 330.0f);
    add_block(ph.to, "block", s.step.shape, to_colour, kCanvasW * 0.70f, 400.0f, 420.0f, 330.0f);
    for (Box& b : ph.to.boxes)
        b.start = 0.0f, b.end = 1.0f;
    a.phases.push_back(std::move(ph));
}

}  // namespace detail

using namespace detail;

int StepAnimation::phase_at(float t) const {
    const int n = static_cast<int>(phases.size());
    if (n == 0) return 0;
    return std::clamp(static_cast<int>(std::clamp(t, 0.0f, 1.0f) * static_cast<float>(n)), 0, n - 1);
}

float StepAnimation::phase_progress(float t) const {
    const int n = static_cast<int>(phases.size());
    if (n == 0) return 1.0f;
    const float u = std::clamp(t, 0.0f, 1.0f) * static_cast<float>(n) - static_cast<float>(phase_at(t));
    return std::clamp(u, 0.0f, 1.0f);
}

Picture StepAnimation::frame(float t) const {
    Picture out;
    if (!phases.empty()) {
        const int k = phase_at(t);
        const Phase& ph = phases[static_cast<size_t>(k)];
        const float s = ease((phase_progress(t) - 0.1f) / 0.7f);
        out = tween(ph.from, ph.to, s);
        if (ph.overlay) ph.overlay(out, s);
    }
    // The frame around it: title, phases (the current one lit), the line of code, the shapes.
    out.text("chrome/title", title, 40.0f, 18.0f, kTitleSize, kText);
    float x = 40.0f;
    const int current = phase_at(t);
    for (size_t i = 0; i < phases.size(); ++i) {
        const std::string text = std::to_string(i + 1) + "  " + phases[i].caption;
        const bool lit = static_cast<int>(i) == current;
        out.text("chrome/phase" + std::to_string(i), text, x, 66.0f, kCaptionSize, lit ? kAccent : kDim);
        x += 30.0f + 0.5f * kCaptionSize * static_cast<float>(text.size());
    }
    const std::string code = phases.empty() ? this->code : phases[static_cast<size_t>(current)].code;
    out.text("chrome/code", code, 40.0f, 104.0f, kLabelSize, kDim);
    out.text("chrome/shape", shape_line, 40.0f, kCanvasH - 44.0f, kCaptionSize, kText);
    if (!note.empty()) out.text("chrome/note", note, kCanvasW - 40.0f, 26.0f, kLabelSize, kDim, 1.0f);
    return out;
}

StepAnimation animate_step(const AnimInputs& in, int index) {
    if (in.trace == nullptr || index < 0 || index >= static_cast<int>(in.trace->steps.size()))
        throw InternalError("animate_step: step " + std::to_string(index) + " is outside the trace");
    const Trace& trace = *in.trace;
    const TraceStep& step = trace.steps[static_cast<size_t>(index)];
    const TraceStep* source = step.from >= 0 ? &trace.steps[static_cast<size_t>(step.from)] : nullptr;
    const StepContext s{in, trace, index, step, source};

    StepAnimation a;
    a.step = index;
    a.title = std::to_string(index) + "  " + step.name;
    a.code = step.code;
    a.shape_line = (source ? source->shape.to_string() + "   →   " : std::string()) + step.shape.to_string();
    a.note = "batch item " + std::to_string(in.batch);
    bool has_heads = false;
    for (const std::string& n : step.shape.names)
        has_heads = has_heads || n == "heads";
    if (has_heads) a.note += ", head " + std::to_string(in.head);

    const std::string& name = step.name;
    const bool split =
        step.code.find(".view(") != std::string::npos && step.code.find("transpose(1, 2)") != std::string::npos;
    if ((name == "q_heads" || name == "k_heads" || name == "v_heads") && split && source)
        build_head_split(s, a, false);
    else if (name == "merge_heads" && source)
        build_head_split(s, a, true);
    else if ((name == "scores" || name == "weighted_sum") && source)
        build_contraction(s, a);
    else if (name == "softmax" && source)
        build_softmax(s, a);
    else if ((name == "scaled" || name == "masked" || name == "combined_mask" || name == "float_mask") && source)
        build_matrix_change(s, a);
    else if ((name == "pad_mask_expanded" || name == "pad_mask_heads" || name == "attn_mask_expanded") && source)
        build_mask_expand(s, a);
    else if ((name == "flatten" || name == "fold") && source && step.code.find("rearrange") != std::string::npos)
        build_rearrange(s, a, name == "flatten");
    else
        build_generic(s, a);
    return a;
}

}  // namespace attn::gui::anim
