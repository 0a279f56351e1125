// Tiny Hugging Face folders written by the unit tests (test_bert*.cpp, test_vit*.cpp): config.json,
// model.safetensors with transformers' names and deterministic values, vocab.txt and
// tokenizer_config.json, or preprocessor_config.json. The live comparison with PyTorch uses
// folders from tests/torch/make_hf_folders.py instead.
#pragma once

#include "io/safetensors.h"
#include "model/weights.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace attn::test {

// Values spread over about [-scale, scale], different for every tensor and element.
inline Tensor filled(Shape shape, uint32_t seed, float scale, float offset = 0.0f) {
    Tensor t(std::move(shape));
    uint32_t s = seed * 2654435761u + 12345u;
    for (float& v : t.data) {
        s = s * 1664525u + 1013904223u;
        v = offset + scale * (static_cast<float>(s >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f);
    }
    return t;
}

struct TinyBert {
    int64_t hidden = 16, heads = 2, layers = 2, intermediate = 24, max_positions = 12, vocab = 20;
    std::string prefix = "bert.";
    bool pooler = true;
    double eps = 1e-12;
};

inline std::vector<std::string> tiny_vocab() {
    return {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat",
            "on",    "mat",   "a",     "dog",   "##s",    ".",   ","};
}

inline void write_json(const std::filesystem::path& p, const nlohmann::json& j) {
    std::ofstream(p) << j.dump(2);
}

inline nlohmann::json tiny_bert_config(const TinyBert& b) {
    return {{"model_type", "bert"},
            {"hidden_size", b.hidden},
            {"num_attention_heads", b.heads},
            {"num_hidden_layers", b.layers},
            {"intermediate_size", b.intermediate},
            {"max_position_embeddings", b.max_positions},
            {"vocab_size", b.vocab},
            {"type_vocab_size", 2},
            {"hidden_act", "gelu"},
            {"layer_norm_eps", b.eps},
            {"position_embedding_type", "absolute"}};
}

inline std::vector<NamedTensor> tiny_bert_tensors(const TinyBert& b) {
    const int64_t E = b.hidden, I = b.intermediate;
    std::vector<NamedTensor> t;
    uint32_t seed = 1;
    auto add = [&](const std::string& name, Shape shape, float scale, float offset = 0.0f) {
        t.emplace_back(b.prefix + name, filled(std::move(shape), seed++, scale, offset));
    };
    add("embeddings.word_embeddings.weight", {b.vocab, E}, 1.0f);
    add("embeddings.position_embeddings.weight", {b.max_positions, E}, 0.5f);
    add("embeddings.token_type_embeddings.weight", {2, E}, 0.5f);
    add("embeddings.LayerNorm.weight", {E}, 0.1f, 1.0f);
    add("embeddings.LayerNorm.bias", {E}, 0.1f);
    for (int64_t i = 0; i < b.layers; ++i) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        for (const char* part : {"query", "key", "value"}) {
            add(p + "attention.self." + part + ".weight", {E, E}, 0.6f);
            add(p + "attention.self." + part + ".bias", {E}, 0.1f);
        }
        add(p + "attention.output.dense.weight", {E, E}, 0.3f);
        add(p + "attention.output.dense.bias", {E}, 0.1f);
        add(p + "attention.output.LayerNorm.weight", {E}, 0.1f, 1.0f);
        add(p + "attention.output.LayerNorm.bias", {E}, 0.1f);
        add(p + "intermediate.dense.weight", {I, E}, 0.3f);
        add(p + "intermediate.dense.bias", {I}, 0.1f);
        add(p + "output.dense.weight", {E, I}, 0.3f);
        add(p + "output.dense.bias", {E}, 0.1f);
        add(p + "output.LayerNorm.weight", {E}, 0.1f, 1.0f);
        add(p + "output.LayerNorm.bias", {E}, 0.1f);
    }
    if (b.pooler) {
        add("pooler.dense.weight", {E, E}, 0.1f);
        add("pooler.dense.bias", {E}, 0.1f);
    }
    return t;
}

inline std::string write_tiny_bert(const std::filesystem::path& dir, const TinyBert& b = {}) {
    std::filesystem::create_directories(dir);
    write_json(dir / "config.json", tiny_bert_config(b));
    write_json(dir / "tokenizer_config.json", {{"do_lower_case", true}, {"tokenizer_class", "BertTokenizer"}});
    std::ofstream vocab(dir / "vocab.txt");
    for (const std::string& w : tiny_vocab())
        vocab << w << "\n";
    vocab.close();
    write_safetensors((dir / "model.safetensors").string(), tiny_bert_tensors(b));
    return dir.string();
}

struct TinyVit {
    int64_t hidden = 12, heads = 3, layers = 2, intermediate = 20, image = 12, patch = 4, channels = 3;
    std::string prefix = "vit.";
    bool classifier = true;
    double eps = 1e-6;
};

inline std::vector<NamedTensor> tiny_vit_tensors(const TinyVit& v) {
    const int64_t E = v.hidden, I = v.intermediate, P = (v.image / v.patch) * (v.image / v.patch);
    std::vector<NamedTensor> t;
    uint32_t seed = 100;
    auto add = [&](const std::string& name, Shape shape, float scale, float offset = 0.0f) {
        t.emplace_back(v.prefix + name, filled(std::move(shape), seed++, scale, offset));
    };
    add("embeddings.cls_token", {1, 1, E}, 1.0f);
    add("embeddings.position_embeddings", {1, P + 1, E}, 0.5f);
    add("embeddings.patch_embeddings.projection.weight", {E, v.channels, v.patch, v.patch}, 0.3f);
    add("embeddings.patch_embeddings.projection.bias", {E}, 0.1f);
    for (int64_t i = 0; i < v.layers; ++i) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        add(p + "layernorm_before.weight", {E}, 0.1f, 1.0f);
        add(p + "layernorm_before.bias", {E}, 0.1f);
        for (const char* part : {"query", "key", "value"}) {
            add(p + "attention.attention." + part + ".weight", {E, E}, 0.6f);
            add(p + "attention.attention." + part + ".bias", {E}, 0.1f);
        }
        add(p + "attention.output.dense.weight", {E, E}, 0.3f);
        add(p + "attention.output.dense.bias", {E}, 0.1f);
        add(p + "layernorm_after.weight", {E}, 0.1f, 1.0f);
        add(p + "layernorm_after.bias", {E}, 0.1f);
        add(p + "intermediate.dense.weight", {I, E}, 0.3f);
        add(p + "intermediate.dense.bias", {I}, 0.1f);
        add(p + "output.dense.weight", {E, I}, 0.3f);
        add(p + "output.dense.bias", {E}, 0.1f);
    }
    add("layernorm.weight", {E}, 0.1f, 1.0f);
    add("layernorm.bias", {E}, 0.1f);
    if (v.classifier) {
        t.emplace_back("classifier.weight", filled({4, E}, seed++, 0.1f));
        t.emplace_back("classifier.bias", filled({4}, seed++, 0.1f));
    }
    return t;
}

inline nlohmann::json tiny_vit_config(const TinyVit& v) {
    return {{"model_type", "vit"},
            {"hidden_size", v.hidden},
            {"num_attention_heads", v.heads},
            {"num_hidden_layers", v.layers},
            {"intermediate_size", v.intermediate},
            {"image_size", v.image},
            {"patch_size", v.patch},
            {"num_channels", v.channels},
            {"qkv_bias", true},
            {"hidden_act", "gelu"},
            {"layer_norm_eps", v.eps}};
}

inline std::string write_tiny_vit(const std::filesystem::path& dir, const TinyVit& v = {}) {
    std::filesystem::create_directories(dir);
    write_json(dir / "config.json", tiny_vit_config(v));
    write_json(dir / "preprocessor_config.json", {{"do_resize", true},
                                                  {"do_rescale", true},
                                                  {"do_normalize", true},
                                                  {"image_mean", {0.5, 0.5, 0.5}},
                                                  {"image_std", {0.5, 0.5, 0.5}},
                                                  {"resample", 2},
                                                  {"rescale_factor", 1.0 / 255.0},
                                                  {"size", {{"height", v.image}, {"width", v.image}}}});
    write_safetensors((dir / "model.safetensors").string(), tiny_vit_tensors(v));
    return dir.string();
}

}  // namespace attn::test
