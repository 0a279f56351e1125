// A real model's keystroke-to-attention time: prepare_text (tokenizer) + run (every layer, every
// attention kept), the work the app does when a sentence changes. Used for use-lite's "under 2 ms
// for a 20-token sentence" (scripts/bench); BERT and ViT at full size go through
// tests/torch/hf_bench.py, side by side with PyTorch.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace attn::bench {

// One warm-up pass, then `reps` timed ones. Returns {"model", "pieces", "times_ms", "median_ms",
// "fastest_ms", "peak_rss_kib"}. Throws attn::Error when the model cannot be loaded.
nlohmann::json time_model_text(const std::string& model, const std::string& sentence, int reps);

}  // namespace attn::bench
