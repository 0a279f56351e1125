// What the window refuses to send to the engine, and why it says so.
#include "app_context.h"

#include <gtest/gtest.h>

namespace attn::gui {
namespace {

TEST(HeadDivisors, ListsEveryDivisor) {
    EXPECT_EQ(head_divisors(12), (std::vector<int>{1, 2, 3, 4, 6, 12}));
    EXPECT_EQ(head_divisors(1), (std::vector<int>{1}));
    EXPECT_TRUE(head_divisors(0).empty());
}

TEST(BlockedReason, DefaultsAreSent) {
    AppContext ctx;
    EXPECT_EQ(ctx.blocked_reason(), "");
}

TEST(BlockedReason, HeadsThatDoNotDivideEmbDimAreExplained) {
    AppContext ctx;
    ctx.settings.emb_dim = 512;
    ctx.settings.heads = 7;
    const std::string why = ctx.blocked_reason();
    EXPECT_NE(why.find("heads 7 does not divide emb_dim 512"), std::string::npos) << why;
    EXPECT_NE(why.find("1, 2, 4, 8, 16, 32, 64, 128, 256, 512"), std::string::npos) << why;
    // The single-head modules ignore heads.
    ctx.settings.module = ModuleKind::Self;
    EXPECT_EQ(ctx.blocked_reason(), "");
    ctx.settings.module = ModuleKind::TorchMHA;
    EXPECT_NE(ctx.blocked_reason(), "");
}

TEST(BlockedReason, ImpossibleSizes) {
    AppContext ctx;
    ctx.settings.emb_dim = 0;
    EXPECT_NE(ctx.blocked_reason(), "");
    ctx.settings = Settings{};
    ctx.settings.sentences.clear();
    EXPECT_NE(ctx.blocked_reason(), "");
    ctx.settings = Settings{};
    ctx.settings.grid_w = 0;
    EXPECT_NE(ctx.blocked_reason(), "");
}

TEST(BlockedReason, PassesTooLargeForMemoryAreRefused) {
    AppContext ctx;
    ctx.settings.grid_h = 4096;
    ctx.settings.grid_w = 4096;
    ctx.settings.max_len = 1000;  // att_weights [3, 8, 4096 * 4096, 1000]: 1.6 PB
    const std::string why = ctx.blocked_reason();
    EXPECT_NE(why.find("GiB"), std::string::npos) << why;
}

// The cross modules never hold an emb-sized tensor per pixel (the engine folds them away), so the
// seed's full-resolution grid, 512 x 512, even at emb_dim 4096 (about 0.7 GB with a Pipeline
// step), must not be refused as if it held Q [3, 262144, 4096] (13 GB).
TEST(BlockedReason, TheSeedsFullResolutionCrossAttentionIsAllowed) {
    AppContext ctx;
    ctx.settings.grid_h = 512;
    ctx.settings.grid_w = 512;
    ctx.settings.emb_dim = 4096;
    EXPECT_EQ(ctx.blocked_reason(), "");
}

TEST(AppContext, CurrentMapAndStyleFollowTheViewSettings) {
    AppContext ctx;
    ctx.settings.batch = 2;
    ctx.settings.head = -1;
    ctx.settings.token = 3;
    ctx.settings.colormap = Colormap::Magma;
    ctx.settings.opacity = 0.3f;
    EXPECT_EQ(ctx.current_map().batch, 2);
    EXPECT_EQ(ctx.current_map().head, -1);
    EXPECT_EQ(ctx.current_map().token, 3);
    EXPECT_EQ(ctx.map_style().colormap, Colormap::Magma);
    EXPECT_FLOAT_EQ(ctx.map_style().opacity, 0.3f);
}

}  // namespace
}  // namespace attn::gui
