#include "models/hf/hf_config.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

namespace attn {

namespace {

nlohmann::json read_json_object(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);  // FileError: missing, not a file
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + " is not JSON: " + e.what());
    }
    if (!j.is_object()) throw FileError(path + " is not a JSON object");
    return j;
}

std::string number_text(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// One config.json, read key by key with the class's default for what it lacks.
struct Reader {
    const nlohmann::json& j;
    const std::string& path;
    const char* config_class;  // "BertConfig"
    std::vector<std::string>& defaulted;

    const nlohmann::json* find(const char* key) const {
        auto it = j.find(key);
        return it == j.end() || it->is_null() ? nullptr : &*it;
    }
    void note_default(const char* key, const std::string& value) {
        defaulted.push_back(std::string(key) + " = " + value + " (" + config_class + "'s default)");
    }
    [[noreturn]] void wrong(const char* key, const nlohmann::json& v, const char* want) const {
        throw FileError(path + ": " + key + " is " + v.dump() + ", not " + want);
    }
    int64_t integer(const char* key, int64_t fallback) {
        const nlohmann::json* v = find(key);
        if (!v) {
            note_default(key, std::to_string(fallback));
            return fallback;
        }
        if (!v->is_number_integer()) wrong(key, *v, "a whole number");
        return v->get<int64_t>();
    }
    double real(const char* key, double fallback) {
        const nlohmann::json* v = find(key);
        if (!v) {
            note_default(key, number_text(fallback));
            return fallback;
        }
        if (!v->is_number()) wrong(key, *v, "a number");
        return v->get<double>();
    }
    std::string text(const char* key, const std::string& fallback) {
        const nlohmann::json* v = find(key);
        if (!v) {
            note_default(key, "\"" + fallback + "\"");
            return fallback;
        }
        if (!v->is_string()) wrong(key, *v, "a string");
        return v->get<std::string>();
    }
    bool flag(const char* key, bool fallback) {
        const nlohmann::json* v = find(key);
        if (!v) return fallback;  // the flags are rarely written out; no warning
        if (!v->is_boolean()) wrong(key, *v, "true or false");
        return v->get<bool>();
    }
    // image_size, patch_size: a number, or [height, width].
    void pair(const char* key, int64_t fallback, int64_t& h, int64_t& w) {
        const nlohmann::json* v = find(key);
        if (!v) {
            note_default(key, std::to_string(fallback));
            h = w = fallback;
            return;
        }
        if (v->is_number_integer()) {
            h = w = v->get<int64_t>();
            return;
        }
        if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() && (*v)[1].is_number_integer()) {
            h = (*v)[0].get<int64_t>();
            w = (*v)[1].get<int64_t>();
            return;
        }
        wrong(key, *v, "a whole number or [height, width]");
    }
};

void require_positive(const std::string& path, const char* key, int64_t v) {
    if (v <= 0) throw ConfigError(path + ": " + key + " is " + std::to_string(v) + "; it must be at least 1");
}

}  // namespace

const char* supported_model_types() {
    return "bert, vit";
}

std::string hf_config_path(const std::string& dir) {
    return dir + (dir.empty() || dir.back() == '/' ? "" : "/") + "config.json";
}

std::string hf_model_type(const std::string& dir) {
    const std::string path = hf_config_path(dir);
    const nlohmann::json j = read_json_object(path);
    auto it = j.find("model_type");
    if (it == j.end()) return "";
    if (!it->is_string()) throw FileError(path + ": model_type is " + it->dump() + ", not a string");
    return it->get<std::string>();
}

HfConfig read_hf_config(const std::string& dir) {
    HfConfig c;
    c.path = hf_config_path(dir);
    const nlohmann::json j = read_json_object(c.path);
    c.model_type = hf_model_type(dir);
    if (c.model_type != "bert" && c.model_type != "vit")
        throw ConfigError(c.path + ": model_type " +
                          (c.model_type.empty() ? "is missing" : "\"" + c.model_type + "\"") +
                          (c.model_type.empty() ? "" : " is not supported") + "; attnscope reads " +
                          supported_model_types() + " folders");
    const bool bert = c.model_type == "bert";
    Reader r{j, c.path, bert ? "BertConfig" : "ViTConfig", c.defaulted};
    // Both classes default to BERT-base's sizes and to layer_norm_eps 1e-12.
    c.hidden_size = r.integer("hidden_size", 768);
    c.num_hidden_layers = r.integer("num_hidden_layers", 12);
    c.num_attention_heads = r.integer("num_attention_heads", 12);
    c.intermediate_size = r.integer("intermediate_size", 3072);
    c.hidden_act = r.text("hidden_act", "gelu");
    c.layer_norm_eps = r.real("layer_norm_eps", 1e-12);
    for (auto [key, v] : {std::pair<const char*, int64_t>{"hidden_size", c.hidden_size},
                          {"num_hidden_layers", c.num_hidden_layers},
                          {"num_attention_heads", c.num_attention_heads},
                          {"intermediate_size", c.intermediate_size}})
        require_positive(c.path, key, v);
    if (c.hidden_size % c.num_attention_heads != 0)
        throw ConfigError(c.path + ": num_attention_heads " + std::to_string(c.num_attention_heads) +
                          " does not divide hidden_size " + std::to_string(c.hidden_size));
    if (!(c.layer_norm_eps >= 0.0) || !std::isfinite(c.layer_norm_eps))
        throw ConfigError(c.path + ": layer_norm_eps is " + number_text(c.layer_norm_eps) + "; it must be 0 or more");
    if (bert) {
        c.vocab_size = r.integer("vocab_size", 30522);
        c.max_position_embeddings = r.integer("max_position_embeddings", 512);
        c.type_vocab_size = r.integer("type_vocab_size", 2);
        c.position_embedding_type = r.text("position_embedding_type", "absolute");
        c.is_decoder = r.flag("is_decoder", false);
        require_positive(c.path, "vocab_size", c.vocab_size);
        require_positive(c.path, "max_position_embeddings", c.max_position_embeddings);
        require_positive(c.path, "type_vocab_size", c.type_vocab_size);
        if (c.position_embedding_type != "absolute")
            throw ConfigError(c.path + ": position_embedding_type \"" + c.position_embedding_type +
                              "\" is not supported; attnscope runs BERT with absolute position embeddings");
        if (c.is_decoder) throw ConfigError(c.path + ": is_decoder is true; attnscope runs BERT as an encoder only");
    } else {
        r.pair("image_size", 224, c.image_height, c.image_width);
        r.pair("patch_size", 16, c.patch_height, c.patch_width);
        c.num_channels = r.integer("num_channels", 3);
        c.qkv_bias = r.flag("qkv_bias", true);
        require_positive(c.path, "image_size", std::min(c.image_height, c.image_width));
        require_positive(c.path, "patch_size", std::min(c.patch_height, c.patch_width));
        require_positive(c.path, "num_channels", c.num_channels);
        if (c.patch_height > c.image_height || c.patch_width > c.image_width)
            throw ConfigError(c.path + ": patch_size " + std::to_string(c.patch_height) + "x" +
                              std::to_string(c.patch_width) + " is larger than image_size " +
                              std::to_string(c.image_height) + "x" + std::to_string(c.image_width));
    }
    return c;
}

}  // namespace attn
