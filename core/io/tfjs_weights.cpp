#include "io/tfjs_weights.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

namespace attn {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxElements = uint64_t(1) << 36;  // 256 GB of float32: far above any real model

std::string in_quotes(const std::string& s) {
    return "'" + s + "'";
}

std::string describe(const TfjsWeightSpec& w) {
    return "tensor " + in_quotes(w.name) + " " + shape_string(w.shape) + " " + w.dtype;
}

Shape parse_shape(const nlohmann::json& j, const std::string& where, uint64_t* elements) {
    if (!j.is_array()) throw FileError(where + ": \"shape\" is not a list of sizes");
    if (j.size() > 8) throw FileError(where + ": shape has " + std::to_string(j.size()) + " dims, at most 8 are read");
    Shape shape;
    uint64_t n = 1;
    for (const auto& d : j) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0)
            throw FileError(where + ": shape holds " + d.dump() + ", expected sizes >= 0");
        const uint64_t size = d.get<uint64_t>();
        if (size > kMaxElements || (size > 0 && n > kMaxElements / size))
            throw FileError(where + ": shape " + j.dump() + " has too many elements");
        n *= size;
        shape.push_back(static_cast<int64_t>(size));
    }
    *elements = n;
    return shape;
}

bool plain_file_name(const std::string& p) {
    return !p.empty() && p != "." && p != ".." && p.find('/') == std::string::npos &&
           p.find('\\') == std::string::npos && p.find('\0') == std::string::npos;
}

}  // namespace

TfjsManifest parse_tfjs_manifest(const std::string& json_text, const std::string& file) {
    nlohmann::json root;
    try {
        root = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        throw FileError(file + " is not JSON: " + e.what());
    }
    if (!root.is_object() || !root.contains("weightsManifest"))
        throw FileError(file + " has no \"weightsManifest\": not a TensorFlow.js model.json");
    const nlohmann::json& groups = root["weightsManifest"];
    if (!groups.is_array() || groups.empty()) throw FileError(file + ": \"weightsManifest\" is not a list of groups");

    TfjsManifest m;
    std::set<std::string> names;
    for (size_t g = 0; g < groups.size(); ++g) {
        const std::string where = file + ": weightsManifest[" + std::to_string(g) + "]";
        const nlohmann::json& group = groups[g];
        if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() ||
            !group.contains("weights") || !group["weights"].is_array())
            throw FileError(where + " needs \"paths\" and \"weights\" lists");
        TfjsGroup out;
        for (const auto& p : group["paths"]) {
            if (!p.is_string() || !plain_file_name(p.get<std::string>()))
                throw FileError(where + ".paths holds " + p.dump() + ", expected a shard file name beside " + file);
            out.paths.push_back(p.get<std::string>());
        }
        for (const auto& w : group["weights"]) {
            if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
                !w.contains("dtype") || !w["dtype"].is_string())
                throw FileError(where + ".weights holds an entry without name, shape and dtype");
            TfjsWeightSpec spec;
            spec.name = w["name"].get<std::string>();
            spec.dtype = w["dtype"].get<std::string>();
            const std::string at = file + ": tensor " + in_quotes(spec.name);
            if (!names.insert(spec.name).second) throw FileError(at + " appears twice in the manifest");
            if (w.contains("quantization"))
                throw FileError(at + " is quantized; only plain float32 and int32 weights are read");
            if (spec.dtype != "float32" && spec.dtype != "int32")
                throw FileError(at + " has dtype " + spec.dtype + ", expected float32 or int32");
            uint64_t elements = 0;
            spec.shape = parse_shape(w["shape"], at, &elements);
            spec.group = g;
            spec.offset = out.bytes;
            spec.bytes = 4 * elements;
            out.bytes += spec.bytes;
            m.weights.push_back(std::move(spec));
        }
        if (out.paths.empty() && out.bytes > 0) throw FileError(where + " has tensors but no shards");
        m.groups.push_back(std::move(out));
    }
    return m;
}

void check_tfjs_shard_sizes(const TfjsManifest& m, const std::vector<std::vector<uint64_t>>& shard_sizes,
                            const std::string& file) {
    ATTN_CHECK(shard_sizes.size() == m.groups.size(), "one list of shard sizes per group");
    for (size_t g = 0; g < m.groups.size(); ++g) {
        const TfjsGroup& group = m.groups[g];
        ATTN_CHECK(shard_sizes[g].size() == group.paths.size(), "one size per shard");
        uint64_t have = 0;
        std::string shards;
        for (size_t i = 0; i < group.paths.size(); ++i) {
            have += shard_sizes[g][i];
            shards += (i ? " + " : "") + group.paths[i] + " (" + std::to_string(shard_sizes[g][i]) + ")";
        }
        if (have == group.bytes) continue;
        const std::string sizes = "the shards hold " + std::to_string(have) + " bytes [" + shards +
                                  "], the shapes need " + std::to_string(group.bytes);
        const TfjsWeightSpec* last = nullptr;
        for (const TfjsWeightSpec& w : m.weights) {
            if (w.group != g) continue;
            if (w.offset + w.bytes > have)
                throw FileError(file + ": " + describe(w) + " needs bytes " + std::to_string(w.offset) + " to " +
                                std::to_string(w.offset + w.bytes) + " of group " + std::to_string(g + 1) + ", but " +
                                sizes);
            last = &w;
        }
        throw FileError(file + ": " + std::to_string(have - group.bytes) + " bytes are left over after " +
                        (last ? describe(*last) : std::string("the last tensor")) + ": " + sizes);
    }
}

std::vector<NamedTensor> decode_tfjs_group(const TfjsManifest& m, size_t group, const uint8_t* data, size_t size,
                                           const std::string& file) {
    ATTN_CHECK(group < m.groups.size(), "group index");
    if (size != m.groups[group].bytes)
        throw FileError(file + ": group " + std::to_string(group + 1) + " has " + std::to_string(size) +
                        " bytes, the shapes need " + std::to_string(m.groups[group].bytes));
    std::vector<NamedTensor> out;
    for (const TfjsWeightSpec& w : m.weights) {
        if (w.group != group) continue;
        const bool is_int = w.dtype == "int32";
        Tensor t = Tensor::uninitialized(w.shape, is_int ? DType::Int64 : DType::F32);
        ATTN_CHECK(static_cast<uint64_t>(t.numel()) * 4 == w.bytes && w.offset + w.bytes <= size, "tensor bytes");
        const uint8_t* p = data + w.offset;
        for (int64_t i = 0; i < t.numel(); ++i, p += 4) {
            const uint32_t bits = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                                  static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
            if (is_int) {
                int32_t v;
                std::memcpy(&v, &bits, 4);
                t.data[i] = static_cast<float>(v);
            } else {
                std::memcpy(&t.data[i], &bits, 4);
            }
        }
        out.emplace_back(w.name, std::move(t));
    }
    return out;
}

namespace {

std::string read_text(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TfjsManifest read_tfjs_manifest(const std::string& model_json_path) {
    TfjsManifest m = parse_tfjs_manifest(read_text(model_json_path), model_json_path);
    const fs::path dir = fs::path(model_json_path).parent_path();
    std::vector<std::vector<uint64_t>> sizes;
    for (const TfjsGroup& group : m.groups) {
        sizes.emplace_back();
        for (const std::string& p : group.paths) {
            std::error_code ec;
            const fs::path shard = dir / p;
            if (!fs::is_regular_file(shard, ec))
                throw FileError(model_json_path + " names the shard " + p + ", which is missing in " +
                                (dir.empty() ? std::string(".") : dir.string()));
            const uintmax_t n = fs::file_size(shard, ec);
            if (ec) throw FileError("cannot read " + shard.string() + ": " + ec.message());
            sizes.back().push_back(n);
        }
    }
    check_tfjs_shard_sizes(m, sizes, model_json_path);
    return m;
}

std::vector<NamedTensor> read_tfjs_weights(const std::string& model_json_path) {
    const TfjsManifest m = read_tfjs_manifest(model_json_path);
    const fs::path dir = fs::path(model_json_path).parent_path();
    std::vector<NamedTensor> all;
    for (size_t g = 0; g < m.groups.size(); ++g) {
        std::vector<uint8_t> bytes;
        bytes.reserve(m.groups[g].bytes);
        for (const std::string& p : m.groups[g].paths) {
            const std::vector<uint8_t> shard = read_file_bytes((dir / p).string());
            bytes.insert(bytes.end(), shard.begin(), shard.end());
        }
        // A shard that changed size between the check and the read.
        std::vector<NamedTensor> group = decode_tfjs_group(m, g, bytes.data(), bytes.size(), model_json_path);
        for (auto& t : group)
            all.push_back(std::move(t));
    }
    return all;
}

}  // namespace attn
