// What the user has chosen in the window: inputs, model and view. This is the session that is
// saved as it changes and restored at the next start, so every field has a safe default and a
// session file can never name a place to write to (it holds only inputs to read).
//
// Two structs, as Tracy keeps its view options apart (TracyViewData.hpp): what the engine's result
// depends on (ComputeSettings) and what changes only how it is drawn (ViewSettings). "Must the
// engine run again?" is then a comparison of two ComputeSettings. Settings is both, so that code
// reads `settings.heads` and `settings.batch` alike; compute() and view() give the halves.
#pragma once

#include "maps/map_key.h"
#include "classroom_settings.h"
#include "model/config.h"
#include "pipeline/scene.h"
#include "render/colormap.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attn::gui {

struct ComputeSettings {
    // --- Input
    std::vector<std::string> sentences = seed_sentences();
    int max_len = 0;         // 0: auto (effective_max_len: the longest sentence; the seed's batch 5)
    std::string image_path;  // "" = the bundled default picture
    int grid_h = 40, grid_w = 40;
    bool full_resolution = false;

    // --- Model
    ModuleKind module = ModuleKind::CrossMultiHead;
    int emb_dim = 512;
    int heads = 8;
    uint64_t seed = 0;
    ScaleChoice scale;  // Number: the temperature slider's value
    MaskFill mask_fill = MaskFill::Module;
    std::string weights_path;  // "" = seeded random weights

    // --- A real trained model instead of the seed's module: "use-lite", or a Hugging Face folder
    // (what load_model takes). "" = the seed's module above. A real model reads the sentences (text
    // models) or image_path (ViT) and brings its own sizes and weights; the fields of the seed's
    // module are kept for when the user goes back to it.
    std::string model;
};

// Equal settings, equal results. Every field counts (a scale's value only for a number scale).
bool operator==(const ComputeSettings& a, const ComputeSettings& b);
inline bool operator!=(const ComputeSettings& a, const ComputeSettings& b) {
    return !(a == b);
}

struct ViewSettings {
    Colormap colormap = Colormap::Viridis;
    bool shared_normalisation = false;  // one range for all maps instead of one per map
    float opacity = 0.6f;               // of cross maps over the picture
    int batch = 0;                      // batch item shown
    int head = 0;                       // head shown; -1 = the mean over heads
    int token = 0;                      // key token shown (cross maps)
    int step = 0;                       // pipeline step selected

    // --- Real models (several layers)
    int layer = 0;           // layer shown (the large map, the Pipeline's steps)
    bool norms = false;      // norm-based attention ||α f(x)|| instead of the raw weights, in every view
    bool rollout = false;    // the large map is the rollout up to `layer` instead of a head
    int fusion = kMeanHead;  // the model view's fusion column: kMeanHead, kMaxHead or kMinHead
    int explore_tab = 0;     // the Explore panel's tab (ExploreTab)
    std::string stats_sort = "previous_share";  // the statistics table's sort column (a head_stats key)
    bool stats_descending = true;
    std::string stats_filter;  // "previous_share > 0.5, entropy < 1" (parse_head_filter, comma-separated)
    // --- The teaching views (issue 12)
    bool diagram_open = false;      // the step diagram window (Pipeline panel: Play)
    float anim_progress = 1.0f;     // how far into the selected step's animation, 0..1 (1: its end)
    std::vector<int> inspect_cell;  // the Q·K inspector's score cell {batch, head, query, key}; empty: closed
    float temperature = 1.0f;       // the inspector's own softmax temperature (the pass is unchanged)
    bool mask_lab_open = false;
    // --- Side by side for the seed's modules (the Attention panel's A | B, compare_pass.h): pane
    // B's own compute settings. "" = not chosen: the other fill of A's (-1e9 against -inf at
    // once) and A's scale.
    bool compare_open = false;        // the seed's A | B panes are shown
    std::string compare_b_mask_fill;  // "" | "module" | "-1e9" | "-inf"
    std::string compare_b_scale;      // "" | "module" | "depth" | "emb" | a number
};

bool operator==(const ViewSettings& a, const ViewSettings& b);
inline bool operator!=(const ViewSettings& a, const ViewSettings& b) {
    return !(a == b);
}

// ClassroomSettings (classroom_settings.h: presentation scale, themes, lessons' language and
// progress) changes neither the result nor the maps; it is saved with the rest.
struct Settings : ComputeSettings, ViewSettings, ClassroomSettings {
    ComputeSettings& compute() { return *this; }
    const ComputeSettings& compute() const { return *this; }
    ViewSettings& view() { return *this; }
    const ViewSettings& view() const { return *this; }
    ClassroomSettings& classroom() { return *this; }
    const ClassroomSettings& classroom() const { return *this; }
};

bool operator==(const Settings& a, const Settings& b);
inline bool operator!=(const Settings& a, const Settings& b) {
    return !(a == b);
}

// The session file: one flat JSON object, the same keys as since the first release (a file saved
// by any version loads). max_len 0 is auto; older versions saved their default 5, which stays 5.
nlohmann::json settings_to_json(const Settings& s);
// The same as text. Bytes that are not UTF-8 (a path from the file system, a --text argument)
// are written as U+FFFD instead of making nlohmann::json throw.
std::string settings_json_text(const Settings& s, int indent = -1);
// Tolerant: a missing, mistyped or out-of-range field keeps its default and adds a warning.
Settings settings_from_json(const nlohmann::json& j, std::vector<std::string>* warnings);

// `text` with every byte that does not start well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) replaced by U+FFFD; *replaced counts them. Text shown in a
// Dear ImGui text field must be UTF-8: editing other bytes trips its assertions (1.86).
std::string replace_invalid_utf8(const std::string& text, size_t* replaced);

// $XDG_CONFIG_HOME/attnscope/session.json, else ~/.config/attnscope/session.json.
std::string default_session_path();
// Defaults when the file does not exist; a file that is not a session gives defaults + a warning.
// Bytes that are not UTF-8 (JSON allows none) are read as U+FFFD, with a warning, so one bad byte
// in a sentence does not lose the rest of the session.
Settings load_session(const std::string& path, std::vector<std::string>* warnings);
// Atomic (temporary file, then rename); creates the folder. Throws FileError.
void save_session(const std::string& path, const Settings& s);

// What build_scene needs. `default_image` is used when no picture was chosen. `tokens`, when
// given, are the sentences already tokenized with these settings (AppContext::tokens()), so the
// engine does not tokenize them again.
SceneSpec scene_spec(const ComputeSettings& s, const std::string& default_image,
                     std::shared_ptr<const TokenBatch> tokens = nullptr);

}  // namespace attn::gui
