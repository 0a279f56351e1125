// One forward pass of any of the five modules, recorded step by step.
//
// All five share one skeleton: query side -> Wq/Wk/Wv -> (split heads) -> scores -> scale ->
// masked_fill -> softmax -> weighted sum of v -> (merge heads) -> output projection. Internally
// the single-head modules run with heads = 1, whose [b, 1, L, emb] layout is the same memory
// as the seed's [b, L, emb]; the trace shows them in the seed's own shapes.
#include "model/forward.h"

#include "errors.h"
#include "model/ops.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include <unistd.h>

namespace attn {

namespace {

using TensorPtr = std::shared_ptr<const Tensor>;

TensorPtr hold(Tensor t) {
    return std::make_shared<const Tensor>(std::move(t));
}

NamedShape named(std::vector<std::string> names, Shape sizes) {
    return NamedShape{std::move(names), std::move(sizes)};
}

class Recorder {
public:
    explicit Recorder(Trace& trace) : trace_(trace) {}

    // A step whose tensor the forward pass computed anyway. `shape` may drop a size-1 heads dim.
    void held(std::string name, std::string code, NamedShape shape, std::string change, TensorPtr t) {
        TraceStep s{std::move(name), std::move(code), std::move(shape), std::move(change), t->dtype, {}};
        Shape sizes = s.shape.sizes;
        s.produce = [t, sizes] { return reshaped(*t, sizes); };
        trace_.steps.push_back(std::move(s));
    }

    // A step whose tensor is cheap to derive and is only made when someone asks for it.
    void lazy(std::string name, std::string code, NamedShape shape, std::string change, DType dtype,
              std::function<Tensor()> produce) {
        trace_.steps.push_back(TraceStep{std::move(name), std::move(code), std::move(shape), std::move(change), dtype,
                                         std::move(produce)});
    }

private:
    Trace& trace_;
};

std::string format_number(double v) {
    std::ostringstream os;
    os.precision(6);
    os << v;
    return os.str();
}

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

// The names the seed gives the dims of each module.
struct DimNames {
    std::string q_len;  // query positions: "seq", "h*w", "L"
    std::string k_len;  // key positions: "seq", "S"
};

DimNames dim_names(ModuleKind kind) {
    if (is_cross(kind)) return {"h*w", "seq"};
    if (kind == ModuleKind::TorchMHA) return {"L", "S"};
    return {"seq", "seq"};
}

struct Sides {
    TensorPtr query;    // [b, Lq, emb]
    TensorPtr key_src;  // [b, Lk, emb]
    int64_t b = 0, h = 0, w = 0;
};

// Checks the inputs against the module and returns the shapes everything else follows from.
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
}

// Refuses, before any allocation, a pass whose intermediates cannot fit in memory: this engine
// keeps every step (the app shows them), so Q, K, V, their head copies and four score-sized
// tensors are held at once.
void check_memory(const ModuleConfig& config, const ModuleInputs& in) {
    const double b = static_cast<double>(in.x.dim(0));
    const double E = static_cast<double>(config.emb_dim), H = static_cast<double>(config.head_count());
    double Lq = static_cast<double>(in.x.dim(1));
    if (is_cross(config.kind)) Lq = static_cast<double>(in.x.dim(2)) * static_cast<double>(in.x.dim(3));
    const double Lk = in.context && (is_cross(config.kind) || config.kind == ModuleKind::TorchMHA)
                          ? static_cast<double>(in.context->dim(1))
                          : Lq;
    const double floats = b * (Lq * E * 7 + Lk * E * 4 + H * Lq * Lk * 4);
    const double bytes = floats * sizeof(float);
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const double limit = pages > 0 && page > 0 ? 0.6 * static_cast<double>(pages) * static_cast<double>(page) : 8e9;
    if (bytes > limit) {
        char msg[512];
        std::snprintf(msg, sizeof msg,
                      "this pass would hold about %.1f GiB of intermediates (the scores alone are [b, heads, "
                      "queries, keys] = [%.0f, %.0f, %.0f, %.0f]), more than the %.1f GiB this machine can spare: "
                      "use a smaller grid or fewer queries",
                      bytes / (1 << 30), b, H, Lq, Lk, limit / (1 << 30));
        throw ConfigError(msg);
    }
}

}  // namespace

Trace forward(const ModuleConfig& config, const Weights& weights, const ModuleInputs& in) {
    config.validate();
    check_weights(config, weights);
    validate_inputs(config, in);
    check_memory(config, in);

    const ModuleKind kind = config.kind;
    const bool cross = is_cross(kind);
    const bool multi = has_heads(kind);
    const bool torch_mha = kind == ModuleKind::TorchMHA;
    const int64_t E = config.emb_dim, H = config.head_count(), D = config.depth();
    const DimNames dn = dim_names(kind);

    Trace trace;
    trace.module = module_class_name(kind);
    trace.scale = config.scale_factor();
    trace.fill = config.fill_value();
    Recorder rec(trace);

    // --- 1. the query side: tokens [b, seq, emb], or an image folded into h*w positions -----
    TensorPtr x = hold(in.x);
    const int64_t b = in.x.dim(0);
    int64_t h = 0, w = 0;
    TensorPtr query;  // [b, Lq, emb]
    if (cross) {
        const int64_t c = in.x.dim(1);
        h = in.x.dim(2);
        w = in.x.dim(3);
        rec.held("x", "x  # the image features", named({"b", "c", "h", "w"}, {b, c, h, w}), "input", x);
        TensorPtr projected = hold(conv1x1(*x, weights.get("proj_in.weight"), weights.get("proj_in.bias")));
        rec.held("proj_in", "x = self.proj_in(x)", named({"b", "emb", "h", "w"}, {b, E, h, w}),
                 "1x1 conv: c -> emb channels at every pixel", projected);
        query = hold(flatten_hw(*projected));
        rec.held("flatten", "x = rearrange(x, 'b c h w -> b (h w) c')", named({"b", "h*w", "emb"}, {b, h * w, E}),
                 "h and w flattened into h*w positions, channels moved last", query);
    } else {
        query = x;
        rec.held(torch_mha ? "query" : "x", torch_mha ? "query  # batch_first=True" : "x",
                 named({"b", dn.q_len, "emb"}, {b, in.x.dim(1), E}), "input", x);
    }
    const int64_t Lq = query->dim(1);

    // --- 2. the key/value side ---------------------------------------------------------------
    TensorPtr key_src = query;
    if (in.context && (cross || torch_mha)) {
        key_src = hold(*in.context);
        rec.held(torch_mha ? "key" : "context", torch_mha ? "key = value  # batch_first=True" : "context",
                 named({"b", dn.k_len, "emb"}, {b, key_src->dim(1), E}), "input (keys and values)", key_src);
    }
    const int64_t Lk = key_src->dim(1);

    // --- 3. projections: [b, L, emb] -> [b, L, emb] --------------------------------------------
    TensorPtr q, k, v;
    if (torch_mha) {
        const Tensor& W = weights.get("in_proj_weight");
        const Tensor& B = weights.get("in_proj_bias");
        q = hold(linear_rows(*query, W, B, 0, E));
        k = hold(linear_rows(*key_src, W, B, E, E));
        v = hold(linear_rows(*key_src, W, B, 2 * E, E));
        rec.held("q", "q = F.linear(query, in_proj_weight[:E], in_proj_bias[:E])", named({"b", "L", "emb"}, {b, Lq, E}),
                 "in_proj rows 0..E", q);
        rec.held("k", "k = F.linear(key, in_proj_weight[E:2E], in_proj_bias[E:2E])",
                 named({"b", "S", "emb"}, {b, Lk, E}), "in_proj rows E..2E", k);
        rec.held("v", "v = F.linear(value, in_proj_weight[2E:], in_proj_bias[2E:])",
                 named({"b", "S", "emb"}, {b, Lk, E}), "in_proj rows 2E..3E", v);
    } else {
        const bool bias = cross;  // the seed's cross modules give Wq/Wk/Wv a bias, the others not
        auto proj = [&](const char* wname, const Tensor& src) {
            const std::string n(wname);
            return hold(linear(src, weights.get(n + ".weight"), bias ? &weights.get(n + ".bias") : nullptr));
        };
        const std::string kv_src = cross ? "context" : "x";
        q = proj("Wq", *query);
        k = proj("Wk", *key_src);
        v = proj("Wv", *key_src);
        rec.held("q", "q = self.Wq(x)", named({"b", dn.q_len, "emb"}, {b, Lq, E}), "linear emb -> emb", q);
        rec.held("k", "k = self.Wk(" + kv_src + ")", named({"b", dn.k_len, "emb"}, {b, Lk, E}), "linear emb -> emb", k);
        rec.held("v", "v = self.Wv(" + kv_src + ")", named({"b", dn.k_len, "emb"}, {b, Lk, E}), "linear emb -> emb", v);
    }

    // --- 4. heads: [b, L, emb] -> [b, heads, L, depth] ------------------------------------------
    TensorPtr qh = hold(split_heads(*q, H)), kh = hold(split_heads(*k, H)), vh = hold(split_heads(*v, H));
    if (multi) {
        const std::string view = torch_mha ? "view(b, -1, num_heads, head_dim).transpose(1, 2)"
                                           : std::string("view(") + (cross ? "b" : "batch_size") +
                                                 ", -1, self.num_heads, self.depth).transpose(1, 2)";
        const std::string change = "emb split into heads x depth, heads moved before positions";
        rec.held("q_heads", "q = q." + view, named({"b", "heads", dn.q_len, "depth"}, {b, H, Lq, D}), change, qh);
        rec.held("k_heads", "k = k." + view, named({"b", "heads", dn.k_len, "depth"}, {b, H, Lk, D}), change, kh);
        rec.held("v_heads", "v = v." + view, named({"b", "heads", dn.k_len, "depth"}, {b, H, Lk, D}), change, vh);
    }

    // --- 5. scores, scale, mask, softmax: [b, heads, Lq, Lk] ------------------------------------
    std::vector<std::string> score_names = {"b", dn.q_len, dn.k_len};
    Shape score_sizes = {b, Lq, Lk};
    if (multi) {
        score_names.insert(score_names.begin() + 1, "heads");
        score_sizes.insert(score_sizes.begin() + 1, H);
    }
    const NamedShape score_shape = named(score_names, score_sizes);

    TensorPtr scores = hold(query_key_scores(*qh, *kh));
    std::string scores_code;
    switch (kind) {
        case ModuleKind::Self:
            scores_code = "att_weights = torch.bmm(q, k.transpose(1, 2))";
            break;
        case ModuleKind::MultiHead:
            scores_code = "att_weights = torch.matmul(q, k.transpose(-2, -1))";
            break;
        case ModuleKind::Cross:
            scores_code = "att_weights = torch.einsum('bid,bjd -> bij', q, k)";
            break;
        case ModuleKind::CrossMultiHead:
            scores_code = "att_weights = torch.einsum('bnid,bnjd -> bnij', q, k)";
            break;
        case ModuleKind::TorchMHA:
            scores_code = "attn = q @ k.transpose(-2, -1)  # torch scales q first; same product";
            break;
    }
    rec.held("scores", scores_code, score_shape, "depth contracted: one score per (query, key)", scores);

    const double scale = trace.scale;
    std::string scale_code;
    if (config.scale.kind != ScaleChoice::Kind::Module) {
        scale_code = std::string(torch_mha ? "attn = attn" : "att_weights = att_weights") + " * " +
                     format_number(scale) + "  # scale: " + scale_name(config.scale) +
                     " (the module's own was changed)";
    } else if (kind == ModuleKind::Self) {
        scale_code = "att_weights = att_weights / math.sqrt(self.emb_dim)";
    } else if (kind == ModuleKind::MultiHead) {
        scale_code = "att_weights = att_weights / math.sqrt(self.depth)";
    } else if (cross) {
        scale_code = "att_weights = att_weights * self.scale  # self.scale = emb_dim ** -0.5";
    } else {
        scale_code = "attn = attn / math.sqrt(head_dim)";
    }
    TensorPtr logits = hold(scaled(*scores, scale));
    rec.held("scaled", scale_code, score_shape, "every score x " + format_number(scale), logits);

    if (in.pad_mask) {
        TensorPtr mask = hold(*in.pad_mask);
        rec.held("pad_mask", torch_mha ? "key_padding_mask  # True = padding" : "pad_mask = input_ids.eq(0)",
                 named({"b", dn.k_len}, {b, Lk}), "input: true where the key is padding", mask);
        if (torch_mha) {
            Shape full = {b, H, Lq, Lk};
            rec.lazy("pad_mask_expanded", "key_padding_mask.view(b, 1, 1, S).expand(-1, num_heads, L, -1)",
                     named({"b", "heads", "L", "S"}, full), "broadcast over heads and queries", DType::Bool,
                     [mask, full] { return expand_pad_mask(*mask, full); });
        } else {
            Shape seq_sizes = {b, Lq, Lk};
            const std::string expand_code =
                cross ? "pad_mask = pad_mask.unsqueeze(1).expand(b, h*w, seq_len)"
                      : "pad_mask = pad_mask.unsqueeze(1).expand(batch_size, seq_len, seq_len)";
            rec.lazy("pad_mask_expanded", expand_code, named({"b", dn.q_len, dn.k_len}, seq_sizes),
                     "unsqueeze(1) then expand over the queries", DType::Bool,
                     [mask, seq_sizes] { return expand_pad_mask(*mask, seq_sizes); });
            if (multi) {
                Shape full = {b, H, Lq, Lk};
                rec.lazy("pad_mask_heads", "pad_mask = pad_mask.unsqueeze(1).repeat(1, self.num_heads, 1, 1)",
                         named({"b", "heads", dn.q_len, dn.k_len}, full), "repeated over heads", DType::Bool,
                         [mask, full] { return expand_pad_mask(*mask, full); });
            }
        }
        const float fill = trace.fill;
        const std::string fill_text = std::isinf(fill) ? "float('-inf')" : "-1e9";
        logits = hold(masked_fill_keys(*logits, *mask, fill));
        rec.held("masked",
                 std::string(torch_mha ? "attn = attn" : "att_weights = att_weights") + ".masked_fill(pad_mask, " +
                     fill_text + ")",
                 score_shape, "padded keys set to " + fill_text, logits);
    }

    TensorPtr att = hold(softmax_last(*logits));
    rec.held("softmax", torch_mha ? "attn = F.softmax(attn, dim=-1)" : "att_weights = F.softmax(att_weights, dim=-1)",
             score_shape, "softmax over keys: each row sums to 1", att);

    // --- 6. weighted sum of v and the way back to the module's output ----------------------------
    TensorPtr ctx_heads = hold(weighted_sum(*att, *vh));  // [b, heads, Lq, depth]
    std::string wsum_code;
    switch (kind) {
        case ModuleKind::Self:
            wsum_code = "output = torch.bmm(att_weights, v)";
            break;
        case ModuleKind::MultiHead:
            wsum_code = "output = torch.matmul(att_weights, v)";
            break;
        case ModuleKind::Cross:
            wsum_code = "out = torch.einsum('bij, bjd -> bid', att_weights, v)";
            break;
        case ModuleKind::CrossMultiHead:
            wsum_code = "out = torch.einsum('bnij, bnjd -> bnid', att_weights, v)";
            break;
        case ModuleKind::TorchMHA:
            wsum_code = "attn_output = attn @ v";
            break;
    }
    if (multi)
        rec.held("weighted_sum", wsum_code, named({"b", "heads", dn.q_len, "depth"}, {b, H, Lq, D}),
                 "keys contracted: weights x v", ctx_heads);
    else
        rec.held("weighted_sum", wsum_code, named({"b", dn.q_len, "emb"}, {b, Lq, E}), "keys contracted: weights x v",
                 ctx_heads);

    TensorPtr merged = multi ? hold(merge_heads(*ctx_heads)) : hold(reshaped(*ctx_heads, {b, Lq, E}));
    if (multi) {
        std::string merge_code;
        if (kind == ModuleKind::MultiHead)
            merge_code = "output = output.transpose(1, 2).contiguous().view(batch_size, -1, self.emb_dim)";
        else if (cross)
            merge_code = "out = out.transpose(1, 2).contiguous().view(b, -1, self.emb_dim)";
        else
            merge_code = "attn_output = attn_output.transpose(1, 2).reshape(b, L, embed_dim)";
        rec.held("merge_heads", merge_code, named({"b", dn.q_len, "emb"}, {b, Lq, E}),
                 "heads x depth merged back into emb", merged);
    }

    TensorPtr out;
    if (cross) {
        TensorPtr folded = hold(fold_hw(*merged, h, w));
        rec.held("fold", "out = rearrange(out, 'b (h w) c -> b c h w', h=h, w=w)",
                 named({"b", "emb", "h", "w"}, {b, E, h, w}), "h*w unflattened back into h, w; channels moved first",
                 folded);
        out = hold(conv1x1(*folded, weights.get("proj_out.weight"), weights.get("proj_out.bias")));
        const int64_t c = in.x.dim(1);
        rec.held("proj_out", "out = self.proj_out(out)", named({"b", "c", "h", "w"}, {b, c, h, w}),
                 "1x1 conv: emb -> c channels", out);
    } else if (torch_mha) {
        out = hold(linear(*merged, weights.get("out_proj.weight"), &weights.get("out_proj.bias")));
        rec.held("out_proj", "attn_output = F.linear(attn_output, out_proj.weight, out_proj.bias)",
                 named({"b", "L", "emb"}, {b, Lq, E}), "linear emb -> emb", out);
    } else {
        out = hold(linear(*merged, weights.get("fc.weight"), &weights.get("fc.bias")));
        rec.held("fc", "output = self.fc(output)", named({"b", "seq", "emb"}, {b, Lq, E}), "linear emb -> emb", out);
    }

    trace.output = *out;
    trace.attn = multi ? *att : reshaped(*att, {b, Lq, Lk});
    return trace;
}

}  // namespace attn
