// Norm-based attention (Kobayashi, Kuribayashi, Yokoi & Inui, "Attention is Not Only a Weight:
// Analyzing Transformers with Vector Norms", EMNLP 2020). A head's output at query i is
// Σ_j α_ij f_h(x_j), with f_h(x_j) = (x_j W_V + b_V) W_O restricted to head h. The weight α_ij
// says how much of token j's vector is taken, ||α_ij f_h(x_j)|| how much that moves the output:
// a large weight on a token whose f_h is short ([CLS], [SEP], punctuation) moves little.
#pragma once

#include "tensor/tensor.h"

namespace attn {

// ||α_ij f_h(x_j)|| = α_ij · ||f_h(x_j)||, per head.
//   attn         [b, H, Lq, Lk]   softmax weights of one layer
//   value_norms  [b, H, Lk]       ||f_h(x_j)|| (LayerPass::value_norms)
//   result       [b, H, Lq, Lk]
// Padded keys keep the weight's 0. ShapeError naming both tensors and their shapes.
Tensor attention_norms(const Tensor& attn, const Tensor& value_norms);

// The paper's norm summed over heads, ||Σ_h α^h_ij f_h(x_j)||: how much token j moves the whole
// layer's attention output at query i. Needs more than the norms: the inner products of the
// heads' vectors of each token,
//   value_gram   [b, Lk, H, H]    G[j, h, g] = <f_h(x_j), f_g(x_j)>  (its diagonal: value_norms²)
// because ||Σ_h α^h f_h||² = Σ_h Σ_g α^h α^g G[h, g].
//   result       [b, Lq, Lk]
// ShapeError naming both tensors and their shapes. (models/model.h gives the norms only; a
// LayerPass that also gives value_gram, or the vectors through value_gram_of, feeds this.)
Tensor attention_norms_head_sum(const Tensor& attn, const Tensor& value_gram);

// value_gram from the vectors themselves.
//   value_vectors [b, H, Lk, D]   f_h(x_j), D = the layer's output width
//   result        [b, Lk, H, H]
Tensor value_gram_of(const Tensor& value_vectors);

}  // namespace attn
