#include "transformer/encoder_layer.h"

#include "errors.h"
#include "transformer/encoder_attention.h"

#include <cmath>

namespace attn {

float EncoderSpec::scale() const {
    return static_cast<float>(1.0 / std::sqrt(static_cast<double>(depth())));
}

double EncoderLayerWeights::bytes() const {
    const LayerNormWeights* norms[] = {&norm1, &norm2};
    double n = qkv.bytes() + attn_output.bytes() + intermediate.bytes() + output.bytes();
    for (const LayerNormWeights* ln : norms)
        n += static_cast<double>(ln->weight.numel() + ln->bias.numel()) * sizeof(float);
    return n;
}

double encoder_layer_work_bytes(const EncoderSpec& spec, double b, double L) {
    // qkv (3 hidden), context, the attention output and, at once, the FFN's hidden layer and its
    // output: what is alive together at the FFN.
    const double rows = b * L, E = static_cast<double>(spec.hidden), I = static_cast<double>(spec.intermediate);
    return rows * (3 * E + E + E + I + E) * sizeof(float);
}

namespace {

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor y = Tensor::uninitialized(a.shape);
    for (int64_t i = 0; i < a.numel(); ++i)
        y.data[static_cast<size_t>(i)] = a.data[static_cast<size_t>(i)] + b.data[static_cast<size_t>(i)];
    return y;
}

// Attention of q, k, v in qkv [b, L, 3E]: probs [b, heads, L, L], context [b, L, E].
void attend(const EncoderSpec& s, const Tensor& qkv, const Tensor* mask_add, Tensor& probs, Tensor& context) {
    const int64_t b = qkv.dim(0), L = qkv.dim(1), E = s.hidden;
    probs = Tensor::uninitialized({b, s.heads, L, L});
    context = Tensor::uninitialized({b, L, E});
    const QkvView view{qkv.ptr(), qkv.ptr() + E, qkv.ptr() + 2 * E, 3 * E};
    self_attention(view, b, L, s.heads, s.depth(), s.scale(), mask_add ? mask_add->ptr() : nullptr, probs.ptr(),
                   context.ptr());
}

// The plain pass: probs and output only, the residuals fused into the products before them and
// the LayerNorms done in place.
LayerTensors run_plain(const EncoderSpec& s, const EncoderLayerWeights& w, const Tensor& h, const Tensor* mask_add) {
    LayerTensors t;
    Tensor context;
    if (s.norm == NormPlacement::Post) {
        {
            const Tensor qkv = dense(h, w.qkv);  // [b, L, 3E]
            attend(s, qkv, mask_add, t.probs, context);
        }
        Tensor a = dense(context, w.attn_output, Activation::None, &h);  // dense + h
        context = Tensor();
        layer_norm_rows(a.ptr(), a.numel() / s.hidden, s.hidden, w.norm1);
        t.output = dense(dense(a, w.intermediate, s.act), w.output, Activation::None, &a);
        layer_norm_rows(t.output.ptr(), t.output.numel() / s.hidden, s.hidden, w.norm2);
        return t;
    }
    {
        const Tensor qkv = dense(layer_norm(h, w.norm1), w.qkv);
        attend(s, qkv, mask_add, t.probs, context);
    }
    const Tensor a = dense(context, w.attn_output, Activation::None, &h);
    context = Tensor();
    t.output = dense(dense(layer_norm(a, w.norm2), w.intermediate, s.act), w.output, Activation::None, &a);
    return t;
}

}  // namespace

LayerTensors run_encoder_layer(const EncoderSpec& s, const EncoderLayerWeights& w, const Tensor& h,
                               const Tensor* mask_add, bool keep_all) {
    ATTN_CHECK(h.rank() == 3 && h.dim(2) == s.hidden, "encoder layer input " + shape_string(h.shape));
    if (!keep_all) return run_plain(s, w, h, mask_add);
    LayerTensors t;
    const bool post = s.norm == NormPlacement::Post;
    if (!post) t.normed_input = layer_norm(h, w.norm1);
    t.qkv = dense(post ? h : t.normed_input, w.qkv);
    attend(s, t.qkv, mask_add, t.probs, t.context);
    t.attn_dense = dense(t.context, w.attn_output);
    t.attn_residual = add(t.attn_dense, h);
    t.attn_normed = layer_norm(t.attn_residual, post ? w.norm1 : w.norm2);
    t.ffn_hidden = dense(t.attn_normed, w.intermediate, s.act);
    t.ffn_dense = dense(t.ffn_hidden, w.output);
    t.ffn_residual = add(t.ffn_dense, post ? t.attn_normed : t.attn_residual);
    t.output = post ? layer_norm(t.ffn_residual, w.norm2) : t.ffn_residual;
    return t;
}

}  // namespace attn
