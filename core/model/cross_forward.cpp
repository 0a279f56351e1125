// CrossAttention and CrossMultiAttention without their emb-sized per-pixel tensors.
//
// Nothing nonlinear stands between proj_in and Wq, nor between the weighted sum of v and
// proj_out, so both fold into the keys and values, which are few (seq_len of them):
//   q_p = Wq (Wp x_p + bp) + bq = A x_p + c            A = Wq Wp [emb, c], c = Wq bp + bq
//   scores[p, h, j] = scale q_p,h · k_h,j = x_p · M_h[:, j] + d_h[j]
//        M_h = scale A_hᵀ K_hᵀ [c, seq],  d_h = scale K_h c_h [seq]
//   out_p = Wo concat_h(sum_j a_phj v_hj) + bo = sum_h sum_j a_phj N_h[j, :] + bo
//        N_h = V_h Wo_hᵀ [seq, c]
// Per pixel that is heads * seq * c multiply-adds each way, instead of emb * emb for Wq alone:
// the seed's [3, 3, 512, 512] image needs no [3, 8, 262144, 64] Q. The trace still lists every
// step of the seed's forward; those tensors are made by the seed's own operations, on demand.
#include "model/cross_forward.h"

#include "model/ops.h"
#include "model/recorder.h"
#include "model/seed_code.h"

#include <cmath>
#include <limits>

namespace attn::detail {

namespace {

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

MatrixD as_double(const Tensor& t, int64_t rows, int64_t cols) {
    return t.matrix(0, rows, cols).cast<double>();
}

// What the lazy steps are computed from: the inputs and the weights, shared by their closures.
struct CrossSources {
    Tensor x, context;
    std::optional<Tensor> mask;
    Weights weights;
    int64_t heads = 1;
    double scale = 1.0;
    float fill = -1e9f;

    Tensor projected() const { return conv1x1(x, weights.get("proj_in.weight"), weights.get("proj_in.bias")); }
    Tensor flat() const { return flatten_hw(projected()); }
    Tensor q() const { return linear(flat(), weights.get("Wq.weight"), &weights.get("Wq.bias")); }
    Tensor scores() const { return query_key_scores(split_heads(q(), heads), split_heads(k(), heads)); }
    Tensor k() const { return linear(context, weights.get("Wk.weight"), &weights.get("Wk.bias")); }
    Tensor v() const { return linear(context, weights.get("Wv.weight"), &weights.get("Wv.bias")); }
};

// The folded weights of one batch item: M [c, heads*seq], d [heads*seq], N [heads*seq, c].
struct Folded {
    MatrixRM M, N;
    Eigen::RowVectorXf d;
};

Folded fold_weights(const MatrixD& A, const Eigen::RowVectorXd& c, const Tensor& K, const Tensor& V, const Tensor& Wo,
                    int64_t i, int64_t H, int64_t D, double scale) {
    const int64_t S = K.dim(1), E = K.dim(2), C = A.cols();
    const MatrixD Ki = K.matrix(i * S * E, S, E).cast<double>();  // [seq, emb]
    const MatrixD Vi = V.matrix(i * S * E, S, E).cast<double>();
    const MatrixD Wod = Wo.matrix(0, Wo.dim(0), E).cast<double>();  // [c_out, emb]
    Folded f;
    f.M.resize(C, H * S);
    f.N.resize(H * S, Wo.dim(0));
    f.d.resize(H * S);
    for (int64_t h = 0; h < H; ++h) {
        const auto Kh = Ki.middleCols(h * D, D);  // [seq, depth]
        f.M.middleCols(h * S, S) = (scale * A.middleRows(h * D, D).transpose() * Kh.transpose()).cast<float>();
        f.d.segment(h * S, S) = (scale * c.segment(h * D, D) * Kh.transpose()).cast<float>();
        f.N.middleRows(h * S, S) = (Vi.middleCols(h * D, D) * Wod.middleCols(h * D, D).transpose()).cast<float>();
    }
    return f;
}

// Pixels per block: the block's [heads*seq, n] logits stay in the core's L2 cache.
constexpr int64_t kPixelBlock = 1024;

// Masked fill and softmax over the seq keys of one head, for n pixels at once: rows [seq, n] in
// place. Laid out key-major, every operation runs along the pixels, in full vector registers,
// where a pixel's own row has only seq (often 5) values.
void softmax_down_columns(float* rows, int64_t seq, int64_t n, const float* pad, float fill) {
    using Row = Eigen::Map<Eigen::ArrayXf>;
    auto key = [&](int64_t j) { return Row(rows + j * n, n); };
    bool any_left = true;
    if (pad) {
        any_left = false;
        for (int64_t j = 0; j < seq; ++j)
            if (pad[j] != 0.0f)
                key(j).setConstant(fill);
            else
                any_left = true;
    }
    // Every key padded and filled with -inf: exp(-inf - (-inf)) is NaN in PyTorch too.
    if (!any_left && std::isinf(fill)) {
        for (int64_t j = 0; j < seq; ++j)
            key(j).setConstant(std::numeric_limits<float>::quiet_NaN());
        return;
    }
    Eigen::ArrayXf top = key(0);  // [n], subtracted only for numerical stability
    for (int64_t j = 1; j < seq; ++j)
        top = top.max(key(j));
    Eigen::ArrayXf total = Eigen::ArrayXf::Zero(n);
    for (int64_t j = 0; j < seq; ++j) {
        key(j) -= top;
        exp_nonpositive(key(j));
        total += key(j);
    }
    total = total.inverse();
    for (int64_t j = 0; j < seq; ++j)
        key(j) *= total;
}

}  // namespace

Trace forward_cross(const ModuleConfig& config, const Weights& weights, const ModuleInputs& in,
                    const ForwardControl* control) {
    const ModuleKind kind = config.kind;
    const bool multi = has_heads(kind);
    const int64_t b = in.x.dim(0), C = in.x.dim(1), h = in.x.dim(2), w = in.x.dim(3), P = h * w;
    const int64_t E = config.emb_dim, H = config.head_count(), D = config.depth(), S = in.context->dim(1);
    const int64_t C_out = weights.get("proj_out.weight").dim(0);

    Trace trace;
    trace.module = module_class_name(kind);
    trace.scale = config.scale_factor();
    trace.fill = config.fill_value();

    auto src = std::make_shared<CrossSources>();
    src->x = in.x;
    src->context = *in.context;
    src->mask = in.pad_mask;
    src->weights = weights;
    src->heads = H;
    src->scale = trace.scale;
    src->fill = trace.fill;

    // --- the small side: keys and values [b, seq, emb], and the folded weights ----------------
    checkpoint(control, "keys and values", 0.0f);
    TensorPtr K = hold(src->k()), V = hold(src->v());
    const MatrixD Wq = as_double(weights.get("Wq.weight"), E, E);
    const MatrixD A = Wq * as_double(weights.get("proj_in.weight"), E, C);  // [emb, c]
    const Eigen::RowVectorXd c = (Wq * as_double(weights.get("proj_in.bias"), E, 1)).transpose() +
                                 as_double(weights.get("Wq.bias"), 1, E);  // [emb]

    // --- per pixel: logits, mask, softmax, and the output, in blocks of pixels ----------------
    // att_weights [b, heads, h*w, seq]; one head: [b, h*w, seq], the same bytes.
    auto att = std::make_shared<Tensor>(Tensor::uninitialized(multi ? Shape{b, H, P, S} : Shape{b, P, S}));
    auto out = std::make_shared<Tensor>(Tensor::uninitialized({b, C_out, h, w}));  // every block writes its pixels
    const Tensor& bo = weights.get("proj_out.bias");
    for (int64_t i = 0; i < b; ++i) {
        checkpoint(control, "attention weights", 0.1f + 0.85f * static_cast<float>(i) / static_cast<float>(b));
        const Folded f = fold_weights(A, c, *K, *V, weights.get("proj_out.weight"), i, H, D, trace.scale);
        const float* pad = in.pad_mask ? in.pad_mask->ptr() + i * S : nullptr;
        const auto X = in.x.matrix(i * C * P, C, P);    // [c, h*w]
        auto Y = out->matrix(i * C_out * P, C_out, P);  // [c_out, h*w]
        const int64_t blocks = (P + kPixelBlock - 1) / kPixelBlock;
#pragma omp parallel for schedule(static)
        for (int64_t blk = 0; blk < blocks; ++blk) {
            const int64_t p0 = blk * kPixelBlock, n = std::min(kPixelBlock, P - p0);
            MatrixRM weights_t = f.M.transpose() * X.middleCols(p0, n);  // [heads*seq, n]
            weights_t.colwise() += f.d.transpose();
            for (int64_t hd = 0; hd < H; ++hd) {
                float* rows = weights_t.data() + hd * S * n;  // this head's [seq, n]
                softmax_down_columns(rows, S, n, pad, trace.fill);
                // into att_weights' layout: [n, seq] at (i, hd, p0)
                MapRM(att->ptr() + ((i * H + hd) * P + p0) * S, n, S) = ConstMapRM(rows, S, n).transpose();
            }
            // [c_out, n] = Nᵀ [c_out, heads*seq] · weights [heads*seq, n]
            Y.middleCols(p0, n).noalias() = f.N.transpose() * weights_t;
            Y.middleCols(p0, n).colwise() += bo.matrix(0, C_out, 1).col(0);
        }
    }
    checkpoint(control, "done", 1.0f);

    // --- the trace: the seed's steps, made from the seed's operations when asked --------------
    Recorder rec(trace);
    const DimNames dn = dim_names(kind);
    rec.held("x", "x  # the image features", named({"b", "c", "h", "w"}, {b, C, h, w}), "input", hold(in.x));
    rec.lazy("proj_in", "x = self.proj_in(x)", named({"b", "emb", "h", "w"}, {b, E, h, w}),
             "1x1 conv: c -> emb channels at every pixel", DType::F32, [src] { return src->projected(); });
    rec.lazy("flatten", "x = rearrange(x, 'b c h w -> b (h w) c')", named({"b", "h*w", "emb"}, {b, P, E}),
             "h and w flattened into h*w positions, channels moved last", DType::F32, [src] { return src->flat(); });
    rec.held("context", "context", named({"b", "seq", "emb"}, {b, S, E}), "input (keys and values)", hold(*in.context));
    rec.lazy("q", "q = self.Wq(x)", named({"b", "h*w", "emb"}, {b, P, E}), "linear emb -> emb", DType::F32,
             [src] { return src->q(); });
    rec.held("k", "k = self.Wk(context)", named({"b", "seq", "emb"}, {b, S, E}), "linear emb -> emb", K);
    rec.held("v", "v = self.Wv(context)", named({"b", "seq", "emb"}, {b, S, E}), "linear emb -> emb", V);
    if (multi) {
        const std::string view = seed_code(kind, SeedStep::SplitHeadsView);
        const std::string change = "emb split into heads x depth, heads moved before positions";
        rec.lazy("q_heads", "q = q." + view, named({"b", "heads", "h*w", "depth"}, {b, H, P, D}), change, DType::F32,
                 [src] { return split_heads(src->q(), src->heads); });
        rec.lazy("k_heads", "k = k." + view, named({"b", "heads", "seq", "depth"}, {b, H, S, D}), change, DType::F32,
                 [K, H] { return split_heads(*K, H); });
        rec.lazy("v_heads", "v = v." + view, named({"b", "heads", "seq", "depth"}, {b, H, S, D}), change, DType::F32,
                 [V, H] { return split_heads(*V, H); });
    }
    const NamedShape score_shape =
        multi ? named({"b", "heads", "h*w", "seq"}, {b, H, P, S}) : named({"b", "h*w", "seq"}, {b, P, S});
    rec.lazy("scores", seed_code(kind, SeedStep::Scores), score_shape, "depth contracted: one score per (query, key)",
             DType::F32, [src] { return src->scores(); });
    const std::string scale_code = config.scale.kind == ScaleChoice::Kind::Module
                                       ? seed_code(kind, SeedStep::ScaleByModule)
                                       : "att_weights = att_weights * " + format_number(trace.scale) +
                                             "  # scale: " + scale_name(config.scale) +
                                             " (the module's own was changed)";
    rec.lazy("scaled", scale_code, score_shape, "every score x " + format_number(trace.scale), DType::F32,
             [src] { return scaled(src->scores(), src->scale); });
    if (in.pad_mask) {
        TensorPtr mask = hold(*in.pad_mask);
        record_mask_steps(rec, kind, dn, {b, H, P, S}, mask);
        const std::string fill_text = std::isinf(trace.fill) ? "float('-inf')" : "-1e9";
        rec.lazy("masked", "att_weights = att_weights.masked_fill(pad_mask, " + fill_text + ")", score_shape,
                 "padded keys set to " + fill_text, DType::F32,
                 [src] { return masked_fill_keys(scaled(src->scores(), src->scale), *src->mask, src->fill); });
    }
    rec.held("softmax", "att_weights = F.softmax(att_weights, dim=-1)", score_shape,
             "softmax over keys: each row sums to 1", att);
    // [b, heads, h*w, depth]; one head's att_weights has no heads dim of its own
    auto context_heads = [att, V, b, H, P, S] { return weighted_sum(reshaped(*att, {b, H, P, S}), split_heads(*V, H)); };
    const std::string wsum = seed_code(kind, SeedStep::WeightedSum);
    if (multi) {
        rec.lazy("weighted_sum", wsum, named({"b", "heads", "h*w", "depth"}, {b, H, P, D}),
                 "keys contracted: weights x v", DType::F32, context_heads);
        rec.lazy("merge_heads", seed_code(kind, SeedStep::MergeHeads), named({"b", "h*w", "emb"}, {b, P, E}),
                 "heads x depth merged back into emb", DType::F32,
                 [context_heads] { return merge_heads(context_heads()); });
    } else {
        rec.lazy("weighted_sum", wsum, named({"b", "h*w", "emb"}, {b, P, E}), "keys contracted: weights x v",
                 DType::F32, context_heads);
    }
    rec.lazy("fold", "out = rearrange(out, 'b (h w) c -> b c h w', h=h, w=w)",
             named({"b", "emb", "h", "w"}, {b, E, h, w}), "h*w unflattened back into h, w; channels moved first",
             DType::F32, [context_heads, h, w] { return fold_hw(merge_heads(context_heads()), h, w); });
    rec.held("proj_out", "out = self.proj_out(out)", named({"b", "c", "h", "w"}, {b, C_out, h, w}),
             "1x1 conv: emb -> c channels", out);

    trace.output_data = out;
    trace.attn_data = att;
    return trace;
}

}  // namespace attn::detail
