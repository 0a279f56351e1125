// nn.MultiheadAttention's attn_mask, applied as torch 1.13's F.multi_head_attention_forward does:
//   1. attn_mask is [L, S] (one mask for every batch item and head) or [b*heads, L, S] (row
//      i*heads + h for batch item i, head h); a uint8 mask is read as bool.
//   2. key_padding_mask [b, S] (our pad_mask, True = padding) is merged in: a bool attn_mask by
//      logical_or, a float one by masked_fill(key_padding_mask, -inf).
//   3. A bool mask becomes a float one: 0 where False, -inf where True ("True = not allowed").
//   4. The float mask is added to the scaled scores (torch.baddbmm), then softmax.
// A row with no key left becomes NaN, as in torch. `fill` below is what True becomes: -inf for
// nn.MultiheadAttention (MaskFill::Module); -1e9 when the user asks for the seed's fill.
#pragma once

#include "tensor/tensor.h"

namespace attn {

// torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1): True where key j comes after
// query i (j > i). The bool form of nn.Transformer.generate_square_subsequent_mask, whose float
// form (-inf above the diagonal, 0 elsewhere) gives the same weights.
Tensor causal_mask(int64_t L, int64_t S);

// Step 3 for attn_mask alone: F32 as it is, Bool -> 0 where False and `fill` where True.
// [L, S] or [b*heads, L, S], the shape kept.
Tensor attn_mask_as_float(const Tensor& attn_mask, float fill);

// attn_mask [L, S] or [b*heads, L, S] -> [b, heads, L, S], its dtype kept: broadcast over
// b*heads (torch's unsqueeze(0)), or the rows of b*heads split into b x heads.
Tensor expand_attn_mask(const Tensor& attn_mask, int64_t b, int64_t heads);

// Step 2 as [b, heads, L, S]: Bool attn_mask -> logical_or with pad_mask [b, S] (Bool);
// F32 -> masked_fill(pad_mask, fill) (F32).
Tensor combine_masks(const Tensor& attn_mask, const Tensor& pad_mask, int64_t heads, float fill);

// Steps 2 and 3 together, what is added to the scores: [b, heads, L, S] F32. pad_mask may be null.
Tensor additive_mask(const Tensor& attn_mask, const Tensor* pad_mask, int64_t b, int64_t heads, float fill);

// Step 4's sum: scaled scores [b, heads, L, S] + additive [b, heads, L, S].
Tensor add_mask(const Tensor& scores, const Tensor& additive);

}  // namespace attn
