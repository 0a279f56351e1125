// nn.Linear with the weights as transformers stores them (weight [out, in], bias [out]), with
// what follows it in an encoder fused into the same pass over the output: the bias, the
// activation (BertIntermediate's dense + gelu) and a residual (BertOutput's dense + input).
#pragma once

#include "tensor/tensor.h"
#include "transformer/activation.h"

namespace attn {

struct Dense {
    Tensor weight;  // [out, in]
    Tensor bias;    // [out], or empty for a Linear without bias (ViT with qkv_bias false)

    int64_t out_features() const { return weight.dim(0); }
    int64_t in_features() const { return weight.dim(1); }
};

// y [rows, out] = act(x [rows, in] · Wᵀ + bias) + residual [rows, out], W [out, in] row-major;
// bias and residual may be null. The rows are split between the threads, each block one product
// followed by its epilogue while the block is still in cache.
void linear_rows_raw(const float* x, int64_t rows, int64_t in, const float* W, const float* bias, int64_t out,
                     Activation act, const float* residual, float* y);

// The same with a Dense's weights.
void dense_rows(const float* x, int64_t rows, const Dense& d, Activation act, const float* residual, float* y);

// x [..., in] -> [..., out]
Tensor dense(const Tensor& x, const Dense& d, Activation act = Activation::None, const Tensor* residual = nullptr);

}  // namespace attn
