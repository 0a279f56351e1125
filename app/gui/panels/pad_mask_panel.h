// The Pad mask panel: pad_mask = input_ids.eq(0) [b, seq] and each expansion of it the trace
// records (pad_mask_expanded: [b, seq, seq], [b, h*w, seq] or [b, heads, L, S]; pad_mask_heads:
// [b, heads, ...]) as grids with the tokens on their axes, then what the mask does: the softmax
// weights of the chosen batch item and head. Masked cells are dark red and hatched; NaN weights
// (a row whose keys are all padding, filled with -inf) are magenta, and hovering says why. Tall
// expansions ([b, h*w, seq] with h*w = 1600) show their first rows and how many more there are.
// Only the cells inside the panel are drawn, and an expansion is read through pad_mask (it is a
// broadcast of it), so a 10,000-token sentence costs what is on screen, not b * heads * L * S.
#pragma once

#include "app_context.h"

namespace attn::gui {

void draw_pad_mask_panel(AppContext& ctx);

}  // namespace attn::gui
