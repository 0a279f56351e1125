// From a map of the model to pixels: the field a painter colours (for the screen, at any size),
// and the whole picture an export writes (a matrix gets its cells, grid lines and hatched padding
// columns around the painted field, so the CPU and the GPU differ only in the colours).
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attn {

// The longest side of a matrix picture: a long sentence gets smaller cells, down to 1 px; past
// (kMatrixMapSide - 1) / 2 tokens each drawn cell stands for the mean of several.
constexpr int64_t kMatrixMapSide = 4096;
// Real models' matrices are drawn at most this long (8 px cells at 128 tokens), so that an export
// of every layer and head stays a folder of small pictures.
constexpr int64_t kLayeredMatrixSide = 1024;
constexpr int kDefaultCellPx = 32;

// Colours of matrix pictures, for tests and legends (the dark theme's).
constexpr std::array<uint8_t, 3> kGridLineColour = {24, 24, 24};
constexpr std::array<uint8_t, 3> kPadHatchColour = {128, 128, 128};
constexpr std::array<uint8_t, 3> kNanCrossColour = {24, 24, 24};

// The colours an exported picture puts around the maps' own: the matrix framing, the background
// between and around maps, and text (SVG). Dark is the default and gives the pictures as they
// always were; light (a white page, dark text and grid) is for print.
struct ExportTheme {
    std::array<uint8_t, 3> background = {24, 24, 24};  // grid gaps, the SVG page
    std::array<uint8_t, 3> grid_line = kGridLineColour;
    std::array<uint8_t, 3> pad_hatch = kPadHatchColour;
    std::array<uint8_t, 3> nan_cross = kNanCrossColour;
    std::array<uint8_t, 3> text = {230, 230, 230};
};
ExportTheme dark_theme();
ExportTheme light_theme();
ExportTheme parse_theme(const std::string& name);  // "dark" | "light"; ConfigError otherwise

// A FieldPaint and the values it points to.
struct MapField {
    FieldPaint paint;
    std::vector<float> storage;  // the values when they had to be made or copied
    MapValues values;            // keeps viewed values alive
};

// The map stretched over width x height px (0 x 0: natural_size). Spatial maps: their grid,
// bilinear over the picture (nearest cells without one). Matrices: nearest cells, each drawn cell
// the mean of the weights under it when there are more cells than pixels (from the model's
// preview of a large matrix, never from every weight).
MapField map_field(const MapModel& model, const MapKey& key, const MapStyle& style, int width = 0, int height = 0);

// Spatial maps: the picture's size, or whole pixels per cell and at least 256 px on the long side
// without a picture. Matrices: width x height of the matrix picture draw_map makes.
std::pair<int, int> natural_size(const MapModel& model, const MapKey& key, int cell_px = kDefaultCellPx);

// The cells a matrix picture shows: every (query, key) weight while they fit its longest side at
// 1 px each, else each drawn cell the mean of the weights under it (reduced), a drawn column
// padding only when all of its keys are; and the cell size the picture gives them. What draw_map
// frames and what the SVG export writes as rectangles.
struct MatrixCells {
    std::vector<float> values;  // [rows, cols]
    int64_t rows = 0, cols = 0;
    std::vector<bool> key_is_pad;  // per drawn column
    bool reduced = false;
    int cell_px = 1;
};
MatrixCells matrix_cells(const MapModel& model, const MapKey& key, int cell_px = kDefaultCellPx);

// One tile of a batch item's grid (MapModel::grid) as export_grid lays it out: spatial maps at
// half their natural size, matrices with `cell_px` cells (thumbnails of about 256 px for a real
// model's many matrices).
struct GridTile {
    MapKey key;
    bool spatial = false;
    int width = 0, height = 0;     // spatial maps: the painted size
    int cell_px = kDefaultCellPx;  // matrices
};
std::vector<std::vector<GridTile>> grid_tiles(const MapModel& model, int batch, int layer, int cell_px);

struct MapPicture {
    RgbImage image;
    nlohmann::json details;  // matrices: cell_px, and cells_drawn when cells were averaged
};

// What an export writes for one map. Spatial maps: the field at natural size. Matrices: one
// cell_px square per (query, key) cell (smaller for long sentences), framed by 1 px grid lines,
// padding key columns hatched, NaN cells crossed.
// The theme colours the framing.
MapPicture draw_map(const MapModel& model, const MapKey& key, const MapStyle& style, MapPainter& painter,
                    int cell_px = kDefaultCellPx, const ExportTheme& theme = ExportTheme{});

// A grid tile's picture (grid_tiles): the field painted at the tile's size, or the matrix drawn.
RgbImage draw_tile(const MapModel& model, const GridTile& tile, const MapStyle& style, MapPainter& painter,
                   const ExportTheme& theme = ExportTheme{});

// Pictures of equal size tiled in rows (each row its own count) with 4 px gaps of the theme's
// background.
RgbImage tile_pictures(const std::vector<std::vector<RgbImage>>& rows, const ExportTheme& theme = ExportTheme{});

// The distance between the diagonal hatch lines of padding columns with cells of cell_px.
int hatch_spacing(int cell_px);

// The cells of a matrix (one pixel each, as painted) framed into cell_px squares with grid lines,
// hatched where key_is_pad (may be empty), crossed where `nan` (may be empty), in the theme's
// colours.
RgbImage frame_matrix_cells(const RgbImage& cells, const std::vector<bool>& key_is_pad, const std::vector<bool>& nan,
                            int cell_px, const ExportTheme& theme = ExportTheme{});

}  // namespace attn
