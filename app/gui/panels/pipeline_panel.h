// The Pipeline panel: the forward pass step by step, as the trace records it. Each step shows its
// index, name, shape with named dimensions ("[b, heads, h*w, depth] = [3, 8, 1600, 64]") coloured
// by what changed from the step it comes from (model/shape_diff.h: a dimension split, flattened,
// new, moved or gone), and its PyTorch line. The selected step (ctx.settings.step; Up/Down or K/J
// while the panel has focus) is shown as a heat map of one 2-D slice of its tensor (StepHeatMap),
// and stays in view in the list whatever changed it (a click, the keys, the animation, a session).
// Play and the slider (anim_controls.h) animate the step on a diagram of its tensor in the
// diagram window (diagram_panel.h); the panel advances the animation each frame.
#pragma once

#include "model/shape_diff.h"
#include "panels/panel.h"
#include "panels/step_heat_map.h"

#include <cstdint>
#include <vector>

namespace attn::gui {

class PipelinePanel : public Panel {
public:
    PipelinePanel() : Panel("Pipeline") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void keyboard(AppContext& ctx);
    void draw_step_list(AppContext& ctx, float height);
    void draw_details(AppContext& ctx);

    uint64_t pass_ = 0;             // AppContext::pass_id of diffs_
    const Trace* trace_ = nullptr;  // and its trace (a real model's pass has one per layer)
    std::vector<ShapeDiff> diffs_;  // of every step of that pass, made once
    int shown_step_ = -1;           // the selection the list last brought into view
    double last_clock_ = -1.0;      // of the previous frame, for the animation's clock
    StepHeatMap heat_map_;
};

}  // namespace attn::gui
