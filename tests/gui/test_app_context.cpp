// What the window refuses to send to the engine, and why it says so; the token preview the Input
// panel and the engine share; messages on the context's own clock. Every test sets the memory
// limit it needs, so none depends on the RAM of the host.
#include "app_context.h"

#include <gtest/gtest.h>

namespace attn::gui {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// A context that allows 8 GiB per pass, whatever this machine has.
AppContext context_with_8_gib() {
    AppContext ctx;
    ctx.memory_limit = 8.0 * kGiB;
    return ctx;
}

TEST(HeadDivisors, ListsEveryDivisor) {
    EXPECT_EQ(head_divisors(12), (std::vector<int>{1, 2, 3, 4, 6, 12}));
    EXPECT_EQ(head_divisors(1), (std::vector<int>{1}));
    EXPECT_TRUE(head_divisors(0).empty());
}

TEST(BlockedReason, DefaultsAreSent) {
    AppContext ctx = context_with_8_gib();
    EXPECT_EQ(ctx.blocked_reason(), "");
}

TEST(BlockedReason, HeadsThatDoNotDivideEmbDimAreExplained) {
    AppContext ctx = context_with_8_gib();
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
    AppContext ctx = context_with_8_gib();
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
    AppContext ctx = context_with_8_gib();
    ctx.settings.grid_h = 4096;
    ctx.settings.grid_w = 4096;
    ctx.settings.max_len = 1000;  // att_weights [3, 8, 4096 * 4096, 1000]: 1.6 PB
    const std::string why = ctx.blocked_reason();
    EXPECT_NE(why.find("GiB"), std::string::npos) << why;
    EXPECT_NE(why.find("(8.0 GiB allowed)"), std::string::npos) << why;
}

// The limit decides, not the machine: the same settings pass under a large limit and are refused
// under a small one. The default scene needs about 0.5 GiB (two Pipeline steps of 256 MiB each).
TEST(BlockedReason, TheInjectedLimitDecides) {
    AppContext ctx;
    ctx.memory_limit = 64.0 * kGiB;
    EXPECT_EQ(ctx.blocked_reason(), "");
    ctx.memory_limit = 0.3 * kGiB;
    const std::string why = ctx.blocked_reason();
    EXPECT_NE(why.find("(0.3 GiB allowed)"), std::string::npos) << why;
}

// The keys counted are those of the padded batch the engine will make: auto pads to the longest
// sentence, an explicit max_len to itself.
TEST(BlockedReason, CountsThePaddedKeys) {
    AppContext ctx;
    ctx.settings.module = ModuleKind::MultiHead;
    ctx.settings.emb_dim = 8;
    ctx.settings.heads = 1;
    ctx.settings.sentences = {"a b"};
    // att_weights [1, 1, 20000, 20000] alone is 1.5 GiB; two keys need the Pipeline's 0.5 GiB.
    ctx.settings.max_len = 20000;
    ctx.memory_limit = 1.0 * kGiB;
    EXPECT_NE(ctx.blocked_reason(), "");
    ctx.settings.max_len = 0;  // auto: 2 keys
    EXPECT_EQ(ctx.blocked_reason(), "");
}

// The cross modules never hold an emb-sized tensor per pixel (the engine folds them away), so the
// seed's full-resolution grid, 512 x 512, even at emb_dim 4096 (about 0.7 GB with a Pipeline
// step), must not be refused as if it held Q [3, 262144, 4096] (13 GB).
TEST(BlockedReason, TheSeedsFullResolutionCrossAttentionIsAllowed) {
    AppContext ctx = context_with_8_gib();
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

// The Input panel's tokens are the engine's: scene_tokens of the sentences at effective_max_len,
// made once per edit and handed to the engine through the spec.
TEST(TokenPreview, IsMadeOncePerEditAndSharedWithTheEngine) {
    AppContext ctx;
    const TokenPreview& first = ctx.tokens();
    ASSERT_TRUE(first.batch) << first.error;
    const std::shared_ptr<const TokenBatch> kept = first.batch;  // kept alive: its address is not reused
    const TokenBatch* made = kept.get();
    EXPECT_EQ(first.batch->input_ids.shape, (Shape{3, 5}));  // the seed's batch: auto pads to 5
    EXPECT_EQ(ctx.tokens().batch.get(), made);               // not made again without an edit
    EXPECT_EQ(ctx.scene_spec().tokens.get(), made);          // the engine gets the same tokens

    ctx.settings.sentences.push_back("the quick brown fox jumps over the lazy dog");
    const TokenPreview& edited = ctx.tokens();
    ASSERT_TRUE(edited.batch);
    EXPECT_NE(edited.batch.get(), made);
    EXPECT_EQ(edited.batch->input_ids.shape, (Shape{4, 9}));  // auto: the longest sentence, nothing cut
    EXPECT_TRUE(edited.batch->warnings.empty());

    ctx.settings.max_len = 5;  // an explicit max_len still cuts, with a warning
    ASSERT_TRUE(ctx.tokens().batch);
    EXPECT_EQ(ctx.tokens().batch->input_ids.shape, (Shape{4, 5}));
    EXPECT_EQ(ctx.tokens().batch->warnings.size(), 1u);
}

TEST(TokenPreview, RefusedTextIsAnErrorAndTheEngineSaysWhy) {
    AppContext ctx;
    ctx.settings.sentences = {"caf\xe9"};  // not UTF-8
    EXPECT_FALSE(ctx.tokens().batch);
    EXPECT_NE(ctx.tokens().error.find("UTF-8"), std::string::npos) << ctx.tokens().error;
    EXPECT_FALSE(ctx.scene_spec().tokens);  // the engine tokenizes and reports it itself
}

TEST(Messages, AreStampedWithTheContextsClock) {
    AppContext ctx;
    double now = 5.0;
    ctx.clock = [&now] { return now; };
    ctx.info("one");
    now = 7.5;
    ctx.error("two");
    ctx.error("two");  // the same message again is not a new line; its time moves on
    ASSERT_EQ(ctx.messages.size(), 2u);
    EXPECT_EQ(ctx.messages[0].shown_at, 5.0);
    EXPECT_EQ(ctx.messages[1].shown_at, 7.5);
    EXPECT_EQ(ctx.messages[1].kind, Message::Kind::Error);
}

// Widgets are recorded only through the window layer's recorder.
TEST(AppContext, NoteItemGoesToTheRecorder) {
    struct Names : ItemRecorder {
        std::vector<std::string> seen;
        void note(const std::string& name) override { seen.push_back(name); }
    } names;
    AppContext ctx;
    ctx.note_item("model.heads");  // no recorder: nothing happens
    ctx.items = &names;
    ctx.note_item("model.heads");
    EXPECT_EQ(names.seen, (std::vector<std::string>{"model.heads"}));
}

}  // namespace
}  // namespace attn::gui
