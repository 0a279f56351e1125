// The Pipeline panel's part for a real model: which layer's steps it lists (a slider; PageUp /
// PageDown and [ / ] too), and the steps before the first layer (embeddings, patches) and after
// the last (final LayerNorm, pooling), each with its named shape and the line of transformers'
// code it stands for. The step selected stays selected from layer to layer: every layer has the
// same steps.
#pragma once

#include "app_context.h"

namespace attn::gui {

// Draws the layer line and the two other stages, folded. Moves ctx.trace to the chosen layer.
void draw_model_stages(AppContext& ctx);

}  // namespace attn::gui
