// The Attention panel: the attention maps of the current pass, drawn on the GPU (MapViews).
//   self / multi-head / nn.MultiheadAttention: the [seq_q, seq_k] matrix of the chosen head with
//     the tokens on both axes (padding key columns hatched, NaN cells crossed), and one thumbnail
//     per head plus the mean over heads;
//   cross modules: the [h, w] map of the chosen (head, token) laid over the picture, and a grid of
//     thumbnails, heads (and their mean) x tokens, to pick from.
// A click on a pixel of the large cross map shows that pixel's row as bars over the tokens.
// Hovering shows the exact weight with its query (token, or pixel (row, col) of the grid) and key.
// Every choice lives in ctx.settings (batch, head, token, colormap, shared range, opacity), so
// the session restores it.
#pragma once

#include "panels/compare_view.h"
#include "panels/panel.h"
#include "panels/pixel_row_bars.h"
#include "panels/seed_compare.h"

namespace attn::gui {

// Its state is the view settings (AppContext::settings) and the map textures (MapViews).
class AttentionPanel : public Panel {
public:
    AttentionPanel() : Panel("Attention") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    CompareView compare_;       // a real model's side-by-side panes (model_map.h)
    PixelRowBars pixel_bars_;   // the cross modules: a clicked pixel's row over the tokens
    SeedCompare seed_compare_;  // the seed's: B is the scene under other settings (seed_compare.h)
};

}  // namespace attn::gui
