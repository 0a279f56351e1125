// The head view (as BertViz's head view draws it): one query token's row of a [queries, keys]
// matrix as lines from that query, in a column of the query tokens on the left, to every key
// token in a column on the right, each line's opacity its weight (a probability: 0 invisible,
// 1 solid), in the head's colour. The screen (the Attention panel), the PNG and the SVG share
// the geometry below, so the exported lines are where the screen draws them.
#pragma once

#include "export/png.h"
#include "maps/map_model.h"
#include "maps/map_picture.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct HeadView {
    MapKey key;                              // the matrix (canonical: token -1)
    int64_t query = 0;                       // its row
    std::vector<std::string> queries, keys;  // the labels of both columns
    std::vector<bool> key_is_pad;
    std::vector<float> weights;  // [keys]: the query's row (NaN stays NaN)
    std::array<uint8_t, 3> colour{};
    std::string caption;  // "layer 3, head 5: 'cat' attends to"
};

// The row `query` of the matrix of `key`. ConfigError for a map that is not a token matrix (the
// seed's cross modules: their queries are pixels) or a query outside 0 .. queries - 1.
HeadView head_view(const MapModel& model, const MapKey& key, int64_t query);

// The colour of a head's lines: d3's category10 by head (as BertViz colours its heads), light
// grey for a fusion of heads and gold for rollout.
std::array<uint8_t, 3> head_colour(int head, MapQuantity quantity = MapQuantity::Weights);

// The colour a head view is drawn in on `background`: the head's, unless it is too close to the
// background to be seen (a fusion's light grey on the light theme's white page), then a mid grey
// that dark and light labels both stay readable on.
std::array<uint8_t, 3> visible_colour(const std::array<uint8_t, 3>& colour, const std::array<uint8_t, 3>& background);

// The opacity of a line of weight w: w clamped to [0, 1]; NaN and padding 0.
float line_opacity(float w);

// Where everything goes, in pixels from the picture's top left corner. Row i of a column is
// [top + i * row_h, top + (i + 1) * row_h); a line runs from the right end of the query's label
// box to the left end of the key's.
struct HeadViewGeometry {
    float row_h = 20.0f, font_px = 13.0f;
    float left_w = 0.0f, right_w = 0.0f, gap = 160.0f;  // label columns and the lines between
    float top = 28.0f, margin = 8.0f;
    float width = 0.0f, height = 0.0f;

    float row_y(int64_t i) const { return top + row_h * (static_cast<float>(i) + 0.5f); }
    float left_x() const { return margin + left_w; }         // lines start here
    float right_x() const { return margin + left_w + gap; }  // and end here
};
// `label_width` measures a label at font_px (the screen's font, or the export's).
template <class Measure>
HeadViewGeometry head_view_geometry(const HeadView& v, float row_h, float font_px, float gap, Measure&& label_width) {
    HeadViewGeometry g;
    g.row_h = row_h;
    g.font_px = font_px;
    g.gap = gap;
    for (const std::string& q : v.queries)
        g.left_w = std::max(g.left_w, label_width(q) + 12.0f);
    for (const std::string& k : v.keys)
        g.right_w = std::max(g.right_w, label_width(k) + 12.0f);
    g.top = row_h + 8.0f;
    const size_t rows = std::max(v.queries.size(), v.keys.size());
    g.width = g.margin * 2.0f + g.left_w + g.gap + g.right_w;
    g.height = g.top + row_h * static_cast<float>(rows) + g.margin;
    return g;
}

// The head view as a picture: the caption on top, both columns of tokens (the query's box in the
// head's colour, each key's box shaded by its weight, padding keys dimmed), the lines. Its text
// comes from TextRaster's fonts; without any the labels are left out (details say so).
MapPicture draw_head_view(const HeadView& v, const ExportTheme& theme = ExportTheme{});
// The same as an SVG document: every line a <line> with its stroke-opacity and a <title> with the
// exact weight, the tokens as <text>.
std::string svg_head_view(const HeadView& v, const ExportTheme& theme = ExportTheme{});

// The file name of a head view: the matrix's name with the query: l3_b0_h5_q2_cat_lines.png.
std::string head_view_file_name(const MapModel& model, const HeadView& v, const std::string& extension);

}  // namespace attn
