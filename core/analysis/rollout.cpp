#include "analysis/rollout.h"

#include "errors.h"

#include <Eigen/Core>

#include <string>

namespace attn {

namespace {

using Real = float;  // see rollout.h: float products, rows renormalised in double
using MatrixR = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Each row divided by its sum, the sum taken in double.
void renormalise_rows(MatrixR& m) {
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        const double sum = m.row(r).template cast<double>().sum();
        m.row(r) /= static_cast<Real>(sum);
    }
}

struct RolloutInputs {
    Shape dims;  // [b, H, L, L]
    RealTokens real;
};

// Checks the layers and the layout, and `count` (how many layers to multiply) against them.
RolloutInputs check_rollout_inputs(const std::vector<TensorPtr>& layers, const TokenLayout& layout, int64_t count) {
    const Shape shape = check_attention_layers(layers, "rollout");  // [b, H, Lq, Lk]
    if (shape[2] != shape[3])
        throw ShapeError("rollout needs self-attention (square [b, heads, L, L] weights): layer 0 attn has shape " +
                         shape_string(shape) + ", " + std::to_string(shape[2]) + " queries and " +
                         std::to_string(shape[3]) + " keys");
    if (count < 1 || count > static_cast<int64_t>(layers.size()))
        throw ShapeError("rollout up to layer " + std::to_string(count - 1) + ": the model has layers 0 to " +
                         std::to_string(layers.size() - 1));
    return {shape, check_token_layout(layout, shape, "layer 0 attn")};
}

// Fills results[l] (l < count), each already [b, L, L] of zeros, with the rollout up to layer l.
void run_rollout(const std::vector<TensorPtr>& layers, const RolloutInputs& inputs, int64_t count,
                 std::vector<Tensor*>& results) {
    const RealTokens& real = inputs.real;
    const int64_t b = inputs.dims[0], H = inputs.dims[1], L = inputs.dims[2];
#pragma omp parallel for schedule(dynamic) if (b > 1 && L * L * H * count > 100000)
    for (int64_t i = 0; i < b; ++i) {
        // The real positions of item i: rollout works on them alone.
        std::vector<int64_t> index;
        for (int64_t k = 0; k < L; ++k)
            if (real.key_is_real(i, k)) index.push_back(k);
        const int64_t n = static_cast<int64_t>(index.size());
        if (n == 0) continue;  // a fully padded item: every entry stays 0
        // Right or left padding: the real tokens are one block, read as such.
        const bool one_run = index.back() - index.front() + 1 == n;

        MatrixR step(n, n), rolled(n, n), next(n, n);
        for (int64_t l = 0; l < count; ++l) {
            // step = Â_l: [n, n] from attn [b, H, L, L] at item i, real rows and columns.
            const float* a = layers[static_cast<size_t>(l)]->ptr() + i * H * L * L;
            step.setZero();
            for (int64_t h = 0; h < H; ++h) {
                if (one_run) {
                    step += ConstMapRM(a + h * L * L, L, L).block(index[0], index[0], n, n).cast<Real>();
                    continue;
                }
                for (int64_t r = 0; r < n; ++r) {
                    const float* row = a + (h * L + index[r]) * L;
                    for (int64_t c = 0; c < n; ++c)
                        step(r, c) += row[index[c]];
                }
            }
            step *= static_cast<Real>(0.5 / static_cast<double>(H));
            step.diagonal().array() += Real(0.5);
            // Renormalised over the real keys: attention a model gave to padding (none in a
            // correct one) does not leak, and each row of Â is a distribution again.
            renormalise_rows(step);

            if (l == 0) {
                rolled = step;
            } else {
                next.noalias() = step * rolled;
                rolled.swap(next);
                // A product of row-stochastic matrices is row-stochastic: renormalising changes
                // nothing but the rounding, which would otherwise pile up over the layers.
                renormalise_rows(rolled);
            }
            if (!results[static_cast<size_t>(l)]) continue;
            float* out = results[static_cast<size_t>(l)]->ptr() + i * L * L;  // [L, L] of item i
            if (one_run) {
                MapRM(out, L, L).block(index[0], index[0], n, n) = rolled.cast<float>();
                continue;
            }
            for (int64_t r = 0; r < n; ++r)
                for (int64_t c = 0; c < n; ++c)
                    out[index[r] * L + index[c]] = static_cast<float>(rolled(r, c));
        }
    }
}

}  // namespace

std::vector<Tensor> rollout_by_layer(const std::vector<TensorPtr>& layers, const TokenLayout& layout) {
    const int64_t count = static_cast<int64_t>(layers.size());
    const RolloutInputs inputs = check_rollout_inputs(layers, layout, count);
    const Shape& shape = inputs.dims;
    std::vector<Tensor> out;
    out.reserve(static_cast<size_t>(count));
    std::vector<Tensor*> targets;
    for (int64_t l = 0; l < count; ++l)
        out.emplace_back(Shape{shape[0], shape[2], shape[3]}, 0.0f);
    for (Tensor& t : out)
        targets.push_back(&t);
    run_rollout(layers, inputs, count, targets);
    return out;
}

Tensor rollout(const std::vector<TensorPtr>& layers, const TokenLayout& layout, int64_t up_to_layer) {
    const int64_t count = up_to_layer == -1 ? static_cast<int64_t>(layers.size()) : up_to_layer + 1;
    const RolloutInputs inputs = check_rollout_inputs(layers, layout, count);
    const Shape& shape = inputs.dims;
    Tensor out(Shape{shape[0], shape[2], shape[3]}, 0.0f);
    std::vector<Tensor*> targets(static_cast<size_t>(count), nullptr);
    targets.back() = &out;
    run_rollout(layers, inputs, count, targets);
    return out;
}

}  // namespace attn
