#include "bench_case.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace attn::bench {

namespace {

nlohmann::json read_json(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    try {
        return nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + ": not valid JSON: " + e.what());
    }
}

// A field of case.json, or a FileError that names it.
template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& path) {
    if (!j.contains(key) || j[key].is_null()) throw FileError(path + ": missing \"" + key + "\"");
    try {
        return j[key].get<T>();
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + ": \"" + key + "\" has the wrong type: " + e.what());
    }
}

bool has_file(const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string();
}

}  // namespace

BenchCase load_case(const std::string& dir) {
    const std::string path = dir + "/case.json";
    const nlohmann::json j = read_json(path);

    BenchCase c;
    c.name = field<std::string>(j, "name", path);
    c.config.kind = parse_module_kind(field<std::string>(j, "module", path));
    c.config.emb_dim = field<int64_t>(j, "emb_dim", path);
    c.config.heads = field<int64_t>(j, "heads", path);
    c.config.in_channels = field<int64_t>(j, "in_channels", path);
    c.config.validate();

    const std::string weights_path = dir + "/" + field<std::string>(j, "weights", path);
    c.weights = weights_from_tensors(c.config, read_safetensors(weights_path).tensors, weights_path, &c.warnings);

    c.inputs.x = read_npy(dir + "/" + field<std::string>(j, "x", path));
    if (has_file(j, "context")) c.inputs.context = read_npy(dir + "/" + j["context"].get<std::string>());
    if (has_file(j, "pad_mask")) c.inputs.pad_mask = read_npy(dir + "/" + j["pad_mask"].get<std::string>());
    return c;
}

}  // namespace attn::bench
