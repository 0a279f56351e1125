// The encoders' matrix products, y = x · Wᵀ for nn.Linear weights W [out, in], by a packed kernel
// of the BLIS kind: W is rearranged once, when the model is loaded, into the order the kernel
// reads it (blocks of kc input features, each a run of panels of NR output features); each call
// rearranges the rows of x it works on into panels of MR rows, and a register-blocked kernel
// (MR x NR accumulators, FMA) computes one MR x NR tile of y at a time, the bias, activation and
// residual applied to the tile while it is in cache. On this project's AVX2 machine it runs at
// 85-95% of the core's peak where Eigen's product reaches 55-60% (and OpenBLAS about 80%).
//
// Kernels: AVX-512 (MR 12, NR 32) where the compiler targets it, AVX2 + FMA (MR 6, NR 16), and
// portable C++ otherwise; the packed layout follows the kernel the build has.
#pragma once

#include "tensor/tensor.h"
#include "transformer/activation.h"

#include <cstdint>
#include <memory>

namespace attn {

class PackedWeight {
public:
    PackedWeight() = default;
    // weight [out, in], row-major (nn.Linear's layout).
    explicit PackedWeight(const Tensor& weight);

    int64_t out_features() const { return out_; }
    int64_t in_features() const { return in_; }
    // The weight as it came: [out, in].
    Tensor unpack() const;
    double bytes() const { return static_cast<double>(size_) * sizeof(float); }
    bool empty() const { return !data_; }

    // For the kernel: block b holds input features [b*kc, b*kc + kc_b) as panels of NR outputs.
    const float* block(int64_t b) const { return data_.get() + b * kc_ * panels_ * nr(); }
    int64_t kc() const { return kc_; }
    int64_t panels() const { return panels_; }
    static int64_t nr();
    static int64_t mr();

private:
    struct Free {
        void operator()(float* p) const;
    };
    std::unique_ptr<float[], Free> data_;
    int64_t out_ = 0, in_ = 0, kc_ = 0, panels_ = 0, size_ = 0;
};

// What is applied to each finished tile of y, in this order: + bias[col], the activation,
// + residual[row, col] (a matrix with row stride `residual_stride`). Each may be absent.
struct Epilogue {
    const float* bias = nullptr;
    Activation act = Activation::None;
    const float* residual = nullptr;
    int64_t residual_stride = 0;
};

// y [rows, out] (row stride ldy) = epilogue(x [rows, in] (row stride ldx) · Wᵀ). The rows are
// split between the threads when the product is large enough to pay for a second one.
void packed_product(const float* x, int64_t rows, int64_t ldx, const PackedWeight& w, float* y, int64_t ldy,
                    const Epilogue& epilogue);

}  // namespace attn
