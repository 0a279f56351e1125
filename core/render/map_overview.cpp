#include "render/map_overview.h"

#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attn {

namespace {

// Previews of a pass share this many cells (128 MiB of float): with many batch items and heads
// each gets fewer than kMatrixPreviewSide a side, but never fewer than kMinPreviewSide.
constexpr double kPreviewBudgetCells = 32.0 * 1024 * 1024;
constexpr int64_t kMinPreviewSide = 256;

bool key_is_pad(const Scene& scene, int64_t batch, int64_t key) {
    if (!scene.inputs.pad_mask) return false;
    const Tensor& mask = *scene.inputs.pad_mask;  // [b, seq]
    if (mask.rank() != 2 || batch >= mask.dim(0) || key >= mask.dim(1)) return false;
    return mask.data[static_cast<size_t>(batch * mask.dim(1) + key)] != 0.0f;
}

void stop_if_cancelled(const std::atomic<bool>* cancel) {
    if (cancel != nullptr && cancel->load()) throw Cancelled("cancelled while preparing the maps");
}

}  // namespace

const Downsampled* MapOverview::preview(int64_t batch, int64_t head) const {
    const int64_t index = batch * (preview_heads + 1) + 1 + head;
    if (previews.empty() || batch < 0 || head < -1 || head >= preview_heads ||
        index >= static_cast<int64_t>(previews.size()))
        return nullptr;
    return &previews[static_cast<size_t>(index)];
}

MapOverview make_map_overview(const Scene& scene, const Trace& trace, const std::atomic<bool>* cancel) {
    MapOverview out;
    // att_weights [b, heads, queries, keys], or [b, queries, keys] for the single-head modules.
    const Tensor& attn = trace.attn();
    const bool multi = has_heads(scene.module.kind), cross = is_cross(scene.module.kind);
    if (attn.rank() != (multi ? 4 : 3) || attn.numel() == 0 || attn.numel() != shape_numel(attn.shape)) return out;
    const int64_t batches = attn.dim(0), heads = multi ? attn.dim(1) : 1;
    const int64_t queries = attn.dim(-2), keys = attn.dim(-1);
    const float* weights = attn.data.data();

    // 1. The shared range, row by row through memory. A cross map is the column of one key: a
    //    padding key has no map, so its column is left out.
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    std::vector<char> has_map(static_cast<size_t>(keys), 1);
    for (int64_t m = 0; m < batches * heads; ++m) {
        stop_if_cancelled(cancel);
        if (cross && m % heads == 0)
            for (int64_t k = 0; k < keys; ++k)
                has_map[static_cast<size_t>(k)] = key_is_pad(scene, m / heads, k) ? 0 : 1;
        const float* matrix = weights + m * queries * keys;
        for (int64_t q = 0; q < queries; ++q)
            for (int64_t k = 0; k < keys; ++k) {
                const float v = matrix[q * keys + k];
                if (!has_map[static_cast<size_t>(k)] || !std::isfinite(v)) continue;
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    }
    if (lo <= hi) {
        out.shared_lo = lo;
        out.shared_hi = hi;
    }

    // 2. Previews of large matrices. The mean over heads is the mean of the heads' previews: the
    //    bins are the same, so it is the preview of the mean (summed in head order, like the CPU
    //    export sums the mean map).
    if (cross || std::max(queries, keys) <= kMatrixPreviewSide) return out;
    const double per_matrix = kPreviewBudgetCells / static_cast<double>(batches * (heads + 1));
    const int64_t side = std::clamp(static_cast<int64_t>(std::sqrt(per_matrix)), kMinPreviewSide, kMatrixPreviewSide);
    const int64_t out_rows = std::min(queries, side), out_cols = std::min(keys, side);
    out.preview_heads = heads;
    out.previews.reserve(static_cast<size_t>(batches * (heads + 1)));
    for (int64_t b = 0; b < batches; ++b) {
        const size_t mean_index = out.previews.size();
        out.previews.emplace_back();
        for (int64_t h = 0; h < heads; ++h) {
            stop_if_cancelled(cancel);
            out.previews.push_back(
                area_mean(weights + (b * heads + h) * queries * keys, queries, keys, out_rows, out_cols));
        }
        Downsampled mean = out.previews[mean_index + 1];
        std::fill(mean.values.begin(), mean.values.end(), 0.0f);
        for (int64_t h = 0; h < heads; ++h) {
            const std::vector<float>& head = out.previews[mean_index + 1 + static_cast<size_t>(h)].values;
            for (size_t i = 0; i < mean.values.size(); ++i)
                mean.values[i] += head[i] / static_cast<float>(heads);
        }
        out.previews[mean_index] = std::move(mean);
    }
    return out;
}

}  // namespace attn
