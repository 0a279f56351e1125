#include "transformer/layer_norm.h"

#include "errors.h"

#include <cmath>

namespace attn {

void layer_norm_rows(float* x, int64_t rows, int64_t hidden, const LayerNormWeights& ln) {
    ATTN_CHECK(ln.weight.numel() == hidden && ln.bias.numel() == hidden, "layer norm width");
    const Eigen::Map<const Eigen::ArrayXf> w(ln.weight.ptr(), hidden), b(ln.bias.ptr(), hidden);
    const float eps = static_cast<float>(ln.eps);
#pragma omp parallel for schedule(static) if (rows * hidden > 262144)
    for (int64_t r = 0; r < rows; ++r) {
        Eigen::Map<Eigen::ArrayXf> row(x + r * hidden, hidden);
        // Two passes (mean, then the spread around it): the one-pass sum of squares loses the
        // variance of rows whose mean is large next to their spread.
        const float mean = row.sum() / static_cast<float>(hidden);
        row -= mean;
        const float var = row.square().sum() / static_cast<float>(hidden);
        const float inv = 1.0f / std::sqrt(var + eps);
        row = row * inv * w + b;
    }
}

Tensor layer_norm(const Tensor& x, const LayerNormWeights& ln) {
    Tensor y = x;
    const int64_t hidden = x.dim(-1);
    layer_norm_rows(y.ptr(), hidden ? x.numel() / hidden : 0, hidden, ln);
    return y;
}

}  // namespace attn
