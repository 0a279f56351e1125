// The token modules' hot path: the attention weights and the weighted sum computed per (batch,
// head) straight from q, k, v in their [b, L, emb] layout. The seed's view/transpose head split
// is a change of strides, not of data, so each head is a strided view here; nothing is copied
// into [b, heads, L, depth] and the scores never exist apart from the weights. The trace's
// scores, scaled, masked and heads steps are made from the plain ops (ops.h) when asked for.
#pragma once

#include "tensor/tensor.h"

namespace attn {

// softmax(masked_fill(scale · q_h k_hᵀ)) for every batch item and head:
// q [b, Lq, heads*depth], k [b, Lk, heads*depth], pad_mask Bool [b, Lk] or null
// -> att_weights [b, heads, Lq, Lk]. Same NaN rule as softmax_last.
// With attn_add (nn.MultiheadAttention's attn_mask as floats, attn_mask_as_float: F32 [Lq, Lk]
// or [b*heads, Lq, Lk]) the mask is added instead, torch's way: score x scale + attn_add, or
// + fill where the key is padding (model/attn_mask.h).
Tensor fused_attention_weights(const Tensor& q, const Tensor& k, int64_t heads, double scale, const Tensor* pad_mask,
                               float fill, const Tensor* attn_add = nullptr);

// att [b, heads, Lq, Lk] · v_h, each head written into its columns of the merged layout:
// v [b, Lk, heads*depth] -> [b, Lq, heads*depth] (the seed's weighted sum, then merge heads).
Tensor fused_weighted_values(const Tensor& att, const Tensor& v, int64_t heads);

// Runs small passes on one thread: waking a second one costs more than it saves, and on a busy
// machine a descheduled thread stalls every parallel region. Restores the setting on exit.
class ThreadsForWork {
public:
    explicit ThreadsForWork(double flops);
    ~ThreadsForWork();
    ThreadsForWork(const ThreadsForWork&) = delete;
    ThreadsForWork& operator=(const ThreadsForWork&) = delete;

private:
    int previous_ = 0, previous_eigen_ = 0;
};

}  // namespace attn
