#include "maps/head_view_svg.h"

#include "errors.h"
#include "export/dump.h"
#include "io/atomic_file.h"
#include "maps/svg_parts.h"
#include "maps/svg_writer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace attn {

namespace {

constexpr double kFontPx = 13.0;
constexpr double kRowPx = 20.0;
constexpr double kGapPx = 120.0;  // between the columns, where the lines go
constexpr double kMarginPx = 10.0;
// The lines' colour, as the app's head view (a warm colour on either theme).
constexpr std::array<uint8_t, 3> kLineRgb = {255, 176, 64};

}  // namespace

std::string head_view_file_name(const MapModel& model, const MapKey& key, int query) {
    std::string name = model.file_name(key);  // "l0_b0_h3.png"
    return name.substr(0, name.size() - 4) + "_q" + std::to_string(query) + "_head_view.svg";
}

std::string head_view_svg(const MapModel& model, const MapKey& key, int query, const MapStyle& style,
                          const ExportTheme& theme) {
    if (model.empty() || model.spatial(key))
        throw ConfigError("head view: " + model.file_name(key) + " is not a [queries, keys] matrix of tokens");
    const auto [rows, cols] = model.size(key);  // [queries, keys]
    if (query < 0 || query >= rows)
        throw ConfigError("head view: query " + std::to_string(query) + " outside 0.." + std::to_string(rows - 1));
    const AttentionSet& set = model.set();
    const MapRange range = model.range(key, style);
    double left_w = 0.0, right_w = 0.0;
    for (int64_t q = 0; q < rows; ++q)
        left_w = std::max(left_w, label_width(svg_parts::label_at(set.query_labels, key.batch, q), kFontPx));
    for (int64_t k = 0; k < cols; ++k)
        right_w = std::max(right_w, label_width(svg_parts::label_at(set.key_labels, key.batch, k), kFontPx));
    const double x_left = kMarginPx + left_w, x_right = x_left + kGapPx;
    const double width = x_right + right_w + kMarginPx;
    const double top = kMarginPx + kRowPx * 1.5;  // a caption line above the tokens
    const double height = top + kRowPx * static_cast<double>(std::max(rows, cols)) + kMarginPx;
    const auto y_of = [&](int64_t i) { return top + kRowPx * (static_cast<double>(i) + 0.5); };

    XmlWriter w;
    w.open("svg", {{"xmlns", "http://www.w3.org/2000/svg"},
                   {"width", svg_number(width)},
                   {"height", svg_number(height)},
                   {"viewBox", "0 0 " + svg_number(width) + " " + svg_number(height)},
                   {"font-family", "sans-serif"},
                   {"font-size", svg_number(kFontPx)}});
    w.leaf("rect", {{"width", "100%"}, {"height", "100%"}, {"fill", svg_colour(theme.background)}});
    const std::string text_colour = svg_colour(theme.text);
    w.element("text", {{"x", svg_number(kMarginPx)}, {"y", svg_number(kMarginPx + kFontPx)}, {"fill", text_colour}},
              model.file_name(key).substr(0, model.file_name(key).size() - 4) + ", query " + std::to_string(query) +
                  " \"" + svg_parts::label_at(set.query_labels, key.batch, query) + "\" (opacity: value over " +
                  svg_parts::short_number(range.lo) + ".." + svg_parts::short_number(range.hi) + ")");
    // One line per key, its opacity the value over the map's range (0 where the value is NaN).
    w.open("g", {{"id", "lines"}, {"stroke", svg_colour(kLineRgb)}, {"data-query", std::to_string(query)}});
    for (int64_t k = 0; k < cols; ++k) {
        const float v = model.value(key, query, k);
        const double t = std::isfinite(v) && range.hi > range.lo
                             ? std::clamp((static_cast<double>(v) - range.lo) / (range.hi - range.lo), 0.0, 1.0)
                             : 0.0;
        w.open("line", {{"x1", svg_number(x_left + 4.0)},
                        {"y1", svg_number(y_of(query))},
                        {"x2", svg_number(x_right - 4.0)},
                        {"y2", svg_number(y_of(k))},
                        {"stroke-opacity", svg_number(t)},
                        {"stroke-width", svg_number(1.0 + 2.0 * t)},
                        {"data-key", std::to_string(k)},
                        {"data-value", weight_text(v)}});
        w.element("title", {}, svg_parts::label_at(set.key_labels, key.batch, k) + ": " + weight_text(v));
        w.close();
    }
    w.close();
    // The tokens: queries right-aligned on the left (the chosen one marked), keys on the right
    // (padding dimmed).
    for (int64_t q = 0; q < rows; ++q) {
        XmlAttributes a = {{"x", svg_number(x_left)},
                           {"y", svg_number(y_of(q) + kFontPx * 0.35)},
                           {"text-anchor", "end"},
                           {"fill", q == query ? svg_colour(kLineRgb) : text_colour}};
        if (q == query) a.push_back({"font-weight", "bold"});
        w.element("text", a, svg_parts::label_at(set.query_labels, key.batch, q));
    }
    for (int64_t k = 0; k < cols; ++k)
        w.element("text",
                  {{"x", svg_number(x_right)},
                   {"y", svg_number(y_of(k) + kFontPx * 0.35)},
                   {"fill", text_colour},
                   {"fill-opacity", model.is_pad(key.batch, k) ? "0.45" : "1"}},
                  svg_parts::label_at(set.key_labels, key.batch, k));
    return w.finish();
}

std::string export_head_view(const MapModel& model, const MapKey& key, int query, const MapStyle& style,
                             const std::string& dir, const ExportTheme& theme) {
    const std::string text = head_view_svg(model, key, query, style, theme);
    const std::filesystem::path folder = std::filesystem::absolute(dir);
    make_directories(folder.string());
    const std::string path = (folder / head_view_file_name(model, key, query)).string();
    write_file_atomically(path, text.data(), text.size());
    return path;
}

}  // namespace attn
