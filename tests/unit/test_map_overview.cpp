// render/downsample (area means) and render/map_overview (the walk over att_weights that the GUI's
// worker makes with each pass): the means against sums written out by hand, and the overview
// against area_mean and a plain min / max.
#include "errors.h"
#include "model/forward.h"
#include "render/downsample.h"
#include "render/map_overview.h"

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

// A pass as far as make_map_overview reads it: the module, pad_mask and att_weights.
struct FakePass {
    Scene scene;
    Trace trace;
};

// `edit`, when given, changes some weights before the trace holds them.
FakePass matrices(ModuleKind kind, const Shape& shape, const std::function<void(Tensor&)>& edit = {}) {
    FakePass p;
    p.scene.module.kind = kind;
    Tensor attn(shape);
    // Weights in [0, 1) that differ everywhere (a fixed pseudo-random pattern).
    for (size_t i = 0; i < attn.data.size(); ++i)
        attn.data[i] = static_cast<float>((i * 2654435761u) % 1000003u) / 1000003.0f;
    if (edit) edit(attn);
    p.trace.attn_data = std::make_shared<const Tensor>(std::move(attn));
    return p;
}

TEST(MapOverview, SmallMatricesGetTheSharedRangeAndNoPreviews) {
    // a NaN (a fully padded row) is left out of the range
    FakePass p = matrices(ModuleKind::MultiHead, {2, 4, 5, 5}, [](Tensor& a) { a.data[7] = kNaN; });
    const MapOverview o = make_map_overview(p.scene, p.trace);
    float lo = 2.0f, hi = -1.0f;
    for (float v : p.trace.attn().data)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    EXPECT_EQ(o.shared_lo, lo);
    EXPECT_EQ(o.shared_hi, hi);
    EXPECT_TRUE(o.previews.empty());
    EXPECT_EQ(o.preview(0, 0), nullptr);
}

TEST(MapOverview, LargeMatricesGetPreviewsPerHeadAndTheirMean) {
    const int64_t q = 1500, k = 1100;  // a side over kMatrixPreviewSide
    FakePass p = matrices(ModuleKind::MultiHead, {1, 2, q, k});
    const MapOverview o = make_map_overview(p.scene, p.trace);
    ASSERT_EQ(o.previews.size(), 3u);
    for (int h = 0; h < 2; ++h) {
        const Downsampled* preview = o.preview(0, h);
        ASSERT_NE(preview, nullptr);
        const Downsampled direct = area_mean(p.trace.attn().data.data() + h * q * k, q, k, preview->rows, preview->cols);
        EXPECT_EQ(preview->rows, kMatrixPreviewSide);
        EXPECT_EQ(preview->cols, kMatrixPreviewSide);
        EXPECT_EQ(preview->values, direct.values) << "head " << h;
    }
    const Downsampled* mean = o.preview(0, -1);
    ASSERT_NE(mean, nullptr);
    for (size_t i = 0; i < mean->values.size(); i += 997)
        EXPECT_FLOAT_EQ(mean->values[i], o.preview(0, 0)->values[i] / 2.0f + o.preview(0, 1)->values[i] / 2.0f);
    EXPECT_EQ(o.preview(1, 0), nullptr);  // no batch item 1
    EXPECT_EQ(o.preview(0, 2), nullptr);  // no head 2
}

TEST(MapOverview, CrossRangeLeavesOutPaddingKeys) {
    FakePass p = matrices(ModuleKind::Cross, {1, 6, 3}, [](Tensor& a) {  // [b, h*w, seq]
        for (int64_t px = 0; px < 6; ++px)
            a.data[static_cast<size_t>(px * 3 + 2)] = 5.0f;  // key 2: padding, out of range
    });
    Tensor mask({1, 3}, 0.0f, DType::Bool);
    mask.data[2] = 1.0f;
    p.scene.inputs.pad_mask = mask;
    const MapOverview o = make_map_overview(p.scene, p.trace);
    EXPECT_LT(o.shared_hi, 1.0f);
}

TEST(MapOverview, StopsWhenCancelled) {
    FakePass p = matrices(ModuleKind::Self, {1, 8, 8});
    const std::atomic<bool> cancel{true};
    EXPECT_THROW(make_map_overview(p.scene, p.trace, &cancel), Cancelled);
}

TEST(MapOverview, AttentionWeightsOfAnotherLayoutGiveNothing) {
    FakePass p = matrices(ModuleKind::MultiHead, {2, 5, 5});  // multi-head weights have 4 dimensions
    const MapOverview o = make_map_overview(p.scene, p.trace);
    EXPECT_EQ(o.shared_lo, 0.0f);
    EXPECT_EQ(o.shared_hi, 0.0f);
    EXPECT_TRUE(o.previews.empty());
}

}  // namespace
}  // namespace attn
