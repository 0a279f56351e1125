#include "model/attn_mask.h"

#include "errors.h"

#include <algorithm>

namespace attn {

namespace {

// The [L, S] block of attn_mask that batch item i, head h reads: the one block of a 2-D mask,
// block i*heads + h of a 3-D one.
const float* mask_block(const Tensor& attn_mask, int64_t i, int64_t h, int64_t heads) {
    const int64_t L = attn_mask.dim(-2), S = attn_mask.dim(-1);
    return attn_mask.rank() == 2 ? attn_mask.ptr() : attn_mask.ptr() + (i * heads + h) * L * S;
}

void check_mask(const Tensor& attn_mask, int64_t b, int64_t heads) {
    ATTN_CHECK(attn_mask.rank() == 2 || (attn_mask.rank() == 3 && attn_mask.dim(0) == b * heads), "attn_mask shape");
}

}  // namespace

Tensor causal_mask(int64_t L, int64_t S) {
    Tensor m({L, S}, 0.0f, DType::Bool);
    for (int64_t i = 0; i < L; ++i)
        for (int64_t j = i + 1; j < S; ++j)
            m.data[static_cast<size_t>(i * S + j)] = 1.0f;
    return m;
}

Tensor attn_mask_as_float(const Tensor& attn_mask, float fill) {
    Tensor y = attn_mask;
    y.dtype = DType::F32;
    if (attn_mask.dtype == DType::Bool)
        for (float& v : y.data)
            v = v != 0.0f ? fill : 0.0f;
    return y;
}

Tensor expand_attn_mask(const Tensor& attn_mask, int64_t b, int64_t heads) {
    check_mask(attn_mask, b, heads);
    const int64_t L = attn_mask.dim(-2), S = attn_mask.dim(-1);
    Tensor y = Tensor::uninitialized({b, heads, L, S}, attn_mask.dtype);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t h = 0; h < heads; ++h) {
            const float* src = mask_block(attn_mask, i, h, heads);
            std::copy(src, src + L * S, y.ptr() + (i * heads + h) * L * S);
        }
    return y;
}

Tensor combine_masks(const Tensor& attn_mask, const Tensor& pad_mask, int64_t heads, float fill) {
    const int64_t b = pad_mask.dim(0), L = attn_mask.dim(-2), S = attn_mask.dim(-1);
    ATTN_CHECK(pad_mask.rank() == 2 && pad_mask.dim(1) == S, "key_padding_mask shape");
    Tensor y = expand_attn_mask(attn_mask, b, heads);
    const bool as_bool = attn_mask.dtype == DType::Bool;
    for (int64_t i = 0; i < b; ++i) {
        const float* pad = pad_mask.ptr() + i * S;
        for (int64_t row = 0; row < heads * L; ++row) {
            float* out = y.ptr() + (i * heads * L + row) * S;
            for (int64_t j = 0; j < S; ++j)
                if (pad[j] != 0.0f) out[j] = as_bool ? 1.0f : fill;  // logical_or, or masked_fill
        }
    }
    return y;
}

Tensor additive_mask(const Tensor& attn_mask, const Tensor* pad_mask, int64_t b, int64_t heads, float fill) {
    Tensor merged = pad_mask ? combine_masks(attn_mask, *pad_mask, heads, fill) : expand_attn_mask(attn_mask, b, heads);
    return attn_mask_as_float(merged, fill);
}

Tensor add_mask(const Tensor& scores, const Tensor& additive) {
    ATTN_CHECK(scores.shape == additive.shape, "masked scores shapes");
    Tensor y = scores;
    for (size_t n = 0; n < y.data.size(); ++n)
        y.data[n] += additive.data[n];
    return y;
}

}  // namespace attn
