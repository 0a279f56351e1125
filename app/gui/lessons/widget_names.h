// The names of the window's widgets and panels, as panels record them with AppContext::note_item
// and note_rect ("model.heads", "panel.pipeline"): what a lesson step may point at. One list, so
// that a lesson file naming a widget that does not exist is refused when it is read, not found
// out by a learner staring at a step that points nowhere.
//
// A new widget that a lesson may point at is one note_item call and one line here; the unit test
// (tests/gui/test_lessons.cpp) reads app/gui's sources and fails for a recorded name missing here.
#pragma once

#include <string>
#include <vector>

namespace attn::gui {

// The names, where '#' stands for a number (input.sentence.#) and '*' for any name of a choice
// the window makes at run time (model.module.*: one per module).
const std::vector<std::string>& widget_name_patterns();

// True when `name` matches one of the patterns.
bool is_widget_name(const std::string& name);

// A panel's name for note_rect: its window title in lower case, spaces as '_', without a leading
// "##" ("Pad mask" -> "panel.pad_mask").
std::string panel_item_name(const std::string& title);

}  // namespace attn::gui
