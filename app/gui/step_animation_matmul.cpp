// The contractions: scores = q @ k^T (the depth axis summed over) and weighted_sum = weights @ v
// (the keys summed over), as torch.matmul / torch.bmm or as the cross modules' einsums, drawn the
// way matrix products are taught: the left operand beside the result, the right one above it, one
// result cell at a time from a row of the left and a column of the right.
#include "step_animation_parts.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace attn::gui::anim::detail {

namespace {

// 'bnid,bnjd -> bnij' -> {"bnid", "bnjd", "bnij"}; empty when the code has no einsum.
std::vector<std::string> einsum_terms(const std::string& code) {
    const size_t at = code.find("einsum(");
    if (at == std::string::npos) return {};
    const size_t q0 = code.find('\'', at);
    const size_t q1 = q0 == std::string::npos ? q0 : code.find('\'', q0 + 1);
    if (q1 == std::string::npos) return {};
    std::string spec;
    for (char ch : code.substr(q0 + 1, q1 - q0 - 1))
        if (!std::isspace(static_cast<unsigned char>(ch))) spec.push_back(ch);
    const size_t arrow = spec.find("->"), comma = spec.find(',');
    if (arrow == std::string::npos || comma == std::string::npos || comma > arrow) return {};
    return {spec.substr(0, comma), spec.substr(comma + 1, arrow - comma - 1), spec.substr(arrow + 2)};
}

std::string letter(const std::vector<std::string>& terms, size_t term, size_t from_end) {
    if (terms.size() != 3 || terms[term].size() < from_end) return "";
    return std::string(1, terms[term][terms[term].size() - from_end]);
}

// The finite range of the first rows x cols of a slice.
std::pair<float, float> range_of(const StepContext& s, int step, int rows, int cols) {
    float lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const float v = s.value(step, r, c);
            if (std::isfinite(v) && v != s.trace.fill) lo = std::min(lo, v), hi = std::max(hi, v);
        }
    if (!(lo <= hi)) return {0.0f, 1.0f};
    return {lo, hi};
}

// "k.transpose(-2, -1)" as the line writes it, or "" when it has none.
std::string transpose_call(const std::string& code) {
    const size_t at = code.find(".transpose(");
    if (at == std::string::npos) return "";
    size_t begin = at;
    while (begin > 0 && (std::isalnum(static_cast<unsigned char>(code[begin - 1])) || code[begin - 1] == '_'))
        --begin;
    const size_t close = code.find(')', at);
    return close == std::string::npos ? "" : code.substr(begin, close + 1 - begin);
}

}  // namespace

void build_contraction(const StepContext& s, StepAnimation& a) {
    const bool scores = s.step.name == "scores";
    const int left = scores ? std::max(s.find("q_heads"), s.find("q")) : s.find("softmax");
    const int right = scores ? std::max(s.find("k_heads"), s.find("k")) : std::max(s.find("v_heads"), s.find("v"));
    // q_heads comes after q: the larger index is the head-split one when both exist.
    if (left < 0 || right < 0) {
        build_generic(s, a);
        return;
    }
    const NamedShape& ls = s.trace.steps[static_cast<size_t>(left)].shape;
    const NamedShape& out = s.step.shape;
    if (ls.sizes.size() < 2 || out.sizes.size() < 2) {
        build_generic(s, a);
        return;
    }
    const size_t nl = ls.sizes.size(), no = out.sizes.size();
    const std::vector<std::string> terms = einsum_terms(s.step.code);
    // Rows i and columns j of the result, the contracted k; the right operand is [J, K] for the
    // scores (k, transposed first) and [K, J] for the weighted sum (v).
    Axis I{ls.names[nl - 2], ls.sizes[nl - 2], letter(terms, 0, 2)};
    Axis K{ls.names[nl - 1], ls.sizes[nl - 1], letter(terms, 0, 1), true};
    Axis J{out.names[no - 1], out.sizes[no - 1], letter(terms, 2, 1)};
    const bool transposed = scores;

    const int vi = static_cast<int>(std::min<int64_t>(I.size, kMaxRows));
    const int vj = static_cast<int>(std::min<int64_t>(J.size, kMaxCols));
    constexpr int kMaxK = 6;  // of the contracted axis drawn
    const int vk = static_cast<int>(std::min<int64_t>(K.size, kMaxK));
    // The right operand on top, the result under it: sized to fit between the code and the shapes.
    const float thin = 22.0f, gap = 26.0f, top = 250.0f, rx = 600.0f;
    const float ry = top + thin * static_cast<float>(vk) + gap;
    const float cell = std::min(56.0f, std::floor((640.0f - ry) / static_cast<float>(vi)));
    Grid res = make_grid("res", rx, ry, cell, cell, I.size, J.size, kMaxRows, kMaxCols);
    Grid lg = make_grid("A", rx - gap - thin * static_cast<float>(vk), ry, thin, cell, I.size, K.size, kMaxRows, kMaxK);
    Grid tg = make_grid("B", rx, top, cell, thin, K.size, J.size, kMaxK, kMaxCols);

    // Colours: the weights by value, q, k and v in their own colours, the result by value.
    const auto [rlo, rhi] = range_of(s, s.index, vi, vj);
    const Rgba lcol = scores ? kQ : kNeutral, tcol = scores ? kK : kV;
    auto left_fill = [&](int r, int c) {
        if (scores) return with_alpha(lcol, 0.85f + 0.15f * static_cast<float>((r + c) % 2));
        return value_colour(s.in.colormap, s.value(left, r, c), 0.0f, 1.0f);
    };
    auto result_fill = [&](int r, int c) { return value_colour(s.in.colormap, s.value(s.index, r, c), rlo, rhi); };

    Picture start, lined, done;
    // The left operand, in every keyframe.
    for (int r = 0; r < lg.rows; ++r)
        for (int c = 0; c < lg.cols; ++c) {
            const Box b = cell_box(lg, r, c, left_fill(r, c));
            start.add(b), lined.add(b), done.add(b);
        }
    // The right operand: as it comes ([J, K] beside the result, for the scores) and lined up above
    // the result ([K, J]).
    const float side_x = rx + res.width() + 90.0f;
    for (int k = 0; k < tg.rows; ++k)
        for (int j = 0; j < tg.cols; ++j) {
            Box up = cell_box(tg, k, j, with_alpha(tcol, 0.85f + 0.15f * static_cast<float>((j + k) % 2)));
            up.id = "B/" + std::to_string(j) + "." + std::to_string(k);
            lined.add(up), done.add(up);
            Box side = up;
            if (transposed) side.x = side_x + static_cast<float>(k) * thin, side.y = ry + static_cast<float>(j) * cell;
            side.w = transposed ? thin : cell, side.h = transposed ? cell : thin;
            start.add(side);
        }
    // The result, one cell after the other.
    const int cells = res.rows * res.cols;
    for (int r = 0; r < res.rows; ++r)
        for (int c = 0; c < res.cols; ++c) {
            Box b = cell_box(res, r, c, result_fill(r, c));
            const float n = static_cast<float>(r * res.cols + c);
            b.start = 0.85f * n / static_cast<float>(cells);
            b.end = b.start + 0.15f;
            done.add(b);
            if (res.cols <= 6 && std::isfinite(s.value(s.index, r, c))) {
                Label& l = done.text(res.cell_id(r, c) + "/v", fmt(s.value(s.index, r, c)), b.x + cell * 0.5f,
                                     b.y + cell * 0.5f, kValueSize * 0.8f, text_on(b.fill), 0.5f, 0.5f);
                l.start = b.start, l.end = b.end;
            }
        }
    // Axis labels; the contracted one lit once it is summed over.
    auto axes = [&](Picture& p, bool summed) {
        const Rgba kc = summed ? kAccent : kText;
        label_corner(p, "A/rows", lg, axis_text(I), kText);
        label_bottom(p, "A/cols", lg, axis_text(K), kc);
        label_left(p, "B/rows", tg, axis_text(K) + (summed ? "  (summed over)" : ""), kc);
        label_top(p, "B/cols", tg, axis_text(J), kText);
        row_labels(p, s, lg, "A/tok");
    };
    axes(lined, false);
    axes(done, true);
    if (scores) col_labels(done, s, res, "res/tok", true);
    label_corner(start, "A/rows", lg, axis_text(I), kText);
    label_bottom(start, "A/cols", lg, axis_text(K), kText);
    row_labels(start, s, lg, "A/tok");
    if (transposed) {
        Grid side = make_grid("B", side_x, ry, thin, cell, J.size, K.size, kMaxCols, kMaxK);
        label_top(start, "B/cols", side, axis_text(K), kText);
        label_left(start, "B/rows", side, "", kText);
        start.text("B/rows2", axis_text(J), side_x + thin * static_cast<float>(vk) + 10.0f,
                   ry + cell * static_cast<float>(side.rows) * 0.5f, kLabelSize, kText, 0.0f, 0.5f);
    }
    const std::string rname = s.trace.steps[static_cast<size_t>(right)].name;
    const std::string kname = K.letter.empty() ? K.name : K.letter;
    const std::string i = I.letter.empty() ? "i" : I.letter, j = J.letter.empty() ? "j" : J.letter;
    const std::string formula = scores ? "scores[" + i + ", " + j + "] = Σ_" + kname + "  q[" + i + ", " + kname +
                                             "] · k[" + j + ", " + kname + "]"
                                       : "out[" + i + ", " + j + "] = Σ_" + kname + "  weights[" + i + ", " + kname +
                                             "] · v[" + kname + ", " + j + "]";
    done.text("formula", formula, 40.0f, terms.empty() ? 150.0f : 186.0f, kLabelSize, kAccent);
    if (!terms.empty())
        for (Picture* p : {&start, &lined, &done})
            p->text("einsum",
                    "'" + terms[0] + ", " + terms[1] + " -> " + terms[2] + "':  " + kname +
                        " is in both inputs, not in the output: summed over",
                    40.0f, 150.0f, kLabelSize, kText);

    // The sweep: the pair of a left row and a right column that makes the current result cell.
    auto sweep = [res, lg, tg, cells](Picture& p, float s) {
        if (s >= 1.0f) return;
        const int n = std::clamp(static_cast<int>(s / 0.85f * static_cast<float>(cells)), 0, cells - 1);
        const int r = n / res.cols, c = n % res.cols;
        auto frame = [&](const std::string& id, float x, float y, float w, float h) {
            Box b;
            b.id = id;
            b.x = x - 2.0f, b.y = y - 2.0f, b.w = w + 4.0f, b.h = h + 4.0f;
            b.edge = kAccent;
            b.edge_width = 3.0f;
            b.radius = 4.0f;
            p.add(b);
        };
        frame("sweep/row", lg.x, lg.cy(r), lg.width(), lg.cell_h);
        frame("sweep/col", tg.cx(c), tg.y, tg.cell_w, tg.height());
        frame("sweep/cell", res.cx(c), res.cy(r), res.cell_w, res.cell_h);
    };

    if (transposed) {
        Phase tp;
        const bool einsum = !terms.empty();
        const std::string call = transpose_call(s.step.code);
        tp.caption = einsum ? "line up " + kname + ": both inputs carry it"
                            : (call.empty() ? rname + ".transpose(-2, -1)" : call);
        tp.code = einsum ? s.step.code
                         : rname + " [.., " + J.name + ", " + K.name + "] -> [.., " + K.name + ", " + J.name + "]";
        tp.from = start;
        tp.to = lined;
        a.phases.push_back(std::move(tp));
    }
    Phase mm;
    mm.caption = (terms.empty() ? std::string("matmul: ") : std::string("einsum: ")) + "Σ over " + kname + " (" +
                 std::to_string(K.size) + " products a cell)";
    mm.code = s.step.code;
    mm.from = lined;
    mm.to = done;
    mm.overlay = sweep;
    a.phases.push_back(std::move(mm));
    a.note += "; " + std::to_string(lg.rows) + " of " + std::to_string(I.size) + " rows drawn";
}

}  // namespace attn::gui::anim::detail
