// The 2-D slice of a step's tensor that the Pipeline panel draws as a heat map: its last two
// dimensions (rows, columns), the leading ones fixed at chosen indices (or averaged: the mean over
// heads), or an h*w dimension folded back into the picture's grid. Sides longer than max_side are
// shown every n-th row / column. With the slice come its finite min and max, its colour range
// (the fill masked_fill wrote left out, so that -1e9 does not flatten the rest; 0..1 for bool
// steps) and its NaN count. Reads through the tensor's strides: nothing of the tensor is copied.
#pragma once

#include "model/trace.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attn {

constexpr int kMaxSliceSide = 2048;

struct SliceChoice {
    int64_t batch = 0;                     // index of a leading dimension named "b"
    int64_t head = 0;                      // of one named "heads"; -1: the mean over heads
    std::map<std::string, int64_t> other;  // of any other leading dimension, by name (absent: 0)
    bool fold = false;                     // show the h*w dimension as the picture's grid_h x grid_w ...
    int64_t fold_index = 0;                // ... at this index of the other shown dimension
    int64_t grid_h = 0, grid_w = 0;        // the cross modules' picture grid; 0 x 0: none
};
bool operator==(const SliceChoice& a, const SliceChoice& b);
inline bool operator!=(const SliceChoice& a, const SliceChoice& b) {
    return !(a == b);
}

struct StepSlice {
    std::vector<float> values;  // [rows, cols], row-major
    int rows = 0, cols = 0;
    int row_stride = 1, col_stride = 1;  // 1 row / column of the tensor in n shown
    std::vector<int64_t> base;           // index of each leading dimension (-1: the mean over it)
    int row_dim = -1, col_dim = -1;      // the tensor's dimensions on the two axes (-1: none)
    bool folded = false;                 // rows x cols are h x w of the h*w dimension fold_dim
    int fold_dim = -1, fold_other = -1;  // the h*w dimension and the other shown one
    int64_t fold_index = 0;              // where fold_other is fixed
    int64_t grid_w = 0;
    float min = 0, max = 0;            // finite min / max of every value (0, 0 without one)
    float lo = 0, hi = 0;              // the same without the masked_fill fill
    float range_lo = 0, range_hi = 0;  // the colours' range: lo..hi, or 0..1 for a bool step
    bool has_finite = false;
    bool fill_left_out = false;  // a value equal to the fill was left out of lo..hi
    int nan_count = 0;

    // The tensor index of cell (r, c) (-1 in an averaged dimension).
    std::vector<int64_t> index_of(int r, int c) const;
};

// The h*w dimension among the last two of `step` that folds into grid_h x grid_w, or -1.
int foldable_dimension(const TraceStep& step, const Tensor& t, int64_t grid_h, int64_t grid_w);

// The slice of `t` (the tensor of `step`) under `choice`, indices clamped to the tensor's sizes.
// `fill` is what masked_fill wrote (Trace::fill), left out of the range of the "masked" step.
StepSlice make_step_slice(const TraceStep& step, const Tensor& t, float fill, const SliceChoice& choice,
                          int max_side = kMaxSliceSide);

}  // namespace attn
