// Runs the engine off the UI thread. The window submits what it wants computed and keeps drawing;
// the newest request always wins (an edit made while a pass runs replaces the queued one), and
// a running pass can be cancelled between its stages.
#pragma once

#include "model/forward.h"
#include "pipeline/scene.h"
#include "pipeline/scene_cache.h"
#include "maps/map_model.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace attn::gui {

struct EngineResult {
    uint64_t generation = 0;             // of the request it answers
    std::shared_ptr<const Scene> scene;  // null when it failed
    std::shared_ptr<const Trace> trace;  // null when it failed
    // The walk over every attention weight that drawing the maps needs (the shared range, previews
    // of large matrices), made here so that the window's thread never makes it.
    std::shared_ptr<const MapModel> map_model;
    std::string error;     // the message for the window when it failed
    double seconds = 0.0;  // wall time of the pass
};

class EngineWorker {
public:
    // One pass: scene, forward, map model, into result.scene / trace / map_model. It throws
    // Cancelled (through `control`), attn::Error or std::bad_alloc; the worker turns those into
    // results. Tests pass their own (one that waits on a latch) to know that a pass is running.
    using Pass =
        std::function<void(const SceneSpec& spec, SceneCache& cache, ForwardControl& control, EngineResult& result)>;
    // The pass the window runs.
    static void run_pass(const SceneSpec& spec, SceneCache& cache, ForwardControl& control, EngineResult& result);

    explicit EngineWorker(Pass pass = run_pass);
    ~EngineWorker();  // cancels and joins
    EngineWorker(const EngineWorker&) = delete;
    EngineWorker& operator=(const EngineWorker&) = delete;

    // Queues a pass, replacing any queued one; returns its generation.
    uint64_t submit(const SceneSpec& spec);
    // Stops the running pass at its next stage and drops the queued one.
    void cancel();
    // The newest finished result not taken yet (results of replaced requests are dropped).
    std::optional<EngineResult> take_result();

    bool busy() const;
    // A finished result waits to be taken (take_result).
    bool has_result() const;
    // What the running pass is doing and how far it is, for a progress bar: ("softmax", 0.6).
    std::string stage() const;
    float progress() const;
    // The result every finished pass is delivered in waits here; for tests.
    bool wait_idle(double timeout_seconds);

private:
    void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::optional<SceneSpec> queued_;
    uint64_t queued_generation_ = 0, next_generation_ = 1;
    std::optional<EngineResult> finished_;
    bool running_ = false, stopping_ = false;
    std::string stage_;
    std::atomic<bool> cancel_{false};
    std::atomic<float> progress_{0.0f};
    SceneCache cache_;  // used by the worker thread only: pictures and weights between passes
    Pass pass_;
    std::thread thread_;
};

}  // namespace attn::gui
