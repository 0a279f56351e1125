#include "analysis/attention_norms.h"

#include "analysis/token_layout.h"
#include "errors.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attn {

namespace {

void check_companion(const Tensor& attn, const Tensor& t, const std::string& name, const Shape& expected,
                     const std::string& named_dims) {
    if (t.dtype != DType::F32) throw ShapeError(name + " must hold floats");
    if (t.shape != expected || t.numel() != shape_numel(expected))
        throw ShapeError(name + " has shape " + shape_string(t.shape) + ", attn " + shape_string(attn.shape) +
                         " needs " + named_dims + " = " + shape_string(expected));
}

}  // namespace

Tensor attention_norms(const Tensor& attn, const Tensor& value_norms) {
    const Shape dims = check_attention_tensor(&attn, "attn");  // [b, H, Lq, Lk]
    const int64_t b = dims[0], H = dims[1], Lq = dims[2], Lk = dims[3];
    // One head's [b, Lq, Lk] takes its norms as [b, Lk].
    const bool one_head = attn.rank() == 3;
    check_companion(attn, value_norms, "value_norms", one_head ? Shape{b, Lk} : Shape{b, H, Lk},
                    one_head ? "[b, Lk]" : "[b, heads, Lk]");
    Tensor out = Tensor::uninitialized(attn.shape);  // [b, H, Lq, Lk], or [b, Lq, Lk] as attn
#pragma omp parallel for schedule(static) if (b * H * Lq * Lk > 200000)
    for (int64_t bh = 0; bh < b * H; ++bh) {
        const float* norms = value_norms.ptr() + bh * Lk;  // ||f_h(x_j)||: [Lk]
        const float* a = attn.ptr() + bh * Lq * Lk;
        float* o = out.ptr() + bh * Lq * Lk;
        for (int64_t q = 0; q < Lq; ++q)
            for (int64_t k = 0; k < Lk; ++k)
                o[q * Lk + k] = a[q * Lk + k] * norms[k];
    }
    return out;
}

Tensor attention_norms_head_sum(const Tensor& attn, const Tensor& value_gram) {
    const Shape dims = check_attention_tensor(&attn, "attn");  // [b, H, Lq, Lk]
    const int64_t b = dims[0], H = dims[1], Lq = dims[2], Lk = dims[3];
    check_companion(attn, value_gram, "value_gram", {b, Lk, H, H}, "[b, Lk, heads, heads]");
    Tensor out = Tensor::uninitialized({b, Lq, Lk});  // [b, Lq, Lk]
#pragma omp parallel for schedule(static) if (b * Lq * Lk * H * H > 200000)
    for (int64_t iq = 0; iq < b * Lq; ++iq) {
        const int64_t i = iq / Lq, q = iq % Lq;
        std::vector<double> alpha(static_cast<size_t>(H));
        for (int64_t k = 0; k < Lk; ++k) {
            for (int64_t h = 0; h < H; ++h)
                alpha[static_cast<size_t>(h)] = attn.data[static_cast<size_t>(((i * H + h) * Lq + q) * Lk + k)];
            const float* gram = value_gram.ptr() + (i * Lk + k) * H * H;  // G of token k: [H, H]
            double squared = 0.0;
            for (int64_t h = 0; h < H; ++h) {
                double row = 0.0;
                for (int64_t g = 0; g < H; ++g)
                    row += gram[h * H + g] * alpha[static_cast<size_t>(g)];
                squared += alpha[static_cast<size_t>(h)] * row;
            }
            // A Gram matrix is positive semi-definite: a negative sum is rounding, and its root is 0.
            out.data[static_cast<size_t>(iq * Lk + k)] = static_cast<float>(std::sqrt(std::max(0.0, squared)));
        }
    }
    return out;
}

Tensor value_gram_of(const Tensor& value_vectors) {
    if (value_vectors.dtype != DType::F32 || value_vectors.rank() != 4 ||
        value_vectors.numel() != shape_numel(value_vectors.shape))
        throw ShapeError("value_vectors has shape " + shape_string(value_vectors.shape) +
                         ", expected F32 [b, heads, Lk, D]");
    const int64_t b = value_vectors.dim(0), H = value_vectors.dim(1), Lk = value_vectors.dim(2),
                  D = value_vectors.dim(3);
    Tensor out = Tensor::uninitialized({b, Lk, H, H});  // [b, Lk, H, H]
    for (int64_t i = 0; i < b; ++i)
        for (int64_t k = 0; k < Lk; ++k)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t g = 0; g < H; ++g) {
                    const float* fh = value_vectors.ptr() + ((i * H + h) * Lk + k) * D;
                    const float* fg = value_vectors.ptr() + ((i * H + g) * Lk + k) * D;
                    double dot = 0.0;
                    for (int64_t d = 0; d < D; ++d)
                        dot += static_cast<double>(fh[d]) * fg[d];
                    out.data[static_cast<size_t>(((i * Lk + k) * H + h) * H + g)] = static_cast<float>(dot);
                }
    return out;
}

}  // namespace attn
