// BERT from a Hugging Face folder (bert-base-uncased, MiniLM, all-MiniLM-L6-v2...): config.json
// with model_type "bert", model.safetensors (or pytorch_model.bin) with transformers' state_dict
// names, with or without "bert.", vocab.txt and tokenizer_config.json. The encoder as
// transformers 4.x' BertModel runs it (modeling_bert.py): embeddings (word + token type 0 +
// absolute position, LayerNorm), then per layer self-attention with the extended mask
// (1 - attention_mask) · finfo(float32).min added to the scores, the output dense, residual and
// LayerNorm, the FFN, residual and LayerNorm. The pooler and any head are not run.
#pragma once

#include "models/hf/hf_config.h"
#include "models/hf/hf_encoder.h"
#include "models/model.h"
#include "text/wordpiece.h"

#include <memory>
#include <string>
#include <vector>

namespace attn {

struct BertEmbeddingWeights {
    Tensor word;            // embeddings.word_embeddings.weight       [vocab_size, hidden]
    Tensor position;        // embeddings.position_embeddings.weight   [max_position_embeddings, hidden]
    Tensor token_type;      // embeddings.token_type_embeddings.weight [type_vocab_size, hidden]
    LayerNormWeights norm;  // embeddings.LayerNorm
};

class BertModel final : public Model {
public:
    BertModel(ModelInfo info, HfConfig config, BertEmbeddingWeights embeddings, HfEncoder encoder,
              WordPieceTokenizer tokenizer);

    const ModelInfo& info() const override { return info_; }
    // BertTokenizer(sentences, padding=True, truncation=True): cut to max_positions with a warning.
    ModelInputs prepare_text(const std::vector<std::string>& sentences) const override;
    ModelInputs prepare_ids(const Tensor& input_ids, const Tensor& attention_mask) const override;
    ModelPass run(const ModelInputs& inputs, const ForwardControl* control = nullptr) const override;
    double weight_bytes() const override;

    const HfConfig& config() const { return config_; }
    const WordPieceTokenizer& tokenizer() const { return tokenizer_; }

private:
    void check_ids(const Tensor& input_ids, const Tensor& attention_mask) const;

    ModelInfo info_;
    HfConfig config_;
    std::shared_ptr<const BertEmbeddingWeights> embeddings_;
    HfEncoder encoder_;
    WordPieceTokenizer tokenizer_;
};

// Reads a BERT folder. Errors, each one message naming the file:
//   FileError: no config.json or not JSON, no checkpoint, no vocab.txt, a broken checkpoint;
//   ConfigError: model_type not "bert" (naming the supported ones), heads not dividing hidden,
//     a config whose num_hidden_layers disagrees with the checkpoint's layers;
//   ShapeError: a missing tensor or one whose shape config.json contradicts (both shapes named).
// Warnings (config keys left at their defaults, tensors ignored, no tokenizer_config.json) go to
// `warnings`. Progress and cancel through `control` while the checkpoint is read.
std::unique_ptr<Model> load_bert_folder(const std::string& dir, std::vector<std::string>* warnings,
                                        const ForwardControl* control = nullptr);

}  // namespace attn
