#include "step_diagrams.h"

#include <algorithm>
#include <exception>
#include <new>

namespace attn::gui {

void StepDiagrams::key_to(const AppContext& ctx) {
    int batch = std::max(ctx.settings.batch, 0);
    if (ctx.scene && ctx.scene->inputs.x.rank() > 0)
        batch = static_cast<int>(std::min<int64_t>(batch, ctx.scene->inputs.x.shape[0] - 1));
    const int head = std::max(ctx.settings.head, 0);  // the mean over heads has no single diagram
    if (pass_ == ctx.pass_id && batch_ == batch && head_ == head && colormap_ == ctx.settings.colormap) return;
    slices_.clear();
    animations_.clear();
    pass_ = ctx.pass_id;
    batch_ = batch;
    head_ = head;
    colormap_ = ctx.settings.colormap;
}

const StepSlice* StepDiagrams::slice(const AppContext& ctx, int index) {
    auto it = slices_.find(index);
    if (it != slices_.end()) return it->second.get();
    std::unique_ptr<StepSlice> made;
    const TraceStep& step = ctx.trace->steps[static_cast<size_t>(index)];
    // Steps too large to make are drawn from their shape alone (as the heat map describes them).
    if (shape_numel(step.shape.sizes) <= kMaxPipelineStepValues) {
        try {
            SliceChoice choice;
            choice.batch = batch_;
            choice.head = head_;
            made = std::make_unique<StepSlice>(make_step_slice(step, step.tensor(), ctx.trace->fill, choice));
        } catch (const std::bad_alloc&) {
            made.reset();
        } catch (const Error&) {
            made.reset();
        }
    }
    return slices_.emplace(index, std::move(made)).first->second.get();
}

const anim::StepAnimation& StepDiagrams::animation(const AppContext& ctx, int index) {
    key_to(ctx);
    auto it = animations_.find(index);
    if (it != animations_.end()) return it->second;
    anim::AnimInputs in;
    in.trace = ctx.trace.get();
    in.batch = batch_;
    in.head = head_;
    in.colormap = colormap_;
    in.slice = [this, &ctx](int i) { return slice(ctx, i); };
    const Scene* scene = ctx.scene.get();
    const int64_t b = batch_;
    if (scene != nullptr) {
        in.query_label = [scene, b](int r) { return scene->query_label(b, r); };
        in.key_label = [scene, b](int c) { return scene->key_label(b, c); };
    }
    // A handful are kept: the exports walk every step, the window shows one or two.
    if (animations_.size() >= 48) animations_.clear();
    return animations_.emplace(index, anim::animate_step(in, index)).first->second;
}

}  // namespace attn::gui
