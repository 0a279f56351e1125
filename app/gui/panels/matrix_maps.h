// The Attention panel for the seed's self-attention modules (SelfAttention, MultiHeadAttention,
// nn.MultiheadAttention): the [seq_q, seq_k] matrix of the chosen head with the tokens on both
// axes (padding key columns hatched, NaN cells crossed; a large one drawn whole, each pixel the
// mean of its cells), and one thumbnail per head plus their mean.
#pragma once

#include "app_context.h"

namespace attn::gui::attention_view {

void draw_matrices(AppContext& ctx, MapViews& maps);

}  // namespace attn::gui::attention_view
