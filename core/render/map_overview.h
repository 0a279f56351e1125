// What drawing the attention maps of a pass needs from a walk over all of att_weights, made once
// per pass next to the pass itself (the GUI's engine worker makes it on its own thread), so that
// the window never walks [b, heads, 10000, 10000] weights while it draws.
//
//   shared range: [lo, hi] of the finite weights of every map, for "one colour range for all maps";
//   previews:     each self-attention matrix too large to read whole when it is drawn (a side over
//                 kMatrixPreviewSide), area-averaged (render/downsample.h) to at most that many
//                 cells a side, per (batch item, head), and their mean over heads.
#pragma once

#include "pipeline/scene.h"
#include "render/downsample.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace attn {

// A self-attention matrix with a side longer than this gets previews; smaller ones are cheap to
// read whole when a map is drawn (at most 1M weights, 8M for a mean over 8 heads).
constexpr int64_t kMatrixPreviewSide = 1024;

struct MapOverview {
    // Over every map of the pass (cross modules: the padding keys left out, they have no map);
    // {0, 0} when no weight is finite.
    float shared_lo = 0.0f, shared_hi = 0.0f;

    // Empty unless the pass's matrices need them. Per batch item, heads + 1 of them: the mean over
    // heads first, then head 0, 1, ...
    int64_t preview_heads = 0;
    std::vector<Downsampled> previews;

    // The preview of (batch, head), head -1 = the mean over heads; null when there is none.
    const Downsampled* preview(int64_t batch, int64_t head) const;
};

// att_weights in the layouts of forward.h; a trace whose att_weights do not have the module's
// layout gets an empty overview. Throws Cancelled (model/forward.h) when *cancel turns true
// between two matrices.
MapOverview make_map_overview(const Scene& scene, const Trace& trace, const std::atomic<bool>* cancel = nullptr);

}  // namespace attn
