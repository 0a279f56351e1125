// The Q·K inspector: one score cell (query i, key j, head h of batch item b) taken apart with the
// pass's own numbers (score_breakdown.h): q_i and k_j as bars, their element-wise products and
// sum next to the engine's score, the scale, the mask (was key j padding, what was filled), the
// row's exponentials and normaliser, and the weight; a temperature slider redraws the row's
// softmax sharper or flatter here (the pass is unchanged). Opened by clicking a cell of the
// Attention panel's matrix or map, or of the Pipeline panel's scores / scaled / masked / softmax
// heat map (ViewSettings::inspect_cell). Publishes its numbers as probes["inspector"].
#pragma once

#include "background_job.h"
#include "panels/panel.h"
#include "score_breakdown.h"

#include <optional>
#include <string>
#include <vector>

namespace attn::gui {

class InspectorPanel : public Panel {
public:
    InspectorPanel() : Panel("Q·K inspector", 0, Placement::Floating) {}

protected:
    void draw_content(AppContext& ctx) override;
    bool is_open(const AppContext& ctx) const override { return ctx.settings.inspect_cell.size() == 4; }
    void close(AppContext& ctx) override { ctx.settings.inspect_cell.clear(); }

private:
    void pick_cell(AppContext& ctx);
    void draw_dot_product(const ScoreBreakdown& r);
    void draw_mask(AppContext& ctx, const ScoreBreakdown& r);
    void draw_softmax(AppContext& ctx, const ScoreBreakdown& r);
    void publish(AppContext& ctx, const ScoreBreakdown& r);

    uint64_t pass_ = 0;
    std::vector<int> cell_;  // of breakdown_
    std::optional<ScoreBreakdown> breakdown_;
    std::string error_;
    // A large pass's steps are made on a thread of their own (background_job.h).
    BackgroundJob<ScoreBreakdown> job_;  // pending(): the breakdown is being made
};

}  // namespace attn::gui
