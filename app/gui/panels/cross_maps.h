// The Attention panel for the seed's cross modules (CrossAttention, CrossMultiAttention): the [h, w]
// map of the chosen (head, token) over the picture, a clicked pixel's row as bars over the tokens
// (pixel_row_bars.h), and the grid of thumbnails, heads (and their mean) x tokens, to pick from.
#pragma once

#include "app_context.h"
#include "panels/pixel_row_bars.h"

namespace attn::gui::attention_view {

void draw_cross(AppContext& ctx, MapViews& maps, PixelRowBars& bars);

}  // namespace attn::gui::attention_view
