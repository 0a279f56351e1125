// The products of use-lite, y = x @ kernel + bias, for the few rows a sentence has.
//
// Eigen packs both operands of every product into blocks before multiplying. For a sentence of
// 20 tokens that means copying use-lite's 21 MB of kernels on every pass, which costs as much as
// the arithmetic. Here each kernel is packed once, when the model is loaded, into column blocks
// that the product then reads straight through, once per pass.
//
// Every element is one chain of multiply-adds over k in order, then + bias (MatMul, then BiasAdd,
// as the graph): a row's result does not depend on the other rows, on how the rows are tiled or
// on the number of threads. A sentence therefore gives the same bits alone and in a padded batch.
#pragma once

#include "tensor/tensor.h"

#include <cstdint>

namespace attn {

struct PackedKernel {
    int64_t in = 0, out = 0;
    // [blocks, in, kDenseBlock]: column block c holds kernel[:, c*kDenseBlock : (c+1)*kDenseBlock],
    // zero-padded past `out`.
    FloatStore blocks;
};

// Columns per block: two of Eigen's packets (16 floats with AVX, 32 with AVX-512).
int64_t dense_block_width();

// kernel [in, out] (TensorFlow's layout).
PackedKernel pack_kernel(const Tensor& kernel);

// y[rows, out] = x[rows, in] @ kernel + bias[out] (bias may be null). The column blocks are shared
// between the threads when the product is large enough to be worth waking them.
void dense_rows(const float* x, int64_t rows, const PackedKernel& kernel, const float* bias, float* y);

}  // namespace attn
