#include "step_diagrams.h"

#include <algorithm>
#include <exception>
#include <new>
#include <optional>
#include <utility>

namespace attn::gui {

namespace {

// The slice of step `index` for one batch item and head, or null for a step too large to make (it
// is drawn from its shape alone, as the heat map describes it) or one that cannot be made.
std::unique_ptr<StepSlice> make_slice(const Trace& trace, int index, int batch, int head) {
    const TraceStep& step = trace.steps[static_cast<size_t>(index)];
    if (shape_numel(step.shape.sizes) > kMaxPipelineStepValues) return nullptr;
    try {
        SliceChoice choice;
        choice.batch = batch;
        choice.head = head;
        return std::make_unique<StepSlice>(make_step_slice(step, step.tensor(), trace.fill, choice));
    } catch (const std::bad_alloc&) {
        return nullptr;
    } catch (const Error&) {
        return nullptr;
    }
}

}  // namespace

void StepDiagrams::reset() {
    job_.cancel();
    making_ = -1;
    pass_ = 0;
    batch_ = head_ = -1;
    colormap_ = Colormap::Viridis;
    slices_.clear();
    animations_.clear();
    provisional_.reset();
}

void StepDiagrams::key_to(const AppContext& ctx) {
    int batch = std::max(ctx.settings.batch, 0);
    if (ctx.scene && ctx.scene->inputs.x.rank() > 0)
        batch = static_cast<int>(std::min<int64_t>(batch, ctx.scene->inputs.x.shape[0] - 1));
    const int head = std::max(ctx.settings.head, 0);  // the mean over heads has no single diagram
    if (pass_ == ctx.pass_id && batch_ == batch && head_ == head && colormap_ == ctx.settings.colormap) return;
    reset();
    pass_ = ctx.pass_id;
    batch_ = batch;
    head_ = head;
    colormap_ = ctx.settings.colormap;
}

void StepDiagrams::take_made_slice(std::chrono::milliseconds wait) {
    if (making_ < 0) return;
    std::optional<BackgroundJob<std::unique_ptr<StepSlice>>::Outcome> made = job_.take_within(wait);
    if (!made) return;
    slices_[making_] = made->value ? std::move(*made->value) : nullptr;
    making_ = -1;
}

const StepSlice* StepDiagrams::slice(const AppContext& ctx, int index) {
    auto it = slices_.find(index);
    if (it != slices_.end()) return it->second.get();
    if (slices_mode_ == Slices::Later) {  // a step too large for make_slice comes back null at once
        if (making_ < 0) {  // one at a time: the next lacking one starts when this one is taken
            making_ = index;
            job_.start([trace = ctx.trace, index, b = batch_, h = head_] { return make_slice(*trace, index, b, h); });
            take_made_slice(kStepMadeWithinFrame);
            it = slices_.find(index);
            if (it != slices_.end()) return it->second.get();
        }
        lacking_ = true;
        return nullptr;
    }
    return slices_.emplace(index, make_slice(*ctx.trace, index, batch_, head_)).first->second.get();
}

const anim::StepAnimation& StepDiagrams::animation(const AppContext& ctx, int index, Slices slices) {
    key_to(ctx);
    take_made_slice(std::chrono::milliseconds(0));
    auto it = animations_.find(index);
    if (it != animations_.end()) return it->second;
    slices_mode_ = slices;
    lacking_ = false;
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
    anim::StepAnimation made = anim::animate_step(in, index);
    if (lacking_) {
        provisional_ = std::make_unique<anim::StepAnimation>(std::move(made));
        return *provisional_;
    }
    if (animations_.size() >= 48) animations_.clear();
    return animations_.emplace(index, std::move(made)).first->second;
}

}  // namespace attn::gui
