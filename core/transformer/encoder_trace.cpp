#include "transformer/encoder_trace.h"

#include "model/ops.h"
#include "model/recorder.h"
#include "transformer/encoder_attention.h"

#include <limits>

namespace attn {

std::shared_ptr<const LayerTensors> LayerReplay::get(int64_t layer, const std::function<LayerTensors()>& compute) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (layer_ != layer || !last_) {
        last_.reset();  // one layer's intermediates at a time
        last_ = std::make_shared<const LayerTensors>(compute());
        layer_ = layer;
    }
    return last_;
}

namespace {

using detail::named;
using detail::Recorder;

// Columns [c0, c0 + n) of x [b, L, width] -> [b, L, n]
Tensor columns(const Tensor& x, int64_t c0, int64_t n) {
    const int64_t rows = x.numel() / x.dim(-1), width = x.dim(-1);
    Tensor y = Tensor::uninitialized({x.dim(0), x.dim(1), n});
    y.matrix(0, rows, n) = x.matrix(0, rows, width).middleCols(c0, n);
    return y;
}

// scores [b, heads, L, L] + mask_add [b, None, None, L]
Tensor add_key_mask(Tensor scores, const Tensor& mask_add) {
    const int64_t b = scores.dim(0), Lk = scores.dim(-1), rows = scores.numel() / (b * Lk);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t r = 0; r < rows; ++r) {
            float* row = scores.ptr() + (i * rows + r) * Lk;
            for (int64_t j = 0; j < Lk; ++j)
                row[j] += mask_add.data[static_cast<size_t>(i * Lk + j)];
        }
    return scores;
}

}  // namespace

Trace record_encoder_layer(const EncoderLayerRecord& r) {
    const EncoderSpec s = r.spec;
    const bool bert = s.norm == NormPlacement::Post;
    const int64_t b = r.input->dim(0), L = r.input->dim(1), E = s.hidden, H = s.heads, D = s.depth();
    const int64_t I = s.intermediate;
    Trace trace;
    trace.module = bert ? "BertLayer" : "ViTLayer";
    trace.scale = s.scale();
    trace.fill = bert ? std::numeric_limits<float>::lowest() : 0.0f;
    trace.output_data = r.output;
    trace.attn_data = r.probs;
    Recorder rec(trace);

    // Every lazy step reads the layer's replay, computed from its input on first demand.
    auto replay = [r] {
        return r.replay->get(r.layer,
                             [r] { return run_encoder_layer(r.spec, *r.weights, *r.input, r.mask_add.get(), true); });
    };
    const NamedShape hidden_shape = named({"b", "L", "hidden"}, {b, L, E});
    const NamedShape head_shape = named({"b", "heads", "L", "depth"}, {b, H, L, D});
    const NamedShape score_shape = named({"b", "heads", "L", "L"}, {b, H, L, L});
    const std::string self_output = bert ? "BertSelfOutput" : "ViTSelfOutput";
    const std::string ln_note = "  # eps " + r.eps_text;

    rec.held("hidden_states", "hidden_states  # the layer's input", hidden_shape,
             r.layer == 0 ? "input: the embeddings" : "input: layer " + std::to_string(r.layer - 1) + "'s output",
             r.input);
    if (!bert)
        rec.lazy("layernorm_before",
                 "hidden_states = self.layernorm_before(hidden_states)  # LayerNorm before self-attention" + ln_note,
                 hidden_shape, "LayerNorm over hidden", DType::F32, [replay] { return replay()->normed_input; });

    const char* names[] = {"q", "k", "v"};
    const char* layer_names[] = {"query", "key", "value"};
    for (int64_t p = 0; p < 3; ++p) {
        const std::string n = layer_names[p];
        rec.lazy(names[p], n + "_layer = self.transpose_for_scores(self." + n + "(hidden_states))", hidden_shape,
                 "linear hidden -> hidden (self." + n + ")", DType::F32,
                 [replay, p, E] { return columns(replay()->qkv, p * E, E); });
    }
    for (int64_t p = 0; p < 3; ++p) {
        const std::string n = layer_names[p];
        rec.lazy(std::string(names[p]) + "_heads",
                 "x.view(b, L, heads, depth).permute(0, 2, 1, 3)  # transpose_for_scores -> " + n + "_layer",
                 head_shape, "hidden split into heads x depth, heads moved before positions", DType::F32,
                 [replay, p, E, H] { return split_heads(columns(replay()->qkv, p * E, E), H); });
    }
    auto scores = [replay, E, H] {
        const Tensor& qkv = replay()->qkv;
        return query_key_scores(split_heads(columns(qkv, 0, E), H), split_heads(columns(qkv, E, E), H));
    };
    rec.lazy("scores", "attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))", score_shape,
             "depth contracted: one score per (query, key)", DType::F32, scores);
    const double scale = s.scale();
    rec.lazy("scaled", "attention_scores = attention_scores / math.sqrt(self.attention_head_size)", score_shape,
             "every score / sqrt(" + std::to_string(D) + ") = x " + detail::format_number(scale), DType::F32,
             [scores, scale] { return scaled(scores(), scale); });
    if (r.mask_add) {
        TensorPtr mask = r.mask_add;
        rec.lazy(
            "masked",
            "attention_scores = attention_scores + attention_mask  # (1 - mask) * finfo(float32).min, [b, 1, 1, L]",
            score_shape, "padded keys pushed down by finfo(float32).min", DType::F32,
            [scores, scale, mask] { return add_key_mask(scaled(scores(), scale), *mask); });
    }
    rec.held("softmax", "attention_probs = nn.functional.softmax(attention_scores, dim=-1)", score_shape,
             "softmax over keys: each row sums to 1", r.probs);
    rec.lazy("context", "context_layer = torch.matmul(attention_probs, value_layer)", head_shape,
             "keys contracted: probs x v", DType::F32, [replay, H] { return split_heads(replay()->context, H); });
    rec.lazy("merge_heads", "context_layer = context_layer.permute(0, 2, 1, 3).contiguous().view(b, L, hidden)",
             hidden_shape, "heads x depth merged back into hidden", DType::F32, [replay] { return replay()->context; });
    rec.lazy("attn_output", "hidden_states = self.dense(hidden_states)  # " + self_output, hidden_shape,
             "linear hidden -> hidden (attention.output.dense)", DType::F32, [replay] { return replay()->attn_dense; });
    if (bert) {
        rec.lazy("attn_residual", "hidden_states + input_tensor  # BertSelfOutput: residual", hidden_shape,
                 "the layer's input added back", DType::F32, [replay] { return replay()->attn_residual; });
        rec.lazy("attn_layer_norm", "attention_output = self.LayerNorm(hidden_states + input_tensor)" + ln_note,
                 hidden_shape, "LayerNorm over hidden", DType::F32, [replay] { return replay()->attn_normed; });
    } else {
        rec.lazy("attn_residual", "hidden_states = attention_output + hidden_states  # first residual connection",
                 hidden_shape, "the layer's input added back", DType::F32,
                 [replay] { return replay()->attn_residual; });
        rec.lazy("layernorm_after", "layer_output = self.layernorm_after(hidden_states)" + ln_note, hidden_shape,
                 "LayerNorm over hidden", DType::F32, [replay] { return replay()->attn_normed; });
    }
    const std::string act = activation_name(s.act);
    rec.lazy(
        "ffn_intermediate",
        bert
            ? "intermediate_output = self.intermediate_act_fn(self.dense(attention_output))  # BertIntermediate, " + act
            : "layer_output = self.intermediate(layer_output)  # ViTIntermediate: dense, " + act,
        named({"b", "L", "intermediate"}, {b, L, I}), "linear hidden -> intermediate, then " + act, DType::F32,
        [replay] { return replay()->ffn_hidden; });
    rec.lazy("ffn_output",
             bert ? "hidden_states = self.dense(intermediate_output)  # BertOutput"
                  : "hidden_states = self.dense(hidden_states)  # ViTOutput",
             hidden_shape, "linear intermediate -> hidden (output.dense)", DType::F32,
             [replay] { return replay()->ffn_dense; });
    if (bert) {
        rec.lazy("ffn_residual", "hidden_states + input_tensor  # BertOutput: residual", hidden_shape,
                 "attention_output added back", DType::F32, [replay] { return replay()->ffn_residual; });
        rec.held("ffn_layer_norm", "layer_output = self.LayerNorm(hidden_states + input_tensor)" + ln_note,
                 hidden_shape, "LayerNorm over hidden: the layer's output", r.output);
    } else {
        rec.held("ffn_residual", "hidden_states = hidden_states + input_tensor  # second residual connection",
                 hidden_shape, "the first residual's sum added back: the layer's output", r.output);
    }
    return trace;
}

std::function<Tensor()> encoder_value_norms(const EncoderLayerRecord& r) {
    return [r] {
        const EncoderSpec& s = r.spec;
        const int64_t b = r.input->dim(0), L = r.input->dim(1), E = s.hidden;
        const Tensor normed = s.norm == NormPlacement::Pre ? layer_norm(*r.input, r.weights->norm1) : Tensor();
        const Tensor& x = s.norm == NormPlacement::Pre ? normed : *r.input;
        // The q|k|v product (the value projection is a third of it), v read in place.
        const Tensor qkv = dense(x, r.weights->qkv);
        return value_norms(qkv.ptr() + 2 * E, 3 * E, b, L, s.heads, s.depth(), r.weights->attn_output);
    };
}

}  // namespace attn
