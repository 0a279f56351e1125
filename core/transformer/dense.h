// nn.Linear with the weights as transformers stores them (weight [out, in], bias [out]), with
// what follows it in an encoder fused into the same pass over the output: the bias, the
// activation (BertIntermediate's dense + gelu) and a residual (BertOutput's dense + input). The
// weight is kept only in the product kernel's packed order (kernels/gemm.h).
#pragma once

#include "tensor/tensor.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace attn {

class Dense {
public:
    Dense() = default;
    // weight [out, in]; bias [out], or empty for a Linear without bias (ViT with qkv_bias false).
    Dense(const Tensor& weight, Tensor bias);

    int64_t out_features() const { return packed_.out_features(); }
    int64_t in_features() const { return packed_.in_features(); }
    const PackedWeight& packed() const { return packed_; }
    const Tensor& bias() const { return bias_; }
    bool has_bias() const { return bias_.numel() != 0; }
    // The weight [out, in], rebuilt from the packed copy (for value norms and tests).
    Tensor weight() const { return packed_.unpack(); }
    double bytes() const { return packed_.bytes() + static_cast<double>(bias_.numel()) * sizeof(float); }

private:
    PackedWeight packed_;
    Tensor bias_;
};

// y [rows, out] = act(x [rows, in] · weightᵀ + bias) + residual [rows, out]; residual may be null.
void dense_rows(const float* x, int64_t rows, const Dense& d, Activation act, const float* residual, float* y);

// x [..., in] -> [..., out]
Tensor dense(const Tensor& x, const Dense& d, Activation act = Activation::None, const Tensor* residual = nullptr);

}  // namespace attn
