// Writing a real model's pass to a folder (attnscope-cli run --model ... --dump DIR): every
// layer's attention as transformers' output_attentions stacked, the hidden states, the inputs, and
// what core/analysis makes of them. float32 unless said:
//   attentions.npy          [layers, b, heads, L, L]
//   attention_norms.npy     [layers, b, heads, L, L]   ||α_ij f_h(x_j)|| (Kobayashi et al. 2020)
//   rollout.npy             [b, L, L]                  attention rollout (Abnar & Zuidema 2020)
//   last_hidden_state.npy   [b, L, hidden]
//   input_ids.npy           int64 [b, L] (text models), attention_mask.npy int64 [b, L]
//   pixel_values.npy        [b, 3, H, W] (ViT)
//   sentence_embedding.npy  [b, 512] (use-lite, unit length)
//   head_stats.json         per layer x head statistics, with their definitions
//   head_stats.csv          the same table, one line per layer x head
//   trace.json              the model, its inputs' tokens, and every layer's steps
// Each file is written whole or not at all.
#pragma once

#include "models/model.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace attn {

// The model, its tokens and every step of every stage (embeddings, layers, pooling), no tensors.
nlohmann::json model_trace_json(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass);

// Writes into `dir` (created when missing); returns the paths written.
std::vector<std::string> dump_model_pass(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass,
                                         const std::string& dir);

}  // namespace attn
