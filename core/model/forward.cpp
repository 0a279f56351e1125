// One forward pass of any of the five modules, recorded step by step. The cross modules take a
// shorter road (cross_forward.cpp); this file computes the three whose queries are tokens:
// x -> Wq/Wk/Wv -> (split heads) -> scores -> scale -> masked_fill -> softmax -> weighted sum of
// v -> (merge heads) -> fc / out_proj. The single-head modules run with heads = 1, whose
// [b, 1, L, emb] layout is the same memory as the seed's [b, L, emb]; the trace shows each module
// in the seed's own shapes.
#include "model/forward.h"

#include "errors.h"
#include "model/attn_mask.h"
#include "model/cross_forward.h"
#include "model/fused_attention.h"
#include "model/input_checks.h"
#include "model/ops.h"
#include "model/recorder.h"
#include "model/seed_code.h"

#include <cmath>
#include <memory>
#include <sstream>

namespace attn {

namespace {

using namespace detail;

struct Pass {
    const ModuleConfig& config;
    const Weights& weights;
    const ModuleInputs& in;
    Recorder rec;
    ModuleKind kind;
    bool multi, torch_mha;
    DimNames dn;
    int64_t b, E, H, D;
    int64_t Lq = 0, Lk = 0;  // query and key positions

    Pass(const ModuleConfig& c, const Weights& wt, const ModuleInputs& i, Trace& trace)
        : config(c),
          weights(wt),
          in(i),
          rec(trace),
          kind(c.kind),
          multi(has_heads(c.kind)),
          torch_mha(c.kind == ModuleKind::TorchMHA),
          dn(dim_names(c.kind)),
          b(i.x.dim(0)),
          E(c.emb_dim),
          H(c.head_count()),
          D(c.depth()) {}

    // [b, heads, queries, keys], without the heads dim for the single-head modules.
    NamedShape score_shape() const {
        if (multi) return named({"b", "heads", dn.q_len, dn.k_len}, {b, H, Lq, Lk});
        return named({"b", dn.q_len, dn.k_len}, {b, Lq, Lk});
    }
};

// The queries' source: the tokens x [b, seq, emb] (query [b, L, emb] for nn.MultiheadAttention).
TensorPtr query_side(Pass& p) {
    TensorPtr x = hold(p.in.x);
    p.rec.held(p.torch_mha ? "query" : "x", p.torch_mha ? "query  # batch_first=True" : "x",
               named({"b", p.dn.q_len, "emb"}, {p.b, p.in.x.dim(1), p.E}), "input", x);
    p.Lq = x->dim(1);
    return x;
}

// The keys' and values' source: the context [b, Lk, emb] when the module takes one, else the query.
TensorPtr key_side(Pass& p, TensorPtr query) {
    TensorPtr src = query;
    if (p.in.context && p.torch_mha) {
        src = hold(*p.in.context);
        p.rec.held(p.torch_mha ? "key" : "context", p.torch_mha ? "key = value  # batch_first=True" : "context",
                   named({"b", p.dn.k_len, "emb"}, {p.b, src->dim(1), p.E}), "input (keys and values)", src);
    }
    p.Lk = src->dim(1);
    return src;
}

struct QKV {
    TensorPtr q, k, v;
};

// Wq/Wk/Wv (or in_proj's three row blocks): [b, L, emb] -> [b, L, emb]
QKV project(Pass& p, const Tensor& query, const Tensor& key_src) {
    QKV r;
    const NamedShape q_shape = named({"b", p.dn.q_len, "emb"}, {p.b, p.Lq, p.E});
    const NamedShape kv_shape = named({"b", p.dn.k_len, "emb"}, {p.b, p.Lk, p.E});
    if (p.torch_mha) {
        const Tensor& W = p.weights.get("in_proj_weight");
        const Tensor& B = p.weights.get("in_proj_bias");
        r.q = hold(linear_rows(query, W, B, 0, p.E));
        r.k = hold(linear_rows(key_src, W, B, p.E, p.E));
        r.v = hold(linear_rows(key_src, W, B, 2 * p.E, p.E));
        p.rec.held("q", "q = F.linear(query, in_proj_weight[:E], in_proj_bias[:E])", q_shape, "in_proj rows 0..E", r.q);
        p.rec.held("k", "k = F.linear(key, in_proj_weight[E:2E], in_proj_bias[E:2E])", kv_shape, "in_proj rows E..2E",
                   r.k);
        p.rec.held("v", "v = F.linear(value, in_proj_weight[2E:], in_proj_bias[2E:])", kv_shape, "in_proj rows 2E..3E",
                   r.v);
        return r;
    }
    // SelfAttention and MultiHeadAttention: Wq/Wk/Wv without bias (the cross modules have one).
    r.q = hold(linear(query, p.weights.get("Wq.weight"), nullptr));
    r.k = hold(linear(key_src, p.weights.get("Wk.weight"), nullptr));
    r.v = hold(linear(key_src, p.weights.get("Wv.weight"), nullptr));
    p.rec.held("q", "q = self.Wq(x)", q_shape, "linear emb -> emb", r.q);
    p.rec.held("k", "k = self.Wk(x)", kv_shape, "linear emb -> emb", r.k);
    p.rec.held("v", "v = self.Wv(x)", kv_shape, "linear emb -> emb", r.v);
    return r;
}

// The seed's head split, [b, L, emb] -> [b, heads, L, depth]: recorded (lazily) for the modules
// that have heads. The computation itself reads the heads as strided views of q, k and v.
void record_heads(Pass& p, const QKV& flat) {
    if (!p.multi) return;
    const std::string view = seed_code(p.kind, SeedStep::SplitHeadsView);
    const std::string change = "emb split into heads x depth, heads moved before positions";
    const int64_t H = p.H;
    p.rec.lazy("q_heads", "q = q." + view, named({"b", "heads", p.dn.q_len, "depth"}, {p.b, p.H, p.Lq, p.D}), change,
               DType::F32, [q = flat.q, H] { return split_heads(*q, H); });
    p.rec.lazy("k_heads", "k = k." + view, named({"b", "heads", p.dn.k_len, "depth"}, {p.b, p.H, p.Lk, p.D}), change,
               DType::F32, [k = flat.k, H] { return split_heads(*k, H); });
    p.rec.lazy("v_heads", "v = v." + view, named({"b", "heads", p.dn.k_len, "depth"}, {p.b, p.H, p.Lk, p.D}), change,
               DType::F32, [v = flat.v, H] { return split_heads(*v, H); });
}

// nn.MultiheadAttention's attn_mask as given (or the causal one), and as [b, heads, L, S].
TensorPtr attn_mask_input(Pass& p) {
    TensorPtr m = hold(p.in.causal ? causal_mask(p.Lq, p.Lk) : *p.in.attn_mask);
    const bool is_bool = m->dtype == DType::Bool, per_head = m->rank() == 3;
    const TorchMaskStep code = p.in.causal ? TorchMaskStep::Causal
                               : is_bool   ? TorchMaskStep::BoolInput
                                           : TorchMaskStep::FloatInput;
    const std::string change = p.in.causal ? "causal: True above the diagonal, where key j comes after query i"
                               : is_bool   ? "input: True where query i may not attend to key j"
                                           : "input: a number added to each score";
    p.rec.held("attn_mask", torch_mask_code(code, ""),
               per_head ? named({"b*heads", "L", "S"}, m->shape) : named({"L", "S"}, m->shape), change, m);
    const int64_t b = p.b, H = p.H;
    p.rec.lazy("attn_mask_expanded",
               torch_mask_code(per_head ? TorchMaskStep::Split3D : TorchMaskStep::Broadcast2D, ""),
               named({"b", "heads", "L", "S"}, {b, H, p.Lq, p.Lk}),
               per_head ? "b*heads split into b x heads" : "the same mask for every batch item and head", m->dtype,
               [m, b, H] { return expand_attn_mask(*m, b, H); });
    return m;
}

// torch's merge of key_padding_mask into attn_mask, the bool mask made numbers, and the masked
// scores. Returns what the fused kernel adds: attn_mask as floats, [L, S] or [b*heads, L, S].
TensorPtr attn_mask_merge(Pass& p, TensorPtr m, TensorPtr pad, std::function<Tensor()> scaled_scores, float fill,
                          const std::string& fill_text) {
    const NamedShape full = named({"b", "heads", "L", "S"}, {p.b, p.H, p.Lq, p.Lk});
    const bool is_bool = m->dtype == DType::Bool;
    const int64_t b = p.b, H = p.H;
    if (pad)
        p.rec.lazy(
            "combined_mask",
            torch_mask_code(is_bool ? TorchMaskStep::CombineBool : TorchMaskStep::CombineFloat, fill_text), full,
            is_bool ? "True where either mask is True" : "padded keys set to " + fill_text + " in the float mask",
            m->dtype, [m, pad, H, fill] { return combine_masks(*m, *pad, H, fill); });
    if (is_bool)
        p.rec.lazy("float_mask", torch_mask_code(TorchMaskStep::BoolToFloat, fill_text), full,
                   "the mask as numbers: True -> " + fill_text + ", False -> 0", DType::F32,
                   [m, pad, b, H, fill] { return additive_mask(*m, pad.get(), b, H, fill); });
    p.rec.lazy("masked", torch_mask_code(TorchMaskStep::AddToScores, fill_text), full,
               "the float mask added to the scaled scores", DType::F32, [scaled_scores, m, pad, b, H, fill] {
                   return add_mask(scaled_scores(), additive_mask(*m, pad.get(), b, H, fill));
               });
    return hold(attn_mask_as_float(*m, fill));
}

// scores -> scale -> masked_fill -> softmax: [b, heads, Lq, Lk], the attention weights. Only the
// weights are computed; the three steps before them are made from q and k when asked for.
// nn.MultiheadAttention with an attn_mask adds the mask instead of masked_fill (attn_mask.h).
TensorPtr attention_weights(Pass& p, const QKV& flat, double scale, float fill) {
    const NamedShape shape = p.score_shape();
    const std::string var = weights_variable(p.kind);
    const int64_t H = p.H;
    auto scores = [q = flat.q, k = flat.k, H] { return query_key_scores(split_heads(*q, H), split_heads(*k, H)); };
    p.rec.lazy("scores", seed_code(p.kind, SeedStep::Scores), shape, "depth contracted: one score per (query, key)",
               DType::F32, scores);
    const std::string scale_code = p.config.scale.kind == ScaleChoice::Kind::Module
                                       ? seed_code(p.kind, SeedStep::ScaleByModule)
                                       : var + " = " + var + " * " + format_number(scale) +
                                             "  # scale: " + scale_name(p.config.scale) +
                                             " (the module's own was changed)";
    p.rec.lazy("scaled", scale_code, shape, "every score x " + format_number(scale), DType::F32,
               [scores, scale] { return scaled(scores(), scale); });

    const bool torch_masks = p.torch_mha && (p.in.attn_mask || p.in.causal);
    TensorPtr attn_mask = torch_masks ? attn_mask_input(p) : nullptr;
    TensorPtr mask;
    if (p.in.pad_mask) {
        mask = hold(*p.in.pad_mask);
        record_mask_steps(p.rec, p.kind, p.dn, {p.b, p.H, p.Lq, p.Lk}, mask);
    }
    const std::string fill_text = std::isinf(fill) ? "float('-inf')" : "-1e9";
    TensorPtr attn_add;
    if (torch_masks) {
        attn_add = attn_mask_merge(
            p, attn_mask, mask, [scores, scale] { return scaled(scores(), scale); }, fill, fill_text);
    } else if (mask) {
        const std::string mask_var = p.torch_mha ? "key_padding_mask" : "pad_mask";
        p.rec.lazy("masked", var + " = " + var + ".masked_fill(" + mask_var + ", " + fill_text + ")", shape,
                   "padded keys set to " + fill_text, DType::F32,
                   [scores, scale, mask, fill] { return masked_fill_keys(scaled(scores(), scale), *mask, fill); });
    }

    TensorPtr att = hold(fused_attention_weights(*flat.q, *flat.k, p.H, scale, mask.get(), fill, attn_add.get()));
    p.rec.held("softmax", var + " = F.softmax(" + var + ", dim=-1)", shape, "softmax over keys: each row sums to 1",
               att);
    return att;
}

// Weighted sum of v, heads merged back: -> [b, Lq, emb]
TensorPtr weighted_values(Pass& p, TensorPtr att, TensorPtr v) {
    TensorPtr merged = hold(fused_weighted_values(*att, *v, p.H));  // [b, Lq, emb]
    const std::string code = seed_code(p.kind, SeedStep::WeightedSum);
    if (!p.multi) {
        p.rec.held("weighted_sum", code, named({"b", p.dn.q_len, "emb"}, {p.b, p.Lq, p.E}),
                   "keys contracted: weights x v", merged);
        return merged;
    }
    const int64_t H = p.H;
    p.rec.lazy("weighted_sum", code, named({"b", "heads", p.dn.q_len, "depth"}, {p.b, p.H, p.Lq, p.D}),
               "keys contracted: weights x v", DType::F32, [merged, H] { return split_heads(*merged, H); });
    p.rec.held("merge_heads", seed_code(p.kind, SeedStep::MergeHeads),
               named({"b", p.dn.q_len, "emb"}, {p.b, p.Lq, p.E}), "heads x depth merged back into emb", merged);
    return merged;
}

// fc or out_proj: the module's output [b, Lq, emb].
TensorPtr output_side(Pass& p, const Tensor& merged) {
    if (p.torch_mha) {
        TensorPtr out = hold(linear(merged, p.weights.get("out_proj.weight"), &p.weights.get("out_proj.bias")));
        p.rec.held("out_proj", "attn_output = F.linear(attn_output, out_proj.weight, out_proj.bias)",
                   named({"b", "L", "emb"}, {p.b, p.Lq, p.E}), "linear emb -> emb", out);
        return out;
    }
    TensorPtr out = hold(linear(merged, p.weights.get("fc.weight"), &p.weights.get("fc.bias")));
    p.rec.held("fc", "output = self.fc(output)", named({"b", "seq", "emb"}, {p.b, p.Lq, p.E}), "linear emb -> emb",
               out);
    return out;
}

}  // namespace

void checkpoint(const ForwardControl* control, const std::string& stage, float fraction) {
    if (!control) return;
    if (control->cancel && control->cancel->load()) throw Cancelled("cancelled before " + stage);
    if (control->progress) control->progress(stage, fraction);
}

Trace forward(const ModuleConfig& config, const Weights& weights, const ModuleInputs& in,
              const ForwardControl* control) {
    config.validate();
    check_weights(config, weights);
    validate_inputs(config, in);
    check_memory(config, in, control ? control->held_bytes : 0.0);
    if (is_cross(config.kind)) {
        // Folding the weights (emb^2 c), keys and values (4 b seq emb^2) and the per-pixel work.
        const double b = static_cast<double>(in.x.dim(0)), c = static_cast<double>(in.x.dim(1));
        const double P = static_cast<double>(in.x.dim(2) * in.x.dim(3)), E = static_cast<double>(config.emb_dim);
        const double S = static_cast<double>(in.context->dim(1)), H = static_cast<double>(config.head_count());
        ThreadsForWork threads(2.0 * (E * E * c + 2.0 * b * S * E * E + 2.0 * b * P * H * S * c));
        return forward_cross(config, weights, in, control);
    }

    Trace trace;
    trace.module = module_class_name(config.kind);
    trace.scale = config.scale_factor();
    trace.fill = config.fill_value();
    Pass p(config, weights, in, trace);
    // Projections (4 b L emb^2 multiply-adds) and the two products of each head decide the cost.
    const double L = static_cast<double>(in.x.dim(1)), E = static_cast<double>(config.emb_dim);
    ThreadsForWork threads(2.0 * static_cast<double>(p.b) * L * E * (4.0 * E + 2.0 * L));

    checkpoint(control, "query side", 0.0f);
    TensorPtr query = query_side(p);         // [b, Lq, emb]
    TensorPtr key_src = key_side(p, query);  // [b, Lk, emb]
    checkpoint(control, "projections", 0.15f);
    QKV flat = project(p, *query, *key_src);  // [b, L, emb] each
    record_heads(p, flat);
    checkpoint(control, "attention weights", 0.5f);
    TensorPtr att = attention_weights(p, flat, trace.scale, trace.fill);  // [b, heads, Lq, Lk]
    checkpoint(control, "weighted sum", 0.7f);
    TensorPtr merged = weighted_values(p, att, flat.v);  // [b, Lq, emb]
    checkpoint(control, "output", 0.85f);
    TensorPtr out = output_side(p, *merged);
    checkpoint(control, "done", 1.0f);

    trace.output_data = out;
    trace.attn_data = p.multi ? att : hold(reshaped(*att, {p.b, p.Lq, p.Lk}));  // one head: [b, Lq, Lk]
    return trace;
}

}  // namespace attn
