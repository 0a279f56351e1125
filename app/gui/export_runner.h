// The exports the window asks for (Ctrl+E, Ctrl+Shift+E, the File menu). They paint with GL, so
// they run on the UI thread: every map is painted a few per frame (EveryMapExport), so the window
// keeps drawing while 99 maps are written; the others (one map, a grid, tensors) at once.
// An export asked for right after an edit waits for the pass of the new settings, so the files are
// those of what the user just asked for.
#pragma once

#include "app_context.h"
#include "exporter.h"

#include <memory>
#include <optional>
#include <string>

namespace attn::gui {

class ExportRunner {
public:
    void request(ExportKind kind) { pending_ = kind; }
    // An export waits or runs: the window keeps its frames coming.
    bool active() const { return pending_.has_value() || running_.has_value(); }

    // Once a frame. `settled`: the pass shown is that of the current settings (or none will
    // come: settings refused, cancelled); `stale_note` is added to the summary otherwise-ready
    // exports of an older pass get. Maps are painted for about `seconds`.
    void frame(AppContext& ctx, bool settled, const std::string& stale_note, double seconds);
    // The running export finished at once (the window is closing: its folder gets maps.json).
    void finish_now(AppContext& ctx);

    // "Exporting 35 of 99 maps to DIR", or "" when none runs.
    std::string progress() const;
    int done() const { return done_; }
    const std::string& last_summary() const { return last_summary_; }

private:
    void start(AppContext& ctx, ExportKind kind, const std::string& stale_note);
    void finished(AppContext& ctx, const ExportResult& result, const std::string& note);

    struct Running {
        std::shared_ptr<const MapModel> model;  // the pass's maps, kept while they are painted
        std::unique_ptr<EveryMapExport> job;
        std::string dir, note;
    };
    std::optional<ExportKind> pending_;
    std::optional<Running> running_;
    int done_ = 0;
    std::string last_summary_;
};

}  // namespace attn::gui
