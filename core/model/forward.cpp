// One forward pass of any of the five modules, recorded step by step. The cross modules take a
// shorter road (cross_forward.cpp); this file computes the three whose queries are tokens.
//
// All five share one skeleton: query side -> Wq/Wk/Wv -> (split heads) -> scores -> scale ->
// masked_fill -> softmax -> weighted sum of v -> (merge heads) -> output projection. Internally
// the single-head modules run with heads = 1, whose [b, 1, L, emb] layout is the same memory
// as the seed's [b, L, emb]; the trace shows them in the seed's own shapes.
#include "model/forward.h"

#include "errors.h"
#include "model/cross_forward.h"
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
    bool cross, multi, torch_mha;
    DimNames dn;
    int64_t b, E, H, D;
    int64_t h = 0, w = 0;    // the image grid (cross modules)
    int64_t Lq = 0, Lk = 0;  // query and key positions

    Pass(const ModuleConfig& c, const Weights& wt, const ModuleInputs& i, Trace& trace)
        : config(c),
          weights(wt),
          in(i),
          rec(trace),
          kind(c.kind),
          cross(is_cross(c.kind)),
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

// Tokens [b, seq, emb], or an image [b, c, h, w] through proj_in and flattened: -> [b, Lq, emb]
TensorPtr query_side(Pass& p) {
    TensorPtr x = hold(p.in.x);
    if (!p.cross) {
        p.rec.held(p.torch_mha ? "query" : "x", p.torch_mha ? "query  # batch_first=True" : "x",
                   named({"b", p.dn.q_len, "emb"}, {p.b, p.in.x.dim(1), p.E}), "input", x);
        p.Lq = x->dim(1);
        return x;
    }
    p.h = p.in.x.dim(2);
    p.w = p.in.x.dim(3);
    p.rec.held("x", "x  # the image features", named({"b", "c", "h", "w"}, {p.b, p.in.x.dim(1), p.h, p.w}), "input", x);
    TensorPtr projected = hold(conv1x1(*x, p.weights.get("proj_in.weight"), p.weights.get("proj_in.bias")));
    p.rec.held("proj_in", "x = self.proj_in(x)", named({"b", "emb", "h", "w"}, {p.b, p.E, p.h, p.w}),
               "1x1 conv: c -> emb channels at every pixel", projected);
    TensorPtr flat = hold(flatten_hw(*projected));  // [b, h*w, emb]
    p.rec.held("flatten", "x = rearrange(x, 'b c h w -> b (h w) c')", named({"b", "h*w", "emb"}, {p.b, p.h * p.w, p.E}),
               "h and w flattened into h*w positions, channels moved last", flat);
    p.Lq = flat->dim(1);
    return flat;
}

// The keys' and values' source: the context [b, Lk, emb] when the module takes one, else the query.
TensorPtr key_side(Pass& p, TensorPtr query) {
    TensorPtr src = query;
    if (p.in.context && (p.cross || p.torch_mha)) {
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
    const bool bias = p.cross;  // the seed's cross modules give Wq/Wk/Wv a bias, the others not
    auto linear_of = [&](const std::string& n, const Tensor& src) {
        return hold(linear(src, p.weights.get(n + ".weight"), bias ? &p.weights.get(n + ".bias") : nullptr));
    };
    const std::string kv_src = p.cross ? "context" : "x";
    r.q = linear_of("Wq", query);
    r.k = linear_of("Wk", key_src);
    r.v = linear_of("Wv", key_src);
    p.rec.held("q", "q = self.Wq(x)", q_shape, "linear emb -> emb", r.q);
    p.rec.held("k", "k = self.Wk(" + kv_src + ")", kv_shape, "linear emb -> emb", r.k);
    p.rec.held("v", "v = self.Wv(" + kv_src + ")", kv_shape, "linear emb -> emb", r.v);
    return r;
}

// [b, L, emb] -> [b, heads, L, depth]; recorded only for the modules that have heads.
QKV split(Pass& p, const QKV& flat) {
    QKV r{hold(split_heads(*flat.q, p.H)), hold(split_heads(*flat.k, p.H)), hold(split_heads(*flat.v, p.H))};
    if (p.multi) {
        const std::string view = seed_code(p.kind, SeedStep::SplitHeadsView);
        const std::string change = "emb split into heads x depth, heads moved before positions";
        p.rec.held("q_heads", "q = q." + view, named({"b", "heads", p.dn.q_len, "depth"}, {p.b, p.H, p.Lq, p.D}),
                   change, r.q);
        p.rec.held("k_heads", "k = k." + view, named({"b", "heads", p.dn.k_len, "depth"}, {p.b, p.H, p.Lk, p.D}),
                   change, r.k);
        p.rec.held("v_heads", "v = v." + view, named({"b", "heads", p.dn.k_len, "depth"}, {p.b, p.H, p.Lk, p.D}),
                   change, r.v);
    }
    return r;
}

// scores -> scale -> masked_fill -> softmax: [b, heads, Lq, Lk], the attention weights.
TensorPtr attention_weights(Pass& p, const QKV& heads, double scale, float fill) {
    const NamedShape shape = p.score_shape();
    const std::string var = weights_variable(p.kind);
    TensorPtr scores = hold(query_key_scores(*heads.q, *heads.k));
    p.rec.held("scores", seed_code(p.kind, SeedStep::Scores), shape, "depth contracted: one score per (query, key)",
               scores);

    const std::string scale_code = p.config.scale.kind == ScaleChoice::Kind::Module
                                       ? seed_code(p.kind, SeedStep::ScaleByModule)
                                       : var + " = " + var + " * " + format_number(scale) +
                                             "  # scale: " + scale_name(p.config.scale) +
                                             " (the module's own was changed)";
    TensorPtr logits = hold(scaled(*scores, scale));
    p.rec.held("scaled", scale_code, shape, "every score x " + format_number(scale), logits);

    if (p.in.pad_mask) {
        TensorPtr mask = hold(*p.in.pad_mask);
        record_mask_steps(p.rec, p.kind, p.dn, {p.b, p.H, p.Lq, p.Lk}, mask);
        const std::string fill_text = std::isinf(fill) ? "float('-inf')" : "-1e9";
        logits = hold(masked_fill_keys(*logits, *mask, fill));
        const std::string mask_var = p.torch_mha ? "key_padding_mask" : "pad_mask";
        p.rec.held("masked", var + " = " + var + ".masked_fill(" + mask_var + ", " + fill_text + ")", shape,
                   "padded keys set to " + fill_text, logits);
    }

    TensorPtr att = hold(softmax_last(*logits));
    p.rec.held("softmax", var + " = F.softmax(" + var + ", dim=-1)", shape, "softmax over keys: each row sums to 1",
               att);
    return att;
}

// Weighted sum of v, heads merged back: -> [b, Lq, emb]
TensorPtr weighted_values(Pass& p, const Tensor& att, const Tensor& v_heads) {
    TensorPtr ctx = hold(weighted_sum(att, v_heads));  // [b, heads, Lq, depth]
    const std::string code = seed_code(p.kind, SeedStep::WeightedSum);
    if (!p.multi) {
        p.rec.held("weighted_sum", code, named({"b", p.dn.q_len, "emb"}, {p.b, p.Lq, p.E}),
                   "keys contracted: weights x v", ctx);
        return hold(reshaped(*ctx, {p.b, p.Lq, p.E}));
    }
    p.rec.held("weighted_sum", code, named({"b", "heads", p.dn.q_len, "depth"}, {p.b, p.H, p.Lq, p.D}),
               "keys contracted: weights x v", ctx);
    TensorPtr merged = hold(merge_heads(*ctx));
    p.rec.held("merge_heads", seed_code(p.kind, SeedStep::MergeHeads),
               named({"b", p.dn.q_len, "emb"}, {p.b, p.Lq, p.E}), "heads x depth merged back into emb", merged);
    return merged;
}

// fc, out_proj, or fold back to [b, emb, h, w] and proj_out: the module's output.
TensorPtr output_side(Pass& p, const Tensor& merged) {
    TensorPtr out;
    if (p.cross) {
        TensorPtr folded = hold(fold_hw(merged, p.h, p.w));
        p.rec.held("fold", "out = rearrange(out, 'b (h w) c -> b c h w', h=h, w=w)",
                   named({"b", "emb", "h", "w"}, {p.b, p.E, p.h, p.w}),
                   "h*w unflattened back into h, w; channels moved first", folded);
        out = hold(conv1x1(*folded, p.weights.get("proj_out.weight"), p.weights.get("proj_out.bias")));
        p.rec.held("proj_out", "out = self.proj_out(out)", named({"b", "c", "h", "w"}, {p.b, p.in.x.dim(1), p.h, p.w}),
                   "1x1 conv: emb -> c channels", out);
    } else if (p.torch_mha) {
        out = hold(linear(merged, p.weights.get("out_proj.weight"), &p.weights.get("out_proj.bias")));
        p.rec.held("out_proj", "attn_output = F.linear(attn_output, out_proj.weight, out_proj.bias)",
                   named({"b", "L", "emb"}, {p.b, p.Lq, p.E}), "linear emb -> emb", out);
    } else {
        out = hold(linear(merged, p.weights.get("fc.weight"), &p.weights.get("fc.bias")));
        p.rec.held("fc", "output = self.fc(output)", named({"b", "seq", "emb"}, {p.b, p.Lq, p.E}), "linear emb -> emb",
                   out);
    }
    return out;
}

// Reports the stage about to run, and stops the pass there when asked to.
void checkpoint(const ForwardControl* control, const char* stage, float fraction) {
    if (!control) return;
    if (control->cancel && control->cancel->load()) throw Cancelled("cancelled before " + std::string(stage));
    if (control->progress) control->progress(stage, fraction);
}

}  // namespace

Trace forward(const ModuleConfig& config, const Weights& weights, const ModuleInputs& in,
              const ForwardControl* control) {
    config.validate();
    check_weights(config, weights);
    validate_inputs(config, in);
    check_memory(config, in);
    if (is_cross(config.kind)) return forward_cross(config, weights, in, control);

    Trace trace;
    trace.module = module_class_name(config.kind);
    trace.scale = config.scale_factor();
    trace.fill = config.fill_value();
    Pass p(config, weights, in, trace);

    checkpoint(control, "query side", 0.0f);
    TensorPtr query = query_side(p);         // [b, Lq, emb]
    TensorPtr key_src = key_side(p, query);  // [b, Lk, emb]
    checkpoint(control, "projections", 0.15f);
    QKV flat = project(p, *query, *key_src);  // [b, L, emb] each
    checkpoint(control, "split heads", 0.4f);
    QKV heads = split(p, flat);  // [b, heads, L, depth] each
    checkpoint(control, "attention weights", 0.5f);
    TensorPtr att = attention_weights(p, heads, trace.scale, trace.fill);  // [b, heads, Lq, Lk]
    checkpoint(control, "weighted sum", 0.7f);
    TensorPtr merged = weighted_values(p, *att, *heads.v);  // [b, Lq, emb]
    checkpoint(control, "output", 0.85f);
    TensorPtr out = output_side(p, *merged);
    checkpoint(control, "done", 1.0f);

    trace.output = *out;
    trace.attn = p.multi ? *att : reshaped(*att, {p.b, p.Lq, p.Lk});
    return trace;
}

}  // namespace attn
