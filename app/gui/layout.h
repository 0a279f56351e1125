// Where the panels go: a fixed layout, deterministic for a window size (1440 x 900 by default),
// so that screenshots can be compared and the tests can find every widget.
//   +--------------------------------------------------------------+
//   | menu: File (exports, export folder, quit)  View (shaders)    |
//   +-----------+----------------------------------+---------------+
//   | Input     | Attention                        | Pipeline      |
//   |           |                                  |               |
//   +-----------+                                  |               |
//   | Model     +----------------------------------+               |
//   |           | Pad mask                         |               |
//   +-----------+----------------------------------+---------------+
//   | status: engine state / progress + Cancel, the newest message |
//   +--------------------------------------------------------------+
#pragma once

namespace attn::gui {

struct PanelRect {
    float x = 0, y = 0, w = 0, h = 0;
};

struct Layout {
    PanelRect input, model, attention, pad_mask, pipeline, status;
    PanelRect lesson;  // empty unless make_room_for_lesson
};

// The panels' places for a window of width x height (screen units), below a menu bar of
// menu_height and above a status bar of status_height. `ui_scale` (presentation mode, 1 = 100%)
// widens the side columns with the text, as far as the centre keeps 44% of the window.
Layout compute_layout(float width, float height, float menu_height, float status_height, float ui_scale = 1.0f);

// While a lesson is open: its card takes the top of the centre column, over the Attention panel
// (which keeps the middle) and the Pad mask panel; the side columns stay where they were.
void make_room_for_lesson(Layout& l);

// A real model's pass: the Pad mask panel's place goes to the Explore panel (model view, head
// statistics, similarity, tokens), which takes half of the centre column, under the Attention panel.
void make_room_for_model(Layout& l);

}  // namespace attn::gui
