// The layer stack both Hugging Face families share: every layer run in turn from the embeddings,
// each keeping its attention weights and output, with its trace and value norms made lazily
// (transformer/encoder_trace.h).
#pragma once

#include "models/model.h"
#include "transformer/encoder_layer.h"

#include <memory>
#include <string>
#include <vector>

namespace attn {

struct HfEncoder {
    EncoderSpec spec;
    std::vector<std::shared_ptr<const EncoderLayerWeights>> layers;
    std::string eps_text;  // layer_norm_eps as config.json gives it, for the trace: "1e-12"

    double weight_bytes() const;
};

// Runs every layer on h0 [b, L, hidden]; mask_add [b, L] (the extended attention mask) or null.
// Progress through `control` from `from` to `to`, one stage per layer; Cancelled between layers.
std::vector<LayerPass> run_hf_encoder(const HfEncoder& encoder, TensorPtr h0, TensorPtr mask_add,
                                      const ForwardControl* control, float from, float to);

// What a pass holds at its peak: every layer's weights [b, heads, L, L] and output, and one
// layer's work. ConfigError (memory_budget.h) when that is more than the machine can spare.
void check_hf_pass_memory(const HfEncoder& encoder, const std::string& model, int64_t b, int64_t L, double held_bytes);

// "1e-12", "1e-06": a number as Python prints it in a config.
std::string eps_text(double eps);

}  // namespace attn
