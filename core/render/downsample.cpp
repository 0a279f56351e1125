#include "render/downsample.h"

#include "errors.h"

#include <algorithm>
#include <string>

namespace attn {

namespace {

// Output bin of every input index, n inputs into m bins: bin i covers [i * n / m, (i + 1) * n / m).
std::vector<int64_t> bins_of(int64_t n, int64_t m) {
    std::vector<int64_t> bin(static_cast<size_t>(n));
    for (int64_t i = 0; i < m; ++i)
        for (int64_t k = i * n / m; k < (i + 1) * n / m; ++k)
            bin[static_cast<size_t>(k)] = i;
    return bin;
}

// Cells each output bin stands for: the sum of its inputs' weights (1 each when none are given).
std::vector<int64_t> cells_of(const std::vector<int64_t>& bin, int64_t m, const std::vector<int64_t>& weights) {
    std::vector<int64_t> cells(static_cast<size_t>(m), 0);
    for (size_t k = 0; k < bin.size(); ++k)
        cells[static_cast<size_t>(bin[k])] += weights.empty() ? 1 : weights[k];
    return cells;
}

}  // namespace

Downsampled area_mean(const float* values, int64_t rows, int64_t cols, int64_t out_rows, int64_t out_cols,
                      const std::vector<int64_t>& row_cells, const std::vector<int64_t>& col_cells) {
    const std::string sizes = "[" + std::to_string(rows) + ", " + std::to_string(cols) + "] -> [" +
                              std::to_string(out_rows) + ", " + std::to_string(out_cols) + "]";
    if (values == nullptr || rows < 1 || cols < 1 || out_rows < 1 || out_cols < 1 || out_rows > rows || out_cols > cols)
        throw ConfigError("area_mean " + sizes + ": the output must be 1 x 1 to the input's size");
    if ((!row_cells.empty() && static_cast<int64_t>(row_cells.size()) != rows) ||
        (!col_cells.empty() && static_cast<int64_t>(col_cells.size()) != cols))
        throw ConfigError("area_mean " + sizes + ": one weight per input row and column, got " +
                          std::to_string(row_cells.size()) + " and " + std::to_string(col_cells.size()));

    Downsampled out;
    out.rows = out_rows;
    out.cols = out_cols;
    out.values.resize(static_cast<size_t>(out_rows * out_cols));
    const std::vector<int64_t> row_bin = bins_of(rows, out_rows), col_bin = bins_of(cols, out_cols);
    out.row_cells = cells_of(row_bin, out_rows, row_cells);
    out.col_cells = cells_of(col_bin, out_cols, col_cells);

    // One output row at a time: its input rows are contiguous, and their sums scatter into
    // out_cols accumulators (double: a bin of a 10,000-token matrix adds up hundreds of weights).
    std::vector<double> sum(static_cast<size_t>(out_cols));
    for (int64_t i = 0; i < out_rows; ++i) {
        std::fill(sum.begin(), sum.end(), 0.0);
        for (int64_t r = i * rows / out_rows; r < (i + 1) * rows / out_rows; ++r) {
            const float* row = values + r * cols;
            const double row_weight = row_cells.empty() ? 1.0 : static_cast<double>(row_cells[static_cast<size_t>(r)]);
            if (col_cells.empty()) {
                for (int64_t c = 0; c < cols; ++c)
                    sum[static_cast<size_t>(col_bin[static_cast<size_t>(c)])] += row_weight * row[c];
            } else {
                for (int64_t c = 0; c < cols; ++c)
                    sum[static_cast<size_t>(col_bin[static_cast<size_t>(c)])] +=
                        row_weight * static_cast<double>(col_cells[static_cast<size_t>(c)]) * row[c];
            }
        }
        const double row_total = static_cast<double>(out.row_cells[static_cast<size_t>(i)]);
        for (int64_t j = 0; j < out_cols; ++j)
            out.values[static_cast<size_t>(i * out_cols + j)] = static_cast<float>(
                sum[static_cast<size_t>(j)] / (row_total * static_cast<double>(out.col_cells[static_cast<size_t>(j)])));
    }
    return out;
}

}  // namespace attn
