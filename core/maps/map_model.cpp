#include "maps/map_model.h"

#include "analysis/rollout.h"
#include "analysis/token_layout.h"
#include "errors.h"
#include "model/forward.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attn {

namespace {

// Previews of a pass share this many cells (128 MiB of float): with many batch items and heads
// each gets fewer than kMatrixPreviewSide a side, but never fewer than kMinPreviewSide.
constexpr double kPreviewBudgetCells = 32.0 * 1024 * 1024;
constexpr int64_t kMinPreviewSide = 256;
// Made values larger than this are handed out but not kept (a 10,000-token mean is 400 MB).
constexpr int64_t kMaxKeptValues = int64_t{1} << 24;

void stop_if_cancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load()) throw Cancelled("cancelled while preparing the maps");
}

// [min, max] of the finite values; {0, 0} when there are none (drawn as a constant map).
MapRange finite_range(const MapValues& v) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int64_t r = 0; r < v.rows; ++r)
        for (int64_t c = 0; c < v.cols; ++c) {
            const float x = v.at(r, c);
            if (!std::isfinite(x)) continue;
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    if (lo > hi) return {0.0f, 0.0f};
    return {lo, hi};
}

// Fusion of one value over heads: the mean summed in head order, each value / heads (as the CPU
// export always summed it), or the max / min, NaN when any head is NaN (a row that was padding
// throughout is NaN in every head).
float fuse(int head, const float* first, int64_t stride, int64_t heads) {
    if (head == kMeanHead) {
        float sum = 0.0f;
        for (int64_t h = 0; h < heads; ++h)
            sum += first[h * stride] / static_cast<float>(heads);
        return sum;
    }
    float out = first[0];
    for (int64_t h = 1; h < heads && !std::isnan(out); ++h) {
        const float x = first[h * stride];
        out = std::isnan(x) ? x : head == kMaxHead ? std::max(out, x) : std::min(out, x);
    }
    return out;
}

// "[CLS]" -> "cls" for file names; other labels as they are.
std::string file_label(const std::string& label) {
    if (label.size() > 2 && label.front() == '[' && label.back() == ']') return label.substr(1, label.size() - 2);
    return label;
}

nlohmann::json head_json(int head) {
    if (head >= 0) return head;
    return head_file_part(head);
}

}  // namespace

MapModel::MapModel(AttentionSet set, const std::atomic<bool>* cancel) : set_(std::move(set)) {
    if (empty()) return;
    const AttentionSet& s = set_;
    for (const TensorPtr& layer : s.layers)
        ATTN_CHECK(layer && layer->numel() == s.batches * s.heads * s.queries * s.keys,
                   "attention set: a layer's weights do not have the set's shape");
    ATTN_CHECK(s.key_is_pad.empty() || static_cast<int64_t>(s.key_is_pad.size()) == s.batches,
               "attention set: key_is_pad per batch item");
    for (int64_t b = 0; b < s.batches; ++b) {
        std::vector<std::pair<int64_t, int64_t>> runs;
        for (int64_t k = 0; k < s.keys; ++k) {
            if (!is_pad(b, k)) continue;
            if (!runs.empty() && runs.back().second == k)
                runs.back().second = k + 1;
            else
                runs.emplace_back(k, k + 1);
        }
        padding_.push_back(std::move(runs));
    }
    compute_shared_range(MapQuantity::Weights, cancel);
    make_previews(cancel);
}

bool MapModel::has_norms() const {
    return !set_.value_norms.empty() &&
           std::all_of(set_.value_norms.begin(), set_.value_norms.end(), [](const auto& f) { return bool(f); });
}

bool MapModel::has_rollout() const {
    return !empty() && set_.query_kind != QueryKind::PixelGrid && set_.queries == set_.keys;
}

MapKey MapModel::canonical(const MapKey& raw) const {
    if (empty()) throw ConfigError("no attention maps to show: the pass has none");
    MapKey key = raw;
    const AttentionSet& s = set_;
    if (key.layer < 0 || key.layer >= layers())
        throw ConfigError("layer " + std::to_string(key.layer) + " does not exist (layers = " +
                          std::to_string(layers()) + ")");
    if (key.batch < 0 || key.batch >= s.batches)
        throw ConfigError("batch item " + std::to_string(key.batch) + " does not exist (b = " +
                          std::to_string(s.batches) + ")");
    if (key.quantity == MapQuantity::Rollout) {
        if (!has_rollout())
            throw ConfigError("rollout is not available for " + s.model +
                              ": it multiplies square [tokens, tokens] matrices from layer to layer");
        key.head = kMeanHead;  // rollout starts from the mean over heads
    }
    if (key.quantity == MapQuantity::Norms && !has_norms())
        throw ConfigError("norm-based attention is not available for " + s.model +
                          ": it needs the value vectors of a real model");
    const bool fusion = key.head == kMeanHead || key.head == kMaxHead || key.head == kMinHead;
    if (key.quantity != MapQuantity::Rollout && !(key.head >= 0 && key.head < s.heads) && !(fusion && has_fusions()))
        throw ConfigError("head " + std::to_string(key.head) + " does not exist (heads = " + std::to_string(s.heads) +
                          (has_fusions() ? "; -1 is the mean, -2 the max, -3 the min" : "") + ")");
    switch (s.query_kind) {
        case QueryKind::Tokens:
            key.token = -1;
            break;
        case QueryKind::PixelGrid:
            if (key.token < 0 || key.token >= s.keys)
                throw ConfigError("token " + std::to_string(key.token) + " does not exist (seq = " +
                                  std::to_string(s.keys) + ")");
            break;
        case QueryKind::Patches:
            if (key.token < -1 || key.token >= s.queries)
                throw ConfigError("query " + std::to_string(key.token) + " does not exist (" +
                                  std::to_string(s.queries) + " tokens; -1 is the whole matrix)");
            break;
    }
    return key;
}

bool MapModel::spatial(const MapKey& key) const {
    return set_.query_kind == QueryKind::PixelGrid || (set_.query_kind == QueryKind::Patches && key.token >= 0);
}

std::pair<int64_t, int64_t> MapModel::size(const MapKey& key) const {
    if (spatial(key)) return {set_.grid_rows, set_.grid_cols};
    return {set_.queries, set_.keys};
}

MapValues MapModel::values(const MapKey& raw) const {
    const MapKey key = canonical(raw);
    if (key.quantity == MapQuantity::Rollout) return rollout(key);
    if (key.quantity == MapQuantity::Norms) return norms(key);
    if (key.head < 0) return fused(key);
    const AttentionSet& s = set_;
    const float* block = s.block(key.layer, key.batch, key.head);  // [queries, keys]
    MapValues v;
    if (s.query_kind == QueryKind::PixelGrid) {
        // The token's column of att_weights [h*w, seq], seen as [h, w].
        v.data = block + key.token;
        v.rows = s.grid_rows;
        v.cols = s.grid_cols;
        v.row_stride = s.grid_cols * s.keys;
        v.col_stride = s.keys;
    } else if (spatial(key)) {
        // The query's row over the patch keys, after the prefix tokens, seen as the patch grid.
        v.data = block + key.token * s.keys + s.prefix_tokens;
        v.rows = s.grid_rows;
        v.cols = s.grid_cols;
        v.row_stride = s.grid_cols;
    } else {
        v.data = block;
        v.rows = s.queries;
        v.cols = s.keys;
        v.row_stride = s.keys;
    }
    return v;
}

// A fusion over heads (or the norms of one head), made once and kept while it is not huge.
MapValues MapModel::fused(const MapKey& key) const {
    MapKey head0 = key;
    head0.head = 0;
    const MapValues first = key.quantity == MapQuantity::Norms ? norms(head0) : values(head0);
    std::shared_ptr<const std::vector<float>> made;
    {
        std::lock_guard<std::mutex> lock(made_mutex_);
        auto it = made_.find(key);
        if (it != made_.end()) made = it->second;
    }
    if (!made) {
        std::vector<MapValues> heads{first};
        for (int64_t h = 1; h < set_.heads; ++h) {
            MapKey each = key;
            each.head = static_cast<int>(h);
            heads.push_back(key.quantity == MapQuantity::Norms ? norms(each) : values(each));
        }
        auto out = std::make_shared<std::vector<float>>(static_cast<size_t>(first.rows * first.cols));
        std::vector<float> point(static_cast<size_t>(set_.heads));
        for (int64_t r = 0; r < first.rows; ++r)
            for (int64_t c = 0; c < first.cols; ++c) {
                for (int64_t h = 0; h < set_.heads; ++h)
                    point[static_cast<size_t>(h)] = heads[static_cast<size_t>(h)].at(r, c);
                (*out)[static_cast<size_t>(r * first.cols + c)] = fuse(key.head, point.data(), 1, set_.heads);
            }
        made = out;
        if (first.rows * first.cols <= kMaxKeptValues) {
            std::lock_guard<std::mutex> lock(made_mutex_);
            made_.emplace(key, made);
        }
    }
    return MapValues::of(made, first.rows, first.cols);
}

// α_ij · ||f_h(x_j)||: the weight times the norm of what key j's value vector adds to the output.
MapValues MapModel::norms(const MapKey& key) const {
    if (key.head < 0) return fused(key);
    std::shared_ptr<const Tensor> value_norms;  // [b, heads, keys]
    std::shared_ptr<const std::vector<float>> made;
    {
        std::lock_guard<std::mutex> lock(made_mutex_);
        auto it = made_.find(key);
        if (it != made_.end()) made = it->second;
        auto vn = value_norms_.find(key.layer);
        if (vn != value_norms_.end()) value_norms = vn->second;
    }
    MapKey weights_key = key;
    weights_key.quantity = MapQuantity::Weights;
    const MapValues w = values(weights_key);
    if (!made) {
        if (!value_norms) {
            auto t = std::make_shared<const Tensor>(set_.value_norms[static_cast<size_t>(key.layer)]());
            if (t->numel() != set_.batches * set_.heads * set_.keys)
                throw ShapeError(set_.model + ": value norms of layer " + std::to_string(key.layer) + " are " +
                                 shape_string(t->shape) + ", expected [" + std::to_string(set_.batches) + ", " +
                                 std::to_string(set_.heads) + ", " + std::to_string(set_.keys) + "]");
            std::lock_guard<std::mutex> lock(made_mutex_);
            value_norms = value_norms_.emplace(key.layer, t).first->second;
        }
        const float* norm = value_norms->ptr() + (key.batch * set_.heads + key.head) * set_.keys;  // [keys]
        auto out = std::make_shared<std::vector<float>>(static_cast<size_t>(w.rows * w.cols));
        const bool patch_row = spatial(key) && set_.query_kind == QueryKind::Patches;
        for (int64_t r = 0; r < w.rows; ++r)
            for (int64_t c = 0; c < w.cols; ++c) {
                // Which key this cell is: its column, the pixel grid's token, or a patch.
                const int64_t k = set_.query_kind == QueryKind::PixelGrid ? key.token
                                  : patch_row ? set_.prefix_tokens + r * set_.grid_cols + c
                                              : c;
                (*out)[static_cast<size_t>(r * w.cols + c)] = w.at(r, c) * norm[k];
            }
        made = out;
        std::lock_guard<std::mutex> lock(made_mutex_);
        made_.emplace(key, made);
    }
    return MapValues::of(made, w.rows, w.cols);
}

// The rollout up to the key's layer: every layer's is made at the first request (one walk up the
// stack), then views of it. Its row over the picture for patch models, as for the weights.
MapValues MapModel::rollout(const MapKey& key) const {
    {
        std::lock_guard<std::mutex> lock(made_mutex_);
        if (rollout_.empty()) {
            TokenLayout layout;
            Tensor mask({set_.batches, set_.keys}, 1.0f, DType::Int64);  // 1 = token
            for (int64_t b = 0; b < set_.batches; ++b)
                for (int64_t k = 0; k < set_.keys; ++k)
                    if (is_pad(b, k)) mask.data[static_cast<size_t>(b * set_.keys + k)] = 0.0f;
            layout.attention_mask = std::move(mask);
            if (set_.query_kind == QueryKind::Patches) {
                layout.patch_rows = set_.grid_rows;
                layout.patch_cols = set_.grid_cols;
                layout.prefix_tokens = set_.prefix_tokens;
            }
            rollout_ = rollout_by_layer(set_.layers, layout);
        }
    }
    const Tensor& r = rollout_[static_cast<size_t>(key.layer)];  // [b, L, L]
    const float* block = r.ptr() + key.batch * set_.queries * set_.keys;
    MapValues v;
    if (spatial(key)) {
        v.data = block + key.token * set_.keys + set_.prefix_tokens;
        v.rows = set_.grid_rows;
        v.cols = set_.grid_cols;
        v.row_stride = set_.grid_cols;
    } else {
        v.data = block;
        v.rows = set_.queries;
        v.cols = set_.keys;
        v.row_stride = set_.keys;
    }
    return v;
}

float MapModel::value(const MapKey& raw, int64_t row, int64_t col) const {
    const MapKey key = canonical(raw);
    const auto [rows, cols] = size(key);
    if (row < 0 || row >= rows || col < 0 || col >= cols)
        throw ConfigError("cell (" + std::to_string(row) + ", " + std::to_string(col) + ") is outside the map [" +
                          std::to_string(rows) + ", " + std::to_string(cols) + "]");
    if (key.head >= 0 || key.quantity != MapQuantity::Weights) return values(key).at(row, col);
    // A fusion at one cell: the heads' values there, without making the whole map.
    MapKey head0 = key;
    head0.head = 0;
    const MapValues first = values(head0);
    const int64_t head_stride = set_.queries * set_.keys;  // heads are consecutive blocks
    return fuse(key.head, first.data + row * first.row_stride + col * first.col_stride, head_stride, set_.heads);
}

MapRange MapModel::own_range(const MapKey& key) const {
    return finite_range(values(key));
}

MapRange MapModel::range(const MapKey& raw, const MapStyle& style) const {
    const MapKey key = canonical(raw);
    if (set_.signed_values) {
        const MapRange r = style.shared_range ? shared_range(key.quantity) : own_range(key);
        const float m = std::max(std::abs(r.lo), std::abs(r.hi));
        return {m > 0.0f ? -m : 0.0f, m};  // m = 0: a constant map, drawn in the middle colour
    }
    if (style.shared_range) return shared_range(key.quantity);
    // A matrix of weights is shown on the absolute 0..1 scale: a weight is a probability.
    if (!spatial(key) && key.quantity == MapQuantity::Weights) return {0.0f, 1.0f};
    return own_range(key);
}

MapRange MapModel::shared_range(MapQuantity quantity) const {
    {
        std::lock_guard<std::mutex> lock(made_mutex_);
        auto it = shared_.find(quantity);
        if (it != shared_.end()) return it->second;
    }
    compute_shared_range(quantity, nullptr);
    std::lock_guard<std::mutex> lock(made_mutex_);
    return shared_.at(quantity);
}

// Over every map of the pass: for the cross modules the padding keys are left out (no map).
void MapModel::compute_shared_range(MapQuantity quantity, const std::atomic<bool>* cancel) const {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    const AttentionSet& s = set_;
    auto take = [&](const MapValues& v) {
        const MapRange r = finite_range(v);
        if (r.lo == 0.0f && r.hi == 0.0f && !std::isfinite(v.at(0, 0))) return;
        lo = std::min(lo, r.lo);
        hi = std::max(hi, r.hi);
    };
    const int64_t heads = quantity == MapQuantity::Rollout ? 1 : s.heads;  // rollout has no heads
    for (int64_t l = 0; l < layers() && !empty(); ++l)
        for (int64_t b = 0; b < s.batches; ++b)
            for (int64_t h = 0; h < heads; ++h) {
                stop_if_cancelled(cancel);
                MapKey key{static_cast<int>(b), static_cast<int>(h), -1, static_cast<int>(l), quantity};
                if (quantity == MapQuantity::Weights) {
                    // Straight through memory: [queries, keys] rows, padding columns skipped for pixel grids.
                    const float* m = s.block(l, b, h);
                    const bool skip_pad = s.query_kind == QueryKind::PixelGrid;
                    for (int64_t q = 0; q < s.queries; ++q)
                        for (int64_t k = 0; k < s.keys; ++k) {
                            const float x = m[q * s.keys + k];
                            if ((skip_pad && is_pad(b, k)) || !std::isfinite(x)) continue;
                            lo = std::min(lo, x);
                            hi = std::max(hi, x);
                        }
                } else if (s.query_kind == QueryKind::PixelGrid) {
                    for (int64_t t = 0; t < s.keys; ++t)
                        if (!is_pad(b, t)) {
                            key.token = static_cast<int>(t);
                            take(values(key));
                        }
                } else {
                    take(values(key));
                }
            }
    const MapRange range = lo <= hi ? MapRange{lo, hi} : MapRange{0.0f, 0.0f};
    std::lock_guard<std::mutex> lock(made_mutex_);
    shared_[quantity] = range;
}

// Previews of large matrices. The mean over heads is the mean of the heads' previews: the bins are
// the same, so it is the preview of the mean (summed in head order, like the mean map).
void MapModel::make_previews(const std::atomic<bool>* cancel) {
    const AttentionSet& s = set_;
    if (s.query_kind == QueryKind::PixelGrid || std::max(s.queries, s.keys) <= kMatrixPreviewSide) return;
    const double per_matrix = kPreviewBudgetCells / static_cast<double>(s.batches * (s.heads + 1) * layers());
    const int64_t side = std::clamp(static_cast<int64_t>(std::sqrt(per_matrix)), kMinPreviewSide, kMatrixPreviewSide);
    const int64_t out_rows = std::min(s.queries, side), out_cols = std::min(s.keys, side);
    preview_heads_ = s.heads;
    previews_.reserve(static_cast<size_t>(layers() * s.batches * (s.heads + 1)));
    for (int64_t l = 0; l < layers(); ++l)
        for (int64_t b = 0; b < s.batches; ++b) {
            const size_t mean_index = previews_.size();
            previews_.emplace_back();
            for (int64_t h = 0; h < s.heads; ++h) {
                stop_if_cancelled(cancel);
                previews_.push_back(area_mean(s.block(l, b, h), s.queries, s.keys, out_rows, out_cols));
            }
            Downsampled mean = previews_[mean_index + 1];
            std::fill(mean.values.begin(), mean.values.end(), 0.0f);
            for (int64_t h = 0; h < s.heads; ++h) {
                const std::vector<float>& head = previews_[mean_index + 1 + static_cast<size_t>(h)].values;
                for (size_t i = 0; i < mean.values.size(); ++i)
                    mean.values[i] += head[i] / static_cast<float>(s.heads);
            }
            previews_[mean_index] = std::move(mean);
        }
}

const Downsampled* MapModel::preview(const MapKey& key) const {
    if (previews_.empty() || key.quantity != MapQuantity::Weights || spatial(key)) return nullptr;
    if (key.head < kMeanHead || key.head >= preview_heads_) return nullptr;  // max and min have none
    const int64_t index = (key.layer * set_.batches + key.batch) * (preview_heads_ + 1) + 1 + key.head;
    if (index < 0 || index >= static_cast<int64_t>(previews_.size())) return nullptr;
    return &previews_[static_cast<size_t>(index)];
}

const std::vector<std::pair<int64_t, int64_t>>& MapModel::padding_runs(int64_t batch) const {
    static const std::vector<std::pair<int64_t, int64_t>> kNone;
    if (batch < 0 || batch >= static_cast<int64_t>(padding_.size())) return kNone;
    return padding_[static_cast<size_t>(batch)];
}

bool MapModel::all_keys_padding(int64_t batch) const {
    const auto& runs = padding_runs(batch);
    return runs.size() == 1 && runs[0].first == 0 && runs[0].second == set_.keys;
}

bool MapModel::is_padding_map(const MapKey& key) const {
    return set_.query_kind == QueryKind::PixelGrid && is_pad(key.batch, key.token) && !all_keys_padding(key.batch);
}

const Image* MapModel::picture(int64_t batch) const {
    if (batch < 0 || batch >= static_cast<int64_t>(set_.images.size())) return nullptr;
    const Image* image = set_.images[static_cast<size_t>(batch)].get();
    if (!image || image->width <= 0 || image->height <= 0 ||
        image->rgb.numel() != int64_t{3} * image->width * image->height)
        return nullptr;
    return image;
}

std::vector<MapKey> MapModel::every_map(int only_batch) const {
    std::vector<MapKey> out;
    if (empty()) return out;
    const AttentionSet& s = set_;
    std::vector<int> heads;
    for (int h = 0; h < static_cast<int>(s.heads); ++h)
        heads.push_back(h);
    // The seed's matrices never had a mean map in the export; real models get theirs.
    const bool fused_matrices = s.layered && has_fusions();
    for (int l = 0; l < static_cast<int>(layers()); ++l)
        for (int b = 0; b < static_cast<int>(s.batches); ++b) {
            if (only_batch >= 0 && b != only_batch) continue;
            if (s.query_kind == QueryKind::PixelGrid) {
                for (int t = 0; t < static_cast<int>(s.keys); ++t) {
                    if (is_pad(b, t)) continue;  // a padding key gets no weight: no map
                    for (int h : heads)
                        out.push_back({b, h, t, l});
                    if (has_fusions()) out.push_back({b, kMeanHead, t, l});
                }
                continue;
            }
            for (int h : heads)
                out.push_back({b, h, -1, l});
            if (fused_matrices) out.push_back({b, kMeanHead, -1, l});
            if (s.query_kind == QueryKind::Patches) {
                for (int h : heads)
                    out.push_back({b, h, 0, l});  // [CLS]'s row over the picture
                if (has_fusions()) out.push_back({b, kMeanHead, 0, l});
            }
        }
    // A real model's rollout through every layer, per batch item.
    if (s.layered && has_rollout()) {
        const int last = static_cast<int>(layers()) - 1;
        for (int b = 0; b < static_cast<int>(s.batches); ++b) {
            if (only_batch >= 0 && b != only_batch) continue;
            out.push_back({b, kMeanHead, -1, last, MapQuantity::Rollout});
            if (s.query_kind == QueryKind::Patches) out.push_back({b, kMeanHead, 0, last, MapQuantity::Rollout});
        }
    }
    return out;
}

std::vector<std::vector<MapKey>> MapModel::grid(int batch, int layer) const {
    std::vector<std::vector<MapKey>> rows;
    if (empty()) return rows;
    const AttentionSet& s = set_;
    if (s.query_kind == QueryKind::PixelGrid) {
        std::vector<int> heads;
        if (has_fusions()) heads.push_back(kMeanHead);
        for (int h = 0; h < static_cast<int>(s.heads); ++h)
            heads.push_back(h);
        for (int h : heads) {
            std::vector<MapKey> row;
            for (int t = 0; t < static_cast<int>(s.keys); ++t)
                if (!is_pad(batch, t)) row.push_back({batch, h, t, layer});
            if (!row.empty()) rows.push_back(std::move(row));
        }
        return rows;
    }
    // One row of heads per layer: the model view (every layer when `layer` < 0).
    const int token = s.query_kind == QueryKind::Patches ? 0 : -1;
    for (int l = 0; l < static_cast<int>(layers()); ++l) {
        if (layer >= 0 && l != layer) continue;
        std::vector<MapKey> row;
        for (int h = 0; h < static_cast<int>(s.heads); ++h)
            row.push_back({batch, h, token, l});
        if (s.layered && has_fusions()) row.push_back({batch, kMeanHead, token, l});
        if (s.layered && has_rollout()) row.push_back({batch, kMeanHead, token, l, MapQuantity::Rollout});
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string MapModel::file_name(const MapKey& raw) const {
    const MapKey key = canonical(raw);
    std::string name = set_.layered ? "l" + std::to_string(key.layer) + "_" : "";
    name += "b" + std::to_string(key.batch) + "_";
    name += key.quantity == MapQuantity::Rollout ? "rollout" : head_file_part(key.head);
    if (key.quantity == MapQuantity::Norms) name += "_norms";
    if (spatial(key)) {
        const auto& labels = set_.query_kind == QueryKind::PixelGrid ? set_.key_labels : set_.query_labels;
        const std::string label = labels[static_cast<size_t>(key.batch)][static_cast<size_t>(key.token)];
        name += "_t" + std::to_string(key.token) + "_" + file_safe_token(file_label(label));
    }
    return name + ".png";
}

nlohmann::json MapModel::entry(const MapKey& raw) const {
    const MapKey key = canonical(raw);
    const AttentionSet& s = set_;
    nlohmann::json e;
    e["batch"] = key.batch;
    if (key.quantity != MapQuantity::Rollout) e["head"] = head_json(key.head);
    if (s.layered) e["layer"] = key.layer;
    if (key.quantity != MapQuantity::Weights) e["quantity"] = quantity_name(key.quantity);
    const auto b = static_cast<size_t>(key.batch);
    if (s.query_kind == QueryKind::PixelGrid) {
        e["token_index"] = key.token;
        e["token"] = s.key_labels[b][static_cast<size_t>(key.token)];
    } else if (spatial(key)) {
        e["token_index"] = key.token;
        e["token"] = s.query_labels[b][static_cast<size_t>(key.token)];
        e["token_role"] = "query";
    } else {
        e["queries"] = s.query_labels[b];
        e["keys"] = s.key_labels[b];
    }
    return e;
}

}  // namespace attn
