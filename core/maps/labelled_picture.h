// Exported pictures with the words a person needs to read them without the app:
//   - the model view (every layer x head of a batch item, export_grid with layer < 0): "layer N"
//     down the left, the head of each column ("h0", "mean", "rollout") across the top;
//   - a map of differences A - B with its own colorbar (+m, 0, -m) and what was subtracted;
//   - the two panes, each under its caption, and their difference in one row.
// Text comes from TextRaster's fonts; without any font the pictures are laid out the same with
// the words left out.
#pragma once

#include "export/png.h"
#include "maps/map_model.h"
#include "maps/map_picture.h"

#include <string>
#include <vector>

namespace attn {

// "h3", "mean", "max", "min", "rollout" (", norms" for norm-based attention): a tile's column.
std::string tile_label(const MapKey& key);

// The tiles' pictures (draw_tile of grid_tiles(model, batch, -1, ...)) in rows with 4 px gaps,
// a row per layer, under a header of column labels and beside a column of layer labels.
RgbImage label_model_view(const std::vector<std::vector<GridTile>>& tiles,
                          const std::vector<std::vector<RgbImage>>& pictures, const ExportTheme& theme = ExportTheme{});

// Where with_colorbar puts the map in its picture (its top left corner).
constexpr int kColorbarMapX = 6, kColorbarMapY = 24;
// The bar: kColorbarGap px right of the map, kColorbarWidth px wide, as tall as the map (at least
// 64 px), its top at kColorbarMapY.
constexpr int kColorbarGap = 10, kColorbarWidth = 14;
// The model view: the header of head labels is kModelViewHeader px high; each column is as wide as
// its widest tile and at least its label + 2 * kModelViewGap, a tile in its middle; columns are
// kModelViewGap px apart and the last ends kModelViewGap px before the right edge.
constexpr int kModelViewHeader = 24, kModelViewGap = 4;

// `map` with `caption` above it and, to its right, a vertical colorbar of `cmap` from range.lo
// (bottom) to range.hi (top) with both ends and the middle written beside it.
RgbImage with_colorbar(const RgbImage& map, Colormap cmap, const MapRange& range, const std::string& caption,
                       const ExportTheme& theme = ExportTheme{});

// `picture` with `caption` above it, placed as with_colorbar places its map (kColorbarMapX, Y).
RgbImage with_caption(const RgbImage& picture, const std::string& caption, const ExportTheme& theme = ExportTheme{});

// Pictures in one row, top-aligned, kSideBySideGap px apart: the panes and their difference as
// the Attention panel shows them (side_by_side.png).
constexpr int kSideBySideGap = 12;
RgbImage side_by_side(const std::vector<RgbImage>& pictures, const ExportTheme& theme = ExportTheme{});

}  // namespace attn
