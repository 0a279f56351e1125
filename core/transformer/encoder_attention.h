// The encoders' multi-head self-attention (BertSelfAttention, ViTSelfAttention) computed per
// (batch item, head) from strided views of q, k and v: transformers' transpose_for_scores is a
// change of strides, so no [b, heads, L, depth] copy is made, and the scores exist only inside
// the weights they become.
#pragma once

#include "tensor/tensor.h"
#include "transformer/dense.h"

namespace attn {

// Where q, k and v live: rows of `stride` floats, q in the columns [0, hidden) from `q`, and so on.
struct QkvView {
    const float* q;
    const float* k;
    const float* v;
    int64_t stride;  // floats from one position's q to the next one's
};

// probs [b, heads, L, L] = softmax(q_h k_hᵀ · scale + mask_add[b, None, None, :]) and
// context [b, L, heads*depth] = probs_h · v_h in head h's columns. mask_add [b, L] is
// transformers' extended attention mask, 0 for a token and finfo(float32).min for padding, or
// null (ViT). Every element of probs and context is written.
void self_attention(const QkvView& qkv, int64_t b, int64_t L, int64_t heads, int64_t depth, float scale,
                    const float* mask_add, float* probs, float* context);

// (1 - attention_mask) * torch.finfo(torch.float32).min: [b, L] -> [b, L]
Tensor extended_attention_mask(const Tensor& attention_mask);

// ||f_h(x_j)|| (Kobayashi et al. 2020): f_h(x_j) = v_j^h · W_O[:, h·depth:(h+1)·depth]ᵀ, head h's
// value vector through that head's columns of the output dense (its bias left out).
// v: [b, L, heads*depth] rows of `stride` floats -> [b, heads, L]
Tensor value_norms(const float* v, int64_t stride, int64_t b, int64_t L, int64_t heads, int64_t depth,
                   const Dense& output);

}  // namespace attn
