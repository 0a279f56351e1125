// The engine off the UI thread: the newest request wins, a cancelled pass delivers nothing, and
// every failure comes back as EngineResult::error (never as an exception or an abort).
#include "engine_worker.h"
#include "settings.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace attn::gui {
namespace {

const std::string kAssets = ATTNSCOPE_SOURCE_DIR "/assets";
const std::string kChelsea = kAssets + "/images/chelsea.png";

SceneSpec spec_with(int heads, int emb_dim = 64) {
    Settings s;
    s.heads = heads;
    s.emb_dim = emb_dim;
    s.grid_h = 8;
    s.grid_w = 8;
    return scene_spec(s, kChelsea);
}

// A pass that takes a while (full resolution: 135,300 queries), to cancel in the middle.
SceneSpec slow_spec() {
    Settings s;
    s.emb_dim = 64;
    s.heads = 8;
    s.full_resolution = true;
    return scene_spec(s, kChelsea);
}

TEST(EngineWorker, ComputesThePass) {
    EngineWorker worker;
    const uint64_t g = worker.submit(spec_with(4));
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->generation, g);
    EXPECT_TRUE(r->error.empty()) << r->error;
    ASSERT_TRUE(r->scene && r->trace);
    // cross-multihead: attn [b, heads, h*w, seq] = [3, 4, 64, 5]
    EXPECT_EQ(r->trace->attn().shape, (Shape{3, 4, 64, 5}));
    // The walk over every weight comes made, off the window's thread: the same as made here.
    ASSERT_TRUE(r->map_model);
    const MapModel here(attention_set_from_pass(*r->scene, *r->trace));
    const MapRange made = r->map_model->shared_range(MapQuantity::Weights);
    EXPECT_EQ(made.lo, here.shared_range(MapQuantity::Weights).lo);
    EXPECT_EQ(made.hi, here.shared_range(MapQuantity::Weights).hi);
    EXPECT_LT(made.lo, made.hi);
    EXPECT_EQ(r->map_model->every_map().size(), here.every_map().size());
    EXPECT_FALSE(worker.take_result().has_value());  // taken once
}

TEST(EngineWorker, NewestRequestWins) {
    EngineWorker worker;
    worker.submit(slow_spec());
    worker.submit(spec_with(2));
    worker.submit(spec_with(4));
    const uint64_t newest = worker.submit(spec_with(8));
    ASSERT_TRUE(worker.wait_idle(120.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->generation, newest);
    ASSERT_TRUE(r->trace) << r->error;
    EXPECT_EQ(r->trace->attn().dim(1), 8);
    EXPECT_FALSE(worker.take_result().has_value());  // the replaced ones were dropped
}

TEST(EngineWorker, CancelStopsARunningPassAndDeliversNothing) {
    EngineWorker worker;
    worker.submit(slow_spec());
    // Wait until the pass is inside forward() (past reading the inputs), then stop it.
    const auto start = std::chrono::steady_clock::now();
    while (worker.progress() <= 0.0f && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(worker.busy());
    worker.cancel();
    ASSERT_TRUE(worker.wait_idle(60.0));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(worker.take_result().has_value());
    EXPECT_FALSE(worker.busy());
    EXPECT_LT(elapsed, 60.0);

    // The worker goes on working after a cancel.
    worker.submit(spec_with(2));
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r && r->trace);
}

TEST(EngineWorker, CancelDropsAQueuedRequest) {
    EngineWorker worker;
    worker.submit(slow_spec());
    worker.submit(spec_with(2));  // queued behind the slow one
    worker.cancel();
    ASSERT_TRUE(worker.wait_idle(120.0));
    EXPECT_FALSE(worker.take_result().has_value());
}

TEST(EngineWorker, ErrorsBecomeResults) {
    EngineWorker worker;
    // Heads that do not divide emb_dim: a ConfigError inside the engine.
    const uint64_t g1 = worker.submit(spec_with(7, 64));
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->generation, g1);
    EXPECT_FALSE(r->scene);
    EXPECT_FALSE(r->trace);
    EXPECT_NE(r->error.find("heads"), std::string::npos) << r->error;

    // A picture that is not there: the message names the file.
    SceneSpec missing = spec_with(2);
    missing.image_paths = {"/nonexistent/cat.png"};
    worker.submit(missing);
    ASSERT_TRUE(worker.wait_idle(60.0));
    r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->error.find("/nonexistent/cat.png"), std::string::npos) << r->error;

    // A picture that is not an image.
    SceneSpec not_image = spec_with(2);
    not_image.image_paths = {ATTNSCOPE_SOURCE_DIR "/tests/data/bad-inputs/truncated.jpg"};
    worker.submit(not_image);
    ASSERT_TRUE(worker.wait_idle(60.0));
    r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->error.empty());

    // Weights that are not a safetensors file.
    SceneSpec bad_weights = spec_with(2);
    bad_weights.weights_path = kChelsea;
    worker.submit(bad_weights);
    ASSERT_TRUE(worker.wait_idle(60.0));
    r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->error.find("chelsea.png"), std::string::npos) << r->error;
}

TEST(EngineWorker, DestroyingWhileBusyJoinsPromptly) {
    const auto start = std::chrono::steady_clock::now();
    {
        EngineWorker worker;
        worker.submit(slow_spec());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(elapsed, 30.0);
}

}  // namespace
}  // namespace attn::gui
