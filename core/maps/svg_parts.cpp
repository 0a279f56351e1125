#include "maps/svg_parts.h"

#include "errors.h"
#include "export/png.h"
#include "maps/svg_maps.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace attn::svg_parts {

namespace {

constexpr int kBarStops = 32;  // the colorbar's gradient: colormap_rgb at t = k / 32

}  // namespace

std::string num(double v) {
    return svg_number(v);
}

std::string short_number(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
    return buf;
}

std::string data_uri(const RgbImage& image) {
    return "data:image/png;base64," + base64(encode_png(image, "the picture embedded in an SVG map"));
}

std::string label_at(const std::vector<std::vector<std::string>>& labels, int64_t batch, int64_t i) {
    if (batch < static_cast<int64_t>(labels.size())) {
        const auto& row = labels[static_cast<size_t>(batch)];
        if (i < static_cast<int64_t>(row.size())) return row[static_cast<size_t>(i)];
    }
    return "t" + std::to_string(i);
}

Part matrix_part(const MapModel& model, const MapKey& raw, const MapStyle& style, MapPainter& painter, int cell_px,
                 const ExportTheme& theme, bool allow_rects) {
    Part p;
    p.key = model.canonical(raw);
    p.range = model.range(p.key, style);
    p.cells = matrix_cells(model, p.key, cell_px);
    const int64_t pitch = p.cells.cell_px + 1;
    p.frame_w = static_cast<double>(p.cells.cols * pitch + 1);
    p.frame_h = static_cast<double>(p.cells.rows * pitch + 1);
    p.as_picture = !allow_rects || p.cells.rows * p.cells.cols > kSvgMaxCellRects;
    if (p.as_picture) p.picture = draw_map(model, p.key, style, painter, cell_px, theme).image;
    for (float v : p.cells.values)
        p.has_nan = p.has_nan || std::isnan(v);
    for (bool pad : p.cells.key_is_pad)
        p.has_pad = p.has_pad || pad;
    if (p.cells.reduced || pitch < 7) return p;  // a drawn cell stands for several tokens, or is too small to label
    p.font = std::clamp(static_cast<double>(pitch) * 0.55, 6.0, 12.0);
    double widest_q = 0, widest_k = 0;
    for (int64_t i = 0; i < p.cells.rows; ++i) {
        p.q_labels.push_back(label_at(model.set().query_labels, p.key.batch, i));
        widest_q = std::max(widest_q, label_width(p.q_labels.back(), p.font));
    }
    for (int64_t j = 0; j < p.cells.cols; ++j) {
        p.k_labels.push_back(label_at(model.set().key_labels, p.key.batch, j));
        widest_k = std::max(widest_k, label_width(p.k_labels.back(), p.font));
    }
    p.rotate = widest_k > static_cast<double>(pitch) - 2.0;
    p.left = std::ceil(widest_q + 8.0);
    p.top = std::ceil(p.rotate ? widest_k + 8.0 : p.font + 8.0);
    return p;
}

Part picture_part(const MapModel& model, const MapKey& raw, const MapStyle& style, RgbImage painted) {
    Part p;
    p.key = model.canonical(raw);
    p.spatial = true;
    p.range = model.range(p.key, style);
    p.picture = std::move(painted);
    p.frame_w = p.picture.width;
    p.frame_h = p.picture.height;
    p.values = model.values(p.key);
    p.titles = p.values.rows * p.values.cols <= kSvgMaxValueTitles;
    for (int64_t r = 0; r < p.values.rows; ++r)
        for (int64_t c = 0; c < p.values.cols; ++c)
            p.has_nan = p.has_nan || std::isnan(p.values.at(r, c));
    return p;
}

void write_defs(XmlWriter& w, const std::vector<Part>& parts, Colormap colormap, const ExportTheme& theme) {
    w.open("defs");
    w.open("linearGradient", {{"id", "colorbar"}, {"x1", "0"}, {"y1", "1"}, {"x2", "0"}, {"y2", "0"}});
    for (int k = 0; k <= kBarStops; ++k) {
        const float t = static_cast<float>(k) / kBarStops;
        w.leaf("stop", {{"offset", num(t)}, {"stop-color", svg_colour(colormap_rgb(colormap, t))}});
    }
    w.close();
    std::set<int> spacings = {hatch_spacing(kDefaultCellPx)};  // the legend's
    for (const Part& p : parts)
        if (!p.spatial) spacings.insert(hatch_spacing(p.cells.cell_px));
    for (int s : spacings) {
        // Lines along x + y = const, as frame_matrix_cells hatches: one through the tile and the
        // two corner stubs that join it to the next tiles.
        w.open("pattern", {{"id", "hatch-" + std::to_string(s)},
                           {"patternUnits", "userSpaceOnUse"},
                           {"width", std::to_string(s)},
                           {"height", std::to_string(s)}});
        const std::string a = std::to_string(s);
        w.leaf("path", {{"d", "M0 " + a + " L" + a + " 0 M-1 1 L1 -1 M" + std::to_string(s - 1) + " " +
                                  std::to_string(s + 1) + " L" + std::to_string(s + 1) + " " + std::to_string(s - 1)},
                        {"stroke", svg_colour(theme.pad_hatch)},
                        {"stroke-width", "1"}});
        w.close();
    }
    w.close();
}

namespace {

void write_matrix(XmlWriter& w, const MapModel& model, const Part& p, double x, double y, Colormap colormap,
                  const ExportTheme& theme) {
    const MatrixCells& d = p.cells;
    const double ox = x + p.left, oy = y + p.top;
    const int64_t c = d.cell_px, pitch = c + 1;
    w.open("g", {{"class", "matrix"},
                 {"data-batch", std::to_string(p.key.batch)},
                 {"data-head", std::to_string(p.key.head)},
                 {"data-layer", std::to_string(p.key.layer)},
                 {"data-rows", std::to_string(d.rows)},
                 {"data-cols", std::to_string(d.cols)}});
    if (!p.q_labels.empty()) {
        w.open("g", {{"class", "labels"}, {"font-size", num(p.font)}, {"fill", svg_colour(theme.text)}});
        for (size_t i = 0; i < p.q_labels.size(); ++i)
            w.element("text",
                      {{"class", "query"},
                       {"x", num(ox - 4)},
                       {"y", num(oy + static_cast<double>(static_cast<int64_t>(i) * pitch + 1) + c / 2.0)},
                       {"dy", "0.35em"},
                       {"text-anchor", "end"}},
                      p.q_labels[i]);
        for (size_t j = 0; j < p.k_labels.size(); ++j) {
            const double cx = ox + static_cast<double>(static_cast<int64_t>(j) * pitch + 1) + c / 2.0, ty = oy - 4;
            XmlAttributes a = {{"class", "key"}, {"x", num(cx)}, {"y", num(ty)}};
            if (p.rotate) {
                a.push_back({"transform", "rotate(-90 " + num(cx) + " " + num(ty) + ")"});
                a.push_back({"dy", "0.35em"});
            } else {
                a.push_back({"text-anchor", "middle"});
            }
            w.element("text", a, p.k_labels[j]);
        }
        w.close();
    }
    if (p.as_picture) {
        w.leaf("image", {{"x", num(ox)},
                         {"y", num(oy)},
                         {"width", num(p.frame_w)},
                         {"height", num(p.frame_h)},
                         {"preserveAspectRatio", "none"},
                         {"style", "image-rendering:pixelated"},
                         {"xlink:href", data_uri(p.picture)}});
        w.close();
        return;
    }
    w.open("g", {{"shape-rendering", "crispEdges"}});
    w.leaf("rect", {{"class", "grid"},
                    {"x", num(ox)},
                    {"y", num(oy)},
                    {"width", num(p.frame_w)},
                    {"height", num(p.frame_h)},
                    {"fill", svg_colour(theme.grid_line)}});
    const AttentionSet& s = model.set();
    for (int64_t i = 0; i < d.rows; ++i)
        for (int64_t j = 0; j < d.cols; ++j) {
            const float v = d.values[static_cast<size_t>(i * d.cols + j)];
            w.open("rect", {{"class", "cell"},
                            {"x", num(ox + static_cast<double>(j * pitch + 1))},
                            {"y", num(oy + static_cast<double>(i * pitch + 1))},
                            {"width", std::to_string(c)},
                            {"height", std::to_string(c)},
                            {"fill", svg_colour(value_colour(v, p.range.lo, p.range.hi, colormap))},
                            {"data-q", std::to_string(i)},
                            {"data-k", std::to_string(j)}});
            w.element("title", {},
                      "query " + std::to_string(i) + " (" + label_at(s.query_labels, p.key.batch, i) + "), key " +
                          std::to_string(j) + " (" + label_at(s.key_labels, p.key.batch, j) + "): " + weight_text(v));
            w.close();
        }
    const std::string hatch = "url(#hatch-" + std::to_string(hatch_spacing(static_cast<int>(c))) + ")";
    for (int64_t j = 0; j < d.cols;) {  // one hatched rectangle per run of padding columns
        if (!d.key_is_pad[static_cast<size_t>(j)]) {
            ++j;
            continue;
        }
        int64_t end = j;
        while (end < d.cols && d.key_is_pad[static_cast<size_t>(end)])
            ++end;
        w.leaf("rect", {{"class", "padding"},
                        {"x", num(ox + static_cast<double>(j * pitch + 1))},
                        {"y", num(oy + 1)},
                        {"width", num(static_cast<double>((end - j) * pitch - 1))},
                        {"height", num(p.frame_h - 2)},
                        {"fill", hatch},
                        {"pointer-events", "none"}});
        j = end;
    }
    if (c >= 3)
        for (int64_t i = 0; i < d.rows; ++i)
            for (int64_t j = 0; j < d.cols; ++j)
                if (std::isnan(d.values[static_cast<size_t>(i * d.cols + j)])) {
                    const double x0 = ox + static_cast<double>(j * pitch + 1),
                                 y0 = oy + static_cast<double>(i * pitch + 1);
                    const double x1 = x0 + static_cast<double>(c), y1 = y0 + static_cast<double>(c);
                    w.leaf("path", {{"class", "nan"},
                                    {"d", "M" + num(x0) + " " + num(y0) + " L" + num(x1) + " " + num(y1) + " M" +
                                              num(x1) + " " + num(y0) + " L" + num(x0) + " " + num(y1)},
                                    {"stroke", svg_colour(theme.nan_cross)},
                                    {"fill", "none"},
                                    {"pointer-events", "none"}});
                }
    w.close();
    w.close();
}

void write_over_picture(XmlWriter& w, const MapModel& model, const Part& p, double x, double y) {
    w.open("g", {{"class", "over-picture"},
                 {"data-batch", std::to_string(p.key.batch)},
                 {"data-head", std::to_string(p.key.head)},
                 {"data-token", std::to_string(p.key.token)},
                 {"data-rows", std::to_string(p.values.rows)},
                 {"data-cols", std::to_string(p.values.cols)}});
    w.leaf("image", {{"x", num(x)},
                     {"y", num(y)},
                     {"width", num(p.frame_w)},
                     {"height", num(p.frame_h)},
                     {"preserveAspectRatio", "none"},
                     {"xlink:href", data_uri(p.picture)}});
    if (p.titles) {
        // Invisible cells (painted with opacity 0, so they still take the pointer) carrying the
        // exact weights as tooltips.
        const char* what = model.set().query_kind == QueryKind::PixelGrid ? "pixel" : "patch";
        const double cw = p.frame_w / static_cast<double>(p.values.cols),
                     ch = p.frame_h / static_cast<double>(p.values.rows);
        w.open("g", {{"fill", "#000000"}, {"fill-opacity", "0"}});
        for (int64_t r = 0; r < p.values.rows; ++r)
            for (int64_t c = 0; c < p.values.cols; ++c) {
                w.open("rect", {{"class", "value"},
                                {"x", num(x + static_cast<double>(c) * cw)},
                                {"y", num(y + static_cast<double>(r) * ch)},
                                {"width", num(cw)},
                                {"height", num(ch)},
                                {"data-r", std::to_string(r)},
                                {"data-c", std::to_string(c)}});
                w.element("title", {},
                          std::string(what) + " (" + std::to_string(r) + ", " + std::to_string(c) +
                              "): " + weight_text(p.values.at(r, c)));
                w.close();
            }
        w.close();
    }
    w.close();
}

}  // namespace

void write_part(XmlWriter& w, const MapModel& model, const Part& p, double x, double y, Colormap colormap,
                const ExportTheme& theme) {
    if (p.spatial)
        write_over_picture(w, model, p, x, y);
    else
        write_matrix(w, model, p, x, y, colormap, theme);
}

double write_colorbar(XmlWriter& w, double x, double y, double h, const MapRange& range, bool nan, bool pad,
                      const ExportTheme& theme) {
    const std::string text = svg_colour(theme.text);
    w.open("g", {{"class", "colorbar"},
                 {"font-size", num(kRangePx)},
                 {"fill", text},
                 {"data-lo", weight_text(range.lo)},
                 {"data-hi", weight_text(range.hi)}});
    const bool constant = !(range.hi > range.lo);
    w.leaf("rect", {{"x", num(x)},
                    {"y", num(y)},
                    {"width", num(kBarWidth)},
                    {"height", num(h)},
                    {"fill", "url(#colorbar)"},
                    {"stroke", text},
                    {"stroke-width", "0.5"}});
    const double tx = x + kBarWidth + 4;
    if (constant) {
        w.element("text", {{"x", num(tx)}, {"y", num(y + h / 2)}, {"dy", "0.35em"}}, "all " + short_number(range.lo));
    } else {
        w.element("text", {{"x", num(tx)}, {"y", num(y)}, {"dy", "0.8em"}}, short_number(range.hi));
        w.element("text", {{"x", num(tx)}, {"y", num(y + h)}}, short_number(range.lo));
    }
    double bottom = y + h;
    const auto swatch = [&](const std::string& fill, const std::string& label) {
        const double sy = bottom + 8;
        w.leaf("rect", {{"x", num(x)},
                        {"y", num(sy)},
                        {"width", "10"},
                        {"height", "10"},
                        {"fill", fill},
                        {"stroke", text},
                        {"stroke-width", "0.5"}});
        w.element("text", {{"x", num(tx)}, {"y", num(sy + 5)}, {"dy", "0.35em"}}, label);
        bottom = sy + 10;
    };
    if (nan) swatch(svg_colour(kNanColour), "NaN");
    if (pad) swatch("url(#hatch-" + std::to_string(hatch_spacing(kDefaultCellPx)) + ")", "padding key");
    w.close();
    return bottom;
}

}  // namespace attn::svg_parts
