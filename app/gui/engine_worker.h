// Runs the engine off the UI thread. The window submits what it wants computed and keeps drawing;
// the newest request always wins (an edit made while a pass runs replaces the queued one), and
// a running pass can be cancelled between its stages.
#pragma once

#include "model/forward.h"
#include "model_run.h"
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

// What one pass is asked to compute: the seed's module (scene), or a real model instead.
struct PassRequest {
    SceneSpec scene;                    // the seed's module; unused when `model` is set
    std::optional<ModelRequest> model;  // a real model (use-lite, a BERT or ViT folder)
};

// What the worker keeps between passes (used by its thread only).
struct WorkerCaches {
    SceneCache scenes;    // decoded pictures and seeded random weights of the seed's modules
    LoadedModels models;  // the real model loaded last: typing a sentence does not read it again
};

// A finished pass: the seed's (scene + trace) or a real model's (model_run), and its map model.
struct EngineResult {
    uint64_t generation = 0;                    // of the request it answers
    std::shared_ptr<const Scene> scene;         // the seed's module; null when it failed or for a real model
    std::shared_ptr<const Trace> trace;         // the seed's module; null when it failed or for a real model
    std::shared_ptr<const ModelRun> model_run;  // a real model's pass; null otherwise
    // The walk over every attention weight that drawing the maps needs (the shared range, previews
    // of large matrices), made here so that the window's thread never makes it.
    std::shared_ptr<const MapModel> map_model;
    std::string error;  // the message for the window when it failed
    // The real model asked for could not be loaded (a folder without config.json, a misshapen
    // tensor...): the window goes back to the model it shows.
    bool model_unusable = false;
    double seconds = 0.0;  // wall time of the pass

    bool ok() const { return map_model && ((scene && trace) || model_run); }
};

class EngineWorker {
public:
    // One pass: scene, forward, map model, into result.scene / trace / map_model (or a real
    // model's load, run and map model into result.model_run / map_model). It throws Cancelled
    // (through `control`), attn::Error or std::bad_alloc; the worker turns those into results.
    // Tests pass their own (one that waits on a latch) to know that a pass is running.
    using Pass = std::function<void(const PassRequest& request, WorkerCaches& caches, ForwardControl& control,
                                    EngineResult& result)>;
    // The pass the window runs.
    static void run_pass(const PassRequest& request, WorkerCaches& caches, ForwardControl& control,
                         EngineResult& result);

    explicit EngineWorker(Pass pass = run_pass);
    ~EngineWorker();  // cancels and joins
    EngineWorker(const EngineWorker&) = delete;
    EngineWorker& operator=(const EngineWorker&) = delete;

    // Queues a pass, replacing any queued one; returns its generation.
    uint64_t submit(const PassRequest& request);
    uint64_t submit(const SceneSpec& spec) { return submit(PassRequest{spec, std::nullopt}); }
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
    std::optional<PassRequest> queued_;
    uint64_t queued_generation_ = 0, next_generation_ = 1;
    std::optional<EngineResult> finished_;
    bool running_ = false, stopping_ = false;
    std::string stage_;
    std::atomic<bool> cancel_{false};
    std::atomic<float> progress_{0.0f};
    WorkerCaches caches_;  // used by the worker thread only: pictures, weights, the real model
    Pass pass_;
    std::thread thread_;
};

}  // namespace attn::gui
