#include "models/bert/bert_model.h"

#include "errors.h"
#include "model/fused_attention.h"
#include "model/recorder.h"
#include "transformer/encoder_attention.h"

#include <cmath>

namespace attn {

namespace {

using detail::hold;
using detail::named;

bool whole(float v) {
    return std::isfinite(v) && std::floor(v) == v;
}

// inputs_embeds [b, L, hidden] = word_embeddings(input_ids), and the like for the other tables.
Tensor lookup(const Tensor& table, const Tensor& ids) {
    const int64_t n = ids.numel(), E = table.dim(1);
    Shape shape = ids.shape;
    shape.push_back(E);
    Tensor y = Tensor::uninitialized(shape);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t id = static_cast<int64_t>(ids.data[static_cast<size_t>(i)]);
        std::copy(table.ptr() + id * E, table.ptr() + (id + 1) * E, y.ptr() + i * E);
    }
    return y;
}

// embeddings = inputs_embeds + token_type_embeddings + position_embeddings (in that order), before
// the LayerNorm: [b, L, hidden].
Tensor embedding_sum(const BertEmbeddingWeights& w, const Tensor& ids) {
    const int64_t b = ids.dim(0), L = ids.dim(1), E = w.word.dim(1);
    Tensor y = Tensor::uninitialized({b, L, E});
    const float* tt = w.token_type.ptr();  // token_type_ids are all 0
    for (int64_t i = 0; i < b; ++i)
        for (int64_t t = 0; t < L; ++t) {
            const int64_t id = static_cast<int64_t>(ids.data[static_cast<size_t>(i * L + t)]);
            const float* we = w.word.ptr() + id * E;
            const float* pe = w.position.ptr() + t * E;
            float* out = y.ptr() + (i * L + t) * E;
            for (int64_t e = 0; e < E; ++e)
                out[e] = (we[e] + tt[e]) + pe[e];
        }
    return y;
}

}  // namespace

BertModel::BertModel(ModelInfo info, HfConfig config, BertEmbeddingWeights embeddings, HfEncoder encoder,
                     WordPieceTokenizer tokenizer)
    : info_(std::move(info)),
      config_(std::move(config)),
      embeddings_(std::make_shared<const BertEmbeddingWeights>(std::move(embeddings))),
      encoder_(std::move(encoder)),
      tokenizer_(std::move(tokenizer)) {}

double BertModel::weight_bytes() const {
    const BertEmbeddingWeights& e = *embeddings_;
    return encoder_.weight_bytes() + static_cast<double>(e.word.numel() + e.position.numel() + e.token_type.numel() +
                                                         e.norm.weight.numel() + e.norm.bias.numel()) *
                                         sizeof(float);
}

ModelInputs BertModel::prepare_text(const std::vector<std::string>& sentences) const {
    WordPieceBatch batch = encode_wordpiece_batch(tokenizer_, sentences, info_.max_positions);
    ModelInputs in;
    in.input_ids = std::move(batch.input_ids);
    in.attention_mask = std::move(batch.attention_mask);
    in.tokens = std::move(batch.tokens);
    in.warnings = std::move(batch.warnings);
    check_ids(in.input_ids, in.attention_mask);  // a vocab.txt longer than the embeddings shows here
    return in;
}

void BertModel::check_ids(const Tensor& ids, const Tensor& mask) const {
    if (ids.rank() != 2 || ids.dim(0) < 1 || ids.dim(1) < 1)
        throw ShapeError("input_ids is " + shape_string(ids.shape) + "; " + info_.name + " takes [b, L] (b, L >= 1)");
    if (ids.dtype != DType::Int64) throw ShapeError("input_ids must hold integers (int64), not floats");
    if (mask.shape != ids.shape)
        throw ShapeError("attention_mask is " + shape_string(mask.shape) + "; it must match input_ids " +
                         shape_string(ids.shape));
    if (mask.dtype != DType::Int64 && mask.dtype != DType::Bool)
        throw ShapeError("attention_mask must hold integers 0 and 1, not floats");
    const int64_t L = ids.dim(1);
    if (L > config_.max_position_embeddings)
        throw ShapeError("input_ids has " + std::to_string(L) + " positions; " + info_.name + " has " +
                         std::to_string(config_.max_position_embeddings) + " position embeddings");
    const int64_t vocab = config_.vocab_size;
    for (int64_t i = 0; i < ids.numel(); ++i) {
        const float v = ids.data[static_cast<size_t>(i)];
        if (!whole(v) || v < 0 || v >= static_cast<float>(vocab))
            throw ShapeError("input_ids[" + std::to_string(i / L) + ", " + std::to_string(i % L) + "] is " +
                             detail::format_number(v) + ", outside " + info_.name + "'s vocabulary of " +
                             std::to_string(vocab) + " (0.." + std::to_string(vocab - 1) + ")");
        const float m = mask.data[static_cast<size_t>(i)];
        if (m != 0.0f && m != 1.0f)
            throw ShapeError("attention_mask[" + std::to_string(i / L) + ", " + std::to_string(i % L) + "] is " +
                             detail::format_number(m) + "; it must be 1 (token) or 0 (padding)");
    }
}

ModelInputs BertModel::prepare_ids(const Tensor& input_ids, const Tensor& attention_mask) const {
    check_ids(input_ids, attention_mask);
    ModelInputs in;
    in.input_ids = input_ids;
    in.attention_mask = attention_mask;
    in.attention_mask.dtype = DType::Int64;
    const int64_t b = input_ids.dim(0), L = input_ids.dim(1);
    for (int64_t i = 0; i < b; ++i) {
        std::vector<std::string> row;
        for (int64_t t = 0; t < L; ++t)
            row.push_back(tokenizer_.token_of(static_cast<int64_t>(input_ids.data[static_cast<size_t>(i * L + t)])));
        in.tokens.push_back(std::move(row));
    }
    return in;
}

ModelPass BertModel::run(const ModelInputs& in, const ForwardControl* control) const {
    check_ids(in.input_ids, in.attention_mask);
    const int64_t b = in.input_ids.dim(0), L = in.input_ids.dim(1), E = config_.hidden_size;
    check_hf_pass_memory(encoder_, info_.name, b, L, control ? control->held_bytes : 0.0);
    // Every layer's products: 2 b L (4 E^2 + 2 E I) plus the attention's 4 b L^2 E.
    const double rows = static_cast<double>(b * L);
    ThreadsForWork threads(static_cast<double>(encoder_.layers.size()) * 2.0 * rows *
                           (4.0 * E * E + 2.0 * E * config_.intermediate_size + 2.0 * L * E));

    checkpoint(control, "embeddings", 0.0f);
    ModelPass pass;
    pass.embeddings.module = "BertEmbeddings";
    detail::Recorder rec(pass.embeddings);
    TensorPtr ids = hold(in.input_ids), mask = hold(in.attention_mask);
    auto w = embeddings_;
    const NamedShape tokens = named({"b", "L"}, {b, L}), hidden = named({"b", "L", "hidden"}, {b, L, E});
    rec.held("input_ids", "input_ids  # tokenizer(sentences, padding=True)", tokens, "input: token ids", ids);
    rec.held("attention_mask", "attention_mask  # 1 = token, 0 = padding", tokens, "input", mask);
    rec.lazy("inputs_embeds", "inputs_embeds = self.word_embeddings(input_ids)", hidden, "one row of the table per id",
             DType::F32, [w, ids] { return lookup(w->word, *ids); });
    rec.lazy("token_type_embeddings", "token_type_embeddings = self.token_type_embeddings(token_type_ids)  # all 0",
             hidden, "row 0 of the table at every position", DType::F32,
             [w, ids] { return lookup(w->token_type, Tensor(ids->shape, 0.0f, DType::Int64)); });
    rec.lazy("position_embeddings", "position_embeddings = self.position_embeddings(position_ids)  # 0..L-1",
             named({"1", "L", "hidden"}, {1, L, E}), "row t of the table at position t", DType::F32, [w, L] {
                 Tensor pos({1, L}, 0.0f, DType::Int64);
                 for (int64_t t = 0; t < L; ++t)
                     pos.data[static_cast<size_t>(t)] = static_cast<float>(t);
                 return lookup(w->position, pos);
             });
    rec.lazy("embeddings", "embeddings = inputs_embeds + token_type_embeddings + position_embeddings", hidden,
             "the three summed", DType::F32, [w, ids] { return embedding_sum(*w, *ids); });
    Tensor h0 = embedding_sum(*w, in.input_ids);
    layer_norm_rows(h0.ptr(), b * L, E, w->norm);
    TensorPtr h = hold(std::move(h0));
    rec.held("embeddings_layer_norm", "embeddings = self.LayerNorm(embeddings)  # eps " + encoder_.eps_text, hidden,
             "LayerNorm over hidden: layer 0's input", h);
    TensorPtr mask_add = hold(extended_attention_mask(in.attention_mask));
    rec.held("extended_attention_mask",
             "extended_attention_mask = (1.0 - attention_mask[:, None, None, :]) * torch.finfo(torch.float32).min",
             named({"b", "1", "1", "L"}, {b, 1, 1, L}), "0 for a token, finfo(float32).min for padding", mask_add);
    pass.embeddings.output_data = h;

    pass.layers = run_hf_encoder(encoder_, h, mask_add, control, 0.05f, 1.0f);
    pass.last_hidden_state = pass.layers.back().trace.output_data;
    pass.pooling.module = "BertModel";
    detail::Recorder(pass.pooling)
        .held("last_hidden_state", "sequence_output = encoder_outputs[0]", hidden, "the last layer's output",
              pass.last_hidden_state);
    pass.pooling.output_data = pass.last_hidden_state;
    return pass;
}

}  // namespace attn
