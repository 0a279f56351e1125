// What every panel of the window reads and changes: the settings, the engine's latest result,
// the GPU views of its maps, and the messages shown to the user. One per window, owned by main.
#pragma once

#include "engine_worker.h"
#include "map_views.h"
#include "settings.h"

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attn::gui {

// The largest step tensor the Pipeline panel makes on demand (256 MiB of float); larger steps are
// described, not made. The memory estimate of a pass counts one of them and its display copy.
constexpr int64_t kMaxPipelineStepValues = int64_t{1} << 26;

struct Message {
    enum class Kind { Info, Error } kind = Kind::Info;
    std::string text;
    double shown_at = 0.0;  // glfwGetTime() when it was posted
};

struct AppContext {
    Settings settings;
    std::string asset_dir;      // bundled pictures: <asset_dir>/images/*.png
    std::string session_path;   // where the session is saved ("" = not saved)

    // The newest successful pass: what the panels show. Kept while a new one runs, so the
    // window never goes blank during an edit.
    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const MapModel> map_model;  // of that pass, made by the worker (engine_worker.h)
    std::string engine_error;   // why the newest pass failed ("" when it did not)
    double engine_seconds = 0.0;

    EngineWorker* worker = nullptr;
    MapViews* maps = nullptr;
    std::vector<Message> messages;

    void info(std::string text);
    void error(std::string text);

    // The default picture (<asset_dir>/images/chelsea.png) and the bundled ones.
    std::string default_image() const;
    std::vector<std::string> bundled_images() const;

    // --- Added by the window shell (app_window.cpp); additive to the fields above.

    // True while the window is rendered for --screenshot: panels leave out text that changes
    // from run to run (timings, FPS, progress), so screenshots can be compared.
    bool steady_screen = false;
    std::string export_dir;  // where exports go: --export-dir, else ./attnscope-export

    // Why the current settings must not be sent to the engine ("" when they can be): heads that
    // do not divide emb_dim (with the valid divisors listed), a size out of range, a pass too
    // large for memory. The window then keeps the last result and shows this instead.
    std::string blocked_reason() const;

    // What the Attention panel shows, from the view settings: the map of (batch, head, token)
    // and the style it is drawn in. Exports use the same, so a file is what the screen shows.
    MapKey current_map() const;
    MapStyle map_style() const;

    // Screen rectangles of named widgets, for the end-to-end test (ATTNSCOPE_TEST_LAYOUT):
    // note_item("model.heads") right after a widget records ImGui's last item rectangle
    // {x0, y0, x1, y1} in window pixels. Does nothing unless record_items is true.
    bool record_items = false;
    std::map<std::string, std::array<float, 4>> item_rects;
    void note_item(const std::string& name);
};

// The numbers that divide emb_dim (the head counts multi-head attention accepts), ascending.
std::vector<int> head_divisors(int emb_dim);

}  // namespace attn::gui
