// The checks a forward pass makes before it computes anything: weights and inputs of the
// shapes the module needs, and intermediates that fit in memory. Each failure is a typed error
// whose message names the tensor, its shape and the shape expected.
#pragma once

#include "model/config.h"
#include "model/forward.h"
#include "model/weights.h"

namespace attn {

// ShapeError naming the missing or misshapen parameter.
void check_weights(const ModuleConfig& config, const Weights& weights);

// ShapeError naming x, context, pad_mask or attn_mask, its shape and the expected one.
void validate_inputs(const ModuleConfig& config, const ModuleInputs& in);

// attn_mask and causal: ConfigError for a module other than torch-mha or for both at once;
// ShapeError, starting with `source` ("input attn_mask", "m.npy: attn_mask"), for a mask that is
// not bool or float, not [L, S] = [..] or [b*heads, L, S] = [..], or holding NaN or +inf.
// Says nothing while x or context is misshapen: validate_inputs names those.
void check_attn_mask(const ModuleConfig& config, const ModuleInputs& in, const std::string& source);

// The bytes one forward pass holds at its peak, known before it runs: b batch items, Lq queries
// (the h*w pixels of the cross modules), Lk keys, in_channels of x for the cross modules. What
// check_memory counts, and what the app estimates from its settings before building a scene.
double pass_bytes(const ModuleConfig& config, double b, double Lq, double Lk, double in_channels);

// ConfigError, before any allocation, when the pass would need more memory than the machine has.
// `held_bytes` is what the caller keeps alive meanwhile (ForwardControl::held_bytes).
void check_memory(const ModuleConfig& config, const ModuleInputs& in, double held_bytes = 0.0);

}  // namespace attn
