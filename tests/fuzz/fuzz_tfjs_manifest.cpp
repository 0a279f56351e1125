// libFuzzer target: any bytes as a TensorFlow.js model.json, through the manifest parser, the
// shard-size check (with shards that fit and shards a few bytes off) and the decoder of a group
// into tensors, as load_use_lite reads a fetched model.
#include "errors.h"
#include "io/tfjs_weights.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    attn::TfjsManifest m;
    try {
        m = attn::parse_tfjs_manifest(std::string(reinterpret_cast<const char*>(data), size), "fuzz/model.json");
    } catch (const attn::FileError&) {
        return 0;
    }
    // Tensors are packed back to back, 4 bytes an element, within their group.
    std::vector<uint64_t> next(m.groups.size(), 0);
    for (const attn::TfjsWeightSpec& w : m.weights) {
        if (w.group >= m.groups.size() || w.offset != next[w.group]) __builtin_trap();
        if (w.bytes != 4 * static_cast<uint64_t>(attn::shape_numel(w.shape))) __builtin_trap();
        next[w.group] += w.bytes;
    }
    for (int off = -1; off <= 1; ++off) {
        std::vector<std::vector<uint64_t>> sizes;
        for (const attn::TfjsGroup& g : m.groups) {
            sizes.emplace_back(g.paths.size(), 0);
            if (g.paths.empty()) continue;
            sizes.back().back() = g.bytes;
            if (off < 0 && g.bytes > 0) sizes.back().back() -= 1;
            if (off > 0) sizes.back().back() += 1;
        }
        try {
            attn::check_tfjs_shard_sizes(m, sizes, "fuzz/model.json");
        } catch (const attn::FileError&) {
            if (off == 0) __builtin_trap();  // exact sizes must pass
        }
    }
    for (size_t g = 0; g < m.groups.size(); ++g) {
        if (m.groups[g].bytes > (1u << 20)) continue;  // the decoder reads what the shards hold: keep it small
        const std::vector<uint8_t> zeros(static_cast<size_t>(m.groups[g].bytes), 0);
        const auto tensors = attn::decode_tfjs_group(m, g, zeros.data(), zeros.size(), "fuzz/model.json");
        for (const auto& [name, t] : tensors)
            if (attn::shape_numel(t.shape) != t.numel()) __builtin_trap();
    }
    return 0;
}
