// The mask lab: nn.MultiheadAttention (torch-mha) on the current sentences, once per masking case,
// to show side by side what PyTorch's masks do and where they trip people up:
//   key_padding_mask    the padding keys (True = padding = masked)
//   attn_mask           the causal preset or a .npy file (bool: True = NOT allowed; float: added)
//   both                merged as torch 1.13 merges them
//   full row, -1e9      the batch padded on the LEFT, as decoders pad, and causal: a padding query
//                       sees only padding keys; with a fill of -1e9 its row becomes uniform
//   full row, -inf      the same with torch's own -inf: 0/0 = NaN, as torch gives
//   float 0/1           the causal mask as float 0./1., the classic mistake: a float mask is
//                       ADDED to the scores, so 1.0 masks nothing
// Each case is a pass of the engine of its own (model/forward.h), run off the UI thread by
// MaskLabWorker; export_mask_lab writes the inputs and weights of every case for the live torch
// comparison (tests/torch/mask_lab_compare.py). Part of the GUI's model: no GL or ImGui.
#pragma once

#include "model/forward.h"
#include "pipeline/scene.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace attn::gui {

struct MaskLabCase {
    std::string id;            // "key_padding", "attn_mask", "both", "full_row_1e9", "full_row_inf", "float_01"
    std::string title;         // "key_padding_mask alone"
    std::string code;          // the torch call it stands for
    std::string lesson;        // the one thing it shows
    bool left_padded = false;  // x and the pad mask with the padding first
    bool uses_pad = false, uses_attn = false;
    bool attn_as_float01 = false;      // the bool attn_mask given as float 0./1.
    MaskFill fill = MaskFill::Module;  // Module: torch's -inf
    Tensor weights;                    // [b, heads, L, S], as need_weights=True, average_attn_weights=False
    Tensor masked;  // Bool [b, heads, L, S]: the key was removed from the row (-inf or the fill added)
};

struct MaskLabSpec {
    SceneSpec scene;             // its module is made torch-mha
    std::string attn_mask_path;  // "" = the causal preset
};

struct MaskLabResult {
    uint64_t generation = 0;
    std::string error;  // why it failed ("" when it did not)
    std::vector<MaskLabCase> cases;
    Scene scene;                     // the torch-mha scene: inputs, weights, tokens
    Tensor pad_mask, pad_mask_left;  // Bool [b, S]
    Tensor x_left;                   // x with every item's padding moved first
    Tensor attn_mask;                // what attn_mask means here: the causal bool [L, S], or the file's
    std::vector<std::vector<std::string>> tokens, tokens_left;  // per item, per position
};

// All the cases. Throws what build_scene and forward throw (ConfigError, ShapeError, FileError),
// and Cancelled when `cancel` is set between cases.
MaskLabResult run_mask_lab(const MaskLabSpec& spec, const std::atomic<bool>* cancel = nullptr);

// Writes into `dir`: weights.safetensors (the module's state_dict), x.npy, x_left.npy,
// pad_mask.npy, pad_mask_left.npy, attn_mask.npy, and per case <id>_weights.npy and
// <id>_masked.npy, plus cases.json saying which inputs each case used and its fill. Every file
// is written whole or not at all. Throws FileError.
void export_mask_lab(const MaskLabResult& result, const std::string& dir);

// Runs the lab on a thread of its own; the newest request wins, as in the engine worker.
class MaskLabWorker {
public:
    MaskLabWorker();
    ~MaskLabWorker();
    MaskLabWorker(const MaskLabWorker&) = delete;
    MaskLabWorker& operator=(const MaskLabWorker&) = delete;

    uint64_t submit(const MaskLabSpec& spec);
    std::optional<MaskLabResult> take_result();
    bool busy() const;
    bool wait_idle(double timeout_seconds);

private:
    void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::optional<MaskLabSpec> queued_;
    uint64_t queued_generation_ = 0, next_generation_ = 1;
    std::optional<MaskLabResult> finished_;
    bool running_ = false, stopping_ = false;
    std::atomic<bool> cancel_{false};
    std::thread thread_;
};

}  // namespace attn::gui
