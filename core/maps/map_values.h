// A map's values as a [rows, cols] view: into the pass's own weights where the map is a slice of
// them (a head's matrix, one token's column over the pixels, one query's row over the patches),
// or into values made for the map (a fusion over heads, norms, rollout), which it then keeps alive.
#pragma once

#include "render/colormap.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace attn {

struct MapValues {
    const float* data = nullptr;
    int64_t rows = 0, cols = 0;
    int64_t row_stride = 0, col_stride = 1;  // in floats: a token's column of att_weights has col_stride seq
    std::shared_ptr<const std::vector<float>> owned;  // the made values, when data points into them

    float at(int64_t row, int64_t col) const { return data[row * row_stride + col * col_stride]; }
    bool contiguous() const { return col_stride == 1 && row_stride == cols; }
    // Row-major [rows, cols], copied only when the view is strided.
    const float* dense(std::vector<float>& scratch) const;

    // A view of made values [rows, cols], which it keeps alive.
    static MapValues of(std::shared_ptr<const std::vector<float>> made, int64_t rows, int64_t cols);
};

// The values at the two ends of the colormap. hi <= lo: a constant map, drawn in the middle colour.
struct MapRange {
    float lo = 0.0f, hi = 1.0f;
};

// How maps are drawn: the same struct for the screen, the app's export and the CLI's.
struct MapStyle {
    Colormap colormap = Colormap::Viridis;
    // Off: cross and patch maps each span their own [min, max]; matrices the absolute 0..1 (a
    // weight is a probability). On: one [min, max] over every map of the pass, to compare maps.
    bool shared_range = false;
    float opacity = 0.6f;  // maps over a picture: weight of the colour over the picture
};

}  // namespace attn
