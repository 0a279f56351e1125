// The frame loop's two debouncers, with the time given by the test (no clock is read): the first
// pass goes at once, an edit waits kComputeDebounce seconds without a change, settings that are
// refused are never sent, results clamp the view to the new pass; the session is written once it
// has not changed for kSaveDebounce seconds, or at once at exit.
#include "pass_scheduler.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace attn::gui {
namespace {

// A small, fast scene: multi-head self-attention over the seed's sentences.
struct Fixture {
    EngineWorker worker;
    AppContext ctx;
    Fixture() {
        ctx.worker = &worker;
        ctx.asset_dir = ATTNSCOPE_SOURCE_DIR "/assets";
        ctx.memory_limit = 8.0 * 1024 * 1024 * 1024;
        ctx.settings.module = ModuleKind::MultiHead;
        ctx.settings.emb_dim = 16;
        ctx.settings.heads = 4;
    }
    // Waits for the worker, then takes its results.
    bool finish(PassScheduler& p) {
        if (!worker.wait_idle(60.0)) return false;
        return p.take_results();
    }
};

TEST(PassScheduler, TheFirstPassGoesAtOnceAndSettles) {
    Fixture f;
    PassScheduler p(f.ctx);
    EXPECT_FALSE(p.settled());
    p.submit_when_due(100.0);
    ASSERT_TRUE(f.finish(p));
    EXPECT_TRUE(p.settled());
    ASSERT_TRUE(f.ctx.trace);
    EXPECT_EQ(f.ctx.trace->attn().shape, (Shape{3, 4, 5, 5}));  // the seed's batch, padded to 5
    EXPECT_EQ(f.ctx.pass_id, 1u);
    EXPECT_TRUE(f.ctx.engine_error.empty());
}

// A pass that finished after this frame took the results is not on screen yet: the trace shown is
// still the one before, so "settled" (what the lessons check their tasks by) waits for the take.
TEST(PassScheduler, AFinishedPassNotTakenYetIsNotSettled) {
    Fixture f;
    PassScheduler p(f.ctx);
    p.submit_when_due(0.0);
    ASSERT_TRUE(f.finish(p));
    f.ctx.settings.module = ModuleKind::Self;
    p.submit_when_due(10.0);
    p.submit_when_due(10.0 + kComputeDebounce * 2.0);  // sent
    ASSERT_TRUE(f.worker.wait_idle(60.0));              // finished, not taken
    EXPECT_TRUE(f.worker.has_result());
    EXPECT_FALSE(p.settled());
    EXPECT_EQ(f.ctx.trace->module, "MultiHeadAttention");
    // The settings of the pass shown are the old ones until it is taken (the seed's A | B makes
    // pane B from them, so B is never of another scene than A).
    ASSERT_TRUE(f.ctx.shown_settings.has_value());
    EXPECT_EQ(f.ctx.shown_settings->module, ModuleKind::MultiHead);
    ASSERT_TRUE(p.take_results());
    EXPECT_TRUE(p.settled());
    EXPECT_EQ(f.ctx.trace->module, "SelfAttention");
    EXPECT_EQ(f.ctx.shown_settings->module, ModuleKind::Self);
}

TEST(PassScheduler, AnEditWaitsForTheDebounce) {
    Fixture f;
    PassScheduler p(f.ctx);
    p.submit_when_due(0.0);
    ASSERT_TRUE(f.finish(p));

    f.ctx.settings.heads = 2;
    p.submit_when_due(10.0);  // the edit is seen...
    EXPECT_TRUE(p.waiting());
    EXPECT_FALSE(p.settled());
    p.submit_when_due(10.0 + kComputeDebounce * 0.5);  // ...and not sent while it is fresh
    EXPECT_FALSE(f.worker.busy());
    f.ctx.settings.heads = 8;  // typing on restarts the wait
    p.submit_when_due(10.0 + kComputeDebounce * 0.9);
    p.submit_when_due(10.0 + kComputeDebounce * 1.5);
    EXPECT_FALSE(f.worker.busy());
    EXPECT_FALSE(f.finish(p));  // nothing was sent
    p.submit_when_due(10.0 + kComputeDebounce * 2.0);
    EXPECT_FALSE(p.waiting());
    ASSERT_TRUE(f.finish(p));
    EXPECT_EQ(f.ctx.trace->attn().dim(1), 8);
    EXPECT_EQ(f.ctx.pass_id, 2u);  // one pass for the two edits
    EXPECT_TRUE(p.settled());
}

TEST(PassScheduler, ViewEditsNeverSendAPass) {
    Fixture f;
    PassScheduler p(f.ctx);
    p.submit_when_due(0.0);
    ASSERT_TRUE(f.finish(p));
    f.ctx.settings.colormap = Colormap::Magma;
    f.ctx.settings.head = -1;
    f.ctx.settings.step = 4;
    p.submit_when_due(5.0);
    p.submit_when_due(6.0);
    EXPECT_FALSE(p.waiting());
    EXPECT_FALSE(f.worker.busy());
    EXPECT_TRUE(p.settled());
}

TEST(PassScheduler, RefusedSettingsAreNotSentAndSayWhy) {
    Fixture f;
    PassScheduler p(f.ctx);
    p.submit_when_due(0.0);
    ASSERT_TRUE(f.finish(p));
    f.ctx.settings.heads = 7;  // does not divide 16
    p.submit_when_due(1.0);
    p.submit_when_due(2.0);
    EXPECT_NE(p.blocked().find("heads 7 does not divide emb_dim 16"), std::string::npos) << p.blocked();
    EXPECT_FALSE(f.worker.busy());
    EXPECT_EQ(f.ctx.pass_id, 1u);  // the last good pass stays
    f.ctx.settings.heads = 4;      // back to what was computed: nothing to send, nothing blocked
    p.submit_when_due(3.0);
    EXPECT_TRUE(p.blocked().empty());
    EXPECT_TRUE(p.settled());
}

TEST(PassScheduler, ResultsClampTheViewToTheNewPass) {
    Fixture f;
    PassScheduler p(f.ctx);
    f.ctx.settings.batch = 9;
    f.ctx.settings.head = 9;
    f.ctx.settings.token = 9;
    f.ctx.settings.step = 99;
    p.submit_when_due(0.0);
    ASSERT_TRUE(f.finish(p));
    EXPECT_EQ(f.ctx.settings.batch, 2);  // 3 sentences
    EXPECT_EQ(f.ctx.settings.head, 3);   // 4 heads
    EXPECT_EQ(f.ctx.settings.token, 4);  // 5 keys
    EXPECT_EQ(f.ctx.settings.step, static_cast<int>(f.ctx.trace->steps.size()) - 1);
}

TEST(PassScheduler, FailuresBecomeTheEngineError) {
    Fixture f;
    PassScheduler p(f.ctx);
    f.ctx.settings.weights_path = "/nonexistent/w.safetensors";
    p.submit_when_due(0.0);
    EXPECT_FALSE(f.finish(p));
    EXPECT_NE(f.ctx.engine_error.find("/nonexistent/w.safetensors"), std::string::npos) << f.ctx.engine_error;
    ASSERT_FALSE(f.ctx.messages.empty());
    EXPECT_EQ(f.ctx.messages.back().kind, Message::Kind::Error);
}

std::filesystem::path session_file(const std::string& name) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("attnscope_scheduler_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir / "session.json";
}

TEST(SessionSaver, WritesOnceTheSettingsRest) {
    AppContext ctx;
    ctx.session_path = session_file("rest").string();
    SessionSaver saver(ctx, ctx.settings);
    saver.save_when_due(0.0, false);
    EXPECT_FALSE(std::filesystem::exists(ctx.session_path));  // nothing changed: nothing written
    ctx.settings.heads = 2;
    saver.save_when_due(1.0, false);
    saver.save_when_due(1.0 + kSaveDebounce * 0.9, false);
    EXPECT_FALSE(std::filesystem::exists(ctx.session_path));
    saver.save_when_due(1.0 + kSaveDebounce * 1.1, false);
    saver.finish();  // the write runs on a thread of its own
    ASSERT_TRUE(std::filesystem::exists(ctx.session_path));
    std::vector<std::string> warnings;
    EXPECT_EQ(load_session(ctx.session_path, &warnings).heads, 2);
    std::filesystem::remove_all(std::filesystem::path(ctx.session_path).parent_path());
}

TEST(SessionSaver, ForceWritesAtOnceAndAViewChangeCounts) {
    AppContext ctx;
    ctx.session_path = session_file("force").string();
    SessionSaver saver(ctx, ctx.settings);
    ctx.settings.colormap = Colormap::Turbo;  // the view is part of the session
    saver.save_when_due(3.0, /*force=*/true);
    std::vector<std::string> warnings;
    EXPECT_EQ(load_session(ctx.session_path, &warnings).colormap, Colormap::Turbo);
    std::filesystem::remove_all(std::filesystem::path(ctx.session_path).parent_path());
}

TEST(SessionSaver, AfterManyQuickWritesTheFileHoldsTheLast) {
    AppContext ctx;
    ctx.session_path = session_file("quick").string();
    SessionSaver saver(ctx, ctx.settings);
    double t = 0.0;
    for (int heads = 1; heads <= 8; ++heads) {  // each one due while the one before may still be written
        ctx.settings.heads = heads;
        saver.save_when_due(t, false);
        t += kSaveDebounce * 1.1;
        saver.save_when_due(t, false);
    }
    saver.finish();
    std::vector<std::string> warnings;
    EXPECT_EQ(load_session(ctx.session_path, &warnings).heads, 8);
    EXPECT_TRUE(ctx.messages.empty());
    std::filesystem::remove_all(std::filesystem::path(ctx.session_path).parent_path());
}

TEST(SessionSaver, AFailureIsOneMessage) {
    AppContext ctx;
    ctx.session_path = "/proc/attnscope/session.json";
    SessionSaver saver(ctx, ctx.settings);
    ctx.settings.heads = 2;
    for (double t = 0.0; t < 5.0; t += 0.1)
        saver.save_when_due(t, false);
    saver.finish();
    ASSERT_EQ(ctx.messages.size(), 1u);
    EXPECT_NE(ctx.messages[0].text.find("session not saved"), std::string::npos);
}

}  // namespace
}  // namespace attn::gui
