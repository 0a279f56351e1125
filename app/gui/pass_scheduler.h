// When the window asks the engine for a pass and when it saves the session: the two debouncers
// of the frame loop, without GL so that they are unit-tested with their own clock.
//
//   PassScheduler  sends the compute settings to the worker once they have not changed for
//                  kComputeDebounce seconds (the first pass at once), unless blocked_reason()
//                  refuses them; takes the worker's results into the AppContext.
//   SessionSaver   writes the session once it has not changed for kSaveDebounce seconds, on a
//                  thread of its own (the write waits for the disk: fsync).
// "Changed" is a comparison of the settings structs: nothing is serialised per frame.
#pragma once

#include "app_context.h"
#include "background_job.h"

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attn::gui {

constexpr double kComputeDebounce = 0.15;  // s without an edit before the engine is asked
constexpr double kSaveDebounce = 0.5;      // s without a change before the session is written

class PassScheduler {
public:
    explicit PassScheduler(AppContext& ctx) : ctx_(ctx) {}

    // Takes the worker's finished results. A pass becomes what the panels show (ctx.scene,
    // ctx.trace, ctx.map_model) and the view settings are clamped to the maps it has; a failure
    // becomes ctx.engine_error and a message. True when a new pass is shown.
    bool take_results();
    // Sends the current compute settings when they changed and the debounce is over.
    void submit_when_due(double now);
    // Stops the running pass (Escape, the Cancel button); the maps shown stay.
    void cancel();

    // The pass shown is the one of the current settings, and nothing is running, waiting or
    // finished without being taken.
    bool settled() const;
    // An edit waits for its debounce (the frame loop keeps drawing meanwhile).
    bool waiting() const { return pending_.has_value() && blocked_.empty(); }
    bool cancelled() const { return cancelled_; }
    // Why the current settings are not sent ("" when they are): AppContext::blocked_reason().
    const std::string& blocked() const { return blocked_; }
    double pass_started() const { return pass_started_; }
    // --layer N of the command line: applied (or refused with a message) when the first real
    // model's pass arrives; -1 is the last layer, as attnscope-cli's default.
    void show_layer_when_loaded(int layer) { pending_layer_ = layer; }
    // Counts frames drawn since the newest pass was taken (the test hook waits for two).
    int frames_since_pass = 0;

private:
    void take_model_run();
    void post_warnings(const std::vector<std::string>& warnings);
    void go_back_to_shown_model();
    std::optional<ComputeSettings> settings_of(uint64_t generation);

    AppContext& ctx_;
    std::optional<ComputeSettings> submitted_;               // of the newest request sent (or refused to send)
    std::optional<ComputeSettings> shown_;                   // of the pass shown
    std::deque<std::pair<uint64_t, ComputeSettings>> sent_;  // generations in flight and their settings
    std::optional<int> pending_layer_;
    std::optional<ComputeSettings> pending_;  // being typed, waiting for the debounce
    double pending_since_ = 0.0;
    double pass_started_ = 0.0;
    bool cancelled_ = false;
    std::string blocked_;
    std::vector<std::string> last_warnings_;
};

class SessionSaver {
public:
    // `saved` is what the session file holds now (what was loaded).
    SessionSaver(AppContext& ctx, Settings saved) : ctx_(ctx), saved_(std::move(saved)) {}
    // Writes the session when it changed and has not changed for kSaveDebounce seconds (or at
    // once with `force`, at exit, and then waits for the write). A failure is one message, not
    // one per frame; it comes at a later call, when the write has finished.
    void save_when_due(double now, bool force);
    // Waits for a write in flight and reports its failure.
    void finish();

private:
    void report(const BackgroundJob<bool>::Outcome& outcome);

    AppContext& ctx_;
    // Off the UI thread: the fsync of a write waits for the disk, and while another program
    // writes a lot that is seconds of a frozen window. Only the latest write counts; an older
    // one still running finishes first (BackgroundJob runs one at a time), so it cannot land last.
    BackgroundJob<bool> writer_;
    Settings saved_;
    std::optional<Settings> pending_;
    double pending_since_ = 0.0;
};

}  // namespace attn::gui
