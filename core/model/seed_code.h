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

// The lines of torch 1.13's F.multi_head_attention_forward that apply nn.MultiheadAttention's
// attn_mask (model/attn_mask.h). `fill` is how the fill is written: "float('-inf')" or "-1e9".
enum class TorchMaskStep {
    BoolInput,     // attn_mask given, bool
    FloatInput,    // attn_mask given, float
    Causal,        // the causal preset
    Broadcast2D,   // [L, S] over b*heads
    Split3D,       // [b*heads, L, S] seen as [b, heads, L, S]
    CombineBool,   // key_padding_mask merged into a bool attn_mask
    CombineFloat,  // ... into a float one
    BoolToFloat,   // bool -> 0 / fill
    AddToScores,   // baddbmm
};
std::string torch_mask_code(TorchMaskStep step, const std::string& fill);

// "att_weights" in the seed's modules, "attn" in PyTorch's.
std::string weights_variable(ModuleKind kind);

}  // namespace attn
