// The pieces the SVG export (svg_maps.h) puts in its documents: a map placed in a document (a
// matrix, as rectangles or its framed picture, or a map over a picture), the shared <defs>
// (colorbar gradient, padding hatch), the colorbar, and the helpers they use. Internal to
// core/maps.
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "maps/map_picture.h"
#include "maps/svg_writer.h"

#include <string>
#include <vector>

namespace attn::svg_parts {

constexpr double kRangePx = 10.0;   // the colorbar's numbers and legend
constexpr double kBarWidth = 12.0;  // the colorbar

std::string num(double v);          // svg_number
std::string short_number(float v);  // "%.3g": a range in a caption or on the colorbar
// "data:image/png;base64,...": the picture's PNG bytes (encode_png), for an <image>.
std::string data_uri(const RgbImage& image);
// labels[batch][i], or "t<i>" where the source has none.
std::string label_at(const std::vector<std::vector<std::string>>& labels, int64_t batch, int64_t i);

// One map placed in a document: a matrix (its cells as rectangles or its framed picture) or a
// map over a picture.
struct Part {
    MapKey key;
    bool spatial = false;
    MapRange range;
    RgbImage picture;  // the painted map, or the framed matrix when as_picture
    double frame_w = 0, frame_h = 0;
    bool has_nan = false, has_pad = false;
    // matrices
    MatrixCells cells;
    bool as_picture = false;
    std::vector<std::string> q_labels, k_labels;  // shown labels; empty when cells are too small
    double font = 0, left = 0, top = 0;           // room for the labels
    bool rotate = false;                          // key labels upright
    // maps over a picture
    MapValues values;
    bool titles = false;

    double width() const { return left + frame_w; }
    double height() const { return top + frame_h; }
};

// A matrix: its cells (matrix_cells), the range it is coloured with, its labels when its cells are
// large enough (7 px a cell with its grid line) and not means of several; its framed PNG picture
// instead of rectangles when !allow_rects or it has more than kSvgMaxCellRects cells.
Part matrix_part(const MapModel& model, const MapKey& key, const MapStyle& style, MapPainter& painter, int cell_px,
                 const ExportTheme& theme, bool allow_rects);
// A map over a picture, `painted` as the PNG export paints it.
Part picture_part(const MapModel& model, const MapKey& key, const MapStyle& style, RgbImage painted);

// <defs>: the colorbar's gradient and a hatch pattern for each cell size the parts use.
void write_defs(XmlWriter& w, const std::vector<Part>& parts, Colormap colormap, const ExportTheme& theme);
// The part with its top left corner (labels included) at (x, y).
void write_part(XmlWriter& w, const MapModel& model, const Part& p, double x, double y, Colormap colormap,
                const ExportTheme& theme);
// The colorbar and its legend (NaN, padding) at (x, y), `h` tall; returns the bottom of what it drew.
double write_colorbar(XmlWriter& w, double x, double y, double h, const MapRange& range, bool nan, bool pad,
                      const ExportTheme& theme);

}  // namespace attn::svg_parts
