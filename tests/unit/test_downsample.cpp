// render/downsample (area means): the means against sums written out by hand.
#include "errors.h"
#include "model/forward.h"
#include "render/downsample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

namespace attn {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> counting(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0.0f);
    return v;
}

TEST(AreaMean, EvenBinsAreMeansOfTheirCells) {
    const std::vector<float> v = counting(4 * 6);  // [4, 6]: v[r, c] = 6r + c
    const Downsampled d = area_mean(v.data(), 4, 6, 2, 3);
    ASSERT_EQ(d.rows, 2);
    ASSERT_EQ(d.cols, 3);
    // Bin (0, 0) holds rows 0-1, cols 0-1: (0 + 1 + 6 + 7) / 4.
    EXPECT_FLOAT_EQ(d.values[0], 3.5f);
    EXPECT_FLOAT_EQ(d.values[2], (4 + 5 + 10 + 11) / 4.0f);
    EXPECT_FLOAT_EQ(d.values[5], (16 + 17 + 22 + 23) / 4.0f);
    EXPECT_EQ(d.row_cells, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(d.col_cells, (std::vector<int64_t>{2, 2, 2}));
}

TEST(AreaMean, UnevenBinsDifferByAtMostOne) {
    const std::vector<float> v = {1, 2, 3, 4, 5};  // [1, 5] -> [1, 2]: bins [0, 2) and [2, 5)
    const Downsampled d = area_mean(v.data(), 1, 5, 1, 2);
    EXPECT_EQ(d.col_cells, (std::vector<int64_t>{2, 3}));
    EXPECT_FLOAT_EQ(d.values[0], 1.5f);
    EXPECT_FLOAT_EQ(d.values[1], 4.0f);
}

TEST(AreaMean, SecondReductionWeighsByCellsNotByBins) {
    // Means of 2 and 3 cells reduced again: the mean of the 5 cells (3), not of the 2 means (2.75).
    const std::vector<float> v = {1, 2, 3, 4, 5};
    const Downsampled once = area_mean(v.data(), 1, 5, 1, 2);
    const Downsampled twice = area_mean(once.values.data(), 1, 2, 1, 1, once.row_cells, once.col_cells);
    EXPECT_FLOAT_EQ(twice.values[0], 3.0f);
    EXPECT_EQ(twice.col_cells, (std::vector<int64_t>{5}));
}

TEST(AreaMean, KeepsTheTotalOfAThinDiagonal) {
    // A one-cell diagonal of 1000 x 1000 in 64 x 64: nearest sampling would keep 64 of its cells;
    // the means keep all its weight.
    const int64_t n = 1000, m = 64;
    std::vector<float> v(static_cast<size_t>(n * n), 0.0f);
    for (int64_t i = 0; i < n; ++i)
        v[static_cast<size_t>(i * n + i)] = 1.0f;
    const Downsampled d = area_mean(v.data(), n, n, m, m);
    double total = 0.0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < m; ++j)
            total += static_cast<double>(d.values[static_cast<size_t>(i * m + j)]) *
                     static_cast<double>(d.row_cells[static_cast<size_t>(i)] * d.col_cells[static_cast<size_t>(j)]);
    EXPECT_NEAR(total, 1000.0, 1e-3);
    for (int64_t i = 0; i < m; ++i)
        EXPECT_GT(d.values[static_cast<size_t>(i * m + i)], 0.0f) << "diagonal bin " << i;
}

TEST(AreaMean, NanIsNeverAveragedAway) {
    std::vector<float> v = counting(4 * 4);
    v[5] = kNaN;  // row 1, col 1: bin (0, 0) of 2 x 2
    const Downsampled d = area_mean(v.data(), 4, 4, 2, 2);
    EXPECT_TRUE(std::isnan(d.values[0]));
    EXPECT_FALSE(std::isnan(d.values[1]));
    EXPECT_FALSE(std::isnan(d.values[3]));
}

TEST(AreaMean, RefusesSizesItCannotMake) {
    const std::vector<float> v = counting(6);
    EXPECT_THROW(area_mean(v.data(), 2, 3, 3, 3), ConfigError);  // more rows out than in
    EXPECT_THROW(area_mean(v.data(), 2, 3, 0, 1), ConfigError);
    EXPECT_THROW(area_mean(v.data(), 2, 3, 1, 1, {1}), ConfigError);  // one weight for two rows
    EXPECT_THROW(area_mean(nullptr, 2, 3, 1, 1), ConfigError);
}

}  // namespace
}  // namespace attn
