// The engine's entry point: one forward pass of a module, with its trace.
#pragma once

#include "errors.h"
#include "model/config.h"
#include "model/trace.h"
#include "model/weights.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace attn {

struct ModuleInputs {
    // Query side. self, multihead, torch-mha: [b, seq, emb]; cross modules: [b, c, h, w].
    Tensor x;
    // Key/value side [b, seq, emb]. Required by the cross modules; torch-mha does
    // cross-attention when it is given and self-attention otherwise; others ignore it.
    std::optional<Tensor> context;
    // Bool [b, seq_k], true = padding (input_ids.eq(0)). Expanded exactly as the seed does.
    // For torch-mha it is key_padding_mask.
    std::optional<Tensor> pad_mask;
    // torch-mha only: nn.MultiheadAttention's attn_mask, [L, S] or [b*heads, L, S]. Bool: True =
    // query i may not attend to key j (filled with -inf); F32: added to the scaled scores.
    // Merged with pad_mask as torch 1.13 does (model/attn_mask.h).
    std::optional<Tensor> attn_mask;
    // torch-mha only, instead of attn_mask: the causal attn_mask, bool [L, S], True where key j
    // comes after query i (model/attn_mask.h causal_mask).
    bool causal = false;
};

// Lets a caller on another thread follow a pass and stop it between its stages. build_scene
// (pipeline/scene.h) takes one too: decoding and averaging a large picture take seconds.
struct ForwardControl {
    const std::atomic<bool>* cancel = nullptr;  // when set, the pass throws Cancelled at its next stage
    std::function<void(const std::string& stage, float fraction)> progress;  // called at each stage
    // Bytes the caller keeps alive while the pass runs (its scene: pictures, inputs, weights),
    // counted with the pass's own memory before the pass allocates anything.
    double held_bytes = 0.0;
};

// A pass stopped through ForwardControl::cancel.
struct Cancelled : Error {
    using Error::Error;
};

// Reports the stage about to run, and throws Cancelled there when asked to. Nothing without a
// control.
void checkpoint(const ForwardControl* control, const std::string& stage, float fraction);

// Runs the module. Throws ShapeError (naming the tensor, its shape and the expected shape) or
// ConfigError; never aborts. Layouts of Trace::attn, as PyTorch gives them:
//   self [b, seq, seq]; multihead [b, heads, seq, seq]; cross [b, h*w, seq];
//   cross-multihead [b, heads, h*w, seq]; torch-mha [b, heads, L, S]
//   (need_weights=True, average_attn_weights=False).
// Trace::output: [b, seq, emb] or, for the cross modules, [b, c, h, w].
Trace forward(const ModuleConfig& config, const Weights& weights, const ModuleInputs& inputs,
              const ForwardControl* control = nullptr);

}  // namespace attn
