#include "model/input_checks.h"

#include "errors.h"
#include "model/memory_budget.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace attn {

void check_weights(const ModuleConfig& config, const Weights& weights) {
    for (const ParamSpec& spec : parameter_specs(config)) {
        if (!weights.has(spec.name))
            throw ShapeError("weights: missing tensor \"" + spec.name + "\" " + shape_string(spec.shape) + " that " +
                             module_class_name(config.kind) + " needs");
        const Shape& got = weights.get(spec.name).shape;
        if (got != spec.shape)
            throw ShapeError("weights: tensor \"" + spec.name + "\" has shape " + shape_string(got) + ", " +
                             module_class_name(config.kind) + " expects " + shape_string(spec.shape));
    }
}

namespace {

[[noreturn]] void bad_input(const std::string& tensor, const Shape& got, const std::string& expected) {
    throw ShapeError("input " + tensor + " has shape " + shape_string(got) + ", expected " + expected);
}

std::string dims_text(const std::vector<std::string>& names, const std::vector<std::string>& sizes) {
    std::string a = "[", b = "[";
    for (size_t i = 0; i < names.size(); ++i) {
        a += (i ? ", " : "") + names[i];
        b += (i ? ", " : "") + sizes[i];
    }
    return a + "] = " + b + "]";
}

}  // namespace

void validate_inputs(const ModuleConfig& config, const ModuleInputs& in) {
    const std::string E = std::to_string(config.emb_dim);
    const Tensor& x = in.x;
    const bool cross = is_cross(config.kind);
    if (cross) {
        if (x.rank() != 4 || x.dim(1) != config.in_channels)
            bad_input("x", x.shape,
                      dims_text({"b", "c", "h", "w"}, {"b", std::to_string(config.in_channels), "h", "w"}) + " for " +
                          module_class_name(config.kind));
    } else if (x.rank() != 3 || x.dim(2) != config.emb_dim) {
        bad_input("x", x.shape,
                  dims_text({"b", "seq", "emb"}, {"b", "seq", E}) + " for " + module_class_name(config.kind));
    }
    for (int64_t d : x.shape)
        if (d <= 0) bad_input("x", x.shape, "every dimension at least 1");
    const int64_t b = x.dim(0);

    const bool wants_context = cross || config.kind == ModuleKind::TorchMHA;
    if (cross && !in.context)
        throw ShapeError(module_class_name(config.kind) + " needs a context [b, seq, emb] for its keys and values");
    int64_t Lk = x.dim(1);
    if (in.context && wants_context) {
        const Tensor& c = *in.context;
        if (c.rank() != 3 || c.dim(0) != b || c.dim(2) != config.emb_dim || c.dim(1) <= 0)
            bad_input("context", c.shape, dims_text({"b", "seq", "emb"}, {std::to_string(b), "seq", E}));
        Lk = c.dim(1);
    }
    if (in.pad_mask) {
        const Tensor& m = *in.pad_mask;
        if (m.rank() != 2 || m.dim(0) != b || m.dim(1) != Lk)
            bad_input("pad_mask", m.shape,
                      dims_text({"b", "seq"}, {std::to_string(b), std::to_string(Lk)}) +
                          " (one flag per key, true = padding)");
        for (float v : m.data)
            if (v != 0.0f && v != 1.0f) throw ShapeError("input pad_mask must hold only true/false (0/1) values");
    }
    check_attn_mask(config, in, "input attn_mask");
}

void check_attn_mask(const ModuleConfig& config, const ModuleInputs& in, const std::string& source) {
    if (!in.attn_mask && !in.causal) return;
    if (config.kind != ModuleKind::TorchMHA)
        throw ConfigError(module_class_name(config.kind) + " takes no attn_mask" + (in.causal ? " (causal)" : "") +
                          ": only nn.MultiheadAttention (torch-mha) has one; the seed's modules mask padding keys "
                          "with pad_mask");
    if (in.attn_mask && in.causal)
        throw ConfigError(
            "both an attn_mask and causal were given: causal is itself the attn_mask [L, S] "
            "(True above the diagonal); give one of them");
    if (!in.attn_mask) return;
    const Tensor& x = in.x;
    if (x.rank() != 3 || (in.context && in.context->rank() != 3)) return;  // validate_inputs names x or context
    const Tensor& m = *in.attn_mask;
    if (m.dtype != DType::Bool && m.dtype != DType::F32)
        throw ShapeError(source +
                         " must be bool, uint8 (read as bool) or float, not integer: bool True = not "
                         "allowed, a float is added to the scores");
    const int64_t b = x.dim(0), L = x.dim(1), S = in.context ? in.context->dim(1) : L;
    const int64_t bh = b * config.head_count();
    const bool ok = (m.rank() == 2 && m.shape == Shape{L, S}) || (m.rank() == 3 && m.shape == Shape{bh, L, S});
    if (!ok)
        throw ShapeError(source + " has shape " + shape_string(m.shape) + ", expected " +
                         dims_text({"L", "S"}, {std::to_string(L), std::to_string(S)}) + " or " +
                         dims_text({"b*heads", "L", "S"}, {std::to_string(bh), std::to_string(L), std::to_string(S)}) +
                         " (b " + std::to_string(b) + ", heads " + std::to_string(config.head_count()) + ")");
    if (m.dtype == DType::F32)
        for (int64_t n = 0; n < m.numel(); ++n) {
            const float v = m.data[static_cast<size_t>(n)];
            // -inf is how a float mask says "not allowed"; NaN and +inf would poison the whole row.
            if (std::isnan(v) || v == std::numeric_limits<float>::infinity()) {
                Shape index(m.shape.size());
                for (int64_t d = m.rank() - 1, rest = n; d >= 0; --d) {
                    index[static_cast<size_t>(d)] = rest % m.shape[static_cast<size_t>(d)];
                    rest /= m.shape[static_cast<size_t>(d)];
                }
                throw ShapeError(source + " " + shape_string(m.shape) + " holds " + (std::isnan(v) ? "NaN" : "inf") +
                                 " at " + shape_string(index) + "; a float attn_mask holds finite numbers or -inf");
            }
        }
}

double pass_bytes(const ModuleConfig& config, double b, double Lq, double Lk, double in_channels) {
    const double E = static_cast<double>(config.emb_dim), H = static_cast<double>(config.head_count());
    // The token modules hold every step: Q, K, V, their head copies and four score-sized tensors.
    // The cross modules hold only the attention weights, the output and the small keys/values.
    const double floats = is_cross(config.kind) ? b * (H * Lq * Lk + 2 * Lq * in_channels + 4 * Lk * E)
                                                : b * (Lq * E * 7 + Lk * E * 4 + H * Lq * Lk * 4);
    return floats * sizeof(float);
}

void check_memory(const ModuleConfig& config, const ModuleInputs& in, double held_bytes) {
    const double b = static_cast<double>(in.x.dim(0)), H = static_cast<double>(config.head_count());
    const bool cross = is_cross(config.kind);
    double Lq = static_cast<double>(in.x.dim(1));
    if (cross) Lq = static_cast<double>(in.x.dim(2)) * static_cast<double>(in.x.dim(3));
    const double Lk =
        in.context && (cross || config.kind == ModuleKind::TorchMHA) ? static_cast<double>(in.context->dim(1)) : Lq;
    char what[320];
    std::snprintf(what, sizeof what,
                  "this pass (its attention weights alone are [b, heads, queries, keys] = [%.0f, %.0f, %.0f, %.0f])%s",
                  b, H, Lq, Lk, held_bytes > 0.0 ? ", with the scene it runs on," : "");
    // attn_mask and its float copy (the causal mask is made here, [L, S]).
    const double mask_bytes = in.attn_mask ? 2.0 * static_cast<double>(in.attn_mask->numel()) * sizeof(float)
                              : in.causal  ? 2.0 * Lq * Lk * sizeof(float)
                                           : 0.0;
    require_memory(pass_bytes(config, b, Lq, Lk, static_cast<double>(in.x.dim(1))) + mask_bytes + held_bytes, what,
                   "use a smaller grid, fewer or shorter sentences, or fewer heads");
}

}  // namespace attn
