// Everything the maps of one pass are made from, whatever made the pass: the seed's modules
// (Scene + Trace), a real model (ModelInputs + ModelPass), or attention tensors a user saved.
// The map model (map_model.h) reads only this, so a new source of attention needs one adaptor
// and no new drawing or export code.
//
// Shapes: every layer's weights are [b, heads, queries, keys]. The seed's single-head modules
// give [b, queries, keys]: the same memory read with heads = 1, never copied.
#pragma once

#include "image/image.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn {

struct Scene;
struct Trace;
struct ModelInfo;
struct ModelInputs;
struct ModelPass;

// What the query positions are, which decides what a map looks like.
enum class QueryKind {
    Tokens,     // queries are tokens: a map is a [queries, keys] matrix
    PixelGrid,  // the seed's cross modules: queries are the h*w pixels of a grid; a map is one
                // key token's column over the picture ([h, w])
    Patches,    // ViT: prefix tokens ([CLS]) then a grid of patches; a map is one query's row over
                // the patches, drawn over the picture, or the whole matrix
};

struct AttentionSet {
    std::string model;               // "CrossMultiAttention", "use-lite", "dino-vits16"...
    std::vector<TensorPtr> layers;   // per layer [b, heads, queries, keys] (or [b, queries, keys])
    bool layered = false;            // a real model: file names and entries carry the layer
    bool has_head_axis = true;       // false for the single-head modules: no fused maps
    int64_t batches = 0, heads = 1, queries = 0, keys = 0;

    QueryKind query_kind = QueryKind::Tokens;
    int64_t grid_rows = 0, grid_cols = 0;  // PixelGrid: h, w; Patches: the patch grid
    int64_t prefix_tokens = 0;             // Patches: tokens before the patches (1: [CLS])

    // Per batch item: a label per key position ("jerry", "<pad>", "[SEP]", "t3"), per query
    // position (token queries and patches; empty for pixel grids), and which keys are padding.
    std::vector<std::vector<std::string>> key_labels, query_labels;
    std::vector<std::vector<bool>> key_is_pad;
    // Per batch item, the picture its maps are drawn over (null: none). Shared, never copied.
    std::vector<std::shared_ptr<const Image>> images;

    float fill = 0.0f;  // what masked_fill wrote into padded scores (for explanations)
    // The values are signed (a difference A - B, maps/map_difference.h), not weights: every map is
    // coloured over [-m, m], m its largest |value| (or the pass's with a shared range), so that 0
    // sits in the middle of a diverging colormap.
    bool signed_values = false;

    // Norm-based attention: per layer, ||f_h(x_j)|| [b, heads, keys], made when first asked for
    // (null: the source cannot give it, e.g. the seed's modules).
    std::vector<std::function<Tensor()>> value_norms;

    // The weight at (layer, batch, head, query, key).
    float weight(int64_t layer, int64_t batch, int64_t head, int64_t query, int64_t key) const {
        return layers[static_cast<size_t>(layer)]
            ->data[static_cast<size_t>(((batch * heads + head) * queries + query) * keys + key)];
    }
    // The first weight of (layer, batch, head)'s [queries, keys] block, which is contiguous.
    const float* block(int64_t layer, int64_t batch, int64_t head) const {
        return layers[static_cast<size_t>(layer)]->data.data() + (batch * heads + head) * queries * keys;
    }
    bool is_pad(int64_t batch, int64_t key) const {
        return !key_is_pad.empty() && key_is_pad[static_cast<size_t>(batch)][static_cast<size_t>(key)];
    }
};

// The seed's modules: att_weights in the layouts of model/forward.h, the scene's tokens, pad_mask
// and pictures. A trace whose att_weights do not have the module's layout gives an empty set
// (no layers): there is nothing to draw.
AttentionSet attention_set_from_pass(const Scene& scene, const Trace& trace);

// A real model's pass: every layer's attn [b, heads, L, L], the inputs' labels and attention_mask
// (0 = padding), and for ViT the patch grid over each picture. The pass's tensors are shared, not
// copied; value norms are made when first asked for.
AttentionSet attention_set_from_model(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass);

}  // namespace attn
