// The Pad mask panel: pad_mask = input_ids.eq(0) [b, seq] and each expansion of it the trace
// records (pad_mask_expanded: [b, seq, seq], [b, h*w, seq] or [b, heads, L, S]; pad_mask_heads:
// [b, heads, ...]) as grids with the tokens on their axes, then what the mask does: the softmax
// weights of the chosen batch item and head. Masked cells are dark red and hatched; NaN weights
// (a row whose keys are all padding, filled with -inf) are magenta, and hovering says why. Tall
// expansions ([b, h*w, seq] with h*w = 1600) show their first rows and how many more there are.
// Only the cells inside the panel are drawn, and an expansion is read through pad_mask (it is a
// broadcast of it), so a 10,000-token sentence costs what is on screen, not b * heads * L * S.
#pragma once

#include "panels/panel.h"

#include <cstdint>
#include <string>

namespace attn::gui {

class PadMaskPanel : public Panel {
public:
    PadMaskPanel() : Panel("Pad mask") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    // What one frame draws: the pass and the choices, shared by the three cards.
    struct Frame;

    void find_mask_steps(AppContext& ctx);
    void measure_labels(AppContext& ctx, int batch, int batches, int seq);
    void draw_legend(const Frame& f);
    void draw_pad_mask_card(AppContext& ctx, const Frame& f);
    // Returns the height the stacked copies add, to line up the softmax card's rows.
    float draw_expansion_card(AppContext& ctx, const Frame& f);
    void draw_softmax_card(AppContext& ctx, const Frame& f, float stack_pad);

    // The mask steps of the shown pass (AppContext::pass_id), found once per pass. Only pad_mask
    // [b, seq] is made: an expansion is a broadcast of it (PyTorch's expand() is a view that copies
    // nothing), so its cell [b, (head,) q, k] is read as pad_mask[b, k]. Making it would take
    // b * heads * L * S values: 3.2 GB for 8 heads of a 10,000-token sentence.
    uint64_t steps_pass_ = 0;
    const TraceStep* steps_[3] = {nullptr, nullptr, nullptr};  // pad_mask, pad_mask_expanded, pad_mask_heads
    Tensor pad_mask_;
    std::string steps_error_;

    // The longest token labels, measured once per pass (and batch item): a 10,000-token sentence
    // has 10,000 labels, too many to measure every frame.
    uint64_t labels_pass_ = 0;
    int labels_batch_ = -1;
    float longest_key_ = 0.0f;   // the keys of the chosen batch item along a stood-up column
    float widest_token_ = 0.0f;  // the keys of every batch item across a pad_mask cell
};

}  // namespace attn::gui
