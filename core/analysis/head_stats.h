// Per-head statistics: what each head of each layer does, in numbers a table can sort (the app's
// statistics table, the CLI's head_stats.json). Each is a mean over query rows; head_stats_table.h
// gives the one-line definitions, JSON, CSV, sorting and filters.
//
// Which rows count: the real query rows (a padded query's row is left out) of every batch item,
// pooled, so that each real row of each sentence counts once. The weights are used as the model
// gave them, over the real keys (a correct model gives padded keys exactly 0).
#pragma once

#include "analysis/token_layout.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

enum class HeadStat {
    Entropy,            // -Σ_j α_ij ln α_ij over the real keys, nats
    EntropyNormalised,  // entropy / ln(real keys): 1 = uniform; rows with a single real key left out
    ClsShare,           // Σ of α_ij over keys labelled [CLS]; sentences without one left out
    SepShare,           // Σ of α_ij over keys labelled [SEP]; sentences without one left out
    PreviousShare,      // α_i,i-1, over rows whose key i-1 is a real token (self-attention only)
    NextShare,          // α_i,i+1, over rows whose key i+1 is a real token (self-attention only)
    SelfShare,          // α_ii (self-attention only)
    MeanDistance,       // Σ_j α_ij |i - j| in tokens; patch models: in patches (see below)
    MaxWeight,          // max_j α_ij
};
constexpr int kHeadStatCount = 9;

// One layer x head. A statistic is NaN where it is absent: [CLS] share with no [CLS] label,
// previous-token share of cross-attention, any statistic of a head with no real query row.
struct HeadStats {
    int64_t layer = 0, head = 0;
    double entropy = 0, entropy_normalised = 0;
    double cls_share = 0, sep_share = 0;
    double previous_share = 0, next_share = 0, self_share = 0;
    double mean_distance = 0, max_weight = 0;
    int64_t rows = 0;  // the real query rows the means are over

    double value(HeadStat stat) const;
};

// Every layer x head of a model, layer-major: rows[layer * heads + head].
struct HeadStatsTable {
    int64_t layers = 0, heads = 0;
    bool patches = false;     // mean_distance is in patches (patch models), else in tokens
    int64_t batch_item = -1;  // -1: every batch item pooled; else the one item the means are over
    std::vector<HeadStats> rows;

    const HeadStats& at(int64_t layer, int64_t head) const {
        return rows.at(static_cast<size_t>(layer * heads + head));
    }
};

// One layer's heads. attn: [b, H, Lq, Lk] or one head's [b, Lq, Lk]; Lq != Lk is cross-attention,
// where the position statistics are NaN. `layer` is the index written into the rows. batch_item
// -1 pools every item, else only that one (ShapeError outside 0 .. b-1).
//
// Mean distance of a patch model (layout.has_patches()): over patch queries and patch keys only,
// the prefix tokens ([CLS]) left out and each row's weights renormalised over the patch keys;
// the distance between two patches is the Euclidean distance of their (row, column) on the grid.
std::vector<HeadStats> layer_head_stats(const Tensor& attn, const TokenLayout& layout, int64_t layer = 0,
                                        int64_t batch_item = -1);

// Every layer: layers are [b, H, Lq, Lk] each, all one shape.
HeadStatsTable compute_head_stats(const std::vector<TensorPtr>& layers, const TokenLayout& layout,
                                  int64_t batch_item = -1);

}  // namespace attn
