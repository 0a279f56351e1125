#include "transformer/dense.h"

#include "errors.h"

#include <algorithm>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn {

namespace {

int64_t max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

}  // namespace

void linear_rows_raw(const float* x, int64_t rows, int64_t in, const float* w, const float* bias, int64_t out,
                     Activation act, const float* residual, float* y) {
    const ConstMapRM W(w, out, in);
    const int64_t threads = max_threads();
    const int64_t block = std::max<int64_t>(32, (rows + threads - 1) / threads);
    const int64_t blocks = (rows + block - 1) / block;
    // One single-threaded product per thread (Eigen runs sequentially inside a parallel region):
    // one join per product instead of the several inside Eigen's own parallel GEMM.
#pragma omp parallel for schedule(static) if (blocks > 1 && 2.0 * rows * in * out > 2e7)
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t r0 = blk * block, n = std::min(block, rows - r0);
        MapRM Y(y + r0 * out, n, out);
        Y.noalias() = ConstMapRM(x + r0 * in, n, in) * W.transpose();
        if (bias) Y.rowwise() += ConstMapRM(bias, 1, out).row(0);
        if (act != Activation::None) apply_activation(act, Y.data(), n * out);
        if (residual) Y += ConstMapRM(residual + r0 * out, n, out);
    }
}

void dense_rows(const float* x, int64_t rows, const Dense& d, Activation act, const float* residual, float* y) {
    const bool has_bias = d.bias.numel() != 0;
    ATTN_CHECK(!has_bias || d.bias.numel() == d.out_features(), "dense bias width");
    linear_rows_raw(x, rows, d.in_features(), d.weight.ptr(), has_bias ? d.bias.ptr() : nullptr, d.out_features(), act,
                    residual, y);
}

Tensor dense(const Tensor& x, const Dense& d, Activation act, const Tensor* residual) {
    ATTN_CHECK(x.dim(-1) == d.in_features(), "dense input width");
    Shape shape = x.shape;
    shape.back() = d.out_features();
    const int64_t rows = x.numel() / d.in_features();
    ATTN_CHECK(!residual || residual->numel() == rows * d.out_features(), "dense residual shape");
    Tensor y = Tensor::uninitialized(shape);  // every row is written
    dense_rows(x.ptr(), rows, d, act, residual ? residual->ptr() : nullptr, y.ptr());
    return y;
}

}  // namespace attn
