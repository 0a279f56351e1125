#include "maps/map_values.h"

namespace attn {

const float* MapValues::dense(std::vector<float>& scratch) const {
    if (contiguous()) return data;
    scratch.resize(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            scratch[static_cast<size_t>(r * cols + c)] = at(r, c);
    return scratch.data();
}

MapValues MapValues::of(std::shared_ptr<const std::vector<float>> made, int64_t rows, int64_t cols) {
    MapValues v;
    v.data = made->data();
    v.owned = std::move(made);
    v.rows = rows;
    v.cols = cols;
    v.row_stride = cols;
    return v;
}

}  // namespace attn
