// A grid of labelled cells drawn with the draw list, as the Pad mask panel shows pad_mask, its
// expansion and the weights after the softmax: row labels on the left, column labels on top
// (stood up for narrow columns: rotated, or upright and stacked for CJK tokens), a look per
// cell (fill, hatching, text), a tooltip per cell, and optional copies drawn behind (the same
// grid for every head). Only the cells inside the clip rectangle are drawn, so a 10,000-token
// axis costs what is on screen. card() puts a title and a shape line above a grid.
#pragma once

#include "app_context.h"

#include <imgui.h>

#include <functional>
#include <string>
#include <vector>

namespace attn::gui::views {

struct CellLook {
    ImU32 fill = 0;
    std::string text;
    ImU32 text_colour = IM_COL32_WHITE;
    bool masked = false;  // dark red fill is in `fill`; this adds the hatching
    bool grey_hatch = false;
    bool nan = false;
};

struct Grid {
    const char* id = "";
    int rows_total = 0, rows_shown = 0, cols = 0;
    // Labels are made for the rows and columns on screen only; their widest sizes, which the
    // layout needs, come from the caller (measured once per pass).
    std::function<std::string(int)> row_label, col_label;
    float widest_row_label = 0.0f;
    // Of the column labels: their width, or with vertical_cols their length along the column
    // (vertical_length).
    float widest_col_label = 0.0f;
    float widest_text = 0.0f;  // of the texts in the cells, when cell_w is 0
    std::function<CellLook(int, int)> look;
    std::function<std::vector<std::string>(int, int)> tip;
    std::function<void(int)> click_row;  // optional
    int selected_row = -1;
    int stack = 0;               // copies drawn behind: the same grid repeated (over heads)
    std::string more;            // the line under a grid that shows only its first rows
    float cell_w = 0.0f;         // 0: wide enough for the texts in the cells
    bool vertical_cols = false;  // column labels stood up (narrow cells without text)
    float max_label_w = 110.0f;  // row labels are cut to this
    bool no_row_labels = false;  // the rows are those of the grid on the left
    float top_pad = 0.0f;        // to line the rows up with the grid on the left
};

// Height of stood-up column labels: the longest label, at most 48 px (longer ones are cut).
float vertical_header_h(float widest_label);

// The widest of `count` labels.
float widest_of(int count, const std::function<std::string(int)>& label);

// The rows of a tall grid to show: those that fit `avail_h` under a card's two title lines, the
// column labels (`header_h`) and the "… more rows" line; at most `max_rows`.
int rows_that_fit(int total, float avail_h, float header_h, int max_rows);

// A title, a second line (the shape), then the grid. Hovering the title shows `details`.
void card(AppContext& ctx, const std::string& title, const std::string& second, const std::string& details,
          const Grid& g);

}  // namespace attn::gui::views
