// What the user chooses about a module: which of the five, its sizes, its scale and its mask fill.
#pragma once

#include <cstdint>
#include <string>

namespace attn {

// The seed article's four modules, exactly as written, and PyTorch's nn.MultiheadAttention.
enum class ModuleKind { Self, MultiHead, Cross, CrossMultiHead, TorchMHA };

// "self", "multihead", "cross", "cross-multihead", "torch-mha" (the CLI's names).
std::string module_name(ModuleKind kind);
ModuleKind parse_module_kind(const std::string& name);  // throws ConfigError
// The seed's class names: "SelfAttention", ..., "nn.MultiheadAttention".
std::string module_class_name(ModuleKind kind);

bool is_cross(ModuleKind kind);   // query side is an image [b, c, h, w]
bool has_heads(ModuleKind kind);  // splits into heads

// The factor the scores are multiplied by. "Module" is what the seed's code does:
// self 1/sqrt(emb_dim), multi-head 1/sqrt(depth), both cross modules emb_dim ** -0.5,
// nn.MultiheadAttention 1/sqrt(depth).
struct ScaleChoice {
    enum class Kind { Module, Depth, Emb, Number };
    Kind kind = Kind::Module;
    double value = 0.0;  // only for Number
};
ScaleChoice parse_scale(const std::string& text);  // "module" | "depth" | "emb" | a number
std::string scale_name(const ScaleChoice& scale);

// What masked_fill writes into padded key columns. "Module" is the module's own: -1e9 for the
// seed's modules, -inf for nn.MultiheadAttention (which is what PyTorch does). With -inf a row
// that is padding throughout becomes NaN after the softmax, as in PyTorch; with -1e9 it becomes
// uniform.
enum class MaskFill { Module, NegBillion, NegInf };
MaskFill parse_mask_fill(const std::string& text);  // "module" | "-1e9" | "-inf"
std::string mask_fill_name(MaskFill fill);

struct ModuleConfig {
    ModuleKind kind = ModuleKind::CrossMultiHead;
    int64_t emb_dim = 512;
    int64_t heads = 8;        // forced to 1 by the single-head modules
    int64_t in_channels = 3;  // cross modules: channels of the image x
    ScaleChoice scale;
    MaskFill mask_fill = MaskFill::Module;

    // Throws ConfigError with a sentence a user can act on (e.g. heads not dividing emb_dim).
    void validate() const;

    int64_t head_count() const { return has_heads(kind) ? heads : 1; }
    int64_t depth() const { return emb_dim / head_count(); }
    double scale_factor() const;  // what the scores are multiplied by
    float fill_value() const;     // -1e9f or -infinity
};

}  // namespace attn
