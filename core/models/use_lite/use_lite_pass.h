// Internal to core/models/use_lite: what one use-lite forward pass computes, batch-wide, before
// it is recorded as a ModelPass (use_lite_trace.cpp). Every tensor is [b, L, ...] in the graph's
// own layout, padded positions included: they hold what the TensorFlow.js graph gives there
// (no embedding, no residual projection and no FFN output on padding; attention does run).
#pragma once

#include "models/model.h"
#include "models/use_lite/use_lite_weights.h"
#include "tensor/tensor.h"

#include <memory>
#include <vector>

namespace attn::detail {

struct UseLiteLayerTensors {
    TensorPtr x_in;   // [b, L, in]: the residual stream into the layer
    TensorPtr h;      // [b, L, in]: LayerNorm(x_in)
    TensorPtr qkv;    // [b, L, 3 * heads * depth]
    TensorPtr att;    // [b, heads, L, L]: the attention weights
    TensorPtr ctx;    // [b, L, heads * depth]: weights @ v, heads merged
    TensorPtr o;      // [b, L, out]: output transform
    TensorPtr res;    // [b, L, out]: layer 0's projected residual (0 on padding); null when x_in is added
    TensorPtr x_mid;  // [b, L, out]: o + residual
    TensorPtr f;      // [b, L, out]: LayerNorm_ffn(x_mid)
    TensorPtr ffn1;   // [b, L, ffn]: relu(f @ conv1 + b1), 0 on padding
    TensorPtr ffn2;   // [b, L, out]: ffn1 @ conv2 + b2, 0 on padding
    TensorPtr x_out;  // [b, L, out]: x_mid + ffn2
};

struct UseLitePassTensors {
    int64_t b = 0, L = 0;
    std::vector<int64_t> lengths;  // real tokens per batch item (the mask's leading 1s)
    TensorPtr ids, mask;           // Int64 [b, L]
    TensorPtr x0;                  // [b, L, emb]: e + (e + t), 0 on padding
    std::vector<UseLiteLayerTensors> layers;
    TensorPtr pooled;     // [b, hidden]: mean over the real tokens
    TensorPtr tanh;       // [b, hidden]
    TensorPtr embedding;  // [b, hidden], unit length
};

// The timing signal of positions 0..positions-1: [positions, emb], sin halves then cos halves.
Tensor use_lite_timing_table(const UseLiteWeights& w, int64_t positions);

// The whole pass. `lengths` are the real tokens of each item (right padding).
UseLitePassTensors run_use_lite(const UseLiteWeights& w, const Tensor& timing, const Tensor& ids, const Tensor& mask,
                                std::vector<int64_t> lengths, const ForwardControl* control);

// Records the pass as traces (layers, embeddings, pooling), tensors lazy where they were not
// computed anyway.
// `w` and `timing` are shared with the lazy steps, which may run after the model is gone.
ModelPass record_use_lite_pass(std::shared_ptr<const UseLiteWeights> w, TensorPtr timing, const UseLitePassTensors& t);

}  // namespace attn::detail
