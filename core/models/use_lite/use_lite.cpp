#include "models/use_lite/use_lite.h"

#include "errors.h"
#include "io/tfjs_weights.h"
#include "models/model_cache.h"
#include "models/use_lite/use_lite_pass.h"

#include <algorithm>
#include <cmath>

namespace attn {

namespace {

const char* kPadLabel = "<pad>";

std::string not_fetched(const std::string& dir, const std::string& why) {
    return "use-lite is not fetched: run `attnscope-cli fetch use-lite` (" + dir + ": " + why + ")";
}

}  // namespace

UseLiteModel::UseLiteModel(UseLiteWeights weights, SentencePieceTokenizer tokenizer, std::string dir)
    : weights_(std::make_shared<const UseLiteWeights>(std::move(weights))), tokenizer_(std::move(tokenizer)) {
    const UseLiteWeights& w = *weights_;
    info_.family = ModelFamily::UseLite;
    info_.name = "use-lite";
    info_.path = std::move(dir);
    info_.layers = static_cast<int64_t>(w.layers.size());
    info_.heads = w.layers.back().heads;
    info_.hidden = w.hidden();
    info_.intermediate = w.ffn();
    info_.max_positions = w.max_positions;
    info_.takes_text = true;
    if (tokenizer_.size() > w.embeddings.dim(0))
        throw ShapeError(info_.path + "/vocab.json has " + std::to_string(tokenizer_.size()) +
                         " pieces but module/Embeddings_en has only " + std::to_string(w.embeddings.dim(0)) + " rows");
    timing_ = std::make_shared<const Tensor>(detail::use_lite_timing_table(w, w.max_positions));
}

ModelInputs UseLiteModel::prepare_text(const std::vector<std::string>& sentences) const {
    if (sentences.empty()) throw ConfigError("use-lite: no sentence given (--text \"...\")");
    ModelInputs in;
    std::vector<std::vector<int64_t>> ids;
    int64_t L = 0;
    for (size_t i = 0; i < sentences.size(); ++i) {
        const std::string where = "sentence " + std::to_string(i + 1);
        std::vector<int64_t> s = tokenizer_.encode(sentences[i], where);
        if (static_cast<int64_t>(s.size()) > weights_->max_positions) {
            in.warnings.push_back(where + " has " + std::to_string(s.size()) + " pieces; use-lite reads the first " +
                                  std::to_string(weights_->max_positions) +
                                  " (its graph's ClipToMaxLength drops the rest)");
            s.resize(static_cast<size_t>(weights_->max_positions));
        }
        L = std::max<int64_t>(L, static_cast<int64_t>(s.size()));
        ids.push_back(std::move(s));
    }
    if (L == 0) throw TextError("use-lite: every sentence is empty; give at least one with a character in it");
    const int64_t b = static_cast<int64_t>(sentences.size());
    in.input_ids = Tensor({b, L}, 0.0f, DType::Int64);
    in.attention_mask = Tensor({b, L}, 0.0f, DType::Int64);
    for (int64_t i = 0; i < b; ++i) {
        std::vector<std::string> labels;
        for (int64_t j = 0; j < L; ++j) {
            const bool real = j < static_cast<int64_t>(ids[i].size());
            in.input_ids.data[i * L + j] = real ? static_cast<float>(ids[i][j]) : 0.0f;
            in.attention_mask.data[i * L + j] = real ? 1.0f : 0.0f;
            labels.push_back(real ? tokenizer_.piece(ids[i][j]) : kPadLabel);
        }
        in.tokens.push_back(std::move(labels));
    }
    return in;
}

ModelInputs UseLiteModel::prepare_ids(const Tensor& input_ids, const Tensor& attention_mask) const {
    if (input_ids.rank() != 2 || input_ids.dim(0) < 1 || input_ids.dim(1) < 1)
        throw ShapeError("input_ids has shape " + shape_string(input_ids.shape) + ", expected int64 [b, L]");
    if (attention_mask.shape != input_ids.shape)
        throw ShapeError("attention_mask has shape " + shape_string(attention_mask.shape) + ", expected " +
                         shape_string(input_ids.shape) + " as input_ids");
    const int64_t b = input_ids.dim(0), L_in = input_ids.dim(1), rows = weights_->embeddings.dim(0);
    ModelInputs in;
    const int64_t L = std::min(L_in, weights_->max_positions);
    if (L < L_in)
        in.warnings.push_back("input_ids has " + std::to_string(L_in) + " positions; use-lite reads the first " +
                              std::to_string(L) + " (its graph's ClipToMaxLength drops the rest)");
    in.input_ids = Tensor({b, L}, 0.0f, DType::Int64);
    in.attention_mask = Tensor({b, L}, 0.0f, DType::Int64);
    for (int64_t i = 0; i < b; ++i) {
        bool padding = false;
        std::vector<std::string> labels;
        for (int64_t j = 0; j < L_in; ++j) {
            const float id = input_ids.data[i * L_in + j], m = attention_mask.data[i * L_in + j];
            const std::string at = "[" + std::to_string(i) + ", " + std::to_string(j) + "]";
            if (!(id >= 0.0f && id < static_cast<float>(rows)) || id != std::floor(id))
                throw ShapeError("input_ids" + at + " is " + std::to_string(id) + ", outside use-lite's ids 0.." +
                                 std::to_string(rows - 1));
            if (m != 0.0f && m != 1.0f)
                throw ShapeError("attention_mask" + at + " is " + std::to_string(m) + ", expected 0 or 1");
            if (m == 1.0f && padding)
                throw ShapeError("attention_mask" + at +
                                 " is 1 after a 0: use-lite takes right padding only (1s, "
                                 "then 0s), as its graph's mean pooling counts the first tokens");
            padding = padding || m == 0.0f;
            if (j >= L) continue;
            in.input_ids.data[i * L + j] = id;
            in.attention_mask.data[i * L + j] = m;
            const int64_t k = static_cast<int64_t>(id);
            labels.push_back(m == 0.0f               ? std::string(kPadLabel)
                             : k < tokenizer_.size() ? tokenizer_.piece(k)
                                                     : "<id " + std::to_string(k) + ">");
        }
        in.tokens.push_back(std::move(labels));
    }
    return in;
}

ModelPass UseLiteModel::run(const ModelInputs& in, const ForwardControl* control) const {
    const Tensor& ids = in.input_ids;
    const Tensor& mask = in.attention_mask;
    if (ids.rank() != 2 || mask.shape != ids.shape || ids.dim(0) < 1)
        throw ShapeError("use-lite takes input_ids and attention_mask [b, L]; got " + shape_string(ids.shape) +
                         " and " + shape_string(mask.shape));
    const int64_t b = ids.dim(0), L = ids.dim(1), rows = weights_->embeddings.dim(0);
    if (L < 1 || L > weights_->max_positions)
        throw ShapeError("input_ids has " + std::to_string(L) + " positions; use-lite reads 1 to " +
                         std::to_string(weights_->max_positions) + " (prepare_text and prepare_ids cut longer ones)");
    std::vector<int64_t> lengths(static_cast<size_t>(b), 0);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < L; ++j) {
            const float id = ids.data[i * L + j], m = mask.data[i * L + j];
            if (!(id >= 0.0f && id < static_cast<float>(rows)) || id != std::floor(id))
                throw ShapeError("input_ids[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                 std::to_string(id) + ", outside 0.." + std::to_string(rows - 1));
            if (m == 1.0f && lengths[i] == j)
                ++lengths[i];
            else if (m != 0.0f)
                throw ShapeError("attention_mask[" + std::to_string(i) + "] is not 1s followed by 0s");
        }
    const detail::UseLitePassTensors t = detail::run_use_lite(*weights_, *timing_, ids, mask, lengths, control);
    return detail::record_use_lite_pass(weights_, timing_, t);
}

std::unique_ptr<Model> load_use_lite(const std::string& dir) {
    const std::string why = fetch_incomplete_reason(dir, use_lite_package());
    if (!why.empty()) throw FileError(not_fetched(dir, why));
    const std::string model_json = dir + "/model.json";
    UseLiteWeights weights = use_lite_weights_from_tensors(read_tfjs_weights(model_json), model_json);
    SentencePieceTokenizer tokenizer = SentencePieceTokenizer::from_vocab_json(dir + "/vocab.json");
    return std::make_unique<UseLiteModel>(std::move(weights), std::move(tokenizer), dir);
}

std::unique_ptr<Model> load_use_lite() {
    return load_use_lite(use_lite_dir());
}

}  // namespace attn
