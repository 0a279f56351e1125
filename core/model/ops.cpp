#include "model/ops.h"

#include "errors.h"
#include "kernels/gemm.h"

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn {

namespace {

// Rows of a tensor whose last dim is the feature dim: [..., f] seen as [rows, f].
int64_t leading_rows(const Tensor& x) {
    return x.rank() == 0 ? 1 : x.numel() / x.dim(-1);
}

// From this many rows of x on, a product packs its weight for the packed kernel.
constexpr int64_t kPackedMinRows = 48;

}  // namespace

// Y [rows, out] = X [rows, in] · W[row0 : row0 + out]ᵀ (+ bias), the rows split between the
// threads, each block one single-threaded product (Eigen runs sequentially inside a parallel
// region). One join per product instead of the several inside Eigen's own parallel GEMM: on a
// shared 2-core machine every join waits for the slower core.
void product_rows(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t row0, int64_t out, Tensor& y) {
    const int64_t in = weight.dim(1), rows = leading_rows(x);
    if (rows >= kPackedMinRows) {
        // Packing W costs out x in copies, paid back after a few dozen rows: the packed kernel
        // runs at 85-95% of a core's peak here, Eigen's product at 55-60% (kernels/gemm.h).
        const PackedWeight packed(weight.ptr() + row0 * in, out, in, in);
        Epilogue epilogue;
        if (bias) epilogue.bias = bias->ptr() + row0;
        packed_product(x.ptr(), rows, in, packed, y.ptr(), out, epilogue);
        return;
    }
    const auto W = weight.matrix(row0 * in, out, in);  // [out, in]
    const int64_t threads = max_threads();
    const int64_t block = std::max<int64_t>(32, (rows + threads - 1) / threads);
    const int64_t blocks = (rows + block - 1) / block;
#pragma omp parallel for schedule(static) if (blocks > 1 && 2.0 * rows * in * out > 2e7)
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t r0 = blk * block, n = std::min(block, rows - r0);
        auto Y = y.matrix(r0 * out, n, out);
        Y.noalias() = x.matrix(r0 * in, n, in) * W.transpose();
        if (bias) Y.rowwise() += bias->matrix(row0, 1, out).row(0);
    }
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) {
    ATTN_CHECK(x.dim(-1) == weight.dim(1), "linear input width");
    Shape shape = x.shape;
    shape.back() = weight.dim(0);
    Tensor y = Tensor::uninitialized(shape);  // product_rows writes every row
    product_rows(x, weight, bias, 0, weight.dim(0), y);
    return y;
}

Tensor linear_rows(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t row0, int64_t out) {
    ATTN_CHECK(x.dim(-1) == weight.dim(1) && row0 + out <= weight.dim(0), "packed linear shape");
    Shape shape = x.shape;
    shape.back() = out;
    Tensor y = Tensor::uninitialized(shape);  // product_rows writes every row
    product_rows(x, weight, &bias, row0, out, y);
    return y;
}

Tensor conv1x1(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    const int64_t b = x.dim(0), c_in = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t c_out = weight.dim(0), hw = h * w;
    ATTN_CHECK(weight.dim(1) == c_in, "conv1x1 channels");
    Tensor y({b, c_out, h, w});
    const auto W = weight.matrix(0, c_out, c_in);
    for (int64_t i = 0; i < b; ++i) {
        // [c_out, c_in] · [c_in, h*w] -> [c_out, h*w]
        auto Y = y.matrix(i * c_out * hw, c_out, hw);
        Y.noalias() = W * x.matrix(i * c_in * hw, c_in, hw);
        Y.colwise() += bias.matrix(0, c_out, 1).col(0);
    }
    return y;
}

Tensor flatten_hw(const Tensor& x) {
    const int64_t b = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
    Tensor y({b, hw, c});
    for (int64_t i = 0; i < b; ++i)
        y.matrix(i * hw * c, hw, c) = x.matrix(i * c * hw, c, hw).transpose();
    return y;
}

Tensor fold_hw(const Tensor& x, int64_t h, int64_t w) {
    const int64_t b = x.dim(0), hw = x.dim(1), c = x.dim(2);
    ATTN_CHECK(hw == h * w, "fold_hw size");
    Tensor y({b, c, h, w});
    for (int64_t i = 0; i < b; ++i)
        y.matrix(i * c * hw, c, hw) = x.matrix(i * hw * c, hw, c).transpose();
    return y;
}

Tensor split_heads(const Tensor& x, int64_t heads) {
    const int64_t b = x.dim(0), L = x.dim(1), E = x.dim(2), depth = E / heads;
    ATTN_CHECK(depth * heads == E, "split_heads divisibility");
    Tensor y({b, heads, L, depth});
    for (int64_t i = 0; i < b; ++i)
        for (int64_t hd = 0; hd < heads; ++hd)
            // rows of batch i, columns [hd*depth, (hd+1)*depth)
            y.matrix((i * heads + hd) * L * depth, L, depth) = x.matrix(i * L * E, L, E).middleCols(hd * depth, depth);
    return y;
}

Tensor merge_heads(const Tensor& x) {
    const int64_t b = x.dim(0), heads = x.dim(1), L = x.dim(2), depth = x.dim(3), E = heads * depth;
    Tensor y({b, L, E});
    for (int64_t i = 0; i < b; ++i)
        for (int64_t hd = 0; hd < heads; ++hd)
            y.matrix(i * L * E, L, E).middleCols(hd * depth, depth) = x.matrix((i * heads + hd) * L * depth, L, depth);
    return y;
}

Tensor query_key_scores(const Tensor& q, const Tensor& k) {
    const int64_t b = q.dim(0), heads = q.dim(1), Lq = q.dim(2), D = q.dim(3), Lk = k.dim(2);
    ATTN_CHECK(k.dim(0) == b && k.dim(1) == heads && k.dim(3) == D, "scores shapes");
    Tensor s({b, heads, Lq, Lk});
#pragma omp parallel for schedule(static) if (b * heads > 1)
    for (int64_t bh = 0; bh < b * heads; ++bh)
        s.matrix(bh * Lq * Lk, Lq, Lk).noalias() =
            q.matrix(bh * Lq * D, Lq, D) * k.matrix(bh * Lk * D, Lk, D).transpose();
    return s;
}

Tensor scaled(const Tensor& x, double factor) {
    Tensor y = x;
    const float f = static_cast<float>(factor);
    for (float& v : y.data)
        v *= f;
    return y;
}

Tensor masked_fill_keys(const Tensor& scores, const Tensor& pad_mask, float fill) {
    const int64_t b = scores.dim(0), Lk = scores.dim(-1);
    ATTN_CHECK(pad_mask.rank() == 2 && pad_mask.dim(0) == b && pad_mask.dim(1) == Lk, "mask shape");
    Tensor y = scores;
    const int64_t rows_per_batch = scores.numel() / (b * Lk);
    for (int64_t i = 0; i < b; ++i) {
        const float* m = pad_mask.ptr() + i * Lk;
        for (int64_t r = 0; r < rows_per_batch; ++r) {
            float* row = y.ptr() + (i * rows_per_batch + r) * Lk;
            for (int64_t j = 0; j < Lk; ++j)
                if (m[j] != 0.0f) row[j] = fill;
        }
    }
    return y;
}

Tensor expand_pad_mask(const Tensor& pad_mask, const Shape& shape) {
    const int64_t b = pad_mask.dim(0), Lk = pad_mask.dim(1);
    ATTN_CHECK(shape.size() >= 2 && shape.front() == b && shape.back() == Lk, "expand shape");
    Tensor y(shape, 0.0f, DType::Bool);
    const int64_t rows_per_batch = y.numel() / (b * Lk);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t r = 0; r < rows_per_batch; ++r)
            std::copy(pad_mask.ptr() + i * Lk, pad_mask.ptr() + (i + 1) * Lk, y.ptr() + (i * rows_per_batch + r) * Lk);
    return y;
}

void softmax_row(float* row, int64_t n) {
    Eigen::Map<Eigen::ArrayXf> a(row, n);
    const float mx = a.maxCoeff();
    // exp(-inf - (-inf)) is NaN in PyTorch too: a row with no key left to attend to. maxCoeff
    // passes NaN on only sometimes, so NaN is looked for on its own.
    if (std::isnan(mx) || a.isNaN().any() || mx == -std::numeric_limits<float>::infinity()) {
        a.setConstant(std::numeric_limits<float>::quiet_NaN());
        return;
    }
    a -= mx;  // the max is subtracted only for numerical stability
    exp_nonpositive(a);
    a *= 1.0f / a.sum();
}

void exp_nonpositive(Eigen::Map<Eigen::ArrayXf> x) {
    // Below -104, float's exp is 0 (its smallest denormal is e^-103.3).
    x = (x < -104.0f).select(Eigen::ArrayXf::Zero(x.size()), x.exp());
}

Tensor softmax_last(const Tensor& x) {
    const int64_t n = x.dim(-1), rows = leading_rows(x);
    Tensor y = x;
#pragma omp parallel for schedule(static) if (rows * n > 65536)
    for (int64_t r = 0; r < rows; ++r)
        softmax_row(y.ptr() + r * n, n);
    return y;
}

Tensor weighted_sum(const Tensor& att, const Tensor& v) {
    const int64_t b = att.dim(0), heads = att.dim(1), Lq = att.dim(2), Lk = att.dim(3), D = v.dim(3);
    ATTN_CHECK(v.dim(0) == b && v.dim(1) == heads && v.dim(2) == Lk, "weighted_sum shapes");
    Tensor y({b, heads, Lq, D});
#pragma omp parallel for schedule(static) if (b * heads > 1)
    for (int64_t bh = 0; bh < b * heads; ++bh)
        y.matrix(bh * Lq * D, Lq, D).noalias() = att.matrix(bh * Lq * Lk, Lq, Lk) * v.matrix(bh * Lk * D, Lk, D);
    return y;
}

Tensor reshaped(Tensor x, Shape shape) {
    ATTN_CHECK(shape_numel(shape) == x.numel(), "reshape to " + shape_string(shape) + " from " + shape_string(x.shape));
    x.shape = std::move(shape);
    return x;
}

}  // namespace attn
