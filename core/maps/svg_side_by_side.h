// SVG documents side by side in one document (side_by_side.svg of the panes): each becomes a
// nested <svg> at its x offset, its ids (the colorbar's gradient, the hatch patterns) prefixed so
// that every pane keeps its own colorbar.
#pragma once

#include "maps/map_picture.h"

#include <string>
#include <vector>

namespace attn {

struct SvgPart {
    std::string text;  // a whole document, as svg_map writes it
    int width = 0, height = 0;
};

// The parts left to right, top-aligned, `gap` px apart, on the theme's background.
std::string svg_side_by_side(const std::vector<SvgPart>& parts, const ExportTheme& theme = ExportTheme{}, int gap = 12);

}  // namespace attn
