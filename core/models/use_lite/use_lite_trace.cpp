// A use-lite pass as traces in the seed's vocabulary: one step per graph operation, each with its
// named dims and the line of the TensorFlow.js graph it stands for. Steps whose tensor the pass
// computed anyway hold it; the head views, the scaled queries, the logits and the value norms are
// made only when someone asks for them.
#include "errors.h"
#include "model/ops.h"
#include "model/recorder.h"
#include "models/use_lite/use_lite_pass.h"

#include <cmath>
#include <cstring>

namespace attn::detail {

namespace {

// Columns [col0, col0 + cols) of a [b, L, width] tensor: q, k or v out of qkv.
Tensor columns(const Tensor& t, int64_t col0, int64_t cols) {
    const int64_t rows = t.dim(0) * t.dim(1), width = t.dim(2);
    Tensor out = Tensor::uninitialized({t.dim(0), t.dim(1), cols});
    for (int64_t r = 0; r < rows; ++r)
        std::memcpy(out.ptr() + r * cols, t.ptr() + r * width + col0, cols * sizeof(float));
    return out;
}

// ||v_j^h W_O^h|| for every item, head and position: [b, heads, L]. v includes its bias; the
// output bias is left out (it is added once, not per token).
Tensor value_norms(const Tensor& qkv, const UseLiteLayerWeights& w) {
    ATTN_CHECK(qkv.dim(2) == 3 * w.width, "value norms: qkv width");
    const int64_t b = qkv.dim(0), L = qkv.dim(1), E = w.width, D = w.depth, H = w.heads, out = w.out_width;
    Tensor norms = Tensor::uninitialized({b, H, L});
    using Strided = Eigen::Map<const MatrixRM, 0, Eigen::OuterStride<>>;
    for (int64_t i = 0; i < b; ++i)
        for (int64_t h = 0; h < H; ++h) {
            const Strided V(qkv.ptr() + i * L * 3 * E + 2 * E + h * D, L, D, Eigen::OuterStride<>(3 * E));
            const MatrixRM f = V * w.out_kernel.matrix(h * D * out, D, out);  // [L, out]
            for (int64_t j = 0; j < L; ++j)
                norms.data[(i * H + h) * L + j] = f.row(j).norm();
        }
    return norms;
}

std::string num(double v) {
    return format_number(v);
}

void record_layer(Trace& trace, const UseLiteLayerWeights& w, const UseLiteLayerTensors& t, size_t l, int64_t b,
                  int64_t L, float eps, float pad_bias, TensorPtr mask) {
    Recorder rec(trace);
    const std::string layer = "Layer_" + std::to_string(l) + "/";
    const int64_t in = w.in_width, out = w.out_width, E = w.width, H = w.heads, D = w.depth;
    const std::string in_name = w.has_dense ? "emb" : "hidden";
    const int64_t ffn = w.conv1_kernel.dim(1);
    trace.module = "use-lite " + layer + "TransformerLayer";
    trace.scale = w.q_scale;
    trace.fill = pad_bias;
    trace.output_data = t.x_out;
    trace.attn_data = t.att;

    rec.held("x", "x  # the residual stream into " + layer, named({"b", "L", in_name}, {b, L, in}), "input", t.x_in);
    rec.held("ln", "h = layer_norm(x) * scale + bias  # " + layer + "layer_prepostprocess/layer_norm, eps " + num(eps),
             named({"b", "L", in_name}, {b, L, in}), "each token normalised over " + in_name, t.h);
    rec.held("qkv",
             "qkv = h @ qkv_transform_single/kernel + bias  # kernel [" + std::to_string(in) + ", " +
                 std::to_string(3 * E) + "]",
             named({"b", "L", "3*heads*depth"}, {b, L, 3 * E}), "linear " + in_name + " -> 3 x heads x depth", t.qkv);
    const char* parts[3] = {"q", "k", "v"};
    for (int64_t s = 0; s < 3; ++s)
        rec.lazy(parts[s], "q, k, v = tf.split(qkv, 3, axis=-1)  # " + std::string(parts[s]),
                 named({"b", "L", "heads*depth"}, {b, L, E}), "slice " + std::to_string(s + 1) + " of 3", DType::F32,
                 [qkv = t.qkv, s, E] { return columns(*qkv, s * E, E); });
    for (int64_t s = 0; s < 3; ++s)
        rec.lazy(std::string(parts[s]) + "_heads",
                 std::string(parts[s]) + " = split_heads(" + parts[s] + ")  # reshape [b, L, " + std::to_string(H) +
                     ", " + std::to_string(D) + "], transpose [0, 2, 1, 3]",
                 named({"b", "heads", "L", "depth"}, {b, H, L, D}), "heads x depth split, heads before positions",
                 DType::F32, [qkv = t.qkv, s, E, H] { return split_heads(columns(*qkv, s * E, E), H); });
    const float scale = w.q_scale;
    auto q_scaled = [qkv = t.qkv, E, H, scale] { return scaled(split_heads(columns(*qkv, 0, E), H), scale); };
    rec.lazy("q_scaled", "q = q * " + num(scale) + "  # MultiheadAttention/mul/y",
             named({"b", "heads", "L", "depth"}, {b, H, L, D}), "every query x " + num(scale), DType::F32, q_scaled);
    auto logits = [qkv = t.qkv, E, H, q_scaled] {
        return query_key_scores(q_scaled(), split_heads(columns(*qkv, E, E), H));
    };
    rec.lazy("scores", "logits = q @ tf.transpose(k, [0, 1, 3, 2])  # BaseDotProductAttention/MatMul",
             named({"b", "heads", "L", "L"}, {b, H, L, L}), "depth contracted: one logit per (query, key)", DType::F32,
             logits);
    rec.lazy("masked", "logits = logits + (1 - mask) * " + num(pad_bias) + "  # attention_bias_ignore_padding, added",
             named({"b", "heads", "L", "L"}, {b, H, L, L}), "padded keys get " + num(pad_bias), DType::F32,
             [logits, mask, pad_bias] {
                 Tensor s = logits();
                 const int64_t Lk = s.dim(-1), per_item = s.numel() / s.dim(0);
                 for (int64_t e = 0; e < s.numel(); ++e)
                     if (mask->data[(e / per_item) * Lk + e % Lk] == 0.0f) s.data[e] += pad_bias;
                 return s;
             });
    rec.held("softmax",
             "weights = tf.nn.softmax(logits)  # DotProductAttention/BaseDotProductAttention/attention_weights",
             named({"b", "heads", "L", "L"}, {b, H, L, L}), "softmax over keys: each row sums to 1, padded keys get 0",
             t.att);
    rec.lazy("weighted_sum", "context = weights @ v  # BaseDotProductAttention/MatMul_1",
             named({"b", "heads", "L", "depth"}, {b, H, L, D}), "keys contracted: weights x v", DType::F32,
             [ctx = t.ctx, H] { return split_heads(*ctx, H); });
    rec.held("merge_heads", "context = combine_heads(context)  # transpose [0, 2, 1, 3], reshape [b, L, heads*depth]",
             named({"b", "L", "heads*depth"}, {b, L, E}), "heads x depth merged back", t.ctx);
    rec.held("attn_out", "o = context @ output_transform_single/kernel + bias",
             named({"b", "L", "hidden"}, {b, L, out}), "linear heads*depth -> hidden", t.o);
    if (w.has_dense) {
        rec.held("residual",
                 "residual = x @ dense/kernel + bias  # AdjustResidualInput: " + std::to_string(in) + " -> " +
                     std::to_string(out) + ", real tokens only (0 on padding)",
                 named({"b", "L", "hidden"}, {b, L, out}), "the residual projected emb -> hidden", t.res);
        rec.held("add", "x = o + residual  # layer_postprocess/add", named({"b", "L", "hidden"}, {b, L, out}),
                 "attention output + projected residual", t.x_mid);
    } else {
        rec.held("add", "x = o + x  # layer_postprocess/add", named({"b", "L", "hidden"}, {b, L, out}),
                 "attention output + residual", t.x_mid);
    }
    rec.held("ffn_ln", "f = layer_norm(x) * scale + bias  # FFN/layer_prepostprocess/layer_norm",
             named({"b", "L", "hidden"}, {b, L, out}), "each token normalised over hidden", t.f);
    rec.held("ffn_conv1", "f = tf.nn.relu(f @ conv1 + b1)  # FFN/conv1, real tokens only (0 on padding)",
             named({"b", "L", "ffn"}, {b, L, ffn}), "linear hidden -> ffn, relu", t.ffn1);
    rec.held("ffn_conv2", "f = f @ conv2 + b2  # FFN/conv2, scattered back (0 on padding)",
             named({"b", "L", "hidden"}, {b, L, out}), "linear ffn -> hidden", t.ffn2);
    rec.held("ffn_add", "x = x + f  # FFN/layer_postprocess/add", named({"b", "L", "hidden"}, {b, L, out}),
             "FFN output + residual: the layer's output", t.x_out);
}

}  // namespace

ModelPass record_use_lite_pass(std::shared_ptr<const UseLiteWeights> weights, TensorPtr timing,
                               const UseLitePassTensors& t) {
    const UseLiteWeights& w = *weights;
    ModelPass pass;
    const int64_t b = t.b, L = t.L, emb = w.emb(), hidden = w.hidden();
    {
        Recorder rec(pass.embeddings);
        pass.embeddings.module = "use-lite embeddings";
        pass.embeddings.output_data = t.x0;
        rec.held("input_ids", "values  # SentencePiece ids, sparse [N] in the graph, here padded with 0",
                 named({"b", "L"}, {b, L}), "input", t.ids);
        rec.held("attention_mask", "mask = SparseToDense(indices) > -1  # 1 = token, 0 = padding",
                 named({"b", "L"}, {b, L}), "input", t.mask);
        const TensorPtr table(weights, &w.embeddings);  // shares ownership of the weights, copies nothing
        auto gather = [ids = t.ids, mask = t.mask, table, emb] {
            Tensor e({ids->dim(0), ids->dim(1), emb});
            for (int64_t r = 0; r < ids->numel(); ++r)
                if (mask->data[r] != 0.0f)
                    std::memcpy(e.ptr() + r * emb, table->ptr() + static_cast<int64_t>(ids->data[r]) * emb,
                                emb * sizeof(float));
            return e;
        };
        rec.lazy("embedding", "e = tf.gather(Embeddings_en, values)  # Encode/embedding_lookup, 0 on padding",
                 named({"b", "L", "emb"}, {b, L, emb}), "one row of Embeddings_en per token", DType::F32, gather);
        const TensorPtr signal = timing;
        rec.lazy("timing_signal",
                 "t = concat(sin(p * inv_timescales), cos(p * inv_timescales))  # AddTimingSignal, p = 0..n-1",
                 named({"b", "L", "emb"}, {b, L, emb}), "position p: sin half, cos half (0 on padding)", DType::F32,
                 [mask = t.mask, signal, emb] {
                     Tensor s({mask->dim(0), mask->dim(1), emb});
                     for (int64_t r = 0; r < mask->numel(); ++r)
                         if (mask->data[r] != 0.0f)
                             std::memcpy(s.ptr() + r * emb, signal->ptr() + (r % mask->dim(1)) * emb,
                                         emb * sizeof(float));
                     return s;
                 });
        rec.held("x", "x = e + (e + t)  # TransformerStack/Layer_0/add: the graph adds the embedding twice",
                 named({"b", "L", "emb"}, {b, L, emb}), "embedding + (embedding + timing)", t.x0);
    }
    for (size_t l = 0; l < w.layers.size(); ++l) {
        LayerPass lp;
        record_layer(lp.trace, w.layers[l], t.layers[l], l, b, L, w.ln_epsilon, w.pad_bias, t.mask);
        lp.attn = t.layers[l].att;
        const std::shared_ptr<const UseLiteLayerWeights> lw(weights, &w.layers[l]);
        lp.value_norms = [qkv = t.layers[l].qkv, lw] { return value_norms(*qkv, *lw); };
        pass.layers.push_back(std::move(lp));
    }
    {
        Recorder rec(pass.pooling);
        pass.pooling.module = "use-lite pooling";
        pass.pooling.output_data = t.embedding;
        rec.held("mean", "pooled = sum(x * mask, axis=1) / max(n, 1)  # KonaTransformer/div: mean over real tokens",
                 named({"b", "hidden"}, {b, hidden}), "positions contracted: the mean of the real tokens", t.pooled);
        rec.held("tanh", "y = tf.tanh(pooled @ tanh_layer_0/weights + bias)  # hidden_layers/tanh_layer_0",
                 named({"b", "hidden"}, {b, hidden}), "linear hidden -> hidden, tanh", t.tanh);
        rec.held(
            "l2_normalize",
            "embedding = y * rsqrt(max(sum(y * y), " + format_number(w.l2_floor) + "))  # hidden_layers/l2_normalize",
            named({"b", "hidden"}, {b, hidden}), "unit length", t.embedding);
    }
    pass.last_hidden_state = t.layers.back().x_out;
    pass.sentence_embedding = *t.embedding;
    return pass;
}

}  // namespace attn::detail
