// Side by side for the seed's modules (compare_pass.h): pane B's settings are A's with B's fill
// and scale, B's pass runs off the window's thread and is shown only for the settings asked for,
// and A - B keeps the NaN that -inf gives on a fully padded sentence.
//
// Expected values come from the softmax's definition, not from our output: a row whose every
// score is the same -1e9 is uniform 1/Lk; a row of -inf only is exp(-inf - -inf) = NaN; a row with
// no padded key does not depend on the fill at all.
#include "compare_pass.h"
#include "maps/attention_set.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

namespace attn::gui {
namespace {

ComputeSettings padded_batch() {
    ComputeSettings s;
    s.module = ModuleKind::MultiHead;
    s.heads = 2;
    s.emb_dim = 16;
    s.max_len = 3;
    s.sentences = {"tom sees jerry", ""};  // the second sentence is padding throughout
    return s;
}

// Waits (a minute at most) for the pass of `b`.
const EngineResult* wait_for(ComparePass& pass, const ComputeSettings& b) {
    for (int i = 0; i < 6000; ++i) {
        pass.take_results();
        if (const EngineResult* r = pass.result_for(b)) return r;
        if (!pass.error().empty()) return nullptr;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return nullptr;
}

TEST(ComparePass, DefaultBIsTheOtherFillAndAScale) {
    ComputeSettings a = padded_batch();
    a.scale = parse_scale("0.5");
    ViewSettings v;
    ComputeSettings b = pane_b_settings(a, v);
    EXPECT_EQ(b.mask_fill, MaskFill::NegInf);  // the seed's "module" fill is -1e9
    EXPECT_EQ(b.scale.kind, ScaleChoice::Kind::Number);
    EXPECT_DOUBLE_EQ(b.scale.value, 0.5);
    EXPECT_EQ(b.sentences, a.sentences);
    EXPECT_EQ(b.module, a.module);

    a.mask_fill = MaskFill::NegInf;
    EXPECT_EQ(pane_b_settings(a, v).mask_fill, MaskFill::NegBillion);
    a.module = ModuleKind::TorchMHA;
    a.mask_fill = MaskFill::Module;  // nn.MultiheadAttention's own fill is -inf
    EXPECT_EQ(pane_b_settings(a, v).mask_fill, MaskFill::NegBillion);

    v.compare_b_mask_fill = "-inf";
    v.compare_b_scale = "emb";
    b = pane_b_settings(a, v);
    EXPECT_EQ(b.mask_fill, MaskFill::NegInf);
    EXPECT_EQ(b.scale.kind, ScaleChoice::Kind::Emb);
    v.compare_b_scale = "not a scale";  // never from a session (it is refused there); kept safe
    EXPECT_EQ(pane_b_settings(a, v).scale.kind, a.scale.kind);
}

TEST(ComparePass, LabelsAreTheCliOnes) {
    ComputeSettings s;
    EXPECT_EQ(pane_settings_label(s), "mask fill module, scale module");
    s.mask_fill = MaskFill::NegInf;
    s.scale = parse_scale("0.25");
    EXPECT_EQ(pane_settings_label(s), "mask fill -inf, scale 0.25");
}

TEST(ComparePass, MinusInfAgainstMinusBillionOnAFullyPaddedSentence) {
    const ComputeSettings a = padded_batch();
    ViewSettings v;
    const ComputeSettings b = pane_b_settings(a, v);
    ComparePass pass_a, pass_b;
    pass_a.ask(a, scene_spec(a, ""));
    pass_b.ask(b, scene_spec(b, ""));
    const EngineResult* ra = wait_for(pass_a, a);
    const EngineResult* rb = wait_for(pass_b, b);
    ASSERT_NE(ra, nullptr) << pass_a.error();
    ASSERT_NE(rb, nullptr) << pass_b.error();
    const MapModel& ma = *ra->map_model;
    const MapModel& mb = *rb->map_model;
    for (int head = 0; head < 2; ++head) {
        const MapKey padded{1, head, 0};
        const PaneDifference d = pane_difference(ma, mb, padded);
        ASSERT_TRUE(d.same_size);
        ASSERT_EQ(d.rows, 3);
        ASSERT_EQ(d.cols, 3);
        EXPECT_EQ(d.nan_cells, 9);  // every cell: A is uniform, B is NaN
        for (int64_t r = 0; r < 3; ++r)
            for (int64_t c = 0; c < 3; ++c) {
                EXPECT_FLOAT_EQ(ma.value(padded, r, c), 1.0f / 3.0f);
                EXPECT_TRUE(std::isnan(mb.value(padded, r, c)));
                EXPECT_TRUE(std::isnan(d.values[static_cast<size_t>(r * 3 + c)]));
            }
        // The hover says both values and the difference exactly, NaN as NaN.
        const std::vector<std::string> lines = hover_lines(ma, &mb, d, padded, 2, 1, "A's", "B's");
        ASSERT_GE(lines.size(), 4u);
        EXPECT_EQ(lines[0], "query 2, key 1 (padding)");
        EXPECT_EQ(lines[1], "A (A's): 0.333333343");  // 1/3 as a float, to 9 digits
        EXPECT_EQ(lines[2], "B (B's): NaN");
        EXPECT_EQ(lines[3], "A - B: NaN");
        // Before B's pass is done: A only.
        EXPECT_EQ(hover_lines(ma, nullptr, PaneDifference{}, MapKey{0, head, -1}, 0, 0, "A's", "B's").size(), 2u);
        // "tom sees jerry" has no padded key: the fill never reaches it.
        const PaneDifference same = pane_difference(ma, mb, MapKey{0, head, -1});
        EXPECT_EQ(same.nan_cells, 0);
        EXPECT_EQ(same.max_abs, 0.0f);
    }
}

TEST(ComparePass, AnOlderPassIsNeverShownForNewerSettings) {
    const ComputeSettings a = padded_batch();
    ViewSettings v;
    ComputeSettings b1 = pane_b_settings(a, v);
    ComparePass pass;
    EXPECT_FALSE(pass.busy());
    EXPECT_EQ(pass.result_for(b1), nullptr);  // nothing asked yet
    pass.ask(b1, scene_spec(b1, ""));
    EXPECT_TRUE(pass.busy());
    ASSERT_NE(wait_for(pass, b1), nullptr);
    EXPECT_EQ(pass.result_id(), 1u);

    v.compare_b_scale = "2";
    const ComputeSettings b2 = pane_b_settings(a, v);
    pass.ask(b2, scene_spec(b2, ""));
    EXPECT_EQ(pass.result_for(b2), nullptr);  // B's settings changed: the old pass is not B's
    pass.ask(b2, scene_spec(b2, ""));         // asked once, not again per frame
    const EngineResult* r2 = wait_for(pass, b2);
    ASSERT_NE(r2, nullptr);
    EXPECT_EQ(pass.result_id(), 2u);
    EXPECT_EQ(pass.result_for(b1), nullptr);
    EXPECT_FALSE(pass.busy());
}

TEST(ComparePass, DifferentSizesGiveNoDifference) {
    ComputeSettings a = padded_batch();
    ComputeSettings longer = a;
    longer.max_len = 4;
    ComparePass pa, pb;
    pa.ask(a, scene_spec(a, ""));
    pb.ask(longer, scene_spec(longer, ""));
    const EngineResult* ra = wait_for(pa, a);
    const EngineResult* rb = wait_for(pb, longer);
    ASSERT_NE(ra, nullptr);
    ASSERT_NE(rb, nullptr);
    const PaneDifference d = pane_difference(*ra->map_model, *rb->map_model, MapKey{0, 0, -1});
    EXPECT_FALSE(d.same_size);
    EXPECT_TRUE(d.values.empty());
    // A head B's pass does not have: no difference, no exception.
    EXPECT_FALSE(pane_difference(*ra->map_model, *ra->map_model, MapKey{0, 7, -1}).same_size);
}

}  // namespace
}  // namespace attn::gui
