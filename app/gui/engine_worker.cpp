#include "engine_worker.h"

#include "errors.h"

#include <chrono>
#include <new>

namespace attn::gui {

void EngineWorker::run_pass(const PassRequest& request, WorkerCaches& caches, ForwardControl& control,
                            EngineResult& result) {
    if (request.model && names_attentions_file(request.model->model)) {
        // A saved attention file: read, not run. A file that cannot be used is told apart as a
        // model that cannot be loaded, so the window goes back to what it shows.
        AttentionSet set;
        try {
            control.progress("reading " + model_display_name(request.model->model), 0.0f);
            result.model_run = open_attentions_file(request.model->model, set);
        } catch (...) {
            result.model_unusable = true;
            throw;
        }
        control.progress("preparing the maps", 1.0f);
        result.map_model = std::make_shared<const MapModel>(std::move(set), control.cancel);
        return;
    }
    if (request.model) {
        // Loading first, on its own: a model that cannot be loaded is told apart from inputs it
        // refuses, so that the window goes back to the model it shows.
        try {
            caches.models.get(request.model->model, &control);
        } catch (const Cancelled&) {
            throw;
        } catch (...) {
            result.model_unusable = true;
            throw;
        }
        auto run = run_model(*request.model, caches.models, control);
        control.progress("preparing the maps", 1.0f);
        result.map_model = std::make_shared<const MapModel>(attention_set_from_model(run->info, run->inputs, run->pass),
                                                            control.cancel);
        result.model_run = std::move(run);
        return;
    }
    const SceneSpec& spec = request.scene;
    auto scene = std::make_shared<Scene>(build_scene(spec, &caches.scenes, &control));
    control.held_bytes = scene_bytes(*scene);
    auto trace = std::make_shared<Trace>(forward(scene->module, scene->weights, scene->inputs, &control));
    control.progress("preparing the maps", 1.0f);
    result.map_model = std::make_shared<const MapModel>(attention_set_from_pass(*scene, *trace), control.cancel);
    result.scene = std::move(scene);
    result.trace = std::move(trace);
}

EngineWorker::EngineWorker(Pass pass) : pass_(std::move(pass)), thread_([this] { run(); }) {}

EngineWorker::~EngineWorker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        queued_.reset();
    }
    cancel_ = true;
    wake_.notify_all();
    thread_.join();
}

uint64_t EngineWorker::submit(const PassRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_ = request;
    queued_generation_ = next_generation_++;
    // A newer request makes the running pass useless: stop it at its next stage.
    if (running_) cancel_ = true;
    wake_.notify_all();
    return queued_generation_;
}

void EngineWorker::cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_.reset();
    if (running_) cancel_ = true;
}

std::optional<EngineResult> EngineWorker::take_result() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<EngineResult> r = std::move(finished_);
    finished_.reset();
    return r;
}

bool EngineWorker::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_ || queued_.has_value();
}

bool EngineWorker::has_result() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return finished_.has_value();
}

std::string EngineWorker::stage() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stage_;
}

float EngineWorker::progress() const {
    return progress_.load();
}

bool EngineWorker::wait_idle(double timeout_seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                          [this] { return !running_ && !queued_.has_value(); });
}

void EngineWorker::run() {
    for (;;) {
        PassRequest request;
        uint64_t generation = 0;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || queued_.has_value(); });
            if (stopping_) return;
            request = std::move(*queued_);
            generation = queued_generation_;
            queued_.reset();
            running_ = true;
            cancel_ = false;
            stage_ = "reading inputs";
            progress_ = 0.0f;
        }

        EngineResult result;
        result.generation = generation;
        const auto start = std::chrono::steady_clock::now();
        bool cancelled = false;
        try {
            // One control for the whole pass: decoding and averaging a large picture take seconds
            // too, and Cancel must stop them as it stops the forward pass.
            ForwardControl control;
            control.cancel = &cancel_;
            control.progress = [this](const std::string& stage, float fraction) {
                std::lock_guard<std::mutex> lock(mutex_);
                stage_ = stage;
                progress_ = fraction;
            };
            pass_(request, caches_, control, result);
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const Error& e) {
            result.error = e.what();
        } catch (const std::bad_alloc&) {
            result.error = "out of memory: use a smaller grid, batch or emb_dim";
        } catch (const std::exception& e) {
            result.error = e.what();
        }
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::lock_guard<std::mutex> lock(mutex_);
        running_ = false;
        stage_.clear();
        // A cancelled pass delivers nothing; a replaced one is dropped when a newer one is queued.
        if (!cancelled && !queued_.has_value()) finished_ = std::move(result);
        idle_.notify_all();
    }
}

}  // namespace attn::gui
