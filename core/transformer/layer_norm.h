// nn.LayerNorm over the last dim, the encoders' normalisation: per row,
// y = (x - mean) / sqrt(var + eps) · weight + bias, var the biased variance.
#pragma once

#include "tensor/tensor.h"

namespace attn {

struct LayerNormWeights {
    Tensor weight;       // [hidden] ("LayerNorm.weight", once "LayerNorm.gamma")
    Tensor bias;         // [hidden] ("LayerNorm.bias", once "LayerNorm.beta")
    double eps = 1e-12;  // config.json's layer_norm_eps
};

// x [..., hidden] -> [..., hidden]
Tensor layer_norm(const Tensor& x, const LayerNormWeights& ln);

// The same in place, `rows` rows of `hidden` values from `x`.
void layer_norm_rows(float* x, int64_t rows, int64_t hidden, const LayerNormWeights& ln);

}  // namespace attn
