// The animations of the current pass's Pipeline steps (step_animation.h), made on demand and kept
// while the pass, the batch item, the head and the colormap stay, with the slices of the step
// tensors they read (produce() makes a tensor; only its 2-D slice for the batch item and head shown
// is kept). Used by the diagram window and the diagram exports.
//
// For the window, a step's slice is made on a thread of its own (background_job.h), one at a
// time, so that it keeps drawing: a slice that takes longer than a frame's wait is not there yet,
// and the window gets an animation drawn from the shapes alone, remade each frame and not kept.
// The exports wait for every slice instead.
// Part of the GUI's model: no GL or ImGui.
#pragma once

#include "app_context.h"
#include "background_job.h"
#include "step_animation.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

namespace attn::gui {

class StepDiagrams {
public:
    enum class Slices { Wait, Later };
    // The animation of step `index` of ctx.trace (which must be set and hold that step). With
    // Slices::Later a step's slice is made off this thread (see above).
    const anim::StepAnimation& animation(const AppContext& ctx, int index, Slices slices = Slices::Wait);
    // How many slices and animations are kept (for tests).
    size_t slices_kept() const { return slices_.size(); }
    void reset();

private:
    void key_to(const AppContext& ctx);
    const StepSlice* slice(const AppContext& ctx, int index);
    void take_made_slice(std::chrono::milliseconds wait);  // waits up to `wait` for the job

    uint64_t pass_ = 0;
    int batch_ = -1, head_ = -1;
    Colormap colormap_ = Colormap::Viridis;
    std::map<int, std::unique_ptr<StepSlice>> slices_;  // null entry: not available
    std::map<int, anim::StepAnimation> animations_;
    // Making slices later: the step being made, whether the animation being made lacks one, and
    // the last such animation (what animation() returned).
    Slices slices_mode_ = Slices::Wait;
    BackgroundJob<std::unique_ptr<StepSlice>> job_;
    int making_ = -1;
    bool lacking_ = false;
    std::unique_ptr<anim::StepAnimation> provisional_;
};

}  // namespace attn::gui
