#include "maps/attentions_file.h"

#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "analysis/rollout.h"
#include "errors.h"
#include "export/dump.h"
#include "image/image.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "maps/view_export.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

namespace attn {

namespace {

// How far a weight may stray outside [0, 1] and a row's sum from 1: F16 and BF16 round each
// weight to 3 significant digits, and a row of 512 such weights sums within about 4e-3.
constexpr float kWeightSlack = 1e-3f;
constexpr double kRowSumSlack = 1e-2;
// The largest patch-grid side or prefix count taken: sums and products of them stay exact.
constexpr int64_t kMaxCount = int64_t(1) << 20;

std::string dims(const Shape& shape) {
    return shape_string(shape);
}

// "[layer 2, batch 0, head 5, query 3, key 7]"
std::string where(int64_t l, int64_t b, int64_t h, int64_t q, int64_t k) {
    return "[layer " + std::to_string(l) + ", batch " + std::to_string(b) + ", head " + std::to_string(h) + ", query " +
           std::to_string(q) + ", key " + std::to_string(k) + "]";
}

// A metadata value that must be JSON: FileError naming the field when it is not.
nlohmann::json parse_field(const std::string& path, const std::string& field, const std::string& text) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        std::string shown = text.substr(0, 60);
        if (text.size() > 60) shown += "...";
        throw FileError(path + ": __metadata__ \"" + field + "\" is not JSON (" + e.what() + "); expected a JSON " +
                        "array of token arrays, e.g. [[\"[CLS]\", \"the\", ...]], got '" + shown + "'");
    }
}

// Per batch item, `count` labels from metadata field `field`: a JSON array of b arrays of strings,
// or one flat array when b = 1.
std::vector<std::vector<std::string>> token_lists(const std::string& path, const std::string& field,
                                                  const std::string& text, int64_t batches, int64_t count,
                                                  const std::string& axis) {
    const nlohmann::json j = parse_field(path, field, text);
    if (!j.is_array())
        throw FileError(path + ": __metadata__ \"" + field + "\" must be a JSON array (one token array per batch " +
                        "item), got a JSON " + j.type_name());
    nlohmann::json items = j;
    if (!j.empty() && j[0].is_string()) items = nlohmann::json::array({j});  // b = 1, written flat
    if (static_cast<int64_t>(items.size()) != batches)
        throw ShapeError(path + ": __metadata__ \"" + field + "\" has " + std::to_string(items.size()) +
                         " token arrays, expected one per batch item: " + std::to_string(batches) +
                         " (attentions [layers, b, heads, Lq, Lk])");
    std::vector<std::vector<std::string>> out;
    for (size_t b = 0; b < items.size(); ++b) {
        const nlohmann::json& row = items[b];
        if (!row.is_array())
            throw FileError(path + ": __metadata__ \"" + field + "\" item " + std::to_string(b) +
                            " must be an array of strings, got a JSON " + row.type_name());
        if (static_cast<int64_t>(row.size()) != count)
            throw ShapeError(path + ": __metadata__ \"" + field + "\" of batch item " + std::to_string(b) + " has " +
                             std::to_string(row.size()) + " tokens, but attentions has " + axis + " = " +
                             std::to_string(count));
        std::vector<std::string> labels;
        for (size_t i = 0; i < row.size(); ++i) {
            if (!row[i].is_string())
                throw FileError(path + ": __metadata__ \"" + field + "\" batch item " + std::to_string(b) + " token " +
                                std::to_string(i) + " must be a string, got a JSON " + row[i].type_name());
            labels.push_back(row[i].get<std::string>());
        }
        out.push_back(std::move(labels));
    }
    return out;
}

// "14x14" -> (14, 14).
std::pair<int64_t, int64_t> parse_grid(const std::string& path, const std::string& text) {
    const size_t x = text.find('x');
    try {
        size_t used_r = 0, used_c = 0;
        if (x == std::string::npos) throw std::invalid_argument("no x");
        const int64_t r = std::stoll(text.substr(0, x), &used_r);
        const int64_t c = std::stoll(text.substr(x + 1), &used_c);
        // Sides past 2^20 are no picture's patches, and their product could overflow.
        if (used_r != x || used_c != text.size() - x - 1 || r <= 0 || c <= 0 || r > kMaxCount || c > kMaxCount)
            throw std::invalid_argument("bad");
        return {r, c};
    } catch (const std::exception&) {
        throw FileError(
            path + ": __metadata__ \"patch_grid\" must be ROWSxCOLS with sides of 1 to 1048576 (e.g. \"14x14\"), " +
            "got \"" + text + "\"");
    }
}

int64_t parse_count(const std::string& path, const std::string& field, const std::string& text) {
    try {
        size_t used = 0;
        const int64_t v = std::stoll(text, &used);
        if (used != text.size() || v < 0 || v > kMaxCount) throw std::invalid_argument("bad");
        return v;
    } catch (const std::exception&) {
        throw FileError(path + ": __metadata__ \"" + field + "\" must be a whole number from 0 to 1048576, got \"" +
                        text + "\"");
    }
}

// The pictures of metadata "image": one path for the batch or a JSON array of one per item,
// relative to the file's folder.
std::vector<std::shared_ptr<const Image>> load_pictures(const std::string& path, const std::string& text,
                                                        int64_t batches) {
    std::vector<std::string> names;
    if (!text.empty() && text[0] == '[') {
        const nlohmann::json j = parse_field(path, "image", text);
        for (const nlohmann::json& item : j) {
            if (!item.is_string())
                throw FileError(path + ": __metadata__ \"image\" must be a path or a JSON array of paths, got a " +
                                std::string(item.type_name()) + " in the array");
            names.push_back(item.get<std::string>());
        }
        if (static_cast<int64_t>(names.size()) != batches)
            throw ShapeError(path + ": __metadata__ \"image\" lists " + std::to_string(names.size()) +
                             " pictures, expected 1 path or one per batch item (" + std::to_string(batches) + ")");
    } else {
        names.assign(static_cast<size_t>(batches), text);
    }
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    std::map<std::string, std::shared_ptr<const Image>> loaded;
    std::vector<std::shared_ptr<const Image>> out;
    for (const std::string& name : names) {
        const std::filesystem::path full =
            std::filesystem::path(name).is_absolute() ? std::filesystem::path(name) : folder / name;
        auto& slot = loaded[full.string()];
        if (!slot) {
            std::error_code ec;
            if (!std::filesystem::exists(full, ec))
                throw FileError(path + ": __metadata__ \"image\" names " + full.string() +
                                ", which does not exist (the path is relative to the attentions file)");
            try {
                slot = std::make_shared<const Image>(load_image(full.string()));
            } catch (const Error& e) {
                throw FileError(path + ": __metadata__ \"image\": " + e.what());
            }
        }
        out.push_back(slot);
    }
    return out;
}

// NaN, infinity and weights outside [0, 1] are errors; NaN only where every key of the item is
// padding. Returns the first real query row that does not sum to 1, for a warning.
std::optional<std::string> check_weights(const std::string& path, const Tensor& a, const AttentionSet& s) {
    const int64_t L = a.dim(0), B = s.batches, H = s.heads, Q = s.queries, K = s.keys;
    std::optional<std::string> off_row;
    for (int64_t b = 0; b < B; ++b) {
        bool all_pad = !s.key_is_pad.empty();
        for (int64_t k = 0; k < K && all_pad; ++k)
            all_pad = s.is_pad(b, k);
        for (int64_t l = 0; l < L; ++l)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t q = 0; q < Q; ++q) {
                    const float* row = a.ptr() + (((l * B + b) * H + h) * Q + q) * K;
                    double sum = 0.0;
                    bool nan_row = false;
                    for (int64_t k = 0; k < K; ++k) {
                        const float w = row[k];
                        if (std::isnan(w)) {
                            if (!all_pad)
                                throw FileError(path + ": tensor \"attentions\" holds NaN at " + where(l, b, h, q, k) +
                                                "; NaN is only expected where every key of a batch item is padding " +
                                                "(attention_mask all 0, a -inf mask)");
                            nan_row = true;
                            continue;
                        }
                        if (std::isinf(w))
                            throw FileError(path + ": tensor \"attentions\" holds " +
                                            std::string(w < 0 ? "-inf" : "inf") + " at " + where(l, b, h, q, k) +
                                            "; expected softmax weights in [0, 1] (scores before the softmax?)");
                        if (w < -kWeightSlack || w > 1.0f + kWeightSlack)
                            throw FileError(path + ": tensor \"attentions\" holds " + std::to_string(w) + " at " +
                                            where(l, b, h, q, k) +
                                            "; expected softmax weights in [0, 1] (scores before the softmax?)");
                        sum += w;
                    }
                    if (!nan_row && !all_pad && !off_row && std::abs(sum - 1.0) > kRowSumSlack)
                        off_row = "the row of query " + std::to_string(q) + " (layer " + std::to_string(l) +
                                  ", batch " + std::to_string(b) + ", head " + std::to_string(h) + ") sums to " +
                                  std::to_string(sum);
                }
    }
    return off_row;
}

}  // namespace

AttentionSet read_attentions_file(const std::string& path, std::vector<std::string>* warnings) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw FileError(path + ": is a folder; --attentions takes a .safetensors file");
    return attentions_from_safetensors(read_safetensors(path), path, warnings);
}

bool is_attentions_file(const std::string& path) {
    try {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) return false;
        const uintmax_t size = std::filesystem::file_size(path, ec);
        if (ec || size < 8) return false;
        std::ifstream in(path, std::ios::binary);
        unsigned char length_bytes[8] = {};
        if (!in.read(reinterpret_cast<char*>(length_bytes), 8)) return false;
        uint64_t header_size = 0;  // little-endian, as the format says
        for (int i = 7; i >= 0; --i)
            header_size = (header_size << 8) | length_bytes[i];
        // A header larger than safetensors' own limit, or than the file, is no attention file.
        if (header_size > 100'000'000 || header_size > size - 8) return false;
        std::string header(static_cast<size_t>(header_size), '\0');
        if (!in.read(header.data(), static_cast<std::streamsize>(header.size()))) return false;
        const nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
        return j.is_object() && j.contains(kAttentionsTensor);
    } catch (...) {  // bad_alloc, a stream that throws: not an attention file we can open
        return false;
    }
}

AttentionSet attentions_from_safetensors(SafetensorsFile file, const std::string& path,
                                         std::vector<std::string>* warnings) {
    Tensor* attentions = nullptr;
    Tensor* mask = nullptr;
    for (auto& [name, tensor] : file.tensors) {
        if (name == kAttentionsTensor)
            attentions = &tensor;
        else if (name == kAttentionMaskTensor)
            mask = &tensor;
        else if (warnings)
            warnings->push_back(path + ": tensor \"" + name + "\" is not part of the attentions format; ignored");
    }
    if (!attentions)
        throw FileError(path + ": no tensor \"attentions\" [layers, b, heads, Lq, Lk] (transformers' " +
                        "output_attentions, stacked; app/python/attnscope_save.py writes it)");
    const Tensor& a = *attentions;
    if (a.dtype != DType::F32) throw FileError(path + ": tensor \"attentions\" must be F32, F16 or BF16, got integers");
    if (a.rank() != 5)
        throw ShapeError(path + ": tensor \"attentions\" must be [layers, b, heads, Lq, Lk] (rank 5), got " +
                         dims(a.shape) + " (rank " + std::to_string(a.rank()) + ")");
    for (int64_t d : a.shape)
        if (d < 1) throw ShapeError(path + ": tensor \"attentions\" " + dims(a.shape) + " has an empty axis");

    AttentionSet s;
    const auto meta = [&](const char* key) -> const std::string* {
        auto it = file.metadata.find(key);
        return it == file.metadata.end() ? nullptr : &it->second;
    };
    s.model = meta("model") ? *meta("model") : std::filesystem::path(path).stem().string();
    s.layered = true;
    s.has_head_axis = true;
    const int64_t layers = a.dim(0);
    s.batches = a.dim(1);
    s.heads = a.dim(2);
    s.queries = a.dim(3);
    s.keys = a.dim(4);
    s.fill = -std::numeric_limits<float>::infinity();  // unknown: what a padded key's score became

    // Padding.
    s.key_is_pad.assign(static_cast<size_t>(s.batches), std::vector<bool>(static_cast<size_t>(s.keys), false));
    if (mask) {
        if (mask->dtype != DType::Int64)
            throw FileError(path + ": tensor \"attention_mask\" must be I64 (int64, as transformers gives it), got " +
                            "a float tensor");
        if (mask->shape != Shape{s.batches, s.keys})
            throw ShapeError(path + ": tensor \"attention_mask\" must be [b, Lk] = [" + std::to_string(s.batches) +
                             ", " + std::to_string(s.keys) + "] to match attentions " + dims(a.shape) + ", got " +
                             dims(mask->shape));
        for (int64_t b = 0; b < s.batches; ++b)
            for (int64_t k = 0; k < s.keys; ++k) {
                const float v = mask->data[static_cast<size_t>(b * s.keys + k)];
                if (v != 0.0f && v != 1.0f)
                    throw FileError(path + ": tensor \"attention_mask\" holds " +
                                    std::to_string(static_cast<int64_t>(v)) + " at [" + std::to_string(b) + ", " +
                                    std::to_string(k) + "]; expected 1 (token) or 0 (padding)");
                s.key_is_pad[static_cast<size_t>(b)][static_cast<size_t>(k)] = v == 0.0f;
            }
    }

    // Patches.
    if (const std::string* grid = meta("patch_grid")) {
        const auto [rows, cols] = parse_grid(path, *grid);
        const int64_t prefix =
            meta("prefix_tokens") ? parse_count(path, "prefix_tokens", *meta("prefix_tokens")) : s.keys - rows * cols;
        if (!meta("prefix_tokens") && prefix < 0)
            throw ShapeError(path + ": __metadata__ \"patch_grid\" " + *grid + " has " + std::to_string(rows * cols) +
                             " patches, more than the Lk = " + std::to_string(s.keys) + " tokens of attentions");
        if (prefix < 0 || prefix + rows * cols != s.keys)
            throw ShapeError(path + ": __metadata__ \"patch_grid\" " + *grid + " and prefix_tokens " +
                             std::to_string(prefix) + " make " + std::to_string(prefix + rows * cols) +
                             " tokens, but attentions has Lk = " + std::to_string(s.keys));
        if (s.queries != s.keys)
            throw ShapeError(path + ": patch tokens need self-attention (Lq = Lk), attentions is " + dims(a.shape));
        s.query_kind = QueryKind::Patches;
        s.grid_rows = rows;
        s.grid_cols = cols;
        s.prefix_tokens = prefix;
    } else if (meta("prefix_tokens")) {
        throw FileError(path + ": __metadata__ \"prefix_tokens\" goes with \"patch_grid\" (e.g. \"14x14\")");
    }

    // Labels.
    if (const std::string* tokens = meta("tokens")) {
        s.key_labels = token_lists(path, "tokens", *tokens, s.batches, s.keys, "Lk");
    } else if (s.query_kind == QueryKind::Patches) {
        std::vector<std::string> labels;
        for (int64_t p = 0; p < s.prefix_tokens; ++p)
            labels.push_back(p == 0 ? "[CLS]" : "prefix" + std::to_string(p));
        for (int64_t p = 0; p < s.grid_rows * s.grid_cols; ++p)
            labels.push_back("p" + std::to_string(p));
        s.key_labels.assign(static_cast<size_t>(s.batches), labels);
    } else {
        throw FileError(path + ": __metadata__ has no \"tokens\": a JSON array per batch item of its " +
                        std::to_string(s.keys) + " key tokens (tokenizer.convert_ids_to_tokens)");
    }
    if (const std::string* queries = meta("query_tokens")) {
        s.query_labels = token_lists(path, "query_tokens", *queries, s.batches, s.queries, "Lq");
    } else if (s.queries != s.keys) {
        throw ShapeError(path + ": attentions " + dims(a.shape) + " has Lq = " + std::to_string(s.queries) +
                         " queries and Lk = " + std::to_string(s.keys) +
                         " keys: give __metadata__ \"query_tokens\" (cross-attention)");
    } else {
        s.query_labels = s.key_labels;
    }

    // Pictures.
    if (const std::string* image = meta("image")) {
        if (s.query_kind != QueryKind::Patches)
            throw FileError(path + ": __metadata__ \"image\" goes with \"patch_grid\": maps are drawn over a " +
                            "picture only for patch tokens");
        s.images = load_pictures(path, *image, s.batches);
    }
    s.images.resize(static_cast<size_t>(s.batches));

    if (const auto off = check_weights(path, a, s); off && warnings)
        warnings->push_back(path + ": " + *off + ", not 1: are these softmax weights? (shown as they are)");

    // Per layer [b, heads, Lq, Lk], each its own tensor (the map model shares them, never copies).
    const int64_t per_layer = s.batches * s.heads * s.queries * s.keys;
    for (int64_t l = 0; l < layers; ++l) {
        auto layer = std::make_shared<Tensor>(Tensor::uninitialized({s.batches, s.heads, s.queries, s.keys}));
        std::copy(a.data.begin() + l * per_layer, a.data.begin() + (l + 1) * per_layer, layer->data.begin());
        s.layers.push_back(std::move(layer));
    }
    // No value_norms: the value vectors are not in the file, so norm-based attention is not offered.
    return s;
}

TokenLayout token_layout_of_set(const AttentionSet& s) {
    TokenLayout layout;
    Tensor mask({s.batches, s.keys}, 1.0f, DType::Int64);  // 1 = token
    for (int64_t b = 0; b < s.batches; ++b)
        for (int64_t k = 0; k < s.keys; ++k)
            if (s.is_pad(b, k)) mask.data[static_cast<size_t>(b * s.keys + k)] = 0.0f;
    layout.attention_mask = std::move(mask);
    layout.tokens = s.key_labels;
    if (s.query_kind == QueryKind::Patches) {
        layout.patch_rows = s.grid_rows;
        layout.patch_cols = s.grid_cols;
        layout.prefix_tokens = s.prefix_tokens;
    }
    return layout;
}

std::vector<std::string> dump_attention_set(const AttentionSet& s, const std::string& dir) {
    make_directories(dir);
    namespace fs = std::filesystem;
    std::vector<std::string> written;
    const TokenLayout layout = token_layout_of_set(s);
    const auto npy = [&](const std::string& name, const Tensor& t) {
        const std::string path = (fs::path(dir) / name).string();
        write_npy(path, t);
        written.push_back(path);
    };
    Tensor stacked =
        Tensor::uninitialized({static_cast<int64_t>(s.layers.size()), s.batches, s.heads, s.queries, s.keys});
    for (size_t l = 0; l < s.layers.size(); ++l)
        std::copy(s.layers[l]->data.begin(), s.layers[l]->data.end(),
                  stacked.data.begin() + static_cast<std::ptrdiff_t>(l * s.layers[l]->data.size()));
    npy("attentions.npy", stacked);
    npy("attention_mask.npy", *layout.attention_mask);
    if (s.queries == s.keys) npy("rollout.npy", rollout(s.layers, layout));
    for (std::string& f : export_head_stats(s, dir).files)
        written.push_back(std::move(f));
    return written;
}

}  // namespace attn
