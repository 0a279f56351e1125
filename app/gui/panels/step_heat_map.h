// The selected Pipeline step's tensor as a heat map: made on demand (step.tensor()) and kept for
// that step of that pass only, one 2-D slice of it (model/step_slice.h) chosen with sliders (batch
// item and head from the view settings, other leading dimensions here; an h*w dimension can be
// folded back into the picture), drawn through the maps' shader, with its min, max and NaN count
// and the exact value and index under the mouse. The step is made on a thread of its own
// (background_job.h): one that takes longer than a frame's wait is announced, and the window
// keeps drawing until it is there.
#pragma once

#include "app_context.h"
#include "background_job.h"
#include "model/step_slice.h"

#include <imgui.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace attn::gui {

// What the heat map shows of one step; StepHeatMap::reset starts it afresh.
struct StepHeatMapState {
    uint64_t pass_ = 0;             // AppContext::pass_id of the tensor
    const Trace* trace_ = nullptr;  // and its trace (a real model's pass has one per layer)
    int step_ = -1;
    Tensor tensor_;
    std::string error_;         // why the tensor is not shown
    std::string posted_error_;  // the last one posted as a message
    bool have_slice_ = false;
    SliceChoice slice_choice_;
    StepSlice slice_;
    uint64_t version_ = 0;                        // of slice_, for the texture cache
    std::map<std::string, int64_t> other_index_;  // sliders of leading dimensions that are not b or heads
    bool fold_ = false;
    int fold_index_ = 0;
};

class StepHeatMap : private StepHeatMapState {
public:
    // Draws the controls and the heat map of step `index` of ctx.trace in the space left.
    void draw(AppContext& ctx, int index);
    // Forgets the tensor (a pass or step no longer shown); a tensor still being made is dropped.
    void reset() {
        job_.cancel();
        static_cast<StepHeatMapState&>(*this) = StepHeatMapState();
    }

private:
    void make_tensor(AppContext& ctx, int index);
    void take_made_tensor(std::chrono::milliseconds wait);  // waits up to `wait` for the job
    void publish(AppContext& ctx, const TraceStep& step) const;  // the test hook's "pipeline" probe
    void draw_controls(AppContext& ctx, const TraceStep& step);
    void draw_map(AppContext& ctx, const TraceStep& step, ImVec2 box);
    SliceChoice choice(const AppContext& ctx) const;

    BackgroundJob<Tensor> job_;  // pending(): the tensor is being made on its thread
};

}  // namespace attn::gui
