// The one model of the attention maps of a pass, for every front end: which maps exist, their
// values, their padding, their colour ranges, their natural sizes, their file names and their
// maps.json entries. The CLI paints it on the CPU and the app with GL (map_painter.h), and both
// export it through one exporter (map_export.h), so they write the same files by construction.
//
// Which maps, for a set of attention weights [layers][b, heads, queries, keys]:
//   token queries (self-attention, BERT, use-lite): per (layer, batch, head or fusion) the
//     [queries, keys] matrix;
//   pixel grids (the seed's cross modules): per (batch, head or mean, key token) the token's
//     column over the h x w pixels, drawn over the picture. A padding key gets no weight and
//     has no map;
//   patches (ViT): the matrices, and per (layer, batch, head or mean, query) the query's row over
//     the patch grid, drawn over the picture ([CLS] by default, as DINO shows it).
// Rollout is one matrix per (layer, batch), and its rows over the picture for patches.
//
// Built once per pass, off the UI thread where there is one: construction walks every weight once
// (the shared colour range; previews of matrices too large to read whole while drawing). After
// that every query is cheap and const, and the model may be read from any thread.
#pragma once

#include "maps/attention_set.h"
#include "maps/map_key.h"
#include "maps/map_values.h"
#include "render/downsample.h"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace attn {

// A matrix with a side longer than this gets previews (each drawn pixel the mean of the weights
// under it); smaller ones are cheap to read whole when drawn (1M weights, 8M for a mean of 8).
constexpr int64_t kMatrixPreviewSide = 1024;

class MapModel {
public:
    // Throws Cancelled (model/forward.h) when *cancel turns true between two matrices.
    explicit MapModel(AttentionSet set, const std::atomic<bool>* cancel = nullptr);
    MapModel(const MapModel&) = delete;
    MapModel& operator=(const MapModel&) = delete;

    const AttentionSet& set() const { return set_; }
    bool empty() const { return set_.layers.empty(); }  // nothing to draw
    int64_t layers() const { return static_cast<int64_t>(set_.layers.size()); }
    int64_t batches() const { return set_.batches; }
    int64_t heads() const { return set_.heads; }
    int64_t queries() const { return set_.queries; }
    int64_t keys() const { return set_.keys; }
    bool has_fusions() const { return set_.has_head_axis && set_.heads > 1; }
    bool has_norms() const;
    // Rollout needs square token matrices: self-attention, BERT, use-lite, ViT.
    bool has_rollout() const;

    // The key as the model files it (a matrix ignores the token), or ConfigError naming what does
    // not exist ("head 9 does not exist (heads = 8; -1 is the mean)").
    MapKey canonical(const MapKey& key) const;
    // Drawn on the query grid, over the picture when the batch item has one; else a matrix.
    bool spatial(const MapKey& key) const;

    // [rows, cols] of the map: [h, w] or the patch grid when spatial, else [queries, keys].
    std::pair<int64_t, int64_t> size(const MapKey& key) const;
    MapValues values(const MapKey& key) const;
    float value(const MapKey& key, int64_t row, int64_t col) const;  // NaN stays NaN

    // [min, max] of the map's finite values ({0, 0} when none), and the range `style` colours it
    // with (see MapStyle::shared_range).
    MapRange own_range(const MapKey& key) const;
    MapRange range(const MapKey& key, const MapStyle& style) const;
    MapRange shared_range(MapQuantity quantity) const;

    // The padding keys of a batch item as runs [first, last); every key of it is padding.
    const std::vector<std::pair<int64_t, int64_t>>& padding_runs(int64_t batch) const;
    bool is_pad(int64_t batch, int64_t key) const { return set_.is_pad(batch, key); }
    bool all_keys_padding(int64_t batch) const;
    // A map that exists but carries no weight: a padding key's column (cross modules), drawn as
    // a placeholder. Only when its batch item has real keys: an all-padding item is drawn as it is.
    bool is_padding_map(const MapKey& key) const;

    const Image* picture(int64_t batch) const;
    // The area-averaged preview of a large matrix (weights, one head or the mean), or null.
    const Downsampled* preview(const MapKey& key) const;

    // Every map "export every map" writes, in the CLI's order: per layer, per batch item, per
    // token (spatial maps of the seed's cross modules) or query ([CLS] of patches), every head
    // then the fusions; rollout last.
    std::vector<MapKey> every_map(int only_batch = -1) const;
    // The grid of one batch item and layer as rows of maps, the way the Attention panel lays it
    // out: cross modules one row per head (the mean first) and one column per token; matrices
    // their heads side by side.
    std::vector<std::vector<MapKey>> grid(int batch, int layer = 0) const;

    // b0_h3_t2_jerry.png, b0_mean_t2_jerry.png, b0_h3.png; real models with the layer in front
    // (l3_b0_h5.png, l3_b0_h5_t0_cls.png, l11_b0_rollout.png) and the quantity after the head
    // (l3_b0_h5_norms.png).
    std::string file_name(const MapKey& key) const;
    // Its maps.json entry without the file and its size: batch, head ("mean" or a number), and the
    // token, layer, labels as they apply.
    nlohmann::json entry(const MapKey& key) const;

private:
    MapValues fused(const MapKey& key) const;
    MapValues norms(const MapKey& key) const;
    MapValues rollout(const MapKey& key) const;
    void compute_shared_range(MapQuantity quantity, const std::atomic<bool>* cancel) const;
    void make_previews(const std::atomic<bool>* cancel);

    AttentionSet set_;
    std::vector<std::vector<std::pair<int64_t, int64_t>>> padding_;
    int64_t preview_heads_ = 0;
    std::vector<Downsampled> previews_;  // per batch item: the mean first, then head 0, 1...

    // Values made on request (fusions, norms, their ranges), kept for the model's lifetime.
    mutable std::mutex made_mutex_;
    mutable std::map<MapKey, std::shared_ptr<const std::vector<float>>> made_;
    mutable std::map<MapQuantity, MapRange> shared_;
    mutable std::map<int64_t, std::shared_ptr<const Tensor>> value_norms_;  // per layer
    mutable std::vector<Tensor> rollout_;  // per layer [b, L, L], made when first asked for
};

}  // namespace attn
