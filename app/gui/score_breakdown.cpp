#include "score_breakdown.h"

#include "errors.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attn::gui {

namespace {

// A step of the trace, by name: the latest one (q_heads after q).
const TraceStep* find_step(const Trace& t, const std::string& name) {
    for (auto it = t.steps.rbegin(); it != t.steps.rend(); ++it)
        if (it->name == name) return &*it;
    return nullptr;
}

Tensor make(const TraceStep& step, int64_t max_values) {
    const int64_t n = shape_numel(step.shape.sizes);
    if (n > max_values)
        throw ConfigError("the " + step.name + " step has " + std::to_string(n) +
                          " values, too many to inspect here; use a smaller grid (or fewer tokens)");
    Tensor t = step.tensor();
    if (t.shape != step.shape.sizes)
        throw InternalError(step.name + ": the tensor is " + shape_string(t.shape) + ", its step says " +
                            shape_string(step.shape.sizes));
    return t;
}

// Element (b, h, r, c) of a [b, heads, R, C] or [b, R, C] tensor (h ignored), or (b, c) of [b, C].
float at(const Tensor& t, int64_t b, int64_t h, int64_t r, int64_t c) {
    const Shape& s = t.shape;
    int64_t i = 0;
    if (s.size() == 4)
        i = ((b * s[1] + h) * s[2] + r) * s[3] + c;
    else if (s.size() == 3)
        i = (b * s[1] + r) * s[2] + c;
    else if (s.size() == 2)
        i = b * s[1] + c;
    else
        throw InternalError("inspector: a tensor of rank " + std::to_string(s.size()));
    return t.data[static_cast<size_t>(i)];
}

}  // namespace

std::vector<double> ScoreBreakdown::weights_at(double temperature) const {
    std::vector<double> out(row.size(), std::numeric_limits<double>::quiet_NaN());
    if (row.empty() || !(temperature > 0.0)) return out;
    // Subtracting the max first, as F.softmax does, only for numerical stability.
    double m = -std::numeric_limits<double>::infinity();
    for (float v : row)
        m = std::max(m, static_cast<double>(v) / temperature);
    double sum = 0.0;
    for (size_t j = 0; j < row.size(); ++j) {
        out[j] = std::exp(static_cast<double>(row[j]) / temperature - m);
        sum += out[j];
    }
    for (double& w : out)
        w /= sum;  // 0/0 = NaN for a row of -inf, as in PyTorch
    return out;
}

ScoreBreakdown break_down_score(const Trace& trace, const Scene* scene, int batch, int head, int query, int key,
                                int64_t max_values) {
    const TraceStep* qs = find_step(trace, "q_heads");
    const TraceStep* ks = find_step(trace, "k_heads");
    if (qs == nullptr) qs = find_step(trace, "q");
    if (ks == nullptr) ks = find_step(trace, "k");
    const TraceStep* scores = find_step(trace, "scores");
    const TraceStep* scaled = find_step(trace, "scaled");
    const TraceStep* masked = find_step(trace, "masked");
    const TraceStep* softmax = find_step(trace, "softmax");
    if (!qs || !ks || !scores || !softmax)
        throw ConfigError("this pass has no q, k, scores and softmax steps to inspect");
    if (!scaled) scaled = scores;
    if (!masked) masked = scaled;

    // Every step it reads must fit before any is made: a refusal comes at once, not after seconds
    // of recomputing the others.
    for (const TraceStep* step : {qs, ks, scores, scaled, masked, softmax})
        if (shape_numel(step->shape.sizes) > max_values)
            throw ConfigError("the " + step->name + " step has " + std::to_string(shape_numel(step->shape.sizes)) +
                              " values, too many to inspect here; use a smaller grid (or fewer tokens)");

    ScoreBreakdown r;
    const Tensor sc = make(*scores, max_values);
    const Shape& ss = sc.shape;  // [b, heads, L, S] or [b, L, S]
    r.batches = static_cast<int>(ss[0]);
    r.heads = ss.size() == 4 ? static_cast<int>(ss[1]) : 1;
    r.queries = static_cast<int>(ss[ss.size() - 2]);
    r.keys = static_cast<int>(ss[ss.size() - 1]);
    r.batch = std::clamp(batch, 0, r.batches - 1);
    r.head = std::clamp(head, 0, r.heads - 1);
    r.query = std::clamp(query, 0, r.queries - 1);
    r.key = std::clamp(key, 0, r.keys - 1);
    const int64_t b = r.batch, h = r.head, i = r.query, j = r.key;
    r.q_step = qs->name;
    r.k_step = ks->name;
    if (scene != nullptr) {
        r.query_label = scene->query_label(b, i);
        r.key_label = scene->key_label(b, j);
    }

    // q_i and k_j, their products and sum.
    const Tensor q = make(*qs, max_values), k = make(*ks, max_values);
    const int64_t depth = q.shape.back();
    if (k.shape.back() != depth) throw InternalError("inspector: q and k of different depths");
    for (int64_t d = 0; d < depth; ++d) {
        r.q.push_back(at(q, b, h, i, d));
        r.k.push_back(at(k, b, h, j, d));
        r.products.push_back(static_cast<double>(r.q.back()) * static_cast<double>(r.k.back()));
        r.dot += r.products.back();
    }
    r.score = at(sc, b, h, i, j);
    r.scale = trace.scale;
    r.fill = trace.fill;
    r.scaled = at(make(*scaled, max_values), b, h, i, j);

    // The mask: key padding, and torch-mha's attn_mask and what it added.
    if (const TraceStep* pad = find_step(trace, "pad_mask"))
        if (pad->shape.sizes.size() == 2) r.padding = at(make(*pad, max_values), b, 0, 0, j) != 0.0f;
    if (const TraceStep* am = find_step(trace, "attn_mask_expanded")) {
        r.has_attn_mask = true;
        const Tensor t = make(*am, max_values);
        const float v = at(t, b, h, i, j);
        r.attn_masked = am->dtype == DType::Bool ? v != 0.0f : std::isinf(v) && v < 0.0f;
    }
    if (const TraceStep* fm = find_step(trace, "float_mask")) r.mask_added = at(make(*fm, max_values), b, h, i, j);

    // The row and its softmax.
    const Tensor m = make(*masked, max_values), w = make(*softmax, max_values);
    r.masked = at(m, b, h, i, j);
    r.weight = at(w, b, h, i, j);
    r.row_max = -std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < r.keys; ++c) {
        r.row.push_back(at(m, b, h, i, c));
        r.weights.push_back(at(w, b, h, i, c));
        r.row_max = std::max(r.row_max, static_cast<double>(r.row.back()));
    }
    for (float v : r.row) {
        r.exps.push_back(std::exp(static_cast<double>(v) - r.row_max));
        r.normaliser += r.exps.back();
    }
    return r;
}

}  // namespace attn::gui
