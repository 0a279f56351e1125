// Area-averaged downsampling of a [rows, cols] array: how a matrix larger than the pixels it gets
// (a 10,000-token attention matrix in a 600 px panel) is drawn without lying about it. Each output
// cell is the mean of the input cells it covers, so a one-token diagonal keeps its weight, where
// nearest sampling would keep one cell in 17 and drop the rest.
#pragma once

#include <cstdint>
#include <vector>

namespace attn {

struct Downsampled {
    int64_t rows = 0, cols = 0;
    std::vector<float> values;  // [rows, cols], row-major
    // How many cells of the original array each output row / column stands for. Passed back into
    // area_mean, they make a second reduction exact: the mean of the original cells, not a mean of
    // means of different sizes.
    std::vector<int64_t> row_cells, col_cells;
};

// values [rows, cols] -> [out_rows, out_cols]. Output row i covers input rows
// [i * rows / out_rows, (i + 1) * rows / out_rows) (integer division): every output row covers at
// least one input row and their sizes differ by at most one; columns likewise. Each output value
// is the mean of its input cells, cell (r, c) weighted by row_cells[r] * col_cells[c] (empty: 1).
// NaN and infinities go into the sum as they are, so a NaN anywhere in a bin makes it NaN: a
// NaN is never averaged away. ConfigError unless 1 <= out_rows <= rows, 1 <= out_cols <= cols and
// the weights, when given, have rows / cols entries.
Downsampled area_mean(const float* values, int64_t rows, int64_t cols, int64_t out_rows, int64_t out_cols,
                      const std::vector<int64_t>& row_cells = {}, const std::vector<int64_t>& col_cells = {});

}  // namespace attn
