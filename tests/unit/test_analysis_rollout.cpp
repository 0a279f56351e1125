// core/analysis/head_fusion.h and rollout.h: invariants that hold for any attention. The values
// themselves are checked against numpy in tests/torch/analysis_reference.py.
#include "analysis/head_fusion.h"
#include "analysis/rollout.h"
#include "test_analysis_support.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace attn;
using namespace attn::test;

namespace {

TokenLayout layout_with_mask(const Tensor& mask) {
    TokenLayout layout;
    layout.attention_mask = mask;
    return layout;
}

}  // namespace

TEST(AnalysisFusion, OneHeadIsTheHeadItself) {
    const Tensor a = random_attention(2, 1, 5, 7, nullptr, 1);
    for (HeadFusion f : {HeadFusion::Mean, HeadFusion::Max, HeadFusion::Min}) {
        const Tensor fused = fuse_heads(a, f);
        EXPECT_EQ(fused.shape, (Shape{2, 5, 7}));
        EXPECT_EQ(std::memcmp(fused.ptr(), a.ptr(), a.data.size() * sizeof(float)), 0) << head_fusion_name(f);
    }
}

TEST(AnalysisFusion, MaxAtLeastMeanAtLeastMin) {
    const Tensor a = random_attention(3, 12, 9, 9, nullptr, 2);
    const Tensor mean = fuse_heads(a, HeadFusion::Mean), mx = fuse_heads(a, HeadFusion::Max),
                 mn = fuse_heads(a, HeadFusion::Min);
    for (size_t c = 0; c < mean.data.size(); ++c) {
        EXPECT_GE(mx.data[c], mean.data[c]);
        EXPECT_GE(mean.data[c], mn.data[c]);
    }
}

// The app's and the CLI's mean maps must agree bit for bit with the map export, which starts from
// 0 and adds each head's weight / H in head order (core/export/map_set.cpp). A sum divided once by
// H would differ in the last bit of some cells.
TEST(AnalysisFusion, MeanIsSummedInHeadOrderAsTheExportDoes) {
    const int64_t b = 2, H = 7, L = 11;
    const Tensor a = random_attention(b, H, L, L, nullptr, 3);
    const Tensor mean = fuse_heads(a, HeadFusion::Mean);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t c = 0; c < L * L; ++c) {
            float expected = 0.0f;
            for (int64_t h = 0; h < H; ++h)
                expected += a.data[static_cast<size_t>((i * H + h) * L * L + c)] / static_cast<float>(H);
            ASSERT_EQ(mean.data[static_cast<size_t>(i * L * L + c)], expected);
        }
}

TEST(AnalysisFusion, RefusesAnythingButFloatsOfRankThreeOrFour) {
    expect_shape_error([] { fuse_heads(Tensor({3, 4}), HeadFusion::Mean); }, {"attn", "[3, 4]", "rank 4"});
    expect_shape_error(
        [] {
            fuse_heads(Tensor({1, 1, 2, 2}, 0.0f, DType::Int64), HeadFusion::Max);
        },
        {"attn", "float"});
}

TEST(AnalysisRollout, RowsSumToOneAndPaddingIsZero) {
    const int64_t L = 10;
    const std::vector<int64_t> lengths = {10, 6, 1};
    const Tensor mask = mask_of_lengths(lengths, L);
    const auto layers = random_layers(4, 3, 5, L, &mask, 10);
    const std::vector<Tensor> by_layer = rollout_by_layer(layers, layout_with_mask(mask));
    ASSERT_EQ(by_layer.size(), 4u);
    for (const Tensor& r : by_layer) {
        ASSERT_EQ(r.shape, (Shape{3, L, L}));
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t q = 0; q < L; ++q) {
                double sum = 0;
                for (int64_t k = 0; k < L; ++k) {
                    const float v = r.data[static_cast<size_t>((i * L + q) * L + k)];
                    if (q >= lengths[i] || k >= lengths[i]) {
                        ASSERT_EQ(v, 0.0f) << "item " << i << " [" << q << ", " << k << "]";
                    } else {
                        EXPECT_GE(v, 0.0f);
                    }
                    sum += v;
                }
                if (q < lengths[i]) {
                    EXPECT_NEAR(sum, 1.0, 1e-6);
                }
            }
    }
}

TEST(AnalysisRollout, OneLayerIsHalfAttentionHalfIdentity) {
    const Tensor a = random_attention(1, 3, 6, 6, nullptr, 20);
    const Tensor r = rollout({std::make_shared<Tensor>(a)}, TokenLayout{});
    for (int64_t q = 0; q < 6; ++q)
        for (int64_t k = 0; k < 6; ++k) {
            double mean = 0;
            for (int64_t h = 0; h < 3; ++h)
                mean += a.data[static_cast<size_t>((h * 6 + q) * 6 + k)] / 3.0;
            // Rows of a softmax sum to 1, so 0.5·A + 0.5·I already sums to 1: no renormalisation shows.
            EXPECT_NEAR(r.data[static_cast<size_t>(q * 6 + k)], 0.5 * mean + (q == k ? 0.5 : 0.0), 1e-7);
        }
}

TEST(AnalysisRollout, IdentityAttentionRollsOutToIdentity) {
    Tensor eye({1, 2, 4, 4});
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t q = 0; q < 4; ++q)
            eye.data[static_cast<size_t>((h * 4 + q) * 4 + q)] = 1.0f;
    const auto layer = std::make_shared<Tensor>(eye);
    const Tensor r = rollout({layer, layer, layer}, TokenLayout{});
    for (int64_t q = 0; q < 4; ++q)
        for (int64_t k = 0; k < 4; ++k)
            EXPECT_EQ(r.data[static_cast<size_t>(q * 4 + k)], q == k ? 1.0f : 0.0f);
}

TEST(AnalysisRollout, UpToALayerIsThatLayerOfTheStack) {
    const Tensor mask = mask_of_lengths({7, 4}, 7);
    const auto layers = random_layers(5, 2, 4, 7, &mask, 30);
    const std::vector<Tensor> by_layer = rollout_by_layer(layers, layout_with_mask(mask));
    for (int64_t l = 0; l < 5; ++l) {
        const Tensor up_to = rollout(layers, layout_with_mask(mask), l);
        EXPECT_EQ(std::memcmp(up_to.ptr(), by_layer[static_cast<size_t>(l)].ptr(), up_to.data.size() * sizeof(float)),
                  0);
    }
    const Tensor whole = rollout(layers, layout_with_mask(mask));
    EXPECT_EQ(std::memcmp(whole.ptr(), by_layer.back().ptr(), whole.data.size() * sizeof(float)), 0);
}

// What the padding holds must not matter: the padded rows are garbage and the padded keys of a
// real model get 0, so changing both leaves the rollout as it is.
TEST(AnalysisRollout, PaddingDoesNotLeakIn) {
    const int64_t L = 8;
    const Tensor mask = mask_of_lengths({5}, L);
    Tensor a = random_attention(1, 2, L, L, &mask, 40);
    const Tensor before = rollout({std::make_shared<Tensor>(a)}, layout_with_mask(mask));
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t q = 0; q < L; ++q)
            for (int64_t k = 0; k < L; ++k)
                if (q >= 5 || k >= 5) a.data[static_cast<size_t>((h * L + q) * L + k)] = 0.7f;
    const Tensor after = rollout({std::make_shared<Tensor>(a)}, layout_with_mask(mask));
    EXPECT_EQ(std::memcmp(before.ptr(), after.ptr(), before.data.size() * sizeof(float)), 0);
}

TEST(AnalysisRollout, AFullyPaddedItemIsAllZero) {
    const Tensor mask = mask_of_lengths({3, 0}, 3);
    const Tensor r = rollout(random_layers(2, 2, 1, 3, &mask, 50), layout_with_mask(mask));
    for (int64_t c = 0; c < 9; ++c)
        EXPECT_EQ(r.data[static_cast<size_t>(9 + c)], 0.0f);
}

TEST(AnalysisRollout, BertBaseDepthKeepsRowSumsWithin1e6) {
    const int64_t L = 128;
    const Tensor mask = mask_of_lengths({128, 77, 5}, L);
    const Tensor r = rollout(random_layers(12, 3, 12, L, &mask, 60), layout_with_mask(mask));
    const std::vector<int64_t> lengths = {128, 77, 5};
    double worst = 0;
    for (int64_t i = 0; i < 3; ++i)
        for (int64_t q = 0; q < lengths[i]; ++q) {
            double sum = 0;
            for (int64_t k = 0; k < L; ++k)
                sum += r.data[static_cast<size_t>((i * L + q) * L + k)];
            worst = std::max(worst, std::abs(sum - 1.0));
        }
    EXPECT_LT(worst, 1e-6);
}

TEST(AnalysisRollout, RefusesWhatItCannotRollOut) {
    const auto cross = std::make_shared<Tensor>(random_attention(1, 2, 4, 6, nullptr, 70));
    expect_shape_error([&] { rollout({cross}, TokenLayout{}); }, {"self-attention", "[1, 2, 4, 6]"});
    const auto a = std::make_shared<Tensor>(random_attention(1, 2, 4, 4, nullptr, 71));
    const auto b = std::make_shared<Tensor>(random_attention(1, 3, 4, 4, nullptr, 72));
    expect_shape_error([&] { rollout({a, b}, TokenLayout{}); }, {"layer 1 attn", "[1, 3, 4, 4]", "[1, 2, 4, 4]"});
    expect_shape_error([&] { rollout({a, a}, TokenLayout{}, 2); }, {"layer 2", "layers 0 to 1"});
    expect_shape_error([&] { rollout({}, TokenLayout{}); }, {"no layers"});
    expect_shape_error([&] { rollout({a, nullptr}, TokenLayout{}); }, {"layer 1 attn", "missing"});
    expect_shape_error(
        [&] {
            rollout({a}, layout_with_mask(mask_of_lengths({4, 4}, 4)));
        },
        {"attention_mask", "[2, 4]", "[1, 2, 4, 4]", "[1, 4]"});
    expect_shape_error([&] { rollout({a}, layout_with_mask(mask_of_lengths({3}, 5))); },
                       {"attention_mask", "[1, 5]", "[1, 4]"});
    Tensor pad_mask({1, 4}, 0.0f, DType::Bool);
    expect_shape_error([&] { rollout({a}, layout_with_mask(pad_mask)); }, {"attention_mask", "bool", "1 = token"});
    Tensor two = mask_of_lengths({4}, 4);
    two.data[2] = 2.0f;
    expect_shape_error([&] { rollout({a}, layout_with_mask(two)); }, {"attention_mask", "[0, 2]"});
}

// The seed's single-head modules give [b, Lq, Lk]: read as one head, with their Bool pad_mask.
TEST(AnalysisRollout, TheSeedsOneHeadModulesReadAsOneHead) {
    Tensor pad_mask({2, 5}, 0.0f, DType::Bool);
    pad_mask.data[9] = pad_mask.data[8] = 1.0f;  // item 1: the last two keys are padding
    const TokenLayout layout = token_layout_from_pad_mask(pad_mask);
    ASSERT_TRUE(layout.attention_mask);
    EXPECT_EQ(layout.attention_mask->dtype, DType::Int64);
    const Tensor four = random_attention(2, 1, 5, 5, &*layout.attention_mask, 90);
    Tensor three = four;
    three.shape = {2, 5, 5};
    const Tensor r4 = rollout({std::make_shared<Tensor>(four)}, layout);
    const Tensor r3 = rollout({std::make_shared<Tensor>(three)}, layout);
    EXPECT_EQ(r3.shape, (Shape{2, 5, 5}));
    EXPECT_EQ(std::memcmp(r3.ptr(), r4.ptr(), r4.data.size() * sizeof(float)), 0);
    const Tensor f3 = fuse_heads(three, HeadFusion::Max);
    EXPECT_EQ(std::memcmp(f3.ptr(), three.ptr(), three.data.size() * sizeof(float)), 0);
    // The seed's cross module, [b, h*w, seq]: fusion works, rollout refuses.
    const Tensor cross = random_attention(2, 1, 6, 5, nullptr, 91);
    Tensor cross3 = cross;
    cross3.shape = {2, 6, 5};
    EXPECT_EQ(fuse_heads(cross3, HeadFusion::Mean).shape, (Shape{2, 6, 5}));
    expect_shape_error([&] { rollout({std::make_shared<Tensor>(cross3)}, layout); },
                       {"self-attention", "6 queries and 5 keys"});
    expect_shape_error([] { token_layout_from_pad_mask(Tensor({2, 5})); }, {"pad_mask", "Bool"});
}
