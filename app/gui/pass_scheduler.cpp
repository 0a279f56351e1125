#include "pass_scheduler.h"

#include "model_run.h"

#include <algorithm>

namespace attn::gui {

bool PassScheduler::take_results() {
    bool shown = false;
    while (std::optional<EngineResult> r = ctx_.worker->take_result()) {
        const std::optional<ComputeSettings> asked = settings_of(r->generation);
        if (!r->ok()) {
            ctx_.engine_error = r->error.empty() ? "the engine failed without a message" : r->error;
            if (r->model_unusable && ctx_.revert_unusable_models) {
                go_back_to_shown_model();
                continue;
            }
            ctx_.error(ctx_.engine_error);
            continue;
        }
        ctx_.scene = r->scene;
        ctx_.trace = r->trace;
        ctx_.model_run = r->model_run;
        ctx_.map_model = r->map_model;
        ctx_.engine_error.clear();
        ctx_.engine_seconds = r->seconds;
        ++ctx_.pass_id;
        frames_since_pass = 0;
        cancelled_ = false;
        shown = true;
        if (asked) shown_ = asked;
        ctx_.shown_settings = asked;

        if (ctx_.model_run) {
            take_model_run();
            continue;
        }
        // Keep the view on a map that exists in the new pass: att_weights is [b, (heads,) Lq, Lk].
        const Tensor& attn = ctx_.trace->attn();
        const int batches = attn.rank() >= 1 ? static_cast<int>(attn.dim(0)) : 1;
        const int heads = attn.rank() == 4 ? static_cast<int>(attn.dim(1)) : 1;
        const int tokens = attn.rank() >= 1 ? static_cast<int>(attn.dim(-1)) : 1;
        Settings& s = ctx_.settings;
        s.batch = std::clamp(s.batch, 0, std::max(0, batches - 1));
        s.head = std::clamp(s.head, heads > 1 ? -1 : 0, std::max(0, heads - 1));
        s.token = std::clamp(s.token, 0, std::max(0, tokens - 1));
        s.step = std::clamp(s.step, 0, std::max(0, static_cast<int>(ctx_.trace->steps.size()) - 1));

        // Warnings of the pass (unused tensors in a weights file...), once per distinct set.
        post_warnings(ctx_.scene->warnings);
    }
    return shown;
}

void PassScheduler::take_model_run() {
    const ModelRun& run = *ctx_.model_run;
    const MapModel& maps = *ctx_.map_model;
    Settings& s = ctx_.settings;
    const int layers = std::max(1, static_cast<int>(maps.layers()));
    if (pending_layer_) {
        // --layer N from the command line, checked once the model says how many layers it has.
        if (*pending_layer_ < -1 || *pending_layer_ >= layers)
            ctx_.error("--layer " + std::to_string(*pending_layer_) + ": " + run.info.name + " has layers 0.." +
                       std::to_string(layers - 1) + "; showing layer " + std::to_string(layers - 1));
        s.layer = *pending_layer_ < 0 || *pending_layer_ >= layers ? layers - 1 : *pending_layer_;
        pending_layer_.reset();
    }
    s.layer = std::clamp(s.layer, 0, layers - 1);
    s.batch = std::clamp(s.batch, 0, std::max(0, static_cast<int>(maps.batches()) - 1));
    const int heads = static_cast<int>(maps.heads());
    s.head = std::clamp(s.head, maps.has_fusions() ? kMinHead : 0, std::max(0, heads - 1));
    // A patch model's query (0 = [CLS]); text models show whole matrices.
    s.token = std::clamp(s.token, 0, std::max(0, static_cast<int>(maps.queries()) - 1));
    ctx_.show_layer_trace();
    s.step = std::clamp(s.step, 0, std::max(0, static_cast<int>(ctx_.trace->steps.size()) - 1));
    post_warnings(run.warnings);
}

void PassScheduler::post_warnings(const std::vector<std::string>& warnings) {
    if (warnings == last_warnings_) return;
    for (const std::string& w : warnings)
        ctx_.info(w);
    last_warnings_ = warnings;
}

void PassScheduler::go_back_to_shown_model() {
    // One message naming the file and the reason (load_model's), and the model shown stays: the
    // settings go back to it, without a new pass when they are then those of the pass shown.
    const std::string back = ctx_.model_run ? ctx_.model_run->requested : std::string();
    const std::string asked = ctx_.settings.model;
    ctx_.error(ctx_.engine_error + "  (" +
               (back.empty() ? std::string("the seed's module") : model_display_name(back)) + " stays)");
    ctx_.engine_error.clear();
    if (asked == back) return;
    ctx_.settings.model = back;
    if (shown_ && *shown_ == ctx_.settings.compute()) submitted_ = shown_;
}

std::optional<ComputeSettings> PassScheduler::settings_of(uint64_t generation) {
    std::optional<ComputeSettings> found;
    while (!sent_.empty() && sent_.front().first <= generation) {
        if (sent_.front().first == generation) found = sent_.front().second;
        sent_.pop_front();
    }
    return found;
}

void PassScheduler::submit_when_due(double now) {
    const ComputeSettings& current = ctx_.settings.compute();
    if (submitted_ && *submitted_ == current) {
        pending_.reset();
        blocked_.clear();
        return;
    }
    if (!pending_ || *pending_ != current) {
        pending_ = current;
        pending_since_ = now;
    }
    // The first pass goes at once: the window opens on maps, not on an empty state.
    if (submitted_ && now - pending_since_ < kComputeDebounce) return;
    blocked_ = ctx_.blocked_reason();
    if (!blocked_.empty()) return;  // shown in the status bar (and by the Model panel)
    const uint64_t generation = ctx_.worker->submit(ctx_.pass_request());
    sent_.emplace_back(generation, current);
    if (sent_.size() > 64) sent_.pop_front();
    submitted_ = current;
    pending_.reset();
    pass_started_ = now;
    cancelled_ = false;
}

void PassScheduler::cancel() {
    ctx_.worker->cancel();
    cancelled_ = true;
}

bool PassScheduler::settled() const {
    // A pass that finished but is not taken yet (it finished after this frame's take_results)
    // is not on screen: until it is, the scene and trace shown are those of the pass before.
    return submitted_.has_value() && !pending_ && !ctx_.worker->busy() && !ctx_.worker->has_result() &&
           *submitted_ == ctx_.settings.compute();
}

void SessionSaver::save_when_due(double now, bool force) {
    if (ctx_.session_path.empty()) return;
    if (auto done = writer_.take()) report(*done);
    const Settings& current = ctx_.settings;
    if (current == saved_) {
        pending_.reset();
        return;
    }
    if (!pending_ || *pending_ != current) {
        pending_ = current;
        pending_since_ = now;
    }
    if (!force && now - pending_since_ < kSaveDebounce) return;
    saved_ = current;  // also on failure: one message, not one per frame
    pending_.reset();
    writer_.start([path = ctx_.session_path, settings = current] {
        save_session(path, settings);  // [the session's JSON, a few KiB] -> path, synced
        return true;
    });
    if (force) finish();
}

void SessionSaver::finish() {
    if (auto done = writer_.wait()) report(*done);
}

void SessionSaver::report(const BackgroundJob<bool>::Outcome& outcome) {
    if (!outcome.error.empty()) ctx_.error("session not saved: " + outcome.error);
}

}  // namespace attn::gui
