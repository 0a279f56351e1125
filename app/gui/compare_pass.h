// Side by side for the seed's modules: pane B is the same scene as A under its own compute
// settings (mask fill, scale), so a student sees -1e9 against -inf, or two scales, at once.
// The scale's number is the temperature the scores are multiplied by (ScaleChoice::Number); the
// Q·K inspector's temperature changes only that view and is not a compute setting.
//
// B's pass runs on its own EngineWorker, never on the window's thread, and is asked again whenever
// A's compute settings or B's own change. A result is shown only when it is of the settings wanted
// now: an older pass that finishes late is dropped, never drawn.
//
// No GL here, so the rules are unit-tested (tests/unit/test_compare_pass.cpp).
#pragma once

#include "engine_worker.h"
#include "maps/map_model.h"
#include "settings.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attn::gui {

// The fill the module really writes: MaskFill::Module is -1e9 for the seed's modules and -inf for
// nn.MultiheadAttention (config.h).
MaskFill effective_fill(ModuleKind module, MaskFill fill);
// The other one of -1e9 and -inf: B's fill when none was chosen, so the panes differ at once.
MaskFill other_fill(ModuleKind module, MaskFill fill);

// B's fill and scale as the view settings hold them ("" = not chosen: the other fill, A's scale).
MaskFill pane_b_fill(const ComputeSettings& a, const ViewSettings& v);
ScaleChoice pane_b_scale(const ComputeSettings& a, const ViewSettings& v);
// A's compute settings with B's fill and scale: everything else (sentences, module, weights,
// seed) is A's, so B is the same scene.
ComputeSettings pane_b_settings(const ComputeSettings& a, const ViewSettings& v);

// "mask fill -1e9, scale module": how attnscope-cli run --export-panes labels a pane computed
// under --mask-fill / --scale (and --b-mask-fill / --b-scale), so the two panes.json agree.
std::string pane_settings_label(const ComputeSettings& s);

// A - B of one map key in two passes, cell by cell, [rows, cols] row-major. A NaN on either side
// gives NaN (-inf on a fully padded row is NaN in the softmax); max_abs is over the finite cells.
struct PaneDifference {
    int64_t rows = 0, cols = 0;
    std::vector<float> values;
    float max_abs = 0.0f;
    int64_t nan_cells = 0;
    bool same_size = false;  // false: the maps differ in size (or a map is missing): no values
};
PaneDifference pane_difference(const MapModel& a, const MapModel& b, const MapKey& key);

// The hover's lines at cell (row, col) of `key`, values written exactly ("0.25", "NaN", "-inf"):
//   "query 0, key 3 (padding)"  or  "pixel (12, 30) of the grid, key token 2",
//   "A (mask fill -1e9, scale module): 0.25", "B (mask fill -inf, scale module): NaN",
//   "A - B: NaN", and a note when every key of the batch item is padding.
// `b` null (B's pass not done) or `d` without values leave out the lines they would give.
std::vector<std::string> hover_lines(const MapModel& a, const MapModel* b, const PaneDifference& d, const MapKey& key,
                                     int row, int col, const std::string& label_a, const std::string& label_b);

class ComparePass {
public:
    // `pass` as EngineWorker's (tests pass their own). The worker thread starts on the first ask.
    explicit ComparePass(EngineWorker::Pass pass = EngineWorker::run_pass) : pass_(std::move(pass)) {}

    // Asks for B's pass under `b` (made into `spec`) unless it was the last one asked.
    void ask(const ComputeSettings& b, const SceneSpec& spec);
    // Takes a finished pass. True when a new result arrived.
    bool take_results();
    // The finished pass of exactly `b`, or null (not asked, running, or only an older one done).
    const EngineResult* result_for(const ComputeSettings& b) const;
    // A pass of the newest settings is asked for, running or finished but not taken.
    bool busy() const;
    // The last finished pass failed: its message ("" otherwise).
    const std::string& error() const { return error_; }
    // Counts the passes taken, so that textures of B are made again only for a new one.
    uint64_t result_id() const { return result_id_; }

private:
    EngineWorker::Pass pass_;
    std::unique_ptr<EngineWorker> worker_;
    std::optional<ComputeSettings> asked_;
    std::deque<std::pair<uint64_t, ComputeSettings>> sent_;  // generations in flight
    std::optional<EngineResult> result_;
    std::optional<ComputeSettings> result_settings_;
    std::string error_;
    uint64_t result_id_ = 0;
};

}  // namespace attn::gui
