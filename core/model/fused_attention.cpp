#include "model/fused_attention.h"

#include "errors.h"
#include "model/ops.h"

#include <Eigen/Core>

#include <cmath>
#include <limits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn {

namespace {

using HeadView = Eigen::Map<const MatrixRM, 0, Eigen::OuterStride<>>;  // [L, depth], row stride emb
using HeadViewMut = Eigen::Map<MatrixRM, 0, Eigen::OuterStride<>>;

// Scale, mask and softmax one row of scores in place (one pass over memory that is in cache).
// The seed's masked_fill sets padded keys to `fill`; torch's attn_mask is added (baddbmm), with
// padded keys adding `fill` (key_padding_mask merged into the mask by masked_fill or logical_or).
void finish_row(float* row, int64_t n, float scale, const float* pad, float fill, const float* add) {
    if (add) {
        for (int64_t j = 0; j < n; ++j)
            row[j] = row[j] * scale + (pad && pad[j] != 0.0f ? fill : add[j]);
    } else {
        for (int64_t j = 0; j < n; ++j)
            row[j] *= scale;
        if (pad)
            for (int64_t j = 0; j < n; ++j)
                if (pad[j] != 0.0f) row[j] = fill;
    }
    softmax_row(row, n);
}

constexpr double kParallelFlops = 2e8;  // below this (about 2 ms on one core) a pass runs on one thread

}  // namespace

Tensor fused_attention_weights(const Tensor& q, const Tensor& k, int64_t heads, double scale, const Tensor* pad_mask,
                               float fill, const Tensor* attn_add) {
    const int64_t b = q.dim(0), Lq = q.dim(1), E = q.dim(2), Lk = k.dim(1), D = E / heads;
    ATTN_CHECK(k.dim(0) == b && k.dim(2) == E && D * heads == E, "fused attention shapes");
    ATTN_CHECK(!attn_add || (attn_add->rank() == 2 && attn_add->shape == Shape{Lq, Lk}) ||
                   (attn_add->rank() == 3 && attn_add->shape == Shape{b * heads, Lq, Lk}),
               "fused attention attn_mask shape");
    Tensor att = Tensor::uninitialized({b, heads, Lq, Lk});  // every head's product fills its block
    const float s = static_cast<float>(scale);
#pragma omp parallel for schedule(static) if (b * heads > 1 && 2.0 * b * Lq * Lk * E > kParallelFlops)
    for (int64_t bh = 0; bh < b * heads; ++bh) {
        const int64_t i = bh / heads, h = bh % heads;
        const HeadView Q(q.ptr() + i * Lq * E + h * D, Lq, D, Eigen::OuterStride<>(E));
        const HeadView K(k.ptr() + i * Lk * E + h * D, Lk, D, Eigen::OuterStride<>(E));
        auto A = att.matrix(bh * Lq * Lk, Lq, Lk);
        A.noalias() = Q * K.transpose();  // [Lq, Lk]
        const float* pad = pad_mask ? pad_mask->ptr() + i * Lk : nullptr;
        // attn_mask's block for this (batch, head): the one [Lq, Lk] block, or block bh.
        const float* add = attn_add ? attn_add->ptr() + (attn_add->rank() == 3 ? bh * Lq * Lk : 0) : nullptr;
        for (int64_t r = 0; r < Lq; ++r)
            finish_row(A.data() + r * Lk, Lk, s, pad, fill, add ? add + r * Lk : nullptr);
    }
    return att;
}

Tensor fused_weighted_values(const Tensor& att, const Tensor& v, int64_t heads) {
    const int64_t b = att.dim(0), Lq = att.dim(2), Lk = att.dim(3), E = v.dim(2), D = E / heads;
    ATTN_CHECK(att.dim(1) == heads && v.dim(0) == b && v.dim(1) == Lk, "fused weighted sum shapes");
    Tensor out = Tensor::uninitialized({b, Lq, E});  // each head fills its depth columns
#pragma omp parallel for schedule(static) if (b * heads > 1 && 2.0 * b * Lq * Lk * E > kParallelFlops)
    for (int64_t bh = 0; bh < b * heads; ++bh) {
        const int64_t i = bh / heads, h = bh % heads;
        const HeadView V(v.ptr() + i * Lk * E + h * D, Lk, D, Eigen::OuterStride<>(E));
        HeadViewMut O(out.ptr() + i * Lq * E + h * D, Lq, D, Eigen::OuterStride<>(E));
        O.noalias() = att.matrix(bh * Lq * Lk, Lq, Lk) * V;  // [Lq, depth] into its columns
    }
    return out;
}

// Both knobs: our own parallel loops follow OpenMP's setting, Eigen's products follow its own
// (Eigen::setNbThreads, which a caller may have set and which then overrides OpenMP's).
ThreadsForWork::ThreadsForWork(double flops) {
    previous_eigen_ = Eigen::nbThreads();
#ifdef _OPENMP
    previous_ = omp_get_max_threads();
#endif
    if (flops < kParallelFlops) {
        Eigen::setNbThreads(1);
#ifdef _OPENMP
        omp_set_num_threads(1);
#endif
    }
}

ThreadsForWork::~ThreadsForWork() {
    Eigen::setNbThreads(previous_eigen_);
#ifdef _OPENMP
    omp_set_num_threads(previous_);
#endif
}

}  // namespace attn
