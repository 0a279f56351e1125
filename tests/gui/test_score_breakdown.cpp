// The Q·K inspector's numbers (app/gui/score_breakdown.h) on real passes: the products of q_i
// and k_j add up to the engine's score, times the scale to its scaled score; a padding key is
// filled and gets weight 0; exp(x - max) over the normaliser is the engine's weight; the
// temperature reproduces the pass at T = 1, sharpens below it and flattens above it; torch-mha's
// causal mask is seen per cell. The numbers against attnscope-cli --dump are checked end to end
// in tests/gui/teach_test.py.
#include "score_breakdown.h"
#include "settings.h"

#include "model/forward.h"
#include "pipeline/scene.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace attn::gui {
namespace {

const std::string kChelsea = ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png";

struct Pass {
    Scene scene;
    Trace trace;
};

Pass run(ModuleKind kind, int heads, MaskFill fill = MaskFill::Module, bool causal = false) {
    Settings s;
    s.module = kind;
    s.heads = heads;
    s.emb_dim = 32;
    s.grid_h = 4;
    s.grid_w = 5;
    s.mask_fill = fill;
    Pass p;
    p.scene = build_scene(scene_spec(s, kChelsea));
    p.scene.inputs.causal = causal;
    p.trace = forward(p.scene.module, p.scene.weights, p.scene.inputs);
    return p;
}

constexpr int64_t kLimit = int64_t{1} << 26;

TEST(ScoreBreakdown, TheNumbersAddUpToTheCell) {
    for (ModuleKind kind : {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::Cross, ModuleKind::CrossMultiHead,
                            ModuleKind::TorchMHA}) {
        const Pass p = run(kind, 4);
        for (const auto& [b, h, i, j] : std::vector<std::array<int, 4>>{{0, 1, 2, 1}, {2, 3, 0, 2}, {1, 0, 3, 0}}) {
            const ScoreBreakdown r = break_down_score(p.trace, &p.scene, b, h, i, j, kLimit);
            SCOPED_TRACE(module_name(kind));
            ASSERT_EQ(r.q.size(), r.k.size());
            EXPECT_EQ(static_cast<int>(r.q.size()), kind == ModuleKind::Self || kind == ModuleKind::Cross ? 32 : 8);
            EXPECT_NEAR(r.dot, r.score, 1e-4 * (1.0 + std::fabs(r.dot)));
            EXPECT_NEAR(r.score * r.scale, r.scaled, 1e-5 * (1.0 + std::fabs(r.scaled)));
            EXPECT_NEAR(r.exps[static_cast<size_t>(r.key)] / r.normaliser, r.weight, 1e-6);
            EXPECT_NEAR(std::accumulate(r.weights.begin(), r.weights.end(), 0.0), 1.0, 1e-5);
            EXPECT_EQ(r.masked == r.fill, r.padding);
            if (r.padding) {
                EXPECT_EQ(r.weight, 0.0f);
            }
            const std::vector<double> at1 = r.weights_at(1.0);
            for (size_t c = 0; c < at1.size(); ++c)
                EXPECT_NEAR(at1[c], r.weights[c], 1e-6) << c;
        }
    }
}

TEST(ScoreBreakdown, PaddingKeysAndTheSeedsQueryLabels) {
    const Pass p = run(ModuleKind::MultiHead, 2);  // "tom chases jerry ! <pad>"
    const ScoreBreakdown pad = break_down_score(p.trace, &p.scene, 0, 1, 2, 4, kLimit);
    EXPECT_TRUE(pad.padding);
    EXPECT_EQ(pad.masked, -1e9f);
    EXPECT_EQ(pad.weight, 0.0f);
    EXPECT_EQ(pad.query_label, "jerry");
    EXPECT_EQ(pad.key_label, "<pad>");
    const ScoreBreakdown kept = break_down_score(p.trace, &p.scene, 0, 1, 2, 1, kLimit);
    EXPECT_FALSE(kept.padding);
    EXPECT_EQ(kept.masked, kept.scaled);
    EXPECT_EQ(kept.key_label, "chases");
    // Out-of-range indices are clamped, not read past the tensors.
    const ScoreBreakdown far = break_down_score(p.trace, &p.scene, 99, 99, 99, 99, kLimit);
    EXPECT_EQ(far.batch, 2);
    EXPECT_EQ(far.head, 1);
    EXPECT_EQ(far.query, 4);
    EXPECT_EQ(far.key, 4);
    EXPECT_THROW(break_down_score(p.trace, &p.scene, 0, 0, 0, 0, 100), ConfigError);  // too large to make
}

TEST(ScoreBreakdown, TemperatureSharpensAndFlattens) {
    const Pass p = run(ModuleKind::MultiHead, 2);
    const ScoreBreakdown r = break_down_score(p.trace, &p.scene, 1, 0, 0, 0, kLimit);  // 3 tokens, 2 <pad>
    const auto best = std::max_element(r.weights.begin(), r.weights.end()) - r.weights.begin();
    const std::vector<double> cold = r.weights_at(0.05), hot = r.weights_at(50.0);
    EXPECT_GT(cold[static_cast<size_t>(best)], 0.99);
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(hot[static_cast<size_t>(c)], 1.0 / 3.0, 0.02) << c;  // uniform over the tokens...
    for (int c = 3; c < 5; ++c)
        EXPECT_EQ(hot[static_cast<size_t>(c)], 0.0) << c;  // ...never over the padding
}

TEST(ScoreBreakdown, TorchCausalMaskAndNaNRows) {
    const Pass p = run(ModuleKind::TorchMHA, 2, MaskFill::Module, /*causal=*/true);
    const ScoreBreakdown future = break_down_score(p.trace, &p.scene, 0, 1, 1, 3, kLimit);
    EXPECT_TRUE(future.has_attn_mask);
    EXPECT_TRUE(future.attn_masked);
    EXPECT_EQ(future.mask_added, -INFINITY);
    EXPECT_EQ(future.weight, 0.0f);
    const ScoreBreakdown past = break_down_score(p.trace, &p.scene, 0, 1, 3, 1, kLimit);
    EXPECT_FALSE(past.attn_masked);
    EXPECT_EQ(past.mask_added, 0.0f);
    EXPECT_GT(past.weight, 0.0f);

    // An empty sentence masked with -inf: max -inf, exp(NaN), weight NaN, as in PyTorch.
    Settings s;
    s.module = ModuleKind::MultiHead;
    s.heads = 2;
    s.emb_dim = 16;
    s.mask_fill = MaskFill::NegInf;
    s.sentences = {"", "a b"};
    Scene scene = build_scene(scene_spec(s, kChelsea));
    Trace t = forward(scene.module, scene.weights, scene.inputs);
    const ScoreBreakdown nan = break_down_score(t, &scene, 0, 0, 0, 0, kLimit);
    EXPECT_TRUE(std::isinf(nan.row_max));
    EXPECT_TRUE(std::isnan(nan.weight));
    EXPECT_TRUE(std::isnan(nan.weights_at(2.0)[0]));
}

}  // namespace
}  // namespace attn::gui
