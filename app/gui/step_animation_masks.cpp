// The steps on the score matrix and its masks: scaled (every cell times the scale), masked
// (the padded cells turn to the fill), the torch-mha mask merges, softmax (exp, then each row
// over its sum), and the pad mask's expansion over queries and heads.
#include "step_animation_parts.h"

#include <algorithm>
#include <cmath>

namespace attn::gui::anim::detail {

namespace {

bool is_fill(float v, float fill) {
    return std::isinf(v) || v == fill;
}

// The matrix of a step: its first rows x cols, cells 56 units (less for wide ones), centred.
Grid matrix_grid(const NamedShape& shape, float y = 260.0f) {
    const size_t n = shape.sizes.size();
    const int64_t rows = n >= 2 ? shape.sizes[n - 2] : 1, cols = shape.sizes[n - 1];
    const int vc = static_cast<int>(std::min<int64_t>(cols, kMaxMatrixCols));
    const int vr = static_cast<int>(std::min<int64_t>(rows, kMaxMatrixRows));
    const float cell = std::min({56.0f, 640.0f / static_cast<float>(vc), 380.0f / static_cast<float>(vr)});
    Grid g = make_grid("m", 0.0f, y, cell, cell, rows, cols, kMaxMatrixRows, kMaxMatrixCols, 2.0f);
    g.x = kCanvasW * 0.5f - g.width() * 0.5f;
    return g;
}

// A cell of a bool mask: True (masked) hatched red, False dark.
void mask_look(Box& b, bool masked) {
    b.fill = masked ? kMaskFill : Rgba{0.16f, 0.17f, 0.20f, 1.0f};
    b.hatch = masked ? kMaskHatch : Rgba{1, 1, 1, 0};
}

// The matrix of step `step` with its values: colours on lo..hi (bool steps as masks, fills as
// masked cells), the numbers in the cells when they fit.
Picture matrix(const StepContext& s, int step, const Grid& g, float lo, float hi, bool text) {
    Picture p;
    const TraceStep& st = s.trace.steps[static_cast<size_t>(step)];
    const bool boolean = st.dtype == DType::Bool;
    for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c) {
            const float v = s.value(step, r, c);
            Box b = cell_box(g, r, c, kNeutral);
            std::string t;
            if (boolean) {
                mask_look(b, v != 0.0f);
                t = std::isnan(v) ? "" : v != 0.0f ? "True" : "False";
            } else if (!std::isnan(v) && is_fill(v, s.trace.fill)) {
                mask_look(b, true);
                t = fmt(v);
            } else {
                b.fill = value_colour(s.in.colormap, v, lo, hi);
                t = fmt(v);
            }
            p.add(b);
            if (text && g.cell_w >= 40.0f && !t.empty())
                p.text(g.cell_id(r, c) + "/v", t, b.x + g.cell_w * 0.5f, b.y + g.cell_h * 0.5f, kValueSize,
                       boolean || is_fill(v, s.trace.fill) ? kText : text_on(b.fill), 0.5f, 0.5f);
        }
    return p;
}

std::pair<float, float> finite_range(const StepContext& s, std::initializer_list<int> steps, const Grid& g) {
    float lo = INFINITY, hi = -INFINITY;
    for (int step : steps)
        for (int r = 0; r < g.rows; ++r)
            for (int c = 0; c < g.cols; ++c) {
                const float v = s.value(step, r, c);
                if (std::isfinite(v) && v != s.trace.fill) lo = std::min(lo, v), hi = std::max(hi, v);
            }
    if (!(lo <= hi)) return {0.0f, 1.0f};
    return {lo, hi};
}

void axes(Picture& p, const StepContext& s, const Grid& g, const NamedShape& shape) {
    const size_t n = shape.sizes.size();
    if (n >= 2) label_corner(p, "m/rows", g, dim_text(shape.names[n - 2], shape.sizes[n - 2]), kText);
    p.text("m/cols", dim_text(shape.names[n - 1], shape.sizes[n - 1]), g.x + g.width() * 0.5f, g.y + g.height() + 30.0f,
           kLabelSize, kText, 0.5f, 0.0f);
    add_ellipses(p, g, n >= 2 ? shape.names[n - 2] : "", shape.names[n - 1]);
    row_labels(p, s, g, "m/q");
    col_labels(p, s, g, "m/k", true);
}

}  // namespace

void build_matrix_change(const StepContext& s, StepAnimation& a) {
    const int from = s.step.from;
    const Grid g = matrix_grid(s.step.shape);
    const auto [lo, hi] = finite_range(s, {from, s.index}, g);
    Phase ph;
    ph.code = s.step.code;
    ph.from = matrix(s, from, g, lo, hi, true);
    ph.to = matrix(s, s.index, g, lo, hi, true);
    axes(ph.from, s, g, s.source->shape);
    axes(ph.to, s, g, s.step.shape);
    const std::string& name = s.step.name;
    const bool torch_masks = s.find("attn_mask") >= 0 || s.find("float_mask") >= 0;
    if (name == "scaled") {
        ph.caption = "every score x " + fmt(s.trace.scale);
    } else if (name == "masked" && !torch_masks) {
        ph.caption = "masked_fill: the padded keys' cells become " + fmt(s.trace.fill);
        // The mask that says which: pad_mask of the batch item above the columns.
        const int pad = s.find("pad_mask");
        if (pad >= 0)
            for (Picture* p : {&ph.from, &ph.to}) {
                Grid row = g;
                row.id = "pad";
                row.rows = 1;
                row.y = g.y - g.cell_h - 40.0f;
                for (int c = 0; c < g.cols; ++c) {
                    Box b = cell_box(row, 0, c, kNeutral);
                    mask_look(b, s.value(pad, 0, c) != 0.0f);
                    p->add(b);
                }
                p->text("pad/label", "pad_mask (True = padding)", row.x + row.width() + 16.0f,
                        row.y + row.cell_h * 0.5f, kLabelSize, kText, 0.0f, 0.5f);
            }
        // One key after the other.
        for (Box& b : ph.to.boxes) {
            const size_t dot = b.id.rfind('.');
            if (b.id.rfind("m/", 0) != 0 || dot == std::string::npos) continue;
            const float c = static_cast<float>(std::atoi(b.id.c_str() + dot + 1));
            b.start = 0.6f * c / static_cast<float>(std::max(g.cols, 1));
            b.end = b.start + 0.4f;
        }
    } else if (name == "masked") {
        ph.caption = "the float mask is added: 0 keeps a score, " + fmt(s.trace.fill) + " removes it";
    } else if (name == "combined_mask") {
        ph.caption = "logical_or: masked where attn_mask or key_padding_mask is True";
    } else {
        ph.caption = "bool -> float: True becomes " + fmt(s.trace.fill) + ", False 0";
    }
    a.phases.push_back(std::move(ph));
}

void build_softmax(const StepContext& s, StepAnimation& a) {
    const int from = s.step.from;
    const Grid g = matrix_grid(s.step.shape);
    const auto [lo, hi] = finite_range(s, {from}, g);
    // exp(x - max) of the whole row (the slice holds every key of it), then the engine's weights.
    const StepSlice* src = s.slice(from);
    const int full = src != nullptr ? src->cols : g.cols;
    std::vector<float> row_max(static_cast<size_t>(g.rows), -INFINITY), row_sum(static_cast<size_t>(g.rows), 0.0f);
    for (int r = 0; r < g.rows; ++r) {
        for (int c = 0; c < full; ++c)
            row_max[static_cast<size_t>(r)] = std::max(row_max[static_cast<size_t>(r)], s.value(from, r, c));
        for (int c = 0; c < full; ++c)
            row_sum[static_cast<size_t>(r)] += std::exp(s.value(from, r, c) - row_max[static_cast<size_t>(r)]);
    }
    Picture start = matrix(s, from, g, lo, hi, true), exps, done = matrix(s, s.index, g, 0.0f, 1.0f, true);
    for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c) {
            const float e = std::exp(s.value(from, r, c) - row_max[static_cast<size_t>(r)]);
            Box b = cell_box(g, r, c, value_colour(s.in.colormap, e, 0.0f, 1.0f));
            exps.add(b);
            if (g.cell_w >= 40.0f)
                exps.text(g.cell_id(r, c) + "/v", fmt(e), b.x + g.cell_w * 0.5f, b.y + g.cell_h * 0.5f, kValueSize,
                          text_on(b.fill), 0.5f, 0.5f);
        }
    for (Picture* p : {&start, &exps, &done})
        axes(*p, s, g, s.step.shape);
    // The row sums on the right: of the exponentials, then of the weights (1, or NaN).
    const float sx = g.x + g.width() + 26.0f;
    for (int r = 0; r < g.rows; ++r) {
        const float y = g.cy(r) + g.cell_h * 0.5f;
        exps.text("sum/" + std::to_string(r), "Σ = " + fmt(row_sum[static_cast<size_t>(r)]), sx, y, kLabelSize, kAccent,
                  0.0f, 0.5f);
        double w = 0.0;
        const StepSlice* sl = s.slice(s.index);
        for (int c = 0; c < (sl != nullptr ? sl->cols : 0); ++c)
            w += s.value(s.index, r, c);
        done.text("sum/" + std::to_string(r), "Σ = " + (std::isnan(w) ? std::string("NaN") : fmt(w)), sx, y, kLabelSize,
                  std::isnan(w) ? kNan : kAccent, 0.0f, 0.5f);
    }
    exps.text("sum/head", "row sums", sx, g.y - 8.0f, kLabelSize, kDim, 0.0f, 1.0f);
    done.text("sum/head", "row sums", sx, g.y - 8.0f, kLabelSize, kDim, 0.0f, 1.0f);
    Phase p1, p2;
    p1.caption = "exp(x - row max): every cell of a row";
    p1.code = "F.softmax(att_weights, dim=-1)  # dim=-1: along each row, over the keys";
    p1.from = start, p1.to = exps;
    p2.caption = "divide by the row's sum: each row sums to 1";
    p2.code = s.step.code;
    p2.from = exps, p2.to = done;
    a.phases.push_back(std::move(p1));
    a.phases.push_back(std::move(p2));
    if (s.trace.fill == -INFINITY)
        a.note += "; a row that is all -inf has max -inf: exp(-inf - -inf) is NaN, as in PyTorch";
}

void build_mask_expand(const StepContext& s, StepAnimation& a) {
    const NamedShape& shape = s.step.shape;
    const size_t n = shape.sizes.size();
    if (n < 2) {
        build_generic(s, a);
        return;
    }
    const bool over_heads = s.step.name != "pad_mask_expanded" || (n == 4 && s.source->shape.sizes.size() == 2);
    const int64_t heads = n == 4 ? shape.sizes[1] : 1;
    const int vh = over_heads ? static_cast<int>(std::min<int64_t>(heads, 6)) : 1;
    Grid g = matrix_grid(shape, 250.0f);
    g.x -= 60.0f;
    const float ox = 34.0f, oy = 16.0f;
    const bool from_row = s.source->shape.sizes.size() == 2 && s.source->shape.names[0] == "b";  // pad_mask [b, S]
    Picture from, to;
    for (int h = vh - 1; h >= 0; --h)
        for (int r = 0; r < g.rows; ++r)
            for (int c = 0; c < g.cols; ++c) {
                const float v = s.value(s.index, r, c);
                Box b = cell_box(g, r, c, kNeutral);
                mask_look(b, v != 0.0f);
                b.id = "m/" + std::to_string(h) + "/" + std::to_string(r) + "." + std::to_string(c);
                b.x += static_cast<float>(h) * ox;
                b.y -= static_cast<float>(h) * oy;
                b.start = over_heads ? 0.6f * static_cast<float>(h) / static_cast<float>(std::max(vh, 1)) : 0.0f;
                b.end = b.start + 0.4f;
                to.add(b);
                // Where it comes from: the source's row (pad_mask) or its one slab.
                Box o = b;
                o.x = g.cx(c);
                o.y = from_row ? g.cy(0) : g.cy(r);
                from.add(o);
            }
    axes(to, s, g, shape);
    if (from_row) {
        from.text("m/cols", dim_text(s.source->shape.names[1], s.source->shape.sizes[1]), g.x + g.width() * 0.5f,
                  g.y - 10.0f, kLabelSize, kText, 0.5f, 1.0f);
        col_labels(from, s, g, "m/k", true);
    } else {
        axes(from, s, g, s.source->shape);
    }
    if (over_heads && vh > 1)
        to.text("heads", dim_text("heads", heads) + " copies", g.x + g.width() + static_cast<float>(vh) * ox + 10.0f,
                g.y - static_cast<float>(vh) * oy, kLabelSize, kText);
    Phase ph;
    ph.code = s.step.code;
    ph.caption = s.step.name == "pad_mask_heads"       ? "repeat: the same mask for every head"
                 : s.step.name == "attn_mask_expanded" ? "the same attn_mask for every batch item and head"
                 : over_heads                          ? "view + expand: the row for every head and query"
                                                       : "unsqueeze(1) + expand: the row repeated for every query";
    ph.from = std::move(from);
    ph.to = std::move(to);
    a.phases.push_back(std::move(ph));
}

}  // namespace attn::gui::anim::detail
