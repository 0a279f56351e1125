// A step diagram's picture as an SVG document, for slides and papers that want it sharp at any
// size: each box a <rect> (rounded, filled, outlined, hatched through a <pattern> where a cell is
// masked), each label a <text> in DejaVu Sans, on the diagram's 1280 x 720 canvas. Parts that
// have faded out (alpha 0) are left out. The same picture the window paints with GL, so a frame
// exported as PNG and as SVG show the same thing.
//
// Part of the GUI's model: no GL, GLFW or ImGui.
#pragma once

#include "diagram.h"

#include <string>

namespace attn::gui::anim {

// `title` becomes the document's <title> (a screen reader's and a browser tab's name).
std::string picture_svg(const Picture& picture, const std::string& title);

}  // namespace attn::gui::anim
