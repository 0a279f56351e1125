// Shared by the builders of step_animation*.cpp: colours, text, axes and blocks of cells.
// Internal to the step animations.
#pragma once

#include "step_animation.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::gui::anim::detail {

// --- colours on the dark canvas (the window's own background)
extern const Rgba kBackground, kText, kDim, kAccent, kQ, kK, kV, kNeutral, kMaskFill, kMaskHatch, kNan, kEdge;
Rgba head_colour(int h);
Rgba darker(Rgba c, float f);
// The colormap's colour of v on lo..hi (NaN: kNan; hi <= lo: the middle).
Rgba value_colour(Colormap cmap, float v, float lo, float hi);
// Black or white text on a cell of colour c, whichever reads.
Rgba text_on(const Rgba& c);

// --- text
std::string fmt(double v);                                    // "1.23", "-0.05", "-1e9", "-inf", "NaN", "3.1e-05"
std::string dim_text(const std::string& name, int64_t size);  // "seq = 5"

// Sizes of the canvas's text.
// The window shows the canvas at about half its size: text must stay readable there.
constexpr float kTitleSize = 40.0f, kCaptionSize = 27.0f, kLabelSize = 25.0f, kCellTextSize = 22.0f, kValueSize = 19.0f;
// At most this many rows and columns of a block are drawn; the rest is an ellipsis.
constexpr int kMaxRows = 6, kMaxCols = 8, kMaxMatrixRows = 7, kMaxMatrixCols = 10;

// One axis of a block: its name and size in the shape, the einsum letter on it (or "").
struct Axis {
    std::string name;
    int64_t size = 0;
    std::string letter;
    bool highlight = false;  // the contracted axis
};
std::string axis_text(const Axis& a);  // "d: depth = 64" with a letter, else "depth = 64"

// What a step's builder knows: the inputs, the step and where its tensor comes from.
struct StepContext {
    const AnimInputs& in;
    const Trace& trace;
    int index;
    const TraceStep& step;
    const TraceStep* source;  // trace.steps[step.from], or null for an input

    // The latest step before this one called `name`, or -1.
    int find(const std::string& name) const;
    const StepSlice* slice(int i) const;  // null when none
    // Row r of the slice of step i (for a rank-2 step such as pad_mask [b, S]: the batch item's
    // row whatever r is), column c; NaN when outside.
    float value(int i, int r, int c) const;
    std::string query_label(int r) const;
    std::string key_label(int c) const;
};

// A grid of cells on the canvas: rows x cols drawn of rows_total x cols_total.
struct Grid {
    std::string id;  // parts are "<id>/<r>.<c>"
    float x = 0, y = 0, cell_w = 40, cell_h = 40, gap = 0;
    int rows = 1, cols = 1;
    int64_t rows_total = 1, cols_total = 1;

    std::string cell_id(int r, int c) const { return id + "/" + std::to_string(r) + "." + std::to_string(c); }
    float cx(int c) const { return x + static_cast<float>(c) * (cell_w + gap); }
    float cy(int r) const { return y + static_cast<float>(r) * (cell_h + gap); }
    float width() const { return static_cast<float>(cols) * (cell_w + gap) - gap; }
    float height() const { return static_cast<float>(rows) * (cell_h + gap) - gap; }
};
// rows and cols capped at max_rows / max_cols.
Grid make_grid(const std::string& id, float x, float y, float cell_w, float cell_h, int64_t rows, int64_t cols,
               int max_rows, int max_cols, float gap = 0.0f);

Box cell_box(const Grid& g, int r, int c, const Rgba& fill);
// "⋯ 1595 more rows" under and "⋯ 504 more" right of a grid that shows only part of its axes.
void add_ellipses(Picture& p, const Grid& g, const std::string& row_name, const std::string& col_name);
// Axis labels: above (centred) and left (right-aligned, centred vertically) of the grid.
void label_top(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour);
void label_left(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour);
// Above the row labels, right-aligned at the grid's top-left corner: where a left axis label goes
// when the rows carry tokens.
void label_corner(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour);
void label_bottom(Picture& p, const std::string& id, const Grid& g, const std::string& text, const Rgba& colour);
// The query labels left of each row and the key labels above each column (when they exist).
void row_labels(Picture& p, const StepContext& s, const Grid& g, const std::string& id);
void col_labels(Picture& p, const StepContext& s, const Grid& g, const std::string& id, bool below = false);

// The block of a tensor with `shape` (its last two dimensions as rows x cols, leading ones named
// in a corner label), each cell `fill`, centred on (cx, cy) within max_w x max_h.
Grid add_block(Picture& p, const std::string& id, const NamedShape& shape, const Rgba& fill, float cx, float cy,
               float max_w, float max_h);

// --- the builders, one per kind of step (step_animation_*.cpp)
void build_head_split(const StepContext& s, StepAnimation& a, bool merge);
void build_rearrange(const StepContext& s, StepAnimation& a, bool flatten);
void build_contraction(const StepContext& s, StepAnimation& a);
void build_matrix_change(const StepContext& s, StepAnimation& a);
void build_softmax(const StepContext& s, StepAnimation& a);
void build_mask_expand(const StepContext& s, StepAnimation& a);
void build_generic(const StepContext& s, StepAnimation& a);

}  // namespace attn::gui::anim::detail
