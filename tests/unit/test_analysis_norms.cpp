// core/analysis/attention_norms.h and sentence_similarity.h: invariants and bad input. The values
// on random tensors are checked against numpy in tests/torch/analysis_reference.py.
#include "analysis/attention_norms.h"
#include "analysis/model_analysis.h"
#include "analysis/sentence_similarity.h"
#include "test_analysis_support.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace attn;
using namespace attn::test;

TEST(AnalysisNorms, UnitValueNormsGiveTheWeights) {
    const Tensor a = random_attention(2, 3, 5, 7, nullptr, 1);
    const Tensor n = attention_norms(a, Tensor({2, 3, 7}, 1.0f));
    EXPECT_EQ(n.shape, a.shape);
    EXPECT_EQ(std::memcmp(n.ptr(), a.ptr(), a.data.size() * sizeof(float)), 0);
}

TEST(AnalysisNorms, OneHeadsAttentionTakesNormsPerKey) {
    Tensor a = random_attention(1, 1, 3, 4, nullptr, 7);
    a.shape = {1, 3, 4};
    const Tensor n = attention_norms(a, Tensor({1, 4}, 2.0f));
    EXPECT_EQ(n.shape, (Shape{1, 3, 4}));
    for (size_t c = 0; c < n.data.size(); ++c)
        EXPECT_EQ(n.data[c], 2.0f * a.data[c]);
    expect_shape_error([&] { attention_norms(a, Tensor({1, 1, 4})); }, {"value_norms", "[1, 1, 4]", "[1, 4]"});
}

TEST(AnalysisNorms, EachKeyIsScaledByItsOwnNorm) {
    const Tensor a = random_attention(1, 2, 3, 4, nullptr, 2);
    Tensor norms({1, 2, 4});
    for (size_t i = 0; i < norms.data.size(); ++i)
        norms.data[i] = static_cast<float>(i + 1);  // head h, key k: 4h + k + 1
    const Tensor n = attention_norms(a, norms);
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t q = 0; q < 3; ++q)
            for (int64_t k = 0; k < 4; ++k) {
                const size_t at = static_cast<size_t>((h * 3 + q) * 4 + k);
                EXPECT_EQ(n.data[at], a.data[at] * static_cast<float>(4 * h + k + 1));
            }
}

// One head: ||α f|| = α ||f||, so the head sum is the per-head norm.
TEST(AnalysisNorms, HeadSumOfOneHeadIsTheHeadsNorm) {
    Random rng(3);
    Tensor vectors({2, 1, 6, 5});
    for (float& v : vectors.data)
        v = rng.normal();
    const Tensor gram = value_gram_of(vectors);
    ASSERT_EQ(gram.shape, (Shape{2, 6, 1, 1}));
    Tensor norms({2, 1, 6});
    for (size_t j = 0; j < norms.data.size(); ++j)
        norms.data[j] = std::sqrt(gram.data[j]);
    const Tensor a = random_attention(2, 1, 4, 6, nullptr, 4);
    const Tensor per_head = attention_norms(a, norms);
    const Tensor summed = attention_norms_head_sum(a, gram);
    ASSERT_EQ(summed.shape, (Shape{2, 4, 6}));
    for (size_t c = 0; c < summed.data.size(); ++c)
        EXPECT_NEAR(summed.data[c], per_head.data[c], 1e-6f * std::max(1.0f, per_head.data[c]));
}

// Heads whose vectors of a token are opposite cancel in the sum: the triangle inequality's
// other end, which per-head norms cannot show.
TEST(AnalysisNorms, OppositeHeadsCancelInTheSum) {
    Tensor vectors({1, 2, 1, 3});
    const float f[3] = {1.0f, 2.0f, -2.0f};
    for (int d = 0; d < 3; ++d) {
        vectors.data[static_cast<size_t>(d)] = f[d];
        vectors.data[static_cast<size_t>(3 + d)] = -f[d];
    }
    Tensor a({1, 2, 1, 1}, 1.0f);  // one query, one key, each head all on it
    EXPECT_NEAR(attention_norms_head_sum(a, value_gram_of(vectors)).data[0], 0.0f, 1e-6f);
    a.data[1] = 0.0f;  // head 1 left out: ||f|| = 3
    EXPECT_NEAR(attention_norms_head_sum(a, value_gram_of(vectors)).data[0], 3.0f, 1e-6f);
}

TEST(AnalysisNorms, BadInputNamesTheTensorAndBothShapes) {
    const Tensor a = random_attention(2, 3, 4, 5, nullptr, 5);
    expect_shape_error(
        [&] {
            attention_norms(a, Tensor({2, 3, 4}));
        },
        {"value_norms", "[2, 3, 4]", "attn [2, 3, 4, 5]", "[2, 3, 5]"});
    expect_shape_error([&] { attention_norms(Tensor({3, 4, 5}), Tensor({3, 4})); }, {"attn", "[3, 4, 5]"});
    expect_shape_error(
        [&] {
            attention_norms_head_sum(a, Tensor({2, 5, 3, 2}));
        },
        {"value_gram", "[2, 5, 3, 2]", "[2, 5, 3, 3]"});
    expect_shape_error([&] { value_gram_of(Tensor({2, 3, 4})); }, {"value_vectors", "[2, 3, 4]"});
}

TEST(AnalysisSimilarity, MeanPoolingLeavesPaddingOut) {
    Random rng(6);
    Tensor hidden({2, 4, 3});
    for (float& v : hidden.data)
        v = rng.normal();
    const Tensor mask = mask_of_lengths({4, 2}, 4);
    const Tensor pooled = mean_pooling(hidden, mask);
    ASSERT_EQ(pooled.shape, (Shape{2, 3}));
    for (int64_t d = 0; d < 3; ++d) {
        const double second =
            (hidden.data[static_cast<size_t>(12 + d)] + hidden.data[static_cast<size_t>(15 + d)]) / 2.0;
        EXPECT_NEAR(pooled.data[static_cast<size_t>(3 + d)], second, 1e-6);
    }
    for (int64_t t = 2; t < 4; ++t)
        for (int64_t d = 0; d < 3; ++d)
            hidden.data[static_cast<size_t>((4 + t) * 3 + d)] = 1e6f;  // the padded tokens of item 1
    const Tensor again = mean_pooling(hidden, mask);
    EXPECT_EQ(std::memcmp(again.ptr() + 3, pooled.ptr() + 3, 3 * sizeof(float)), 0);
    // No real token: zeros, not NaN.
    const Tensor empty = mean_pooling(hidden, mask_of_lengths({0, 0}, 4));
    for (float v : empty.data)
        EXPECT_EQ(v, 0.0f);
}

TEST(AnalysisSimilarity, CosineOfKnownPairs) {
    Tensor e({4, 2});
    const float v[8] = {3, 4, 6, 8, -3, -4, 0, 0};  // same direction, opposite, zero
    std::copy(v, v + 8, e.data.begin());
    const Tensor s = cosine_similarity_matrix(e);
    ASSERT_EQ(s.shape, (Shape{4, 4}));
    EXPECT_NEAR(s.data[0 * 4 + 0], 1.0f, 1e-7f);
    EXPECT_NEAR(s.data[0 * 4 + 1], 1.0f, 1e-7f);
    EXPECT_NEAR(s.data[0 * 4 + 2], -1.0f, 1e-7f);
    EXPECT_EQ(s.data[0 * 4 + 3], 0.0f);
    EXPECT_EQ(s.data[3 * 4 + 3], 0.0f);
    Tensor orthogonal({2, 2});
    orthogonal.data = {1, 0, 0, 5};
    EXPECT_EQ(cosine_similarity_matrix(orthogonal).data[1], 0.0f);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            EXPECT_EQ(s.data[static_cast<size_t>(i * 4 + j)], s.data[static_cast<size_t>(j * 4 + i)]);
}

TEST(AnalysisSimilarity, BadInputNamesTheTensorAndBothShapes) {
    expect_shape_error(
        [] {
            mean_pooling(Tensor({2, 4, 3}), mask_of_lengths({4, 4, 4}, 4));
        },
        {"attention_mask", "[3, 4]", "last_hidden_state [2, 4, 3]", "[2, 4]"});
    expect_shape_error(
        [] {
            mean_pooling(Tensor({2, 4}), mask_of_lengths({4, 4}, 4));
        },
        {"last_hidden_state", "[2, 4]"});
    expect_shape_error(
        [] {
            mean_pooling(Tensor({1, 2, 3}), Tensor({1, 2}, 0.0f, DType::Bool));
        },
        {"attention_mask", "bool"});
    expect_shape_error([] { cosine_similarity_matrix(Tensor({2, 3, 4})); }, {"embeddings", "[2, 3, 4]"});
}

// What a real model's run gives, fed to the aggregations (core/analysis/model_analysis.h).
TEST(AnalysisModelPass, NormsAndEmbeddingsFromARun) {
    ModelPass pass;
    for (int l = 0; l < 2; ++l) {
        LayerPass layer;
        layer.attn = std::make_shared<Tensor>(random_attention(2, 3, 4, 4, nullptr, 80 + static_cast<uint64_t>(l)));
        layer.value_norms = [l] { return Tensor({2, 3, 4}, 2.0f + static_cast<float>(l)); };
        pass.layers.push_back(layer);
    }
    const Tensor norms = model_attention_norms(pass);
    ASSERT_EQ(norms.shape, (Shape{2, 2, 3, 4, 4}));
    const std::vector<TensorPtr> attentions = layer_attentions(pass);
    ASSERT_EQ(attentions.size(), 2u);
    const Tensor stacked = stack_layers(attentions);
    for (size_t c = 0; c < norms.data.size(); ++c)
        EXPECT_EQ(norms.data[c], stacked.data[c] * (c < norms.data.size() / 2 ? 2.0f : 3.0f));

    pass.layers[1].value_norms = nullptr;
    expect_shape_error([&] { model_attention_norms(pass); }, {"layer 1", "value_norms"});

    ModelInputs inputs;
    inputs.attention_mask = mask_of_lengths({3, 1}, 4);
    ModelInfo info;
    info.name = "tiny-bert";
    Tensor hidden({2, 4, 2});
    for (size_t i = 0; i < hidden.data.size(); ++i)
        hidden.data[i] = static_cast<float>(i);
    pass.last_hidden_state = std::make_shared<Tensor>(hidden);
    const Tensor pooled = sentence_embeddings(pass, inputs, info);
    ASSERT_EQ(pooled.shape, (Shape{2, 2}));
    EXPECT_FLOAT_EQ(pooled.data[0], 2.0f);  // mean of 0, 2, 4
    EXPECT_FLOAT_EQ(pooled.data[2], 8.0f);  // item 1's one token
    pass.sentence_embedding = Tensor({2, 512}, 0.5f);
    EXPECT_EQ(sentence_embeddings(pass, inputs, info).shape, (Shape{2, 512}));
    info.takes_text = false;
    EXPECT_THROW(sentence_embeddings(pass, inputs, info), ConfigError);
}
