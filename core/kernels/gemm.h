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
#include "kernels/activation.h"

#include <cstdint>
#include <memory>

namespace attn {

// A matrix B [in, out] in the kernel's order: blocks of kc rows of B (input features), each a
// run of panels of NR columns (outputs), zero-padded to whole panels. A view: the floats live
// in a PackedWeight or in a caller's buffer.
struct PackedView {
    const float* data = nullptr;
    int64_t out = 0, in = 0, kc = 0, panels = 0;
    const float* block(int64_t b) const;
};

// The threads a parallel product may use: OpenMP's limit (OMP_NUM_THREADS), 1 without OpenMP.
int64_t max_threads();

// Floats a packed [in, out] matrix takes.
int64_t packed_floats(int64_t out, int64_t in);
// Packs B given as W = Bᵀ [out, in] (nn.Linear's weight; K for q Kᵀ), rows `ldw` floats apart.
PackedView pack_transposed(const float* w, int64_t out, int64_t in, int64_t ldw, float* dst);
// Packs B given as itself [in, out] (V for P V), rows `ldb` floats apart.
PackedView pack_direct(const float* b, int64_t in, int64_t out, int64_t ldb, float* dst);

class PackedWeight {
public:
    PackedWeight() = default;
    // weight [out, in], row-major (nn.Linear's layout).
    explicit PackedWeight(const Tensor& weight);
    // out rows of `in` floats, `ldw` floats apart (rows of a larger weight: nn.MultiheadAttention's
    // in_proj_weight holds q, k and v one under the other).
    PackedWeight(const float* w, int64_t out, int64_t in, int64_t ldw);

    int64_t out_features() const { return view_.out; }
    int64_t in_features() const { return view_.in; }
    const PackedView& view() const { return view_; }
    // The weight as it came: [out, in].
    Tensor unpack() const;
    double bytes() const { return static_cast<double>(packed_floats(view_.out, view_.in)) * sizeof(float); }
    bool empty() const { return !data_; }

private:
    struct Free {
        void operator()(float* p) const;
    };
    std::unique_ptr<float[], Free> data_;
    PackedView view_;
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
// The same on the calling thread only (inside a parallel region: the attention's heads).
void packed_product_serial(const float* x, int64_t rows, int64_t ldx, const PackedView& b, float* y, int64_t ldy,
                           const Epilogue& epilogue);

}  // namespace attn
