#include "analysis/token_layout.h"

#include "errors.h"
#include "models/model.h"

namespace attn {

TokenLayout token_layout_from_pad_mask(const Tensor& pad_mask) {
    if (pad_mask.dtype != DType::Bool || pad_mask.rank() != 2 || pad_mask.numel() != shape_numel(pad_mask.shape))
        throw ShapeError("pad_mask has shape " + shape_string(pad_mask.shape) +
                         ", expected Bool [b, seq_k] (true = padding, as input_ids.eq(0))");
    Tensor mask(pad_mask.shape, 0.0f, DType::Int64);  // [b, seq_k], 1 = token
    for (size_t i = 0; i < mask.data.size(); ++i)
        mask.data[i] = pad_mask.data[i] != 0.0f ? 0.0f : 1.0f;
    TokenLayout layout;
    layout.attention_mask = std::move(mask);
    return layout;
}

TokenLayout token_layout_of(const ModelInputs& inputs) {
    TokenLayout layout;
    if (!inputs.attention_mask.shape.empty()) layout.attention_mask = inputs.attention_mask;
    layout.tokens = inputs.tokens;
    layout.patch_rows = inputs.patch_rows;
    layout.patch_cols = inputs.patch_cols;
    layout.prefix_tokens = inputs.prefix_tokens;
    return layout;
}

Shape check_attention_tensor(const Tensor* t, const std::string& name) {
    if (!t) throw ShapeError(name + " is missing (no tensor)");
    if (t->dtype != DType::F32) throw ShapeError(name + " must hold float weights, not integers or booleans");
    if (t->rank() != 4 && t->rank() != 3)
        throw ShapeError(name + " has shape " + shape_string(t->shape) +
                         ", expected [b, heads, Lq, Lk] (rank 4) or one head's [b, Lq, Lk]");
    if (shape_numel(t->shape) != t->numel())
        throw ShapeError(name + " holds " + std::to_string(t->numel()) + " values, its shape " +
                         shape_string(t->shape) + " needs " + std::to_string(shape_numel(t->shape)));
    if (t->rank() == 3) return {t->shape[0], 1, t->shape[1], t->shape[2]};
    return t->shape;
}

Shape check_attention_layers(const std::vector<TensorPtr>& layers, const std::string& what) {
    if (layers.empty()) throw ShapeError(what + ": no layers of attention given");
    Shape dims;
    for (size_t l = 0; l < layers.size(); ++l) {
        const std::string name = "layer " + std::to_string(l) + " attn";
        dims = check_attention_tensor(layers[l].get(), name);
        if (layers[l]->shape != layers[0]->shape)
            throw ShapeError(what + ": " + name + " has shape " + shape_string(layers[l]->shape) +
                             ", layer 0 attn has " + shape_string(layers[0]->shape) +
                             "; every layer must have one shape");
    }
    return dims;
}

RealTokens check_token_layout(const TokenLayout& layout, const Shape& attn_shape, const std::string& attn_name) {
    const int64_t b = attn_shape.at(0), Lk = attn_shape.at(3);
    const std::string expected = "[" + std::to_string(b) + ", " + std::to_string(Lk) + "]";
    RealTokens real;
    real.batch = b;
    real.keys = Lk;
    real.key_is_token.assign(static_cast<size_t>(b * Lk), 1);
    real.token_count.assign(static_cast<size_t>(b), Lk);

    if (layout.attention_mask) {
        const Tensor& mask = *layout.attention_mask;
        if (mask.dtype == DType::Bool)
            throw ShapeError(
                "attention_mask is a bool pad mask (true = padding); give int64 [b, Lk] with 1 = token, 0 = padding "
                "(token_layout_from_pad_mask converts a pad mask)");
        if (mask.shape != Shape{b, Lk} || mask.numel() != b * Lk)
            throw ShapeError("attention_mask has shape " + shape_string(mask.shape) + ", " + attn_name + " " +
                             shape_string(attn_shape) + " needs " + expected + " (one per batch item and key)");
        for (int64_t i = 0; i < b; ++i) {
            int64_t count = 0;
            for (int64_t k = 0; k < Lk; ++k) {
                const float v = mask.data[static_cast<size_t>(i * Lk + k)];
                if (v != 0.0f && v != 1.0f)
                    throw ShapeError("attention_mask holds " + std::to_string(v) + " at [" + std::to_string(i) + ", " +
                                     std::to_string(k) + "]; expected 1 = token or 0 = padding");
                real.key_is_token[static_cast<size_t>(i * Lk + k)] = v == 1.0f ? 1 : 0;
                count += v == 1.0f ? 1 : 0;
            }
            real.token_count[static_cast<size_t>(i)] = count;
        }
    }

    if (!layout.tokens.empty()) {
        if (static_cast<int64_t>(layout.tokens.size()) != b)
            throw ShapeError("tokens: " + std::to_string(layout.tokens.size()) + " batch items of labels, " +
                             attn_name + " " + shape_string(attn_shape) + " has " + std::to_string(b));
        for (int64_t i = 0; i < b; ++i)
            if (static_cast<int64_t>(layout.tokens[static_cast<size_t>(i)].size()) != Lk)
                throw ShapeError("tokens: batch item " + std::to_string(i) + " has " +
                                 std::to_string(layout.tokens[static_cast<size_t>(i)].size()) + " labels, " +
                                 attn_name + " " + shape_string(attn_shape) + " has " + std::to_string(Lk) + " keys");
    }

    if (layout.patch_rows < 0 || layout.patch_cols < 0 || layout.prefix_tokens < 0)
        throw ShapeError("patch grid " + std::to_string(layout.patch_rows) + "x" + std::to_string(layout.patch_cols) +
                         " with " + std::to_string(layout.prefix_tokens) +
                         " prefix tokens: sizes must not be negative");
    if (layout.has_patches() && layout.prefix_tokens + layout.patch_rows * layout.patch_cols != Lk)
        throw ShapeError("patch grid " + std::to_string(layout.patch_rows) + "x" + std::to_string(layout.patch_cols) +
                         " + " + std::to_string(layout.prefix_tokens) + " prefix tokens makes " +
                         std::to_string(layout.prefix_tokens + layout.patch_rows * layout.patch_cols) + " tokens, " +
                         attn_name + " " + shape_string(attn_shape) + " has " + std::to_string(Lk) + " keys");
    return real;
}

}  // namespace attn
