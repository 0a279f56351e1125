// A Hugging Face folder's config.json, read into the sizes the encoders need. Every size and
// layer_norm_eps come from the file; a key the file lacks takes the default of transformers'
// BertConfig / ViTConfig, as from_pretrained does, and is named in a warning.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct HfConfig {
    std::string path;        // the config.json read
    std::string model_type;  // "bert", "vit"
    int64_t hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0;
    std::string hidden_act;
    double layer_norm_eps = 0.0;
    // BERT
    int64_t vocab_size = 0, max_position_embeddings = 0, type_vocab_size = 0;
    std::string position_embedding_type;
    bool is_decoder = false;
    // ViT: image_size and patch_size may be a number or [height, width]
    int64_t image_height = 0, image_width = 0, patch_height = 0, patch_width = 0, num_channels = 0;
    bool qkv_bias = true;
    std::vector<std::string> defaulted;  // keys config.json lacks: "layer_norm_eps = 1e-12 (BertConfig's default)"
};

// The model families attnscope reads, for messages: "bert, vit".
const char* supported_model_types();

// config.json of `dir` as JSON. FileError when there is none or it is not a JSON object.
std::string hf_model_type(const std::string& dir);

// Reads and checks config.json: ConfigError for an unsupported model_type (naming the supported
// ones), sizes that are not positive, heads that do not divide hidden_size, and settings the
// engine does not implement (relative position embeddings, a decoder); FileError for a value of
// the wrong type.
HfConfig read_hf_config(const std::string& dir);

// config.json's path in `dir`.
std::string hf_config_path(const std::string& dir);

}  // namespace attn
