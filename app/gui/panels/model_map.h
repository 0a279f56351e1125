// The Attention panel's large map for a real model: the map the view settings name (layer, head or
// fusion or rollout, weights or norms; AppContext::current_map), read from the pass's map model.
//   text models: the [L, L] matrix with the query tokens down the left and the key tokens along
//     the top, padded keys hatched, the values in the cells where they fit;
//   ViT: one query's row over the picture ([CLS] unless another query is chosen).
// Hovering gives the exact value with its query and key. The colorbar names the quantity.
#pragma once

#include "app_context.h"
#include "panels/compare_view.h"

namespace attn::gui {

// With compare.enabled: A, B and A - B side by side (compare_view.h).
void draw_model_attention(AppContext& ctx, CompareView& compare);

}  // namespace attn::gui
