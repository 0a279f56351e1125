// The Pipeline panel's slices of a step's tensor (model/step_slice.h), against an index-by-index
// reading of the same tensor written here: leading dimensions fixed or averaged, h*w folded into
// the picture's grid (either of the last two dimensions), every n-th row and column of long
// sides, the colour range without the masked_fill fill, and indices clamped to the tensor.
#include "model/step_slice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace attn {
namespace {

// A tensor whose every element differs: value = its flat index * 0.5 - 7 (exact in float).
Tensor counting(const Shape& shape) {
    Tensor t(shape);
    for (size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = static_cast<float>(i) * 0.5f - 7.0f;
    return t;
}

TraceStep step_named(const std::string& name, std::vector<std::string> dims, const Shape& sizes,
                     DType dtype = DType::F32) {
    TraceStep s;
    s.name = name;
    s.shape = NamedShape{std::move(dims), sizes};
    s.dtype = dtype;
    return s;
}

// Element [i0, i1, ...] read the long way: offset = sum of index x the product of the sizes after it.
float at(const Tensor& t, const std::vector<int64_t>& idx) {
    int64_t offset = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
        int64_t after = 1;
        for (size_t e = d + 1; e < t.shape.size(); ++e)
            after *= t.shape[e];
        offset += idx[d] * after;
    }
    return t.data[static_cast<size_t>(offset)];
}

TEST(StepSlice, FixesTheBatchItemAndHead) {
    const Tensor t = counting({2, 3, 4, 5});
    const TraceStep s = step_named("scores", {"b", "heads", "seq", "seq"}, t.shape);
    SliceChoice c;
    c.batch = 1;
    c.head = 2;
    const StepSlice sl = make_step_slice(s, t, 0.0f, c);
    ASSERT_EQ(sl.rows, 4);
    ASSERT_EQ(sl.cols, 5);
    EXPECT_EQ(sl.row_dim, 2);
    EXPECT_EQ(sl.col_dim, 3);
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 5; ++k) {
            EXPECT_EQ(sl.values[static_cast<size_t>(r * 5 + k)], at(t, {1, 2, r, k})) << r << "," << k;
            EXPECT_EQ(sl.index_of(r, k), (std::vector<int64_t>{1, 2, r, k}));
        }
    EXPECT_EQ(sl.min, at(t, {1, 2, 0, 0}));
    EXPECT_EQ(sl.max, at(t, {1, 2, 3, 4}));
    EXPECT_EQ(sl.range_lo, sl.min);
    EXPECT_EQ(sl.range_hi, sl.max);
}

TEST(StepSlice, HeadMinusOneIsTheMeanOverHeads) {
    const Tensor t = counting({2, 3, 4, 5});
    const TraceStep s = step_named("softmax", {"b", "heads", "seq", "seq"}, t.shape);
    SliceChoice c;
    c.batch = 0;
    c.head = -1;
    const StepSlice sl = make_step_slice(s, t, 0.0f, c);
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 5; ++k) {
            const double mean = (at(t, {0, 0, r, k}) + at(t, {0, 1, r, k}) + at(t, {0, 2, r, k})) / 3.0;
            EXPECT_NEAR(sl.values[static_cast<size_t>(r * 5 + k)], mean, 1e-5);
        }
    EXPECT_EQ(sl.index_of(1, 2), (std::vector<int64_t>{0, -1, 1, 2}));
}

TEST(StepSlice, OtherLeadingDimensionsByName) {
    const Tensor t = counting({3, 2, 4, 4});
    const TraceStep s = step_named("layer_scores", {"layer", "b", "seq", "seq"}, t.shape);
    SliceChoice c;
    c.batch = 1;
    c.other["layer"] = 2;
    const StepSlice sl = make_step_slice(s, t, 0.0f, c);
    EXPECT_EQ(sl.values[5], at(t, {2, 1, 1, 1}));
    c.other.clear();  // absent: index 0
    EXPECT_EQ(make_step_slice(s, t, 0.0f, c).values[5], at(t, {0, 1, 1, 1}));
}

TEST(StepSlice, IndicesAreClampedToTheTensor) {
    const Tensor t = counting({2, 3, 4, 5});
    const TraceStep s = step_named("scores", {"b", "heads", "seq", "seq"}, t.shape);
    SliceChoice c;
    c.batch = 99;
    c.head = 99;
    const StepSlice sl = make_step_slice(s, t, 0.0f, c);
    EXPECT_EQ(sl.base, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(sl.values[0], at(t, {1, 2, 0, 0}));
}

TEST(StepSlice, HwFoldsIntoThePicturesGrid) {
    // [b, h*w, seq] with a 3 x 4 grid: rows and columns are the grid, at one key.
    const Tensor t = counting({2, 12, 5});
    const TraceStep s = step_named("softmax", {"b", "h*w", "seq"}, t.shape);
    SliceChoice c;
    c.batch = 1;
    c.grid_h = 3;
    c.grid_w = 4;
    EXPECT_EQ(foldable_dimension(s, t, 3, 4), 1);
    EXPECT_EQ(foldable_dimension(s, t, 4, 4), -1);  // 16 is not h*w = 12
    c.fold = true;
    c.fold_index = 3;
    const StepSlice sl = make_step_slice(s, t, 0.0f, c);
    ASSERT_TRUE(sl.folded);
    ASSERT_EQ(sl.rows, 3);
    ASSERT_EQ(sl.cols, 4);
    for (int r = 0; r < 3; ++r)
        for (int w = 0; w < 4; ++w) {
            EXPECT_EQ(sl.values[static_cast<size_t>(r * 4 + w)], at(t, {1, r * 4 + w, 3}));
            EXPECT_EQ(sl.index_of(r, w), (std::vector<int64_t>{1, r * 4 + w, 3}));
        }

    // h*w last ([b, emb, h*w], as proj_in flattened): the grid at one channel.
    const Tensor u = counting({1, 6, 12});
    const TraceStep su = step_named("x", {"b", "c", "h*w"}, u.shape);
    c.batch = 0;
    c.fold_index = 4;
    const StepSlice fu = make_step_slice(su, u, 0.0f, c);
    ASSERT_TRUE(fu.folded);
    EXPECT_EQ(fu.values[static_cast<size_t>(2 * 4 + 1)], at(u, {0, 4, 9}));
    // Not asked to fold: the plain last two dimensions.
    c.fold = false;
    const StepSlice plain = make_step_slice(s, t, 0.0f, c);
    EXPECT_FALSE(plain.folded);
    EXPECT_EQ(plain.rows, 12);
    EXPECT_EQ(plain.cols, 5);
}

TEST(StepSlice, LongSidesShowEveryNthRowAndColumn) {
    const Tensor t = counting({10, 9});
    const TraceStep s = step_named("q", {"seq", "emb"}, t.shape);
    const StepSlice sl = make_step_slice(s, t, 0.0f, SliceChoice{}, /*max_side=*/4);
    EXPECT_EQ(sl.row_stride, 3);  // ceil(10 / 4)
    EXPECT_EQ(sl.col_stride, 3);  // ceil(9 / 4)
    ASSERT_EQ(sl.rows, 4);        // rows 0, 3, 6, 9
    ASSERT_EQ(sl.cols, 3);        // columns 0, 3, 6
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 3; ++k)
            EXPECT_EQ(sl.values[static_cast<size_t>(r * 3 + k)], at(t, {3 * r, 3 * k}));
    EXPECT_EQ(sl.index_of(3, 2), (std::vector<int64_t>{9, 6}));
}

TEST(StepSlice, ARankOneTensorIsOneRow) {
    const Tensor t = counting({7});
    const StepSlice sl = make_step_slice(step_named("bias", {"emb"}, t.shape), t, 0.0f, SliceChoice{});
    EXPECT_EQ(sl.rows, 1);
    EXPECT_EQ(sl.cols, 7);
    EXPECT_EQ(sl.values[6], at(t, {6}));
    EXPECT_EQ(make_step_slice(step_named("none", {}, {}), Tensor(), 0.0f, SliceChoice{}).rows, 0);
}

TEST(StepSlice, TheRangeLeavesOutTheFillAndCountsNaN) {
    Tensor t({1, 2, 3});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    t.data = {0.5f, -1e9f, 2.0f, nan, -3.0f, -1e9f};
    const TraceStep masked = step_named("masked", {"b", "seq", "seq"}, t.shape);
    const StepSlice sl = make_step_slice(masked, t, -1e9f, SliceChoice{});
    EXPECT_EQ(sl.nan_count, 1);
    EXPECT_TRUE(sl.fill_left_out);
    EXPECT_EQ(sl.min, -1e9f);
    EXPECT_EQ(sl.max, 2.0f);
    EXPECT_EQ(sl.range_lo, -3.0f);
    EXPECT_EQ(sl.range_hi, 2.0f);
    // Another step keeps -1e9 in its range: only masked_fill's output leaves it out.
    const StepSlice other =
        make_step_slice(step_named("scores", {"b", "seq", "seq"}, t.shape), t, -1e9f, SliceChoice{});
    EXPECT_FALSE(other.fill_left_out);
    EXPECT_EQ(other.range_lo, -1e9f);

    Tensor b({2, 2});
    b.data = {0, 0, 0, 0};
    b.dtype = DType::Bool;
    const StepSlice bs = make_step_slice(step_named("pad_mask", {"b", "seq"}, b.shape, DType::Bool), b, 0.0f, {});
    EXPECT_EQ(bs.range_lo, 0.0f);  // False .. True, whatever the values
    EXPECT_EQ(bs.range_hi, 1.0f);

    Tensor all_nan({1, 2});
    all_nan.data = {nan, nan};
    const StepSlice ns = make_step_slice(step_named("softmax", {"seq", "seq"}, all_nan.shape), all_nan, 0.0f, {});
    EXPECT_FALSE(ns.has_finite);
    EXPECT_EQ(ns.nan_count, 2);
}

TEST(StepSlice, ChoicesCompareByValue) {
    SliceChoice a, b;
    EXPECT_EQ(a, b);
    b.other["layer"] = 1;
    EXPECT_NE(a, b);
    b = a;
    b.fold = true;
    EXPECT_NE(a, b);
}

}  // namespace
}  // namespace attn
