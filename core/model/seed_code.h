// The PyTorch line each step of a forward pass stands for, as the seed article writes it (and as
// torch.nn.functional.multi_head_attention_forward does it, for nn.MultiheadAttention). Kept
// apart from the arithmetic so that forward.cpp reads as the computation alone.
#pragma once

#include "model/config.h"

#include <string>

namespace attn {

enum class SeedStep {
    Scores,          // q · kᵀ
    ScaleByModule,   // the module's own scale
    ExpandMask,      // pad_mask [b, seq] -> [b, queries, seq]
    RepeatMask,      // -> [b, heads, queries, seq]
    WeightedSum,     // att_weights · v
    MergeHeads,      // heads x depth -> emb
    SplitHeadsView,  // the view(...).transpose(1, 2) that splits heads (without "q = q.")
};

std::string seed_code(ModuleKind kind, SeedStep step);

// "att_weights" in the seed's modules, "attn" in PyTorch's.
std::string weights_variable(ModuleKind kind);

}  // namespace attn
