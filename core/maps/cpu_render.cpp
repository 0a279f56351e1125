#include "maps/cpu_render.h"

#include "errors.h"
#include "maps/map_painter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attn {

RgbImage render_cross_map(const float* weights, int64_t grid_h, int64_t grid_w, const Tensor* background, Colormap cmap,
                          float opacity) {
    constexpr int64_t kMinAloneSide = 256;
    if (grid_h <= 0 || grid_w <= 0 || grid_h > 16384 || grid_w > 16384)
        throw ShapeError("cross-attention map: grid [h, w] = [" + std::to_string(grid_h) + ", " +
                         std::to_string(grid_w) + "] must be 1..16384 on each side");
    ATTN_CHECK(weights != nullptr, "render_cross_map: weights is null");
    FieldPaint f;
    f.values = weights;
    f.rows = grid_h;
    f.cols = grid_w;
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int64_t i = 0; i < grid_h * grid_w; ++i)
        if (std::isfinite(weights[i])) {
            lo = std::min(lo, weights[i]);
            hi = std::max(hi, weights[i]);
        }
    f.lo = lo <= hi ? lo : 0.0f;
    f.hi = lo <= hi ? hi : 0.0f;
    f.colormap = cmap;
    if (background) {
        if (background->rank() != 3)
            throw ShapeError("cross-attention map: background image is " + shape_string(background->shape) +
                             ", expected F32 [3, H, W]");
        f.background = background;
        f.bilinear = true;
        f.opacity = opacity;
        f.width = static_cast<int>(background->shape[2]);
        f.height = static_cast<int>(background->shape[1]);
    } else {
        if (!(opacity >= 0.0f && opacity <= 1.0f))
            throw ConfigError("overlay opacity must be in [0, 1], got " + std::to_string(opacity));
        const int64_t longest = std::max(grid_h, grid_w);
        const int64_t cell = std::max<int64_t>(1, (kMinAloneSide + longest - 1) / longest);
        f.width = static_cast<int>(grid_w * cell);
        f.height = static_cast<int>(grid_h * cell);
    }
    CpuPainter painter;
    return painter.paint(f);
}

RgbImage render_matrix_map(const float* weights, int64_t seq_q, int64_t seq_k, const std::vector<bool>& key_is_pad,
                           Colormap cmap, int cell_px) {
    if (seq_q <= 0 || seq_k <= 0)
        throw ShapeError("attention matrix: [seq_q, seq_k] = [" + std::to_string(seq_q) + ", " + std::to_string(seq_k) +
                         "] must be at least [1, 1]");
    if (!key_is_pad.empty() && static_cast<int64_t>(key_is_pad.size()) != seq_k)
        throw ShapeError("attention matrix: key_is_pad has " + std::to_string(key_is_pad.size()) +
                         " entries, expected seq_k = " + std::to_string(seq_k));
    if (cell_px < 1) throw ConfigError("cell size must be at least 1 px, got " + std::to_string(cell_px));
    ATTN_CHECK(weights != nullptr, "render_matrix_map: weights is null");
    const int64_t pitch = int64_t{cell_px} + 1;
    if (seq_q > 16383 / pitch || seq_k > 16383 / pitch)
        throw ConfigError("attention matrix [" + std::to_string(seq_q) + ", " + std::to_string(seq_k) + "] with " +
                          std::to_string(cell_px) + " px cells would be larger than 16384 px a side; choose smaller cells");
    FieldPaint f;
    f.values = weights;
    f.rows = seq_q;
    f.cols = seq_k;
    f.colormap = cmap;
    f.width = static_cast<int>(seq_k);
    f.height = static_cast<int>(seq_q);
    CpuPainter painter;
    std::vector<bool> nan(static_cast<size_t>(seq_q * seq_k));
    for (int64_t i = 0; i < seq_q * seq_k; ++i)
        nan[static_cast<size_t>(i)] = std::isnan(weights[i]);
    return frame_matrix_cells(painter.paint(f), key_is_pad, nan, cell_px);
}

}  // namespace attn
