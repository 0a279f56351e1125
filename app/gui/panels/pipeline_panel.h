// The Pipeline panel: the forward pass step by step, as the trace records it. Each step shows its
// index, name, shape with named dimensions ("[b, heads, h*w, depth] = [3, 8, 1600, 64]") coloured
// by what changed from the step it comes from (a dimension split, flattened, new, moved or gone),
// and its PyTorch line. The selected step (ctx.settings.step; Up/Down or K/J while the panel has
// focus) is shown as a heat map of one 2-D slice of its tensor (the last two dimensions; batch
// item and head from the view settings, other leading dimensions with a slider; [.., h*w, ..]
// can be folded back into the picture's h x w), produced on demand and kept for that step only,
// with its min and max and the exact value and index under the mouse.
#pragma once

#include "app_context.h"

namespace attn::gui {

void draw_pipeline_panel(AppContext& ctx);

}  // namespace attn::gui
