// Everything that makes one attention weight, taken from the pass's own tensors (the trace's
// steps, made with produce()): for query i and key j of batch item b, head h,
//   q_i and k_j                 q_heads[b, h, i, :], k_heads[b, h, j, :] (q, k for single-head)
//   their products and sum      Σ_d q_i[d] k_j[d], next to the engine's scores[b, h, i, j]
//   the scale                   scaled[b, h, i, j] = scores x scale
//   the mask                    pad_mask[b, j] (and torch-mha's attn_mask), masked[b, h, i, j]
//   the row's softmax           exp(x - max) over masked[b, h, i, :], its sum (the normaliser),
//                               and softmax[b, h, i, j], the weight
// so the Q·K inspector can show each number and that they add up to the cell. The products, sum,
// exponentials and normaliser are worked out here in double; the engine's values are beside them.
// Part of the GUI's model: no GL or ImGui.
#pragma once

#include "model/trace.h"
#include "pipeline/scene.h"

#include <string>
#include <vector>

namespace attn::gui {

struct ScoreBreakdown {
    int batch = 0, head = 0, query = 0, key = 0;
    int heads = 1, queries = 0, keys = 0, batches = 0;  // the sizes the indices range over
    std::string query_label, key_label;
    std::string q_step, k_step;  // "q_heads" / "q"

    std::vector<float> q, k;       // q_i, k_j: [depth]
    std::vector<double> products;  // q_i[d] * k_j[d]
    double dot = 0.0;              // Σ products
    float score = 0.0f;            // the engine's scores cell
    double scale = 0.0;            // Trace::scale
    float scaled = 0.0f;           // the engine's scaled cell
    bool padding = false;          // pad_mask[b, j]: key j is padding
    bool has_attn_mask = false;    // torch-mha with an attn_mask (or causal)
    bool attn_masked = false;      // its bool value at (i, j): True = not allowed
    float mask_added = 0.0f;       // what was added to the scaled score (torch-mha: float_mask)
    float fill = 0.0f;             // what masked_fill writes (Trace::fill)
    float masked = 0.0f;           // the engine's masked cell
    std::vector<float> row;        // masked[b, h, i, :]: the row the softmax normalises
    double row_max = 0.0;          // its max (-inf when every key is masked with -inf)
    std::vector<double> exps;      // exp(row - row_max)
    double normaliser = 0.0;       // Σ exps
    float weight = 0.0f;           // the engine's softmax cell
    std::vector<float> weights;    // softmax[b, h, i, :]

    // The row's weights with the scores divided by a temperature T > 0: softmax(row / T). T = 1 is
    // the pass's own softmax; T < 1 sharpens the row, T > 1 flattens it. NaN where the row is.
    std::vector<double> weights_at(double temperature) const;
};

// The breakdown of score cell (b, h, i, j) of the pass. Indices are clamped to the tensor sizes.
// ConfigError when the pass has no such steps (a real model's trace) or a step is too large to
// make (more than max_values values: a full-resolution picture's q_heads).
ScoreBreakdown break_down_score(const Trace& trace, const Scene* scene, int batch, int head, int query, int key,
                                int64_t max_values);

}  // namespace attn::gui
