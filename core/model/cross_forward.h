// The cross modules' forward pass, computed in the image's few channels instead of emb_dim.
// Internal to core/model: forward() calls it after its checks.
#pragma once

#include "model/forward.h"

namespace attn::detail {

Trace forward_cross(const ModuleConfig& config, const Weights& weights, const ModuleInputs& in,
                    const ForwardControl* control);

}  // namespace attn::detail
