// Attention rollout (Abnar & Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020):
// how much each token of the input reaches each position after l layers, if attention were all
// that mixed the tokens, with the residual connection counted as an extra half of identity.
//
// Per batch item, on its real tokens only (padding is left out of every product):
//   Â_l = rows renormalised (0.5 · mean_heads(A_l) + 0.5 · I)      [n, n], n = real tokens
//   R_1 = Â_1,   R_l = Â_l · R_{l-1}                                 [n, n]
// The result is [b, L, L]: R at the real positions, 0 in every padded row and column, each real
// row summing to 1. The products are in float, and every row is renormalised after each one
// with its sum taken in double: exact arithmetic would leave the rows as they are (a product of
// row-stochastic matrices is row-stochastic), and the rounding no longer piles up over the
// layers. That keeps the real rows at 1 within 1e-6 at bert-base depth and agrees with a float64
// reference within 1e-7, at 1.3x the speed of double products.
#pragma once

#include "analysis/token_layout.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <vector>

namespace attn {

// R_1 ... R_n for layers 0 .. n-1 (element l is the rollout up to and including layer l), each
// [b, L, L]. layers: each [b, H, L, L] (or the seed's one-head [b, L, L]), all one shape.
// ShapeError for non-square attention ("rollout needs self-attention"), layers of different
// shapes, or a layout that does not fit.
std::vector<Tensor> rollout_by_layer(const std::vector<TensorPtr>& layers, const TokenLayout& layout);

// The rollout up to and including layer `up_to_layer` (-1: the whole stack), [b, L, L]. Only
// the layers it needs are multiplied. ShapeError for a layer outside 0 .. layers - 1.
Tensor rollout(const std::vector<TensorPtr>& layers, const TokenLayout& layout, int64_t up_to_layer = -1);

}  // namespace attn
