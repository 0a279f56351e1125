// The animation of one Pipeline step: the transformation the step stands for, acted out on a
// block diagram of the tensor with its axes named and sized with the pass's real numbers.
//   view                  emb splits into heads x depth (q_heads, k_heads, v_heads)
//   transpose(1, 2)       the seq and heads axes swap (the same steps; merge_heads undoes both)
//   matmul / bmm          k is transposed, then the depth axis is summed over (scores); the
//                         weights times v sum over the keys (weighted_sum)
//   einsum                the cross modules' 'bnid,bnjd -> bnij': the letters on the axes, the
//                         contracted letter highlighted
//   masked_fill           the padded (or attn_mask-ed) cells turn to the fill value
//   softmax(dim=-1)       each row exponentiated, then divided by its sum, the sums shown
//   expand / repeat       the pad mask copied over queries and heads
//   rearrange             pixels (h, w) into rows h*w (flatten) and back (fold)
// and any other step as its tensor's block changing into the new one. Cells that carry values
// (scores, weights, masks) show the engine's numbers for the batch item and head shown.
//
// A StepAnimation is a series of phases, each a tween between two keyframes (diagram.h);
// frame(t) gives the picture at t in [0, 1] over the whole step, with its title, the phase list,
// the PyTorch line and the shape before and after. Part of the GUI's model: no GL or ImGui.
#pragma once

#include "diagram.h"
#include "model/step_slice.h"
#include "model/trace.h"
#include "render/colormap.h"

#include <functional>
#include <string>
#include <vector>

namespace attn::gui::anim {

// What an animation reads of the pass besides the shapes.
struct AnimInputs {
    const Trace* trace = nullptr;
    // The slice of step i's tensor for the batch item and head shown (its last two dimensions),
    // or null when it is not available (too large to make, or not 2-D). May be empty.
    std::function<const StepSlice*(int step)> slice;
    // Labels of query row r and key column c of the batch item shown ("tom", "<pad>"), or empty.
    std::function<std::string(int)> query_label, key_label;
    int batch = 0, head = 0;
    Colormap colormap = Colormap::Viridis;
};

struct Phase {
    std::string caption;  // what happens: "view: emb splits into heads x depth"
    std::string code;     // the piece of the PyTorch line it stands for
    Picture from, to;
    // Parts that follow the phase's own clock (a highlight sweeping over the cells), added to the
    // tween at progress s in [0, 1]; may be empty.
    std::function<void(Picture&, float s)> overlay;
};

struct StepAnimation {
    int step = -1;
    std::string title;       // "4  q_heads"
    std::string code;        // the step's whole PyTorch line
    std::string shape_line;  // "[b, seq, emb] = [3, 5, 512]  ->  [b, heads, seq, depth] = [3, 8, 5, 64]"
    std::string note;        // what is shown: "batch item 0, head 0; 6 of 1600 rows drawn"
    std::vector<Phase> phases;

    // Which phase t falls in, and how far into it (0..1).
    int phase_at(float t) const;
    float phase_progress(float t) const;
    // The picture at t in [0, 1]: each phase takes an equal share, holding its first layout for
    // the first 10% of it and its last for the final 20%.
    Picture frame(float t) const;
};

// The animation of step `index` of inputs.trace. Throws InternalError for an index outside it.
StepAnimation animate_step(const AnimInputs& inputs, int index);

}  // namespace attn::gui::anim
