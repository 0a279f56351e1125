// Which step of a trace each step's tensor is computed from: the edges of the forward pass. Mostly
// the step before, but the seed computes q, k and v side by side from different inputs, and the
// mask steps sit between the scores and the masking. Keyed by the step names every forward pass
// records (model/recorder.h), so a new module that reuses the seed's names gets its graph for free.
#pragma once

#include "model/trace.h"

#include <cstddef>
#include <vector>

namespace attn {

// The index among steps[0, i) of the step that steps[i] is made from, or -1 when steps[i] is an
// input of the module (its `change` starts with "input"). By name:
//   q <- flatten | query | x           k, v <- context | key | query | x
//   q_heads, k_heads, v_heads <- q, k, v
//   scores <- q_heads | q              masked <- scaled           softmax <- masked | scaled
//   weighted_sum <- softmax            pad_mask_expanded <- pad_mask
//   pad_mask_heads <- pad_mask_expanded
// (the latest earlier step of the first of those names that exists); any other step: the one
// before it.
int source_step(const std::vector<TraceStep>& steps, size_t i);

}  // namespace attn
