// The engine off the UI thread: the newest request wins, a cancelled pass delivers nothing, and
// every failure comes back as EngineResult::error (never as an exception or an abort).
//
// No test depends on how fast the host is: a pass that must still be running when the test acts
// is held on a Gate until the test opens it, so "cancel while it runs" is certain, not likely.
#include "engine_worker.h"
#include "io/safetensors.h"
#include "settings.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
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

// A pass held before it starts computing: entered() waits until the worker is inside it, open()
// lets it go on. A held pass also goes on when it is cancelled (as the worker's destructor does),
// and then stops at its first checkpoint, as a real pass stops at its next stage.
class Gate {
public:
    EngineWorker::Pass pass() {
        return [this](const PassRequest& request, WorkerCaches& caches, ForwardControl& control, EngineResult& result) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ++entered_;
                changed_.notify_all();
                while (!open_ && !(control.cancel && control.cancel->load()))
                    changed_.wait_for(lock, std::chrono::milliseconds(1));
            }
            checkpoint(&control, "held by the test", 0.0f);  // throws Cancelled when cancelled
            EngineWorker::run_pass(request, caches, control, result);
        };
    }
    // Waits until `count` passes have entered (a minute at most: a broken worker fails, not hangs).
    bool entered(int count = 1) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return entered_ >= count; });
    }
    void open() {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    int entered_count() {
        std::lock_guard<std::mutex> lock(mutex_);
        return entered_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int entered_ = 0;
    bool open_ = false;
};

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
    Gate gate;
    EngineWorker worker(gate.pass());
    worker.submit(spec_with(1));
    ASSERT_TRUE(gate.entered());  // the first pass is running (held)
    worker.submit(spec_with(2));
    worker.submit(spec_with(4));
    const uint64_t newest = worker.submit(spec_with(8));
    gate.open();
    ASSERT_TRUE(worker.wait_idle(120.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->generation, newest);
    ASSERT_TRUE(r->trace) << r->error;
    EXPECT_EQ(r->trace->attn().dim(1), 8);
    EXPECT_FALSE(worker.take_result().has_value());  // the replaced ones were dropped
    EXPECT_EQ(gate.entered_count(), 2);              // the running one and the newest: 2 and 4 never ran
}

TEST(EngineWorker, CancelStopsARunningPassAndDeliversNothing) {
    Gate gate;
    EngineWorker worker(gate.pass());
    worker.submit(spec_with(2));
    ASSERT_TRUE(gate.entered());  // certainly running
    EXPECT_TRUE(worker.busy());
    worker.cancel();
    ASSERT_TRUE(worker.wait_idle(60.0));  // the gate lets a cancelled pass go: it stops at once
    EXPECT_FALSE(worker.take_result().has_value());
    EXPECT_FALSE(worker.busy());

    // The worker goes on working after a cancel.
    gate.open();
    worker.submit(spec_with(2));
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r && r->trace) << (r ? r->error : "no result");
}

TEST(EngineWorker, CancelStopsTheRealPassAtItsNextStage) {
    // The real pass (no gate), cancelled from its own progress report: it has certainly started,
    // and it must stop at a stage after that one.
    std::atomic<EngineWorker*> self{nullptr};
    std::atomic<int> stages_after_cancel{0};
    std::atomic<bool> cancelled{false};
    EngineWorker worker(
        [&](const PassRequest& request, WorkerCaches& caches, ForwardControl& control, EngineResult& result) {
            auto report = control.progress;
            control.progress = [&, report](const std::string& stage, float fraction) {
                report(stage, fraction);
                if (cancelled)
                    ++stages_after_cancel;
                else if (stage != "reading inputs") {
                    cancelled = true;
                    self.load()->cancel();
                }
            };
            EngineWorker::run_pass(request, caches, control, result);
        });
    self = &worker;
    worker.submit(spec_with(2));
    ASSERT_TRUE(worker.wait_idle(60.0));
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(worker.take_result().has_value());
    EXPECT_LE(stages_after_cancel.load(), 1);  // the next stage's checkpoint throws
}

TEST(EngineWorker, CancelDropsAQueuedRequest) {
    Gate gate;
    EngineWorker worker(gate.pass());
    worker.submit(spec_with(2));
    ASSERT_TRUE(gate.entered());
    worker.submit(spec_with(4));  // queued behind the held one
    worker.cancel();
    gate.open();
    ASSERT_TRUE(worker.wait_idle(120.0));
    EXPECT_FALSE(worker.take_result().has_value());
    EXPECT_EQ(gate.entered_count(), 1);  // the queued one never ran
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

TEST(EngineWorker, OpensASavedAttentionFileAsAPassWithoutSteps) {
    // [layers 2, b 1, heads 2, Lq 3, Lk 3] of rows that sum to 1, and the tokens.
    const std::string dir = ::testing::TempDir();
    const std::string path = dir + "/worker_att.safetensors";
    Tensor att({2, 1, 2, 3, 3});
    for (size_t i = 0; i < att.data.size(); ++i)
        att.data[i] = (i % 3 == 0) ? 0.5f : 0.25f;
    write_safetensors(path, {{"attentions", att}}, {{"tokens", "[\"a\", \"b\", \"c\"]"}, {"model", "tiny"}});
    EngineWorker worker;
    PassRequest request;
    request.model = ModelRequest{path, {"ignored: the file has its own tokens"}, ""};
    worker.submit(request);
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<EngineResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->error;
    const ModelRun& run = *r->model_run;
    EXPECT_EQ(run.info.family, ModelFamily::SavedAttention);
    EXPECT_EQ(run.info.name, "tiny");
    EXPECT_EQ(run.model, nullptr);
    ASSERT_EQ(run.pass.layers.size(), 2u);
    EXPECT_TRUE(run.pass.layers[1].trace.steps.empty());
    // The pass and the map model share the file's tensors, value for value.
    EXPECT_EQ(run.pass.layers[1].attn.get(), r->map_model->set().layers[1].get());
    EXPECT_EQ(run.pass.layers[1].attn->data[3], 0.5f);
    EXPECT_EQ(run.head_stats.rows.size(), 4u);  // layers x heads
    EXPECT_FALSE(r->map_model->has_norms());
    EXPECT_EQ(run.inputs.tokens, (std::vector<std::vector<std::string>>{{"a", "b", "c"}}));

    // A file the reader refuses: one message naming it, and the window is told to go back.
    const std::string bad = dir + "/worker_bad.safetensors";
    write_safetensors(bad, {{"attentions", Tensor({2, 3})}});
    request.model = ModelRequest{bad, {}, ""};
    worker.submit(request);
    ASSERT_TRUE(worker.wait_idle(60.0));
    r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->ok());
    EXPECT_TRUE(r->model_unusable);
    EXPECT_NE(r->error.find("worker_bad.safetensors"), std::string::npos) << r->error;
}

TEST(EngineWorker, DestroyingWhileBusyJoinsPromptly) {
    Gate gate;  // never opened: only the destructor's cancel lets the pass go
    const auto start = std::chrono::steady_clock::now();
    {
        EngineWorker worker(gate.pass());
        worker.submit(spec_with(2));
        ASSERT_TRUE(gate.entered());
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(elapsed, 30.0);
}

}  // namespace
}  // namespace attn::gui
