// The feed-forward activations of the encoders, by the names config.json gives them in
// `hidden_act` (transformers' ACT2FN).
#pragma once

#include <cstdint>
#include <string>

namespace attn {

enum class Activation {
    None,
    Gelu,       // "gelu", "gelu_python": x/2 · (1 + erf(x/√2)), the exact form
    GeluTanh,   // "gelu_new", "gelu_pytorch_tanh", "gelu_fast": x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))
    QuickGelu,  // "quick_gelu": x · sigmoid(1.702x)
    Relu,       // "relu"
    Silu,       // "silu", "swish": x · sigmoid(x)
};

// ConfigError naming `where` (the config file) and the supported names for any other value.
Activation parse_activation(const std::string& hidden_act, const std::string& where);

// How the trace writes it: "gelu", "gelu_new", "relu"...
std::string activation_name(Activation act);

// In place over n values.
void apply_activation(Activation act, float* x, int64_t n);

}  // namespace attn
