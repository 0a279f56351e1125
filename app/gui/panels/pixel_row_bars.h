// The seed's cross modules, the other way round from their per-token maps: one pixel's row of
// att_weights [b, (heads,) h*w, seq_k] as a bar per key token. A per-token map shows a column
// (how much every pixel attends to one token); the row shows how one pixel shares its attention
// among the tokens, a softmax over seq_k that sums to 1 (uniform with -1e9 and NaN with -inf on a
// batch item that is padding throughout).
// A click on the large map chooses the pixel; hover gives the exact weight; a click on a bar shows
// that token's map and opens the Q·K inspector on the weight.
#pragma once

#include "app_context.h"

#include <imgui.h>

namespace attn::gui {

class PixelRowBars {
public:
    // The pixel (h*w index, row-major) whose row is drawn; -1: none.
    void select(int pixel) { pixel_ = pixel; }
    int selected() const { return pixel_; }

    // Rows of text the bars take for `tokens` keys (their list scrolls beyond it), 0 when no
    // pixel is chosen: what the large map leaves free.
    float height(int tokens) const;

    // The bars of the chosen pixel for the view's batch item and head, `width` wide.
    void draw(AppContext& ctx, const MapViews& maps, float width);

private:
    int pixel_ = -1;
};

}  // namespace attn::gui
