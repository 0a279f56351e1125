#include "analysis/head_stats.h"

#include "errors.h"

#include <Eigen/Core>

#include <array>
#include <cfloat>
#include <cmath>
#include <limits>

namespace attn {

namespace {

using ArrayF = Eigen::Array<float, Eigen::Dynamic, 1>;
using ConstRow = Eigen::Map<const ArrayF>;

constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// What every head of every layer needs of one batch item, made once per call.
struct ItemContext {
    ArrayF key_weight;        // [Lk]: 1 = real key, 0 = padding; multiplies the padded keys away
    ArrayF patch_key_weight;  // [patches]: 1 = real patch key (patch models)
    int64_t real_keys = 0;
    bool one_run = false;  // the real keys are exactly [run_begin, run_begin + real_keys)
    int64_t run_begin = 0;
    std::vector<int64_t> cls_keys, sep_keys;  // real keys labelled [CLS] / [SEP]
    bool has_cls = false, has_sep = false;
};

// The shape of the problem, shared by every head.
struct Setup {
    int64_t batch = 0, heads = 0, queries = 0, keys = 0;
    bool self = false;  // Lq == Lk: the position statistics exist
    bool patches = false;
    int64_t prefix = 0, patch_cols = 0, patch_count = 0;
    ArrayF key_position;          // [Lk]: 0, 1, 2, ... (token distances)
    ArrayF patch_row, patch_col;  // [patches]: each patch key's place on the grid
    RealTokens real;
    std::vector<ItemContext> items;         // [b]
    int64_t first_item = 0, last_item = 0;  // the items the means are over: [first, last)
};

Setup make_setup(const Shape& shape, const TokenLayout& layout, int64_t batch_item, const std::string& attn_name) {
    Setup s;
    s.real = check_token_layout(layout, shape, attn_name);
    s.batch = shape[0];
    s.heads = shape[1];
    s.queries = shape[2];
    s.keys = shape[3];
    s.self = s.queries == s.keys;
    if (batch_item < -1 || batch_item >= s.batch)
        throw ShapeError("head statistics of batch item " + std::to_string(batch_item) + ": " + attn_name + " " +
                         shape_string(shape) + " has items 0 to " + std::to_string(s.batch - 1));
    s.first_item = batch_item < 0 ? 0 : batch_item;
    s.last_item = batch_item < 0 ? s.batch : batch_item + 1;

    s.key_position = ArrayF::LinSpaced(s.keys, 0.0f, static_cast<float>(s.keys - 1));
    s.patches = layout.has_patches() && s.self;
    if (s.patches) {
        s.prefix = layout.prefix_tokens;
        s.patch_cols = layout.patch_cols;
        s.patch_count = layout.patch_rows * layout.patch_cols;
        s.patch_row.resize(s.patch_count);
        s.patch_col.resize(s.patch_count);
        for (int64_t p = 0; p < s.patch_count; ++p) {
            s.patch_row[p] = static_cast<float>(p / s.patch_cols);
            s.patch_col[p] = static_cast<float>(p % s.patch_cols);
        }
    }

    s.items.resize(static_cast<size_t>(s.batch));
    for (int64_t i = 0; i < s.batch; ++i) {
        ItemContext& c = s.items[static_cast<size_t>(i)];
        c.key_weight.resize(s.keys);
        for (int64_t k = 0; k < s.keys; ++k)
            c.key_weight[k] = s.real.key_is_real(i, k) ? 1.0f : 0.0f;
        c.real_keys = s.real.token_count[static_cast<size_t>(i)];
        int64_t first = 0;
        while (first < s.keys && c.key_weight[first] == 0.0f)
            ++first;
        c.run_begin = first;
        c.one_run = c.real_keys > 0 && (c.key_weight.segment(first, c.real_keys) == 1.0f).all();
        if (s.patches) c.patch_key_weight = c.key_weight.segment(s.prefix, s.patch_count);
        if (!layout.tokens.empty()) {
            const std::vector<std::string>& labels = layout.tokens[static_cast<size_t>(i)];
            for (int64_t k = 0; k < s.keys; ++k) {
                if (!s.real.key_is_real(i, k)) continue;
                if (labels[static_cast<size_t>(k)] == "[CLS]") c.cls_keys.push_back(k);
                if (labels[static_cast<size_t>(k)] == "[SEP]") c.sep_keys.push_back(k);
            }
        }
        c.has_cls = !c.cls_keys.empty();
        c.has_sep = !c.sep_keys.empty();
    }
    return s;
}

// Sums and counts of each statistic over the rows seen so far.
struct Accumulator {
    std::array<double, kHeadStatCount> sum{};
    std::array<int64_t, kHeadStatCount> count{};
    void add(HeadStat stat, double v) {
        sum[static_cast<size_t>(stat)] += v;
        count[static_cast<size_t>(stat)] += 1;
    }
    double mean(HeadStat stat) const {
        const size_t i = static_cast<size_t>(stat);
        return count[i] > 0 ? sum[i] / static_cast<double>(count[i]) : kAbsent;
    }
};

// One query row of one item: `a` is α_q·, [Lk].
void add_row(const Setup& s, const ItemContext& c, int64_t q, const ConstRow& a, Accumulator& acc) {
    // Entropy, max weight and token distance over the real keys. 0 · ln 0 is taken as 0: the
    // floor keeps ln finite, and the 0 weight then cancels it. The logarithm is most of the cost
    // of the statistics, so when the real keys are one run (right or left padding) only that run
    // is read; otherwise the padded keys are multiplied away.
    const bool distance_in_tokens = s.self && !s.patches;
    const float query = static_cast<float>(q);
    double entropy = 0, max_weight = 0, distance = 0;
    if (c.one_run) {
        const auto w = a.segment(c.run_begin, c.real_keys);  // α over the real keys: [n]
        entropy = -static_cast<double>((w * w.max(FLT_MIN).log()).sum());
        max_weight = static_cast<double>(w.maxCoeff());
        if (distance_in_tokens)
            distance =
                static_cast<double>((w * (s.key_position.segment(c.run_begin, c.real_keys) - query).abs()).sum());
    } else {
        const auto masked = a * c.key_weight;  // α over the real keys, 0 on padding: [Lk]
        entropy = -static_cast<double>((masked * a.max(FLT_MIN).log()).sum());
        max_weight = static_cast<double>(masked.maxCoeff());
        if (distance_in_tokens) distance = static_cast<double>((masked * (s.key_position - query).abs()).sum());
    }
    acc.add(HeadStat::Entropy, entropy);
    if (c.real_keys > 1) acc.add(HeadStat::EntropyNormalised, entropy / std::log(static_cast<double>(c.real_keys)));
    acc.add(HeadStat::MaxWeight, max_weight);
    if (c.has_cls) {
        double share = 0;
        for (int64_t k : c.cls_keys)
            share += a[k];
        acc.add(HeadStat::ClsShare, share);
    }
    if (c.has_sep) {
        double share = 0;
        for (int64_t k : c.sep_keys)
            share += a[k];
        acc.add(HeadStat::SepShare, share);
    }
    if (!s.self) return;

    if (q >= 1 && c.key_weight[q - 1] != 0.0f) acc.add(HeadStat::PreviousShare, a[q - 1]);
    if (q + 1 < s.keys && c.key_weight[q + 1] != 0.0f) acc.add(HeadStat::NextShare, a[q + 1]);
    acc.add(HeadStat::SelfShare, a[q]);

    if (distance_in_tokens) {
        acc.add(HeadStat::MeanDistance, distance);
        return;
    }
    if (q < s.prefix) return;  // [CLS] has no place on the grid
    const int64_t p = q - s.prefix;
    const auto patch_weights = a.segment(s.prefix, s.patch_count) * c.patch_key_weight;
    const double total = static_cast<double>(patch_weights.sum());
    if (!(total > 0)) return;  // no weight on any patch: no distance to average
    const float row = static_cast<float>(p / s.patch_cols), col = static_cast<float>(p % s.patch_cols);
    const auto grid_distance = ((s.patch_row - row).square() + (s.patch_col - col).square()).sqrt();
    acc.add(HeadStat::MeanDistance, static_cast<double>((patch_weights * grid_distance).sum()) / total);
}

HeadStats head_of(const Tensor& attn, const Setup& s, int64_t layer, int64_t head) {
    Accumulator acc;
    int64_t rows = 0;
    for (int64_t i = s.first_item; i < s.last_item; ++i) {
        const ItemContext& c = s.items[static_cast<size_t>(i)];
        const float* matrix = attn.ptr() + (i * s.heads + head) * s.queries * s.keys;  // [Lq, Lk]
        for (int64_t q = 0; q < s.queries; ++q) {
            // Self-attention: a padded position's query row is left out. Cross-attention: the
            // mask is over the keys, and every query row counts.
            if (s.self && !s.real.key_is_real(i, q)) continue;
            if (c.real_keys == 0) continue;  // cross-attention over padding alone: nothing to describe
            add_row(s, c, q, ConstRow(matrix + q * s.keys, s.keys), acc);
            ++rows;
        }
    }
    HeadStats out;
    out.layer = layer;
    out.head = head;
    out.rows = rows;
    out.entropy = acc.mean(HeadStat::Entropy);
    out.entropy_normalised = acc.mean(HeadStat::EntropyNormalised);
    out.cls_share = acc.mean(HeadStat::ClsShare);
    out.sep_share = acc.mean(HeadStat::SepShare);
    out.previous_share = acc.mean(HeadStat::PreviousShare);
    out.next_share = acc.mean(HeadStat::NextShare);
    out.self_share = acc.mean(HeadStat::SelfShare);
    out.mean_distance = acc.mean(HeadStat::MeanDistance);
    out.max_weight = acc.mean(HeadStat::MaxWeight);
    return out;
}

}  // namespace

double HeadStats::value(HeadStat stat) const {
    switch (stat) {
        case HeadStat::Entropy:
            return entropy;
        case HeadStat::EntropyNormalised:
            return entropy_normalised;
        case HeadStat::ClsShare:
            return cls_share;
        case HeadStat::SepShare:
            return sep_share;
        case HeadStat::PreviousShare:
            return previous_share;
        case HeadStat::NextShare:
            return next_share;
        case HeadStat::SelfShare:
            return self_share;
        case HeadStat::MeanDistance:
            return mean_distance;
        case HeadStat::MaxWeight:
            return max_weight;
    }
    return kAbsent;
}

std::vector<HeadStats> layer_head_stats(const Tensor& attn, const TokenLayout& layout, int64_t layer,
                                        int64_t batch_item) {
    const std::string name = "layer " + std::to_string(layer) + " attn";
    const Shape dims = check_attention_tensor(&attn, name);  // [b, H, Lq, Lk]
    const Setup s = make_setup(dims, layout, batch_item, name);
    std::vector<HeadStats> out(static_cast<size_t>(s.heads));
#pragma omp parallel for schedule(dynamic) if (s.heads > 1 && attn.numel() > 100000)
    for (int64_t h = 0; h < s.heads; ++h)
        out[static_cast<size_t>(h)] = head_of(attn, s, layer, h);
    return out;
}

HeadStatsTable compute_head_stats(const std::vector<TensorPtr>& layers, const TokenLayout& layout, int64_t batch_item) {
    const Shape shape = check_attention_layers(layers, "head statistics");
    const Setup s = make_setup(shape, layout, batch_item, "layer 0 attn");
    HeadStatsTable table;
    table.layers = static_cast<int64_t>(layers.size());
    table.heads = s.heads;
    table.patches = s.patches;
    table.batch_item = batch_item;
    table.rows.resize(static_cast<size_t>(table.layers * table.heads));
    const int64_t tasks = table.layers * table.heads;
#pragma omp parallel for schedule(dynamic) if (tasks > 1 && layers[0]->numel() * table.layers > 100000)
    for (int64_t t = 0; t < tasks; ++t)
        table.rows[static_cast<size_t>(t)] =
            head_of(*layers[static_cast<size_t>(t / s.heads)], s, t / s.heads, t % s.heads);
    return table;
}

}  // namespace attn
