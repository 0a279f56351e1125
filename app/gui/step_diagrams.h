// The animations of the current pass's Pipeline steps (step_animation.h), made on demand and kept
// while the pass, the batch item, the head and the colormap stay, with the slices of the step
// tensors they read (produce() makes a tensor; only its 2-D slice for the batch item and head shown
// is kept). Used by the diagram window, the Pipeline panel and the diagram exports.
// Part of the GUI's model: no GL or ImGui.
#pragma once

#include "app_context.h"
#include "step_animation.h"

#include <cstdint>
#include <map>
#include <memory>

namespace attn::gui {

class StepDiagrams {
public:
    // The animation of step `index` of ctx.trace (which must be set and hold that step).
    const anim::StepAnimation& animation(const AppContext& ctx, int index);
    // How many slices and animations are kept (for tests).
    size_t slices_kept() const { return slices_.size(); }
    void reset() { *this = StepDiagrams(); }

private:
    void key_to(const AppContext& ctx);
    const StepSlice* slice(const AppContext& ctx, int index);

    uint64_t pass_ = 0;
    int batch_ = -1, head_ = -1;
    Colormap colormap_ = Colormap::Viridis;
    std::map<int, std::unique_ptr<StepSlice>> slices_;  // null entry: not available
    std::map<int, anim::StepAnimation> animations_;
};

}  // namespace attn::gui
