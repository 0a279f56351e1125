// The tensor operations the modules are built from, each the counterpart of one PyTorch call.
// Shapes are written the seed's way; all tensors are row-major (see tensor/tensor.h).
#pragma once

#include "tensor/tensor.h"

namespace attn {

// nn.Linear: x [..., in] · weightᵀ [in, out] + bias [out] -> [..., out]. bias may be null.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias);

// nn.Linear with rows [row0, row0 + out) of a packed weight (nn.MultiheadAttention's
// in_proj_weight [3E, E] and in_proj_bias [3E]): x [..., in] -> [..., out].
Tensor linear_rows(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t row0, int64_t out);

// nn.Conv2d(kernel_size=1): x [b, c_in, h, w], weight [c_out, c_in, 1, 1] -> [b, c_out, h, w].
Tensor conv1x1(const Tensor& x, const Tensor& weight, const Tensor& bias);

// rearrange(x, 'b c h w -> b (h w) c'): [b, c, h, w] -> [b, h*w, c]
Tensor flatten_hw(const Tensor& x);
// rearrange(x, 'b (h w) c -> b c h w'): [b, h*w, c] -> [b, c, h, w]
Tensor fold_hw(const Tensor& x, int64_t h, int64_t w);

// x.view(b, -1, heads, depth).transpose(1, 2): [b, L, heads*depth] -> [b, heads, L, depth]
Tensor split_heads(const Tensor& x, int64_t heads);
// x.transpose(1, 2).contiguous().view(b, -1, heads*depth): [b, heads, L, depth] -> [b, L, heads*depth]
Tensor merge_heads(const Tensor& x);

// q · kᵀ per (batch, head): q [b, heads, Lq, depth], k [b, heads, Lk, depth] -> [b, heads, Lq, Lk]
Tensor query_key_scores(const Tensor& q, const Tensor& k);

// Element-wise product with a number.
Tensor scaled(const Tensor& x, double factor);

// masked_fill over key columns: scores [b, ..., Lk], pad_mask Bool [b, Lk]; every entry whose key
// is padding gets `fill`. Equal to the seed's masked_fill with the mask expanded over the middle dims.
Tensor masked_fill_keys(const Tensor& scores, const Tensor& pad_mask, float fill);

// pad_mask [b, Lk] broadcast to `shape` = [b, ..., Lk] (unsqueeze + expand / repeat), Bool.
Tensor expand_pad_mask(const Tensor& pad_mask, const Shape& shape);

// exp(x) for x <= 0 (a score minus its row's max), with every x below -104 giving exactly 0 as
// PyTorch's exp does. Eigen 3.4's AVX2 exp clamps its argument near -88.4 and returns 2.9e-39 for
// anything below, so a key masked with -1e9 would keep a denormal weight instead of 0.
void exp_nonpositive(Eigen::Map<Eigen::ArrayXf> x);

// F.softmax(x, dim=-1). The row max is subtracted only for numerical stability. A row that is
// -inf throughout (every key masked with -inf) becomes NaN, as in PyTorch; NaN in, NaN out.
Tensor softmax_last(const Tensor& x);
// The same for one row of n values, in place.
void softmax_row(float* row, int64_t n);

// att_weights · v per (batch, head): att [b, heads, Lq, Lk], v [b, heads, Lk, depth]
// -> [b, heads, Lq, depth]
Tensor weighted_sum(const Tensor& att, const Tensor& v);

// The same tensor under another shape of the same element count (torch's view on contiguous data).
Tensor reshaped(Tensor x, Shape shape);

}  // namespace attn
