// Writing TensorFlow.js model folders for the tests (test_tfjs_weights.cpp, test_use_lite*.cpp):
// a model.json with a weightsManifest and the tensors' bytes cut into shards of a chosen size,
// written here independently of the reader under test (little-endian float32 / int32).
#pragma once

#include "tensor/tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace attn::test {

struct TfjsEntry {
    std::string name;
    Tensor tensor;
    std::string dtype = "float32";  // or "int32": the values are written as whole numbers
};

inline std::vector<uint8_t> tfjs_bytes(const std::vector<TfjsEntry>& entries) {
    std::vector<uint8_t> out;
    for (const TfjsEntry& e : entries)
        for (float v : e.tensor.data) {
            uint32_t bits;
            if (e.dtype == "int32") {
                const int32_t i = static_cast<int32_t>(v);
                std::memcpy(&bits, &i, 4);
            } else {
                std::memcpy(&bits, &v, 4);
            }
            for (int k = 0; k < 4; ++k)
                out.push_back(static_cast<uint8_t>(bits >> (8 * k)));
        }
    return out;
}

inline nlohmann::json tfjs_manifest_json(const std::vector<TfjsEntry>& entries, const std::vector<std::string>& paths) {
    nlohmann::json weights = nlohmann::json::array();
    for (const TfjsEntry& e : entries)
        weights.push_back({{"name", e.name}, {"shape", e.tensor.shape}, {"dtype", e.dtype}});
    return {{"format", "graph-model"}, {"weightsManifest", {{{"paths", paths}, {"weights", weights}}}}};
}

// model.json and group1-shardNofM in `dir`, each shard `shard_bytes` long (the last one shorter).
inline void write_tfjs_folder(const std::filesystem::path& dir, const std::vector<TfjsEntry>& entries,
                              size_t shard_bytes = 4096) {
    std::filesystem::create_directories(dir);
    const std::vector<uint8_t> bytes = tfjs_bytes(entries);
    const size_t shards = bytes.empty() ? 1 : (bytes.size() + shard_bytes - 1) / shard_bytes;
    std::vector<std::string> paths;
    for (size_t i = 0; i < shards; ++i) {
        const std::string name = "group1-shard" + std::to_string(i + 1) + "of" + std::to_string(shards);
        paths.push_back(name);
        const size_t begin = i * shard_bytes, end = std::min(bytes.size(), begin + shard_bytes);
        std::ofstream f(dir / name, std::ios::binary);
        if (end > begin)
            f.write(reinterpret_cast<const char*>(bytes.data() + begin), static_cast<std::streamsize>(end - begin));
    }
    std::ofstream(dir / "model.json") << tfjs_manifest_json(entries, paths).dump();
}

}  // namespace attn::test
