// The vector export of the map model: what a map, or a batch item's grid, becomes as SVG, for
// papers and slides. Everything comes from the same model, cells and ranges as the PNG export
// (map_picture.h), so the two agree by construction:
//   - a matrix: one <rect> per (query, key) cell, filled with value_colour of the map's range
//     (the colour the PNG gives that cell), holding a <title> with the exact weight; grid lines,
//     padding key columns hatched with an SVG <pattern>, NaN cells crossed; the query tokens as
//     <text> down the left and the key tokens across the top (rotated when they are long), a
//     small colorbar with its range. A matrix of more than kSvgMaxCellRects cells (long
//     sentences) embeds its framed PNG picture instead of rectangles, the labels still text.
//   - a map over a picture (the seed's cross modules, ViT patches): the painted map, byte for
//     byte the PNG export's picture, embedded as a PNG data URI, with invisible per-cell <rect>s
//     whose <title>s hold the exact weights (grids up to kSvgMaxValueTitles cells), the token and
//     head as text and the colorbar. The picture is embedded rather than redrawn as
//     semi-transparent rectangles because the PNG map is bilinear over the picture and blended in
//     8 bits by our painter: rectangles blended by the viewer would be neither, and would not show
//     the pixels the PNG shows.
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "maps/map_picture.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace attn {

constexpr int64_t kSvgMaxCellRects = 65536;       // a matrix with more cells embeds its picture
constexpr int64_t kSvgMaxGridCellRects = 262144;  // a grid whose matrices have more in all: each embeds its picture
constexpr int64_t kSvgMaxValueTitles = 16384;     // maps over a picture: per-cell titles up to this many cells

struct SvgPicture {
    std::string text;  // the whole document, UTF-8
    int width = 0, height = 0;
    // As MapPicture's (cell_px, cells_drawn) plus "svg_cells": "rects" or "picture" for matrices,
    // "svg_value_titles": true or false for maps over a picture.
    nlohmann::json details;
};

// One map as an SVG document, its matrix cells of `cell_px` (as draw_map) in the theme's colours.
SvgPicture svg_map(const MapModel& model, const MapKey& key, const MapStyle& style, MapPainter& painter,
                   int cell_px = kDefaultCellPx, const ExportTheme& theme = ExportTheme{});

// A batch item's grid (grid_tiles) as one SVG document: every tile with its head (and token)
// as a caption, one colorbar when every tile has the same range, else each caption gives its own.
SvgPicture svg_grid(const MapModel& model, const std::vector<std::vector<GridTile>>& tiles, const MapStyle& style,
                    MapPainter& painter, const ExportTheme& theme = ExportTheme{});

}  // namespace attn
