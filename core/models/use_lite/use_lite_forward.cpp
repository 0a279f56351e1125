// use-lite's forward pass over a batch, as the TensorFlow.js graph computes it. The products go
// through dense_rows (small_dense.h), whose every row is computed on its own: a sentence gives the
// same bits alone and in a padded batch. Attention runs sentence by sentence, on the sentence's
// real tokens (padded keys get weight 0 in the graph, so they are left out), with the engine's
// fused kernels; padded queries are computed apart, against the same real keys.
#include "errors.h"
#include "model/fused_attention.h"
#include "models/use_lite/use_lite_pass.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attn::detail {

namespace {

void dense(const float* x, int64_t rows, const PackedKernel& kernel, const Tensor& bias, float* y) {
    dense_rows(x, rows, kernel, bias.ptr(), y);
}

// The graph's LayerNorm, op by op: mean and variance over the last axis (summed in double, as
// TensorFlow.js's CPU backend does), then scale * rsqrt(var + eps) * (x - mean) + bias.
void layer_norm(const float* x, int64_t rows, int64_t width, const Tensor& scale, const Tensor& bias, float eps,
                float* y) {
    const float* g = scale.ptr();
    const float* beta = bias.ptr();
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * width;
        float* yr = y + r * width;
        double sum = 0.0;
        for (int64_t c = 0; c < width; ++c)
            sum += xr[c];
        const float mean = static_cast<float>(sum / static_cast<double>(width));
        double sq = 0.0;
        for (int64_t c = 0; c < width; ++c) {
            const float d = xr[c] - mean;
            sq += static_cast<double>(d * d);
        }
        const float var = static_cast<float>(sq / static_cast<double>(width));
        const float inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var + eps)));
        for (int64_t c = 0; c < width; ++c)
            yr[c] = g[c] * inv * (xr[c] - mean) + beta[c];
    }
}

// The real tokens' rows of a [b, L, ...] batch, and moving them to and from a compact [N, ...]
// block (the graph's GatherNd / ScatterNd around the residual projection and the FFN). Without
// padding the batch is its own compact block and nothing is copied.
class RealRows {
public:
    RealRows(const std::vector<int64_t>& lengths, int64_t L) : lengths_(lengths), L_(L) {
        for (int64_t n : lengths)
            count_ += n;
    }
    int64_t count() const { return count_; }
    bool dense() const { return count_ == static_cast<int64_t>(lengths_.size()) * L_; }

    Tensor gather(const Tensor& t) const {
        const int64_t w = t.dim(-1);
        Tensor out = Tensor::uninitialized({count_, w});
        int64_t at = 0;
        for (size_t i = 0; i < lengths_.size(); ++i) {
            std::memcpy(out.ptr() + at * w, t.ptr() + static_cast<int64_t>(i) * L_ * w,
                        lengths_[i] * w * sizeof(float));
            at += lengths_[i];
        }
        return out;
    }
    // Into `t` [b, L, w], whose padded rows keep what they hold (0).
    void scatter(const Tensor& compact, Tensor& t) const {
        const int64_t w = t.dim(-1);
        int64_t at = 0;
        for (size_t i = 0; i < lengths_.size(); ++i) {
            std::memcpy(t.ptr() + static_cast<int64_t>(i) * L_ * w, compact.ptr() + at * w,
                        lengths_[i] * w * sizeof(float));
            at += lengths_[i];
        }
    }

private:
    const std::vector<int64_t>& lengths_;
    int64_t L_;
    int64_t count_ = 0;
};

// y [b, L, out] (zeros on padding) = x's real rows @ kernel + bias.
Tensor dense_real(const RealRows& real, const Tensor& x, const PackedKernel& kernel, const Tensor& bias) {
    Tensor y({x.dim(0), x.dim(1), kernel.out});
    if (real.dense()) {
        dense(x.ptr(), real.count(), kernel, bias, y.ptr());
        return y;
    }
    const Tensor xs = real.gather(x);
    Tensor ys = Tensor::uninitialized({real.count(), kernel.out});
    dense(xs.ptr(), real.count(), kernel, bias, ys.ptr());
    real.scatter(ys, y);
    return y;
}

// Rows [row0, row0 + rows) of item i of a [b, L, width] tensor, as [1, rows, cols] from column col0.
Tensor slice_rows(const Tensor& t, int64_t i, int64_t row0, int64_t rows, int64_t col0, int64_t cols) {
    const int64_t L = t.dim(1), width = t.dim(2);
    Tensor out = Tensor::uninitialized({1, rows, cols});
    for (int64_t r = 0; r < rows; ++r)
        std::memcpy(out.ptr() + r * cols, t.ptr() + ((i * L + row0 + r) * width + col0), cols * sizeof(float));
    return out;
}

// Queries [row0, row0 + rows) of item i over the keys k / values v ([1, Lk, E]): their weights
// into att [b, heads, L, L] (columns 0..Lk-1) and their context into ctx [b, L, E].
void attend(const UseLiteLayerWeights& w, const Tensor& qkv, int64_t i, int64_t row0, int64_t rows, const Tensor& k,
            const Tensor& v, const Tensor* pad_mask, float pad_bias, Tensor& att, Tensor& ctx) {
    if (rows == 0) return;
    const int64_t L = qkv.dim(1), E = w.width, H = w.heads, Lk = k.dim(1);
    const Tensor q = slice_rows(qkv, i, row0, rows, 0, E);
    const Tensor a = fused_attention_weights(q, k, H, w.q_scale, pad_mask, pad_bias);  // [1, H, rows, Lk]
    const Tensor c = fused_weighted_values(a, v, H);                                   // [1, rows, E]
    for (int64_t h = 0; h < H; ++h)
        for (int64_t r = 0; r < rows; ++r)
            std::memcpy(att.ptr() + ((i * H + h) * L + row0 + r) * L, a.ptr() + (h * rows + r) * Lk,
                        Lk * sizeof(float));
    std::memcpy(ctx.ptr() + (i * L + row0) * E, c.ptr(), rows * E * sizeof(float));
}

// Item i's attention: its n real queries and its L - n padded ones over the n real keys; an empty
// sentence (n = 0) has only padded keys, and -1e9 on every one of them gives uniform weights.
void attention_item(const UseLiteLayerWeights& w, float pad_bias, const Tensor& qkv, int64_t i, int64_t n, Tensor& att,
                    Tensor& ctx) {
    const int64_t L = qkv.dim(1), E = w.width;
    if (n > 0) {
        const Tensor k = slice_rows(qkv, i, 0, n, E, E), v = slice_rows(qkv, i, 0, n, 2 * E, E);
        attend(w, qkv, i, 0, n, k, v, nullptr, pad_bias, att, ctx);
        attend(w, qkv, i, n, L - n, k, v, nullptr, pad_bias, att, ctx);
    } else {
        const Tensor k = slice_rows(qkv, i, 0, L, E, E), v = slice_rows(qkv, i, 0, L, 2 * E, E);
        const Tensor all_padding({1, L}, 1.0f, DType::Bool);
        attend(w, qkv, i, 0, L, k, v, &all_padding, pad_bias, att, ctx);
    }
}

TensorPtr hold(Tensor t) {
    return std::make_shared<const Tensor>(std::move(t));
}

UseLiteLayerTensors run_layer(const UseLiteLayerWeights& w, float eps, float pad_bias, TensorPtr x,
                              const std::vector<int64_t>& lengths) {
    const int64_t b = x->dim(0), L = x->dim(1), rows = b * L, in = w.in_width, out = w.out_width;
    const RealRows real(lengths, L);
    UseLiteLayerTensors r;
    r.x_in = x;

    Tensor h = Tensor::uninitialized({b, L, in});
    layer_norm(x->ptr(), rows, in, w.ln_scale, w.ln_bias, eps, h.ptr());
    // Every position, padding included: the graph runs attention on all of them.
    Tensor qkv = Tensor::uninitialized({b, L, 3 * w.width});
    dense(h.ptr(), rows, w.qkv, w.qkv_bias, qkv.ptr());

    Tensor att({b, w.heads, L, L});  // padded keys keep their 0
    Tensor ctx = Tensor::uninitialized({b, L, w.width});
#pragma omp parallel for schedule(dynamic) if (b > 1)
    for (int64_t i = 0; i < b; ++i)
        attention_item(w, pad_bias, qkv, i, lengths[static_cast<size_t>(i)], att, ctx);
    Tensor o = Tensor::uninitialized({b, L, out});
    dense(ctx.ptr(), rows, w.out, w.out_bias, o.ptr());

    // Residual: layer 0 projects x on the real tokens (AdjustResidualInput, 0 on padding); later
    // layers add x itself.
    Tensor x_mid = Tensor::uninitialized({b, L, out});
    if (w.has_dense) {
        Tensor res = dense_real(real, *x, w.dense, w.dense_bias);
        for (int64_t e = 0; e < rows * out; ++e)
            x_mid.data[e] = o.data[e] + res.data[e];
        r.res = hold(std::move(res));
    } else {
        for (int64_t e = 0; e < rows * out; ++e)
            x_mid.data[e] = o.data[e] + x->data[e];
    }

    // FFN on the real tokens only; padded positions keep x_mid.
    Tensor f = Tensor::uninitialized({b, L, out});
    layer_norm(x_mid.ptr(), rows, out, w.ffn_ln_scale, w.ffn_ln_bias, eps, f.ptr());
    Tensor ffn1 = dense_real(real, f, w.conv1, w.conv1_bias);
    for (float& v : ffn1.data)
        v = std::max(v, 0.0f);
    Tensor ffn2 = dense_real(real, ffn1, w.conv2, w.conv2_bias);
    Tensor x_out = Tensor::uninitialized({b, L, out});
    for (int64_t e = 0; e < rows * out; ++e)
        x_out.data[e] = x_mid.data[e] + ffn2.data[e];

    r.h = hold(std::move(h));
    r.qkv = hold(std::move(qkv));
    r.att = hold(std::move(att));
    r.ctx = hold(std::move(ctx));
    r.o = hold(std::move(o));
    r.x_mid = hold(std::move(x_mid));
    r.f = hold(std::move(f));
    r.ffn1 = hold(std::move(ffn1));
    r.ffn2 = hold(std::move(ffn2));
    r.x_out = hold(std::move(x_out));
    return r;
}

}  // namespace

Tensor use_lite_timing_table(const UseLiteWeights& w, int64_t positions) {
    const int64_t half = w.inv_timescales.numel(), emb = 2 * half;
    Tensor t = Tensor::uninitialized({positions, emb});
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t c = 0; c < half; ++c) {
            const float arg = static_cast<float>(p) * w.inv_timescales.data[c];  // TimingSignal/mul_2, float32
            t.data[p * emb + c] = static_cast<float>(std::sin(static_cast<double>(arg)));
            t.data[p * emb + half + c] = static_cast<float>(std::cos(static_cast<double>(arg)));
        }
    return t;
}

UseLitePassTensors run_use_lite(const UseLiteWeights& w, const Tensor& timing, const Tensor& ids, const Tensor& mask,
                                std::vector<int64_t> lengths, const ForwardControl* control) {
    UseLitePassTensors p;
    p.b = ids.dim(0);
    p.L = ids.dim(1);
    p.lengths = std::move(lengths);
    p.ids = hold(ids);
    p.mask = hold(mask);
    const int64_t b = p.b, L = p.L, emb = w.emb();
    ATTN_CHECK(L <= timing.dim(0) && static_cast<int64_t>(p.lengths.size()) == b, "use-lite pass sizes");

    checkpoint(control, "embeddings", 0.0f);
    Tensor x0({b, L, emb});  // 0 on padding: the graph scatters the embeddings to the real positions
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < p.lengths[i]; ++j) {
            const int64_t id = static_cast<int64_t>(ids.data[i * L + j]);
            const float* e = w.embeddings.ptr() + id * emb;
            const float* t = timing.ptr() + j * emb;
            float* x = x0.ptr() + (i * L + j) * emb;
            for (int64_t c = 0; c < emb; ++c)
                x[c] = e[c] + (e[c] + t[c]);  // Layer_0/add: the embedding plus (the embedding plus timing)
        }
    p.x0 = hold(std::move(x0));

    TensorPtr x = p.x0;
    for (size_t l = 0; l < w.layers.size(); ++l) {
        checkpoint(control, "layer " + std::to_string(l),
                   0.1f + 0.8f * static_cast<float>(l) / static_cast<float>(w.layers.size()));
        p.layers.push_back(run_layer(w.layers[l], w.ln_epsilon, w.pad_bias, x, p.lengths));
        x = p.layers.back().x_out;
    }

    checkpoint(control, "pooling", 0.9f);
    const int64_t hidden = w.hidden();
    Tensor pooled = Tensor::uninitialized({b, hidden}), tanh_out = Tensor::uninitialized({b, hidden});
    Tensor unit = Tensor::uninitialized({b, hidden});
    for (int64_t i = 0; i < b; ++i) {
        // The mean over the real tokens: the sum (in double, as the CPU backend) / max(n, 1).
        const float count = static_cast<float>(std::max<int64_t>(p.lengths[i], 1));
        for (int64_t c = 0; c < hidden; ++c) {
            double s = 0.0;
            for (int64_t j = 0; j < p.lengths[i]; ++j)
                s += x->data[(i * L + j) * hidden + c];
            pooled.data[i * hidden + c] = static_cast<float>(s) / count;
        }
    }
    dense(pooled.ptr(), b, w.tanh, w.tanh_bias, tanh_out.ptr());
    for (int64_t i = 0; i < b; ++i) {
        double sq = 0.0;
        for (int64_t c = 0; c < hidden; ++c) {
            float& y = tanh_out.data[i * hidden + c];
            y = std::tanh(y);
            sq += static_cast<double>(y * y);
        }
        // l2_normalize: y * rsqrt(max(sum y², floor)).
        const double kept = std::max(static_cast<double>(static_cast<float>(sq)), static_cast<double>(w.l2_floor));
        const float scale = static_cast<float>(1.0 / std::sqrt(kept));
        for (int64_t c = 0; c < hidden; ++c)
            unit.data[i * hidden + c] = tanh_out.data[i * hidden + c] * scale;
    }
    p.pooled = hold(std::move(pooled));
    p.tanh = hold(std::move(tanh_out));
    p.embedding = hold(std::move(unit));
    checkpoint(control, "done", 1.0f);
    return p;
}

}  // namespace attn::detail
