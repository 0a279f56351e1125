// core/analysis/head_stats.h and head_stats_table.h: each statistic on matrices whose answer is
// known by construction, the table's JSON, CSV, sorting and filters, and bad input. The values on
// random attention are checked against numpy in tests/torch/analysis_reference.py.
#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "analysis/rollout.h"
#include "test_analysis_support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

using namespace attn;
using namespace attn::test;

namespace {

// [1, H, L, L] where head h is given by `fill(h, q, k)`.
Tensor attention_of(int64_t H, int64_t L, const std::function<float(int64_t, int64_t, int64_t)>& fill) {
    Tensor t({1, H, L, L});
    for (int64_t h = 0; h < H; ++h)
        for (int64_t q = 0; q < L; ++q)
            for (int64_t k = 0; k < L; ++k)
                t.data[static_cast<size_t>((h * L + q) * L + k)] = fill(h, q, k);
    return t;
}

std::vector<std::vector<std::string>> labels(std::vector<std::string> one) {
    return {std::move(one)};
}

}  // namespace

// Every row puts all on i-1, except row 0, which has no previous token and looks at token 1.
TEST(AnalysisHeadStats, APurePreviousTokenHead) {
    const int64_t L = 6;
    const Tensor a =
        attention_of(1, L, [](int64_t, int64_t q, int64_t k) { return (q == 0 ? k == 1 : k == q - 1) ? 1.0f : 0.0f; });
    const HeadStats s = layer_head_stats(a, TokenLayout{}).at(0);
    EXPECT_EQ(s.rows, L);
    EXPECT_DOUBLE_EQ(s.previous_share, 1.0);  // over rows 1..5, the ones with a previous token
    EXPECT_DOUBLE_EQ(s.mean_distance, 1.0);
    EXPECT_NEAR(s.next_share, 1.0 / (L - 1), 1e-12);  // row 0 of rows 0..4
    EXPECT_DOUBLE_EQ(s.self_share, 0.0);
    EXPECT_DOUBLE_EQ(s.entropy, 0.0);
    EXPECT_DOUBLE_EQ(s.max_weight, 1.0);
}

TEST(AnalysisHeadStats, PreviousShareAndDistanceAreOneOverTheRowsThatHaveAPreviousToken) {
    const int64_t L = 5;
    // Rows 1.. look at i-1; row 0 spreads evenly, which previous share leaves out.
    const Tensor a = attention_of(
        1, L, [&](int64_t, int64_t q, int64_t k) { return q == 0 ? 1.0f / L : (k == q - 1 ? 1.0f : 0.0f); });
    const HeadStats s = layer_head_stats(a, TokenLayout{}).at(0);
    EXPECT_DOUBLE_EQ(s.previous_share, 1.0);
    // Row 0's distance: (0 + 1 + 2 + 3 + 4) / 5 = 2; the others 1.
    EXPECT_NEAR(s.mean_distance, (2.0 + 4 * 1.0) / L, 1e-7);
}

TEST(AnalysisHeadStats, AUniformHeadHasEntropyLogN) {
    const int64_t L = 9;
    const Tensor mask = mask_of_lengths({9, 4}, L);
    TokenLayout layout;
    layout.attention_mask = mask;
    const Tensor a = random_attention(2, 1, L, L, &mask, 5, 0.0f);  // temperature 0: uniform over the real keys
    const HeadStats both = layer_head_stats(a, layout).at(0);
    EXPECT_EQ(both.rows, 9 + 4);
    EXPECT_NEAR(both.entropy, (9 * std::log(9.0) + 4 * std::log(4.0)) / 13, 1e-6);
    EXPECT_NEAR(both.entropy_normalised, 1.0, 1e-6);
    EXPECT_NEAR(both.max_weight, (9 / 9.0 + 4 / 4.0) / 13, 1e-7);
    const HeadStats second = layer_head_stats(a, layout, 0, 1).at(0);
    EXPECT_EQ(second.rows, 4);
    EXPECT_NEAR(second.entropy, std::log(4.0), 1e-6);
    EXPECT_NEAR(second.self_share, 0.25, 1e-7);
    // Mean |i - j| of 4 tokens, each row uniform: (1.5 + 1 + 1 + 1.5) / 4.
    EXPECT_NEAR(second.mean_distance, 1.25, 1e-6);
}

TEST(AnalysisHeadStats, SharesOnClsAndSep) {
    const int64_t L = 4;
    TokenLayout layout;
    layout.tokens = labels({"[CLS]", "cat", "sat", "[SEP]"});
    // Head 0 puts 0.7 on [CLS], 0.1 on each other key; head 1 all on [SEP].
    const Tensor a = attention_of(2, L, [](int64_t h, int64_t, int64_t k) {
        if (h == 0) return k == 0 ? 0.7f : 0.1f;
        return k == 3 ? 1.0f : 0.0f;
    });
    const std::vector<HeadStats> s = layer_head_stats(a, layout);
    EXPECT_NEAR(s[0].cls_share, 0.7, 1e-7);
    EXPECT_NEAR(s[0].sep_share, 0.1, 1e-7);
    EXPECT_NEAR(s[1].cls_share, 0.0, 1e-7);
    EXPECT_NEAR(s[1].sep_share, 1.0, 1e-7);
    // No labels at all: the shares are absent, not 0.
    const HeadStats none = layer_head_stats(a, TokenLayout{}).at(0);
    EXPECT_TRUE(std::isnan(none.cls_share));
    EXPECT_TRUE(std::isnan(none.sep_share));
}

TEST(AnalysisHeadStats, CrossAttentionHasNoPositionStatistics) {
    const Tensor a = random_attention(2, 3, 5, 8, nullptr, 6);
    for (const HeadStats& s : layer_head_stats(a, TokenLayout{})) {
        EXPECT_EQ(s.rows, 10);
        EXPECT_TRUE(std::isnan(s.previous_share));
        EXPECT_TRUE(std::isnan(s.next_share));
        EXPECT_TRUE(std::isnan(s.self_share));
        EXPECT_TRUE(std::isnan(s.mean_distance));
        EXPECT_GT(s.entropy, 0.0);
        EXPECT_LE(s.entropy, std::log(8.0) + 1e-6);
    }
}

// A 1 x 2 grid after [CLS]: each patch is 1 patch away from the other and 0 from itself. Half of
// every row on [CLS] must not count: the patch weights (0.25, 0.25) renormalise to (0.5, 0.5).
TEST(AnalysisHeadStats, PatchDistanceIsOnTheGridWithThePrefixLeftOut) {
    TokenLayout layout;
    layout.patch_rows = 1;
    layout.patch_cols = 2;
    layout.prefix_tokens = 1;
    const Tensor a = attention_of(1, 3, [](int64_t, int64_t, int64_t k) { return k == 0 ? 0.5f : 0.25f; });
    EXPECT_NEAR(layer_head_stats(a, layout).at(0).mean_distance, 0.5, 1e-7);
    // 2 x 2 grid, no prefix, every patch on the opposite corner: distance √2.
    layout.patch_rows = 2;
    layout.prefix_tokens = 0;
    const Tensor corner = attention_of(1, 4, [](int64_t, int64_t q, int64_t k) { return k == 3 - q ? 1.0f : 0.0f; });
    EXPECT_NEAR(layer_head_stats(corner, layout).at(0).mean_distance, std::sqrt(2.0), 1e-6);
    const HeadStatsTable table = compute_head_stats({std::make_shared<Tensor>(corner)}, layout);
    EXPECT_TRUE(table.patches);
    EXPECT_EQ(head_stats_json(table)["distance_unit"], "patches");
}

TEST(AnalysisHeadStats, OneItemOfABatchIsThatItemAlone) {
    const Tensor mask = mask_of_lengths({7, 5, 2}, 7);
    const auto layers = random_layers(2, 3, 4, 7, &mask, 7);
    TokenLayout layout;
    layout.attention_mask = mask;
    const HeadStatsTable item = compute_head_stats(layers, layout, 1);
    // Item 1 alone, as a batch of one.
    std::vector<TensorPtr> alone;
    for (const TensorPtr& l : layers) {
        auto t = std::make_shared<Tensor>(Shape{1, 4, 7, 7});
        std::copy(l->data.begin() + 4 * 49, l->data.begin() + 8 * 49, t->data.begin());
        alone.push_back(t);
    }
    TokenLayout one;
    one.attention_mask = mask_of_lengths({5}, 7);
    const HeadStatsTable ref = compute_head_stats(alone, one);
    ASSERT_EQ(item.rows.size(), ref.rows.size());
    for (size_t r = 0; r < ref.rows.size(); ++r) {
        EXPECT_EQ(item.rows[r].rows, 5);
        for (int s = 0; s < kHeadStatCount; ++s) {
            const double got = item.rows[r].value(static_cast<HeadStat>(s)),
                         want = ref.rows[r].value(static_cast<HeadStat>(s));
            if (std::isnan(want)) {
                EXPECT_TRUE(std::isnan(got));
            } else {
                EXPECT_EQ(got, want);
            }
        }
    }
}

TEST(AnalysisHeadTable, JsonCsvAndDefinitions) {
    TokenLayout layout;
    layout.tokens = labels({"[CLS]", "a", "b"});  // no [SEP]: its share is absent
    const auto layers = random_layers(2, 1, 2, 3, nullptr, 8);
    const HeadStatsTable table = compute_head_stats(layers, layout);
    const nlohmann::json j = head_stats_json(table);
    EXPECT_EQ(j["layers"], 2);
    EXPECT_EQ(j["heads"], 2);
    ASSERT_EQ(j["head_stats"].size(), 4u);
    EXPECT_EQ(j["head_stats"][3]["layer"], 1);
    EXPECT_EQ(j["head_stats"][3]["head"], 1);
    EXPECT_TRUE(j["head_stats"][0]["sep_share"].is_null());
    EXPECT_TRUE(j["head_stats"][0]["cls_share"].is_number());
    EXPECT_EQ(j["head_stats"][0]["query_rows"], 3);
    for (const HeadStatDefinition& d : head_stat_definitions()) {
        ASSERT_TRUE(j["definitions"].contains(d.key)) << d.key;
        EXPECT_EQ(d.definition.find('\n'), std::string::npos);  // one line: a tooltip
        EXPECT_EQ(head_stat_from_name(d.key), d.stat);
        EXPECT_EQ(head_stat_from_name(d.label), d.stat);
    }
    EXPECT_EQ(j["distance_unit"], "tokens");

    const std::string csv = head_stats_csv(table);
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "layer,head,entropy,entropy_normalised,cls_share,sep_share,previous_share,next_share,self_share,"
              "mean_distance,max_weight,query_rows");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
    EXPECT_NE(csv.find(",,"), std::string::npos);  // the absent [SEP] share is an empty field
}

TEST(AnalysisHeadTable, SortAndFilterFindThePreviousTokenHead) {
    const int64_t L = 6;
    // Head 2 is a previous-token head; the others are random.
    Tensor a = random_attention(1, 4, L, L, nullptr, 9);
    for (int64_t q = 0; q < L; ++q)
        for (int64_t k = 0; k < L; ++k)
            a.data[static_cast<size_t>((2 * L + q) * L + k)] = (q == 0 ? k == 0 : k == q - 1) ? 1.0f : 0.0f;
    TokenLayout layout;
    const HeadStatsTable table = compute_head_stats(
        {std::make_shared<Tensor>(random_attention(1, 4, L, L, nullptr, 10)), std::make_shared<Tensor>(a)}, layout);
    const std::vector<size_t> order = sort_heads(table, HeadStat::PreviousShare);
    EXPECT_EQ(order.front(), 4u + 2u);  // layer 1, head 2
    for (size_t i = 1; i < order.size(); ++i)
        EXPECT_GE(table.rows[order[i - 1]].previous_share, table.rows[order[i]].previous_share);
    const std::vector<size_t> ascending = sort_heads(table, HeadStat::PreviousShare, false);
    EXPECT_EQ(ascending.back(), 6u);

    const std::vector<size_t> picked = filter_heads(table, {parse_head_filter("previous_share > 0.9")});
    EXPECT_EQ(picked, std::vector<size_t>{6u});
    EXPECT_EQ(filter_heads(table, {parse_head_filter("previous-token share >= 1")}), std::vector<size_t>{6u});
    EXPECT_EQ(filter_heads(table, {parse_head_filter("Entropy<=0")}), std::vector<size_t>{6u});
    EXPECT_EQ(filter_heads(table, {}).size(), 8u);
    // Filters keep the order they are given.
    const std::vector<size_t> by_entropy = sort_heads(table, HeadStat::Entropy);
    EXPECT_EQ(filter_heads(table, {parse_head_filter("entropy > -1")}, &by_entropy), by_entropy);
}

TEST(AnalysisHeadTable, AbsentValuesSortLastAndNeverPassAFilter) {
    HeadStatsTable table;
    table.layers = 1;
    table.heads = 3;
    table.rows.resize(3);
    table.rows[0].cls_share = NAN;
    table.rows[1].cls_share = 0.2;
    table.rows[2].cls_share = 0.9;
    EXPECT_EQ(sort_heads(table, HeadStat::ClsShare), (std::vector<size_t>{2, 1, 0}));
    EXPECT_EQ(sort_heads(table, HeadStat::ClsShare, false), (std::vector<size_t>{1, 2, 0}));
    EXPECT_EQ(filter_heads(table, {parse_head_filter("cls_share < 1")}), (std::vector<size_t>{1, 2}));
}

TEST(AnalysisHeadTable, BadFiltersSayWhatIsAccepted) {
    for (const char* text : {"previous_share 0.5", "prev > 0.5", "entropy > ", "entropy > x", "entropy > 1 2"}) {
        try {
            parse_head_filter(text);
            ADD_FAILURE() << "accepted \"" << text << "\"";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("previous_share > 0.5"), std::string::npos) << e.what();
        }
    }
}

TEST(AnalysisHeadStats, BadInputNamesTheTensorAndBothShapes) {
    const Tensor a = random_attention(2, 2, 4, 4, nullptr, 11);
    TokenLayout layout;
    layout.attention_mask = mask_of_lengths({4, 4, 4}, 4);
    expect_shape_error([&] { layer_head_stats(a, layout, 3); },
                       {"attention_mask", "[3, 4]", "layer 3 attn", "[2, 2, 4, 4]", "[2, 4]"});
    layout.attention_mask.reset();
    layout.tokens = {{"[CLS]", "a", "b", "c"}, {"[CLS]", "a"}};
    expect_shape_error([&] { layer_head_stats(a, layout); }, {"tokens", "batch item 1", "2 labels", "4 keys"});
    layout.tokens = {{"[CLS]", "a", "b", "c"}};
    expect_shape_error([&] { layer_head_stats(a, layout); }, {"tokens", "1 batch items", "has 2"});
    layout.tokens.clear();
    layout.patch_rows = 2;
    layout.patch_cols = 2;
    layout.prefix_tokens = 1;
    expect_shape_error([&] { layer_head_stats(a, layout); }, {"patch grid 2x2", "5 tokens", "4 keys"});
    expect_shape_error([&] { layer_head_stats(a, TokenLayout{}, 0, 2); }, {"batch item 2", "items 0 to 1"});
    expect_shape_error(
        [&] {
            compute_head_stats({std::make_shared<Tensor>(a), std::make_shared<Tensor>(Tensor({2, 2, 4, 5}))},
                               TokenLayout{});
        },
        {"layer 1 attn", "[2, 2, 4, 5]", "[2, 2, 4, 4]"});
}

// bert-base shapes: 12 layers x 12 heads, b 8, L 128. Prints the times; the bounds are loose, for
// a loaded 2-core machine, and catch a statistic or a product that falls off the fast path.
TEST(AnalysisTiming, BertBaseShapesTakeMilliseconds) {
    const Tensor mask = mask_of_lengths({128, 120, 100, 90, 64, 50, 30, 12}, 128);
    const auto layers = random_layers(12, 8, 12, 128, &mask, 12);
    TokenLayout layout;
    layout.attention_mask = mask;
    compute_head_stats(layers, layout);  // warm
    const auto t0 = std::chrono::steady_clock::now();
    const HeadStatsTable table = compute_head_stats(layers, layout);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const auto t1 = std::chrono::steady_clock::now();
    const std::vector<Tensor> rolled = rollout_by_layer(layers, layout);
    const double rollout_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    std::printf(
        "bert-base shapes, 12 layers x 12 heads, [8, 128]: head statistics %.1f ms, rollout of every layer %.1f ms\n",
        ms, rollout_ms);
    EXPECT_EQ(table.rows.size(), 144u);
    EXPECT_EQ(rolled.size(), 12u);
    EXPECT_LT(ms, 1000.0);
    EXPECT_LT(rollout_ms, 1000.0);
}

TEST(AnalysisHeadStats, TheSeedsOneHeadSelfAttention) {
    const Tensor four = random_attention(2, 1, 6, 6, nullptr, 95);
    Tensor three = four;
    three.shape = {2, 6, 6};
    const HeadStats a = layer_head_stats(four, TokenLayout{}).at(0), b = layer_head_stats(three, TokenLayout{}).at(0);
    for (int s = 0; s < kHeadStatCount; ++s) {
        const double x = a.value(static_cast<HeadStat>(s)), y = b.value(static_cast<HeadStat>(s));
        EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y)));
    }
    EXPECT_EQ(b.rows, 12);
}
