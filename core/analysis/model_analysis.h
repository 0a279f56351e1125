// The aggregations of core/analysis/ fed from what a real model's run gives (models/model.h):
// the glue the CLI's --dump and the app's views share, so that neither repeats it.
#pragma once

#include "analysis/token_layout.h"
#include "models/model.h"
#include "tensor/tensor.h"

#include <vector>

namespace attn {

// Each layer's attn, [b, H, L, L], in layer order (shared, not copied).
std::vector<TensorPtr> layer_attentions(const ModelPass& pass);

// Tensors of one shape stacked on a new first axis: [layers, ...] (attentions.npy,
// attention_norms.npy). ShapeError when the shapes differ.
Tensor stack_layers(const std::vector<TensorPtr>& layers);

// One layer's norm-based attention ||α_ij f_h(x_j)||, [b, H, L, L]: its value_norms are made here.
// ShapeError naming the layer when it gives no value norms.
Tensor layer_attention_norms(const LayerPass& layer, int64_t layer_index);

// Every layer's, stacked: [layers, b, H, L, L].
Tensor model_attention_norms(const ModelPass& pass);

// The sentence embeddings to compare: use-lite's own [b, 512] where the pass has them, else the
// mean of last_hidden_state over the real tokens (BERT, as sentence-transformers pools
// all-MiniLM-L6-v2), [b, hidden]. ViT has no sentences: ConfigError.
Tensor sentence_embeddings(const ModelPass& pass, const ModelInputs& inputs, const ModelInfo& info);

}  // namespace attn
