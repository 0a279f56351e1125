// TensorFlow.js weights: a model.json whose "weightsManifest" lists groups of binary shards.
//
//   "weightsManifest": [{"paths": ["group1-shard1of7", ...],
//                        "weights": [{"name": "module/Embeddings_en", "shape": [8002, 256],
//                                     "dtype": "float32"}, ...]}]
//
// Each group's shards, concatenated in the order of "paths", hold the group's tensors back to back
// in the order of "weights": little-endian, 4 bytes per element (float32 or int32), no padding. A
// scalar has shape []. Shard paths are relative to model.json's folder.
//
// Every problem is a FileError naming model.json (or the shard) and the tensor, with what was
// expected against what was found. The shards must hold exactly the bytes the shapes need, no
// more and no less; no input can make the reader read past a buffer or allocate more than the
// shards' own size.
#pragma once

#include "model/weights.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct TfjsWeightSpec {
    std::string name;
    Shape shape;
    std::string dtype;    // "float32" or "int32"
    size_t group = 0;     // index into TfjsManifest::groups
    uint64_t offset = 0;  // first byte in the group's concatenated shards
    uint64_t bytes = 0;   // 4 x elements
};

struct TfjsGroup {
    std::vector<std::string> paths;  // shard file names, in order
    uint64_t bytes = 0;              // what the group's tensors need in all
};

struct TfjsManifest {
    std::vector<TfjsGroup> groups;
    std::vector<TfjsWeightSpec> weights;  // in manifest order
};

// Parses and checks model.json's text. `file` names it in messages. Shard paths must be plain
// file names (no folder, no "..").
TfjsManifest parse_tfjs_manifest(const std::string& json_text, const std::string& file);

// Checks that the shards of every group add up to exactly the bytes that group's tensors need.
// shard_sizes[g][i] is the size of groups[g].paths[i]. On a mismatch the message names the
// tensor that does not fit (or the bytes left over after the last one).
void check_tfjs_shard_sizes(const TfjsManifest& manifest, const std::vector<std::vector<uint64_t>>& shard_sizes,
                            const std::string& file);

// One group's tensors from its concatenated shards (`size` must be the group's bytes): float32
// as DType::F32, int32 as DType::Int64 values.
std::vector<NamedTensor> decode_tfjs_group(const TfjsManifest& manifest, size_t group, const uint8_t* data, size_t size,
                                           const std::string& file);

// model.json read from disk and checked, with its shards' sizes (every shard must be there).
TfjsManifest read_tfjs_manifest(const std::string& model_json_path);

// Every tensor of every group, in manifest order. A name that appears twice is an error.
std::vector<NamedTensor> read_tfjs_weights(const std::string& model_json_path);

}  // namespace attn
