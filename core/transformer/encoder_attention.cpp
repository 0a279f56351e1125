#include "transformer/encoder_attention.h"

#include "errors.h"
#include "model/ops.h"
#include "kernels/gemm.h"

#include <cmath>
#include <limits>
#include <vector>

namespace attn {

namespace {

using HeadView = Eigen::Map<const MatrixRM, 0, Eigen::OuterStride<>>;  // [L, depth] inside rows of `stride`

constexpr double kParallelFlops = 2e7;  // below this the heads run on one thread

// F.softmax over one row of finite scores, in three vectorised passes. Eigen's vectorised exp
// clamps its argument at -88.4 and returns a denormal there instead of 0; every weight under
// FLT_MIN is set to exactly 0, so a padded key's weight is 0 as in PyTorch (whose exp gives
// denormals for scores 87-104 below the row's max: a difference under 1e-37). A row with a
// non-finite score takes ops.h's softmax_row, which follows PyTorch's NaN and -inf rules.
void softmax_scores(float* row, int64_t n) {
    Eigen::Map<Eigen::ArrayXf> a(row, n);
    const float mx = a.maxCoeff();
    if (!std::isfinite(mx)) {
        softmax_row(row, n);
        return;
    }
    a = (a - mx).exp();  // the max is subtracted only for numerical stability
    const float inv = 1.0f / a.sum();
    const float tiny = std::numeric_limits<float>::min();
    for (int64_t j = 0; j < n; ++j)
        row[j] = row[j] < tiny ? 0.0f : row[j] * inv;
}

}  // namespace

void self_attention(const QkvView& qkv, int64_t b, int64_t L, int64_t heads, int64_t depth, float scale,
                    const float* mask_add, float* probs, float* context) {
    const int64_t E = heads * depth, S = qkv.stride;
#pragma omp parallel for schedule(static) if (b * heads > 1 && 4.0 * b * L * L * E > kParallelFlops)
    for (int64_t bh = 0; bh < b * heads; ++bh) {
        const int64_t i = bh / heads, h = bh % heads;
        const int64_t base = i * L * S + h * depth;
        // Each head's K and V packed for the product kernel (this thread's buffers, kept).
        thread_local std::vector<float> k_packed, v_packed;
        k_packed.resize(static_cast<size_t>(packed_floats(L, depth)));
        v_packed.resize(static_cast<size_t>(packed_floats(depth, L)));
        float* P = probs + bh * L * L;
        // attention_scores [L, L] = q_h · k_hᵀ
        const PackedView K = pack_transposed(qkv.k + base, L, depth, S, k_packed.data());
        packed_product_serial(qkv.q + base, L, S, K, P, L, Epilogue{});
        const float* m = mask_add ? mask_add + i * L : nullptr;
        for (int64_t r = 0; r < L; ++r) {
            float* row = P + r * L;
            // attention_scores / sqrt(depth) + attention_mask, one pass while the row is in cache.
            if (m)
                for (int64_t j = 0; j < L; ++j)
                    row[j] = row[j] * scale + m[j];
            else
                for (int64_t j = 0; j < L; ++j)
                    row[j] *= scale;
            softmax_scores(row, L);
        }
        // context [L, depth] = probs · v_h, into head h's columns of [L, hidden]
        const PackedView V = pack_direct(qkv.v + base, L, depth, S, v_packed.data());
        packed_product_serial(P, L, L, V, context + i * L * E + h * depth, E, Epilogue{});
    }
}

Tensor extended_attention_mask(const Tensor& attention_mask) {
    Tensor m = Tensor::uninitialized(attention_mask.shape);
    const float lowest = std::numeric_limits<float>::lowest();  // torch.finfo(torch.float32).min
    for (int64_t i = 0; i < m.numel(); ++i)
        m.data[static_cast<size_t>(i)] = (1.0f - attention_mask.data[static_cast<size_t>(i)]) * lowest;
    return m;
}

Tensor value_norms(const float* v, int64_t stride, int64_t b, int64_t L, int64_t heads, int64_t depth,
                   const Dense& output) {
    const int64_t E = heads * depth, hidden = output.out_features();
    ATTN_CHECK(output.in_features() == E, "value norms: output dense width");
    Tensor norms = Tensor::uninitialized({b, heads, L});
    const Tensor weight = output.weight();  // [hidden, heads*depth]
    const ConstMapRM W(weight.ptr(), hidden, E);
#pragma omp parallel for schedule(static) if (b * heads > 1 && 2.0 * b * L * E * hidden > 2e7)
    for (int64_t bh = 0; bh < b * heads; ++bh) {
        const int64_t i = bh / heads, h = bh % heads;
        const HeadView Vh(v + i * L * stride + h * depth, L, depth, Eigen::OuterStride<>(stride));
        // [L, depth] · [depth, hidden]: each position's value through head h's slice of W_O.
        const MatrixRM f = Vh * W.middleCols(h * depth, depth).transpose();
        for (int64_t j = 0; j < L; ++j)
            norms.data[static_cast<size_t>(bh * L + j)] = f.row(j).norm();
    }
    return norms;
}

}  // namespace attn
