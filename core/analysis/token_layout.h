// What the aggregations of core/analysis/ need to know about the tokens besides the weights:
// which positions are real tokens and which are padding, each position's label (to find [CLS]
// and [SEP]), and for patch models where each patch stands on the picture.
//
// Every aggregation takes attention as the models give it:
//   attn   [b, H, Lq, Lk]   F32 softmax weights of one layer (Lq == Lk for self-attention)
//          [b, Lq, Lk]      the seed's single-head modules (self, cross): read as H = 1
//   layers std::vector<TensorPtr>, one attn per layer
// and the layout below, whose attention_mask is over the keys: [b, Lk].
#pragma once

#include "tensor/tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn {

struct ModelInputs;

struct TokenLayout {
    // Int64 (or F32) [b, Lk] holding 1 = token, 0 = padding, as transformers' attention_mask.
    // Absent: every position is a token. The seed's Bool pad_mask (true = padding) is refused,
    // because its meaning is the opposite one.
    std::optional<Tensor> attention_mask;  // (token_layout_from_pad_mask converts the seed's)
    // Per batch item, one label per key position ("[CLS]", "cat", "[PAD]"); empty: no labels,
    // and the [CLS]/[SEP] shares are absent.
    std::vector<std::vector<std::string>> tokens;
    // Patch models (ViT): the grid of patches, row-major after `prefix_tokens` tokens ([CLS]).
    // 0 x 0: a text model.
    int64_t patch_rows = 0, patch_cols = 0, prefix_tokens = 0;

    bool has_patches() const { return patch_rows > 0 && patch_cols > 0; }
};

// The layout of what a Model prepared: its mask, labels and patch grid.
TokenLayout token_layout_of(const ModelInputs& inputs);

// The layout of the seed's modules: their Bool pad_mask [b, seq_k] (true = padding, as
// input_ids.eq(0)) turned into an attention_mask. ShapeError for a tensor that is not Bool [b, seq_k].
TokenLayout token_layout_from_pad_mask(const Tensor& pad_mask);

// The layout checked against one attention shape, in the form the loops use.
struct RealTokens {
    int64_t batch = 0, keys = 0;
    std::vector<uint8_t> key_is_token;  // [b, Lk]: 1 = token, 0 = padding
    std::vector<int64_t> token_count;   // [b]: real keys per batch item
    bool key_is_real(int64_t item, int64_t key) const { return key_is_token[item * keys + key] != 0; }
};

// Checks `layout` against attention of shape [b, H, Lq, Lk] named `attn_name` ("layer 3 attn")
// and returns its real keys. ShapeError naming the tensor and both shapes when the mask is not
// [b, Lk], holds anything but 0 and 1, or a batch item's labels are not Lk; when the patch grid
// does not account for Lk (prefix_tokens + rows * cols).
RealTokens check_token_layout(const TokenLayout& layout, const Shape& attn_shape, const std::string& attn_name);

// Checks that `t` is a non-null F32 tensor [b, H, Lq, Lk] or [b, Lq, Lk]; ShapeError naming
// `name`. Returns its dims as [b, H, Lq, Lk] (H = 1 for rank 3: the memory is the same).
Shape check_attention_tensor(const Tensor* t, const std::string& name);

// Checks every layer of `layers` (non-empty, each as above) and that all share one shape.
// Returns the dims [b, H, Lq, Lk]. `what` names the caller in messages ("rollout").
Shape check_attention_layers(const std::vector<TensorPtr>& layers, const std::string& what);

}  // namespace attn
