// What every panel of the window reads and changes: the settings, the engine's latest result,
// the GPU views of its maps, and the messages shown to the user. One per window, owned by main.
//
// This is the GUI's model: it compiles without GL, GLFW or Dear ImGui (the attnscope_app_model
// target), so it is unit-tested without a display. What it needs from the window layer comes in
// through `clock` (the window sets glfwGetTime) and `items` (the test hook's widget recorder).
#pragma once

#include "engine_worker.h"
#include "map_views.h"
#include "settings.h"
#include "step_player.h"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn::gui {

// The largest step tensor the Pipeline panel makes on demand (256 MiB of float); larger steps are
// described, not made. The memory estimate of a pass counts one of them and its display copy.
constexpr int64_t kMaxPipelineStepValues = int64_t{1} << 26;
// Every step is made off the window's thread (background_job.h): its size says little about its
// cost, since a lazy step is recomputed (the scores of a cross module, [3, 8, 35000, 5], are
// 4 MiB but need Q of every pixel: [35000, 512] x [512, 512], seconds). The frame that asks waits
// this long for it, so that a quick step is shown at once instead of flashing a "making" note.
constexpr std::chrono::milliseconds kStepMadeWithinFrame{12};

struct Message {
    enum class Kind { Info, Error } kind = Kind::Info;
    std::string text;
    double shown_at = 0.0;  // AppContext::clock() when it was posted
};

// Where the widgets are, for the end-to-end tests (ATTNSCOPE_TEST_LAYOUT). The window layer
// implements it with Dear ImGui's last item rectangle; panels call AppContext::note_item.
class ItemRecorder {
public:
    virtual ~ItemRecorder() = default;
    // Right after a widget: remember its rectangle under `name` ("model.heads").
    virtual void note(const std::string& name) = 0;
    // A rectangle that is not the last widget (a panel's window: "panel.model"), screen units.
    virtual void note_rect(const std::string& /*name*/, float /*x0*/, float /*y0*/, float /*x1*/, float /*y1*/) {}
};

// The sentences as the engine will tokenize them (scene_tokens), made once per edit of the
// sentences or max_len and shared by the Input panel, the memory estimate and the engine.
struct TokenPreview {
    std::vector<std::string> sentences;
    int max_len = -1;
    std::shared_ptr<const TokenBatch> batch;  // null when the text is refused
    std::string error;                        // why (invalid UTF-8, too many tokens...)
};

struct AppContext {
    AppContext();

    Settings settings;
    std::string asset_dir;     // bundled pictures: <asset_dir>/images/*.png
    std::string session_path;  // where the session is saved ("" = not saved)

    // The newest successful pass: what the panels show. Kept while a new one runs, so the
    // window never goes blank during an edit. Either the seed's module (scene + trace) or a real
    // model (model_run; then scene is null and trace is the steps of the layer shown, settings.layer,
    // sharing model_run: show_layer_trace()).
    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const ModelRun> model_run;
    std::shared_ptr<const MapModel> map_model;  // of that pass, made by the worker (engine_worker.h)
    std::string engine_error;                   // why the newest pass failed ("" when it did not)
    double engine_seconds = 0.0;
    // Changes whenever scene and trace do (PassScheduler::take_results): what the panels key
    // their caches of a pass by, so that none keeps the pass itself.
    uint64_t pass_id = 0;
    // The compute settings that pass was asked with (PassScheduler::take_results); unset before
    // the first. The seed's A | B makes pane B from them, so B is always the scene A shows.
    std::optional<ComputeSettings> shown_settings;

    EngineWorker* worker = nullptr;
    MapViews* maps = nullptr;
    std::vector<Message> messages;

    // Seconds on a monotonic clock; the window sets glfwGetTime so that messages and the status
    // bar share one time line. Tests set their own.
    std::function<double()> clock;
    // The most memory a pass may need (bytes): memory_limit_bytes() of core (60% of the physical
    // memory, or $ATTNSCOPE_MEMORY_LIMIT_MB). Tests set their own, so that they do not depend on
    // the host's RAM.
    double memory_limit = 0.0;

    void info(std::string text);
    void error(std::string text);

    // The default picture (<asset_dir>/images/chelsea.png) and the bundled ones.
    std::string default_image() const;
    std::vector<std::string> bundled_images() const;

    // The tokens of the current sentences and max_len; made again only when those changed.
    const TokenPreview& tokens() const;
    // What to send to the engine for the current settings (with the tokens above).
    SceneSpec scene_spec() const;
    // The same for either kind of pass: the seed's scene, or settings.model with the sentences (or
    // the picture, for a ViT).
    PassRequest pass_request() const;

    // A pass is shown (of either kind), with its map model.
    bool has_pass() const { return map_model && ((scene && trace) || model_run); }
    // The pass shown is a real model's.
    bool real_model() const { return model_run != nullptr; }
    // The pass shown is the saved attention file the settings name (model_run.h's
    // open_attentions_file): no steps, no sentences to type. From the pass, not the disk.
    bool showing_saved_attention() const;
    // Real models: points `trace` at the steps of layer settings.layer (clamped to the model's
    // layers), sharing model_run, so that the Pipeline panel shows that layer. Does nothing for the
    // seed's modules.
    void show_layer_trace();

    // True while the window is rendered for --screenshot: panels leave out text that changes
    // from run to run (timings, FPS, progress), so screenshots can be compared.
    bool steady_screen = false;
    // When a real model cannot be loaded, settings.model goes back to the model shown (the window
    // stays usable). One-off runs (--export, --screenshot) keep the failure instead, so they exit 1.
    bool revert_unusable_models = true;
    // The head view draws every query's lines (BertViz's view with no token chosen) and tints each
    // key by the mean weight it gets; off: the lines of the chosen query (settings.token) only.
    bool head_view_every_query = false;
    // "Exporting 35 of 99 maps to DIR" while Ctrl+E's maps are painted a few per frame, else "".
    std::string export_progress;
    // What the views show, for the end-to-end tests (written into the test layout's state as
    // "views"): panels fill it only while `items` is set (the test hook is on).
    nlohmann::json test_state;
    std::string export_dir;  // where exports go: --export-dir, else ./attnscope-export

    // Why the current settings must not be sent to the engine ("" when they can be): heads that
    // do not divide emb_dim (with the valid divisors listed), a size out of range, a pass too
    // large for memory_limit. The window then keeps the last result and shows this instead.
    std::string blocked_reason() const;

    // What the Attention panel shows, from the view settings: the map of (batch, head, token)
    // and the style it is drawn in. Exports use the same, so a file is what the screen shows.
    // A real model's map is of settings.layer, and of the quantity the view asks for (norms,
    // rollout) where the map model has it; a patch model's is the row of query settings.token.
    MapKey current_map() const;
    MapStyle map_style() const;

    // Screen rectangles of named widgets, for the lessons' highlights and the end-to-end tests:
    // note_item("model.heads") right after a widget (lessons/widget_names.h lists the names).
    // Does nothing unless the window set `items`.
    ItemRecorder* items = nullptr;
    void note_item(const std::string& name) {
        if (items) items->note(name);
    }
    void note_rect(const std::string& name, float x0, float y0, float x1, float y1) {
        if (items) items->note_rect(name, x0, y0, x1, y1);
    }

    // --- The teaching views (issue 12)
    StepPlayer player;  // the Pipeline panel's step animation
    // Set during a frame by a view that animates (the step diagram playing): the window then draws
    // at 60 Hz instead of waiting for input.
    bool animating = false;
    // Set during a frame by the seed's A | B while pane B's own pass runs (compare_pass.h): the
    // window keeps drawing, and --screenshot waits for it.
    bool side_pass_busy = false;
    // What the end-to-end tests read besides the widgets, as JSON texts by name ("diagram",
    // "inspector", "mask_lab"). Panels fill it only while the test hook is on (testing()).
    std::map<std::string, std::string> probes;
    bool testing() const { return items != nullptr; }

private:
    mutable TokenPreview token_preview_;
};

// The numbers that divide emb_dim (the head counts multi-head attention accepts), ascending.
std::vector<int> head_divisors(int emb_dim);

}  // namespace attn::gui
