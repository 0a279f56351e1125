#include "analysis/sentence_similarity.h"

#include "errors.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn {

Tensor mean_pooling(const Tensor& last_hidden_state, const Tensor& attention_mask) {
    const Tensor& h = last_hidden_state;
    if (h.dtype != DType::F32 || h.rank() != 3 || h.numel() != shape_numel(h.shape))
        throw ShapeError("last_hidden_state has shape " + shape_string(h.shape) + ", expected F32 [b, L, hidden]");
    const int64_t b = h.dim(0), L = h.dim(1), hidden = h.dim(2);
    if (attention_mask.dtype == DType::Bool)
        throw ShapeError(
            "attention_mask is a bool pad mask (true = padding); give int64 [b, L] with 1 = token, 0 = padding");
    if (attention_mask.shape != Shape{b, L} || attention_mask.numel() != b * L)
        throw ShapeError("attention_mask has shape " + shape_string(attention_mask.shape) + ", last_hidden_state " +
                         shape_string(h.shape) + " needs [" + std::to_string(b) + ", " + std::to_string(L) + "]");
    Tensor out({b, hidden}, 0.0f);  // [b, hidden]
    std::vector<double> sum(static_cast<size_t>(hidden));
    for (int64_t i = 0; i < b; ++i) {
        std::fill(sum.begin(), sum.end(), 0.0);
        int64_t tokens = 0;
        for (int64_t t = 0; t < L; ++t) {
            const float m = attention_mask.data[static_cast<size_t>(i * L + t)];
            if (m != 0.0f && m != 1.0f)
                throw ShapeError("attention_mask holds " + std::to_string(m) + " at [" + std::to_string(i) + ", " +
                                 std::to_string(t) + "]; expected 1 = token or 0 = padding");
            if (m == 0.0f) continue;
            ++tokens;
            const float* x = h.ptr() + (i * L + t) * hidden;  // [hidden]
            for (int64_t d = 0; d < hidden; ++d)
                sum[static_cast<size_t>(d)] += x[d];
        }
        if (tokens == 0) continue;
        for (int64_t d = 0; d < hidden; ++d)
            out.data[static_cast<size_t>(i * hidden + d)] =
                static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(tokens));
    }
    return out;
}

Tensor cosine_similarity_matrix(const Tensor& embeddings) {
    const Tensor& e = embeddings;
    if (e.dtype != DType::F32 || e.rank() != 2 || e.numel() != shape_numel(e.shape))
        throw ShapeError("embeddings has shape " + shape_string(e.shape) + ", expected F32 [b, d]");
    const int64_t b = e.dim(0), d = e.dim(1);
    std::vector<double> norm(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
        double s = 0;
        for (int64_t k = 0; k < d; ++k)
            s += static_cast<double>(e.data[static_cast<size_t>(i * d + k)]) * e.data[static_cast<size_t>(i * d + k)];
        norm[static_cast<size_t>(i)] = std::sqrt(s);
    }
    Tensor out({b, b}, 0.0f);  // [b, b]
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < b; ++j) {
            const double ni = norm[static_cast<size_t>(i)], nj = norm[static_cast<size_t>(j)];
            if (ni == 0.0 || nj == 0.0) continue;  // a zero vector points nowhere: similarity 0
            double dot = 0;
            for (int64_t k = 0; k < d; ++k)
                dot += static_cast<double>(e.data[static_cast<size_t>(i * d + k)]) *
                       e.data[static_cast<size_t>(j * d + k)];
            out.data[static_cast<size_t>(i * b + j)] = static_cast<float>(dot / (ni * nj));
        }
    return out;
}

}  // namespace attn
