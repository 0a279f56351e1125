#include "pass_scheduler.h"

#include <algorithm>

namespace attn::gui {

bool PassScheduler::take_results() {
    bool shown = false;
    while (std::optional<EngineResult> r = ctx_.worker->take_result()) {
        if (!r->scene || !r->trace) {
            ctx_.engine_error = r->error.empty() ? "the engine failed without a message" : r->error;
            ctx_.error(ctx_.engine_error);
            continue;
        }
        ctx_.scene = r->scene;
        ctx_.trace = r->trace;
        ctx_.map_model = r->map_model;
        ctx_.engine_error.clear();
        ctx_.engine_seconds = r->seconds;
        ++ctx_.pass_id;
        frames_since_pass = 0;
        cancelled_ = false;
        shown = true;

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
        if (ctx_.scene->warnings != last_warnings_) {
            for (const std::string& w : ctx_.scene->warnings)
                ctx_.info(w);
            last_warnings_ = ctx_.scene->warnings;
        }
    }
    return shown;
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
    ctx_.worker->submit(ctx_.scene_spec());
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
    try {
        save_session(ctx_.session_path, current);
    } catch (const std::exception& e) {
        ctx_.error(std::string("session not saved: ") + e.what());
    }
}

}  // namespace attn::gui
