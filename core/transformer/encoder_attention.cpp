#include "transformer/encoder_attention.h"

#include "errors.h"
#include "model/ops.h"

#include <cmath>
#include <limits>

namespace attn {

namespace {

using HeadView = Eigen::Map<const MatrixRM, 0, Eigen::OuterStride<>>;  // [L, depth] inside rows of `stride`
using HeadViewMut = Eigen::Map<MatrixRM, 0, Eigen::OuterStride<>>;

constexpr double kParallelFlops = 2e7;  // below this the heads run on one thread

}  // namespace

void self_attention(const QkvView& qkv, int64_t b, int64_t L, int64_t heads, int64_t depth, float scale,
                    const float* mask_add, float* probs, float* context) {
    const int64_t E = heads * depth, S = qkv.stride;
#pragma omp parallel for schedule(static) if (b * heads > 1 && 4.0 * b * L * L * E > kParallelFlops)
    for (int64_t bh = 0; bh < b * heads; ++bh) {
        const int64_t i = bh / heads, h = bh % heads;
        const int64_t base = i * L * S + h * depth;
        const HeadView Q(qkv.q + base, L, depth, Eigen::OuterStride<>(S));
        const HeadView K(qkv.k + base, L, depth, Eigen::OuterStride<>(S));
        const HeadView V(qkv.v + base, L, depth, Eigen::OuterStride<>(S));
        MapRM P(probs + bh * L * L, L, L);
        P.noalias() = Q * K.transpose();  // [L, L]: attention_scores
        const float* m = mask_add ? mask_add + i * L : nullptr;
        for (int64_t r = 0; r < L; ++r) {
            float* row = P.data() + r * L;
            // attention_scores / sqrt(depth) + attention_mask, one pass while the row is in cache.
            if (m)
                for (int64_t j = 0; j < L; ++j)
                    row[j] = row[j] * scale + m[j];
            else
                for (int64_t j = 0; j < L; ++j)
                    row[j] *= scale;
            softmax_row(row, L);
        }
        HeadViewMut C(context + i * L * E + h * depth, L, depth, Eigen::OuterStride<>(E));
        C.noalias() = P * V;  // [L, depth] into head h's columns
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
    const ConstMapRM W(output.weight.ptr(), hidden, E);  // [hidden, heads*depth]
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
