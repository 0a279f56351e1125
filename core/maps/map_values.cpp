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

}  // namespace attn
