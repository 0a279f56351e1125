#include "maps/svg_maps.h"

#include "errors.h"
#include "maps/svg_parts.h"
#include "maps/svg_writer.h"

#include <algorithm>
#include <cmath>

namespace attn {

namespace {

using namespace svg_parts;

constexpr double kPad = 8.0;         // around the document
constexpr double kTitlePx = 13.0;    // the document's title
constexpr double kCaptionPx = 11.0;  // a grid tile's head and token
constexpr double kBarGap = 16.0, kBarLabels = 72.0;
constexpr double kTileGap = 16.0;
const char* const kFonts = "DejaVu Sans, Noto Sans CJK SC, Droid Sans Fallback, sans-serif";

// The token a map over a picture is about: a key token (the seed's cross modules) or a query (patches).
std::string spatial_token(const MapModel& model, const MapKey& key) {
    const AttentionSet& s = model.set();
    return s.query_kind == QueryKind::PixelGrid ? label_at(s.key_labels, key.batch, key.token)
                                                : label_at(s.query_labels, key.batch, key.token);
}

std::string head_caption(const MapModel& model, const MapKey& key) {
    if (key.quantity == MapQuantity::Rollout) return "rollout";
    std::string c = key.head >= 0 ? (model.heads() > 1 ? "head " + std::to_string(key.head) : "single head")
                                  : head_file_part(key.head);
    if (key.quantity == MapQuantity::Norms) c += " (norms)";
    return c;
}

std::string map_title(const MapModel& model, const MapKey& key) {
    std::string t = model.set().model;
    if (model.set().signed_values) return t;  // a difference: "<A> - <B>" says which maps it is of
    if (model.set().layered) t += " · layer " + std::to_string(key.layer);
    t += " · batch " + std::to_string(key.batch) + " · ";
    t += key.quantity == MapQuantity::Rollout ? "rollout" : head_phrase(key.head, static_cast<int>(model.heads()));
    if (key.quantity == MapQuantity::Norms) t += " · norms";
    if (model.spatial(key))
        t += std::string(model.set().query_kind == QueryKind::PixelGrid ? " · key token " : " · query ") +
             std::to_string(key.token) + " \"" + spatial_token(model, key) + "\"";
    return t;
}

void open_document(XmlWriter& w, double width, double height, const ExportTheme& theme) {
    w.open("svg", {{"xmlns", "http://www.w3.org/2000/svg"},
                   {"xmlns:xlink", "http://www.w3.org/1999/xlink"},
                   {"version", "1.1"},
                   {"width", num(width)},
                   {"height", num(height)},
                   {"viewBox", "0 0 " + num(width) + " " + num(height)},
                   {"font-family", kFonts}});
    w.leaf("rect", {{"class", "background"},
                    {"width", num(width)},
                    {"height", num(height)},
                    {"fill", svg_colour(theme.background)}});
}

SvgPicture finished(XmlWriter& w, double width, double height) {
    SvgPicture out;
    out.text = w.finish();
    out.width = static_cast<int>(std::ceil(width));
    out.height = static_cast<int>(std::ceil(height));
    return out;
}

}  // namespace

SvgPicture svg_map(const MapModel& model, const MapKey& raw, const MapStyle& style, MapPainter& painter, int cell_px,
                   const ExportTheme& theme) {
    const MapKey key = model.canonical(raw);
    const Part p = model.spatial(key) ? picture_part(model, key, style, draw_map(model, key, style, painter).image)
                                      : matrix_part(model, key, style, painter, cell_px, theme, true);
    const std::string title = map_title(model, key);
    const double y0 = kPad + kTitlePx + 10;
    const double bar_x = kPad + p.width() + kBarGap, bar_y = y0 + p.top;
    const double bar_h = std::clamp(p.frame_h, 48.0, 240.0);
    const double width = std::max(bar_x + kBarWidth + 4 + kBarLabels, kPad + label_width(title, kTitlePx)) + kPad;
    const double legend = (p.has_nan ? 18.0 : 0.0) + (p.has_pad ? 18.0 : 0.0);
    const double height = std::max(y0 + p.height(), bar_y + bar_h + legend) + kPad;

    XmlWriter w;
    open_document(w, width, height, theme);
    write_defs(w, {p}, style.colormap, theme);
    w.element("text",
              {{"class", "title"},
               {"x", num(kPad)},
               {"y", num(kPad + kTitlePx)},
               {"font-size", num(kTitlePx)},
               {"fill", svg_colour(theme.text)}},
              title);
    write_part(w, model, p, kPad, y0, style.colormap, theme);
    write_colorbar(w, bar_x, bar_y, bar_h, p.range, p.has_nan, p.has_pad, theme);
    SvgPicture out = finished(w, width, height);
    if (p.spatial) {
        out.details["svg_value_titles"] = p.titles;
    } else {
        out.details["cell_px"] = p.cells.cell_px;
        if (p.cells.reduced) out.details["cells_drawn"] = {p.cells.rows, p.cells.cols};
        out.details["svg_cells"] = p.as_picture ? "picture" : "rects";
    }
    return out;
}

SvgPicture svg_grid(const MapModel& model, const std::vector<std::vector<GridTile>>& tiles, const MapStyle& style,
                    MapPainter& painter, const ExportTheme& theme) {
    ATTN_CHECK(!tiles.empty() && !tiles[0].empty(), "an empty grid");
    int64_t matrix_cells_total = 0;
    for (const auto& row : tiles)
        for (const GridTile& t : row)
            if (!t.spatial) {
                const auto [rows, cols] = model.size(t.key);
                matrix_cells_total += rows * cols;
            }
    const bool rects = matrix_cells_total <= kSvgMaxGridCellRects;

    // 1. Every tile's part, its caption, and the size of each column and row.
    std::vector<std::vector<Part>> parts;
    std::vector<Part> all;
    size_t columns = 0;
    for (const auto& row : tiles) {
        parts.emplace_back();
        for (const GridTile& t : row)
            parts.back().push_back(t.spatial
                                       ? picture_part(model, t.key, style, draw_tile(model, t, style, painter, theme))
                                       : matrix_part(model, t.key, style, painter, t.cell_px, theme, rects));
        columns = std::max(columns, row.size());
        all.insert(all.end(), parts.back().begin(), parts.back().end());
    }
    bool shared = true, nan = false, pad = false;
    for (const Part& p : all) {
        shared = shared && p.range.lo == all[0].range.lo && p.range.hi == all[0].range.hi;
        nan = nan || p.has_nan;
        pad = pad || p.has_pad;
    }
    const MapKey& first = all[0].key;
    bool one_layer = true;
    for (const Part& p : all)
        one_layer = one_layer && p.key.layer == first.layer;
    const auto caption = [&](const Part& p) {
        std::string c = one_layer ? std::string() : "layer " + std::to_string(p.key.layer) + " · ";
        c += head_caption(model, p.key);
        if (p.spatial) c += " · " + spatial_token(model, p.key);
        if (!shared) c += "  [" + short_number(p.range.lo) + ", " + short_number(p.range.hi) + "]";
        return c;
    };
    const double caption_h = kCaptionPx + 6;
    std::vector<double> col_w(columns, 0.0), row_h(parts.size(), 0.0);
    for (size_t r = 0; r < parts.size(); ++r)
        for (size_t c = 0; c < parts[r].size(); ++c) {
            col_w[c] = std::max({col_w[c], parts[r][c].width(), label_width(caption(parts[r][c]), kCaptionPx)});
            row_h[r] = std::max(row_h[r], caption_h + parts[r][c].height());
        }

    // 2. The document: the title, the tiles in rows, one colorbar when the range is shared.
    std::string title = model.set().model;
    if (model.set().layered && one_layer) title += " · layer " + std::to_string(first.layer);
    title += " · batch " + std::to_string(first.batch);
    const double y0 = kPad + kTitlePx + 10;
    double grid_w = 0, grid_h = 0;
    for (double w : col_w)
        grid_w += w + kTileGap;
    for (double h : row_h)
        grid_h += h + kTileGap;
    const double bar_x = kPad + grid_w, bar_y = y0 + caption_h;
    const double bar_h = std::clamp(row_h[0] - caption_h, 48.0, 240.0);
    const double width =
        std::max(kPad + (shared ? grid_w + kBarWidth + 4 + kBarLabels : grid_w), kPad + label_width(title, kTitlePx)) +
        kPad;
    const double legend = (nan ? 18.0 : 0.0) + (pad ? 18.0 : 0.0);
    const double height = std::max(y0 + grid_h, shared ? bar_y + bar_h + legend : 0.0) + kPad;

    XmlWriter w;
    open_document(w, width, height, theme);
    write_defs(w, all, style.colormap, theme);
    const std::string text = svg_colour(theme.text);
    w.element("text",
              {{"class", "title"},
               {"x", num(kPad)},
               {"y", num(kPad + kTitlePx)},
               {"font-size", num(kTitlePx)},
               {"fill", text}},
              title);
    double y = y0;
    for (size_t r = 0; r < parts.size(); ++r) {
        double x = kPad;
        for (size_t c = 0; c < parts[r].size(); ++c) {
            const Part& p = parts[r][c];
            w.element("text",
                      {{"class", "caption"},
                       {"x", num(x)},
                       {"y", num(y + kCaptionPx)},
                       {"font-size", num(kCaptionPx)},
                       {"fill", text}},
                      caption(p));
            write_part(w, model, p, x, y + caption_h, style.colormap, theme);
            x += col_w[c] + kTileGap;
        }
        y += row_h[r] + kTileGap;
    }
    if (shared) write_colorbar(w, bar_x, bar_y, bar_h, all[0].range, nan, pad, theme);
    SvgPicture out = finished(w, width, height);
    out.details["svg_cells"] = rects ? "rects" : "picture";
    return out;
}

}  // namespace attn
