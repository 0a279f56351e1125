#include "maps/head_view.h"

#include "errors.h"
#include "maps/svg_writer.h"
#include "render/text_raster.h"

#include <cmath>

namespace attn {

namespace {

// "[CLS]" -> "cls", as MapModel's file names write labels; the tokenizers' word marks are left
// out of file names ("\u2581sat" of SentencePiece, "\u0120sat" of GPT-2's BPE, "##s" of WordPiece,
// "sat</w>" of CLIP), so that a head view is named l0_b0_h1_q2_sat_lines.png, not ..._u2581sat_...
std::string bare_label(const std::string& label) {
    if (label.size() > 2 && label.front() == '[' && label.back() == ']') return label.substr(1, label.size() - 2);
    std::string s = label;
    for (const char* mark : {"\xE2\x96\x81", "\xC4\xA0", "##"}) {
        const std::string m = mark;
        if (s.size() > m.size() && s.compare(0, m.size(), m) == 0) {
            s = s.substr(m.size());
            break;
        }
    }
    const std::string end = "</w>";
    if (s.size() > end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0)
        s = s.substr(0, s.size() - end.size());
    return s;
}

std::string label_or_index(const std::vector<std::vector<std::string>>& labels, int64_t batch, int64_t i) {
    const auto b = static_cast<size_t>(batch);
    if (b < labels.size() && static_cast<size_t>(i) < labels[b].size()) return labels[b][static_cast<size_t>(i)];
    return "t" + std::to_string(i);
}

constexpr float kRowH = 20.0f, kFontPx = 13.0f, kGap = 160.0f, kLineWidth = 2.0f;

}  // namespace

std::array<uint8_t, 3> head_colour(int head, MapQuantity quantity) {
    if (quantity == MapQuantity::Rollout) return {255, 200, 40};
    if (head < 0) return {220, 220, 220};
    static constexpr std::array<std::array<uint8_t, 3>, 10> kCategory10 = {{{31, 119, 180},
                                                                            {255, 127, 14},
                                                                            {44, 160, 44},
                                                                            {214, 39, 40},
                                                                            {148, 103, 189},
                                                                            {140, 86, 75},
                                                                            {227, 119, 194},
                                                                            {127, 127, 127},
                                                                            {188, 189, 34},
                                                                            {23, 190, 207}}};
    return kCategory10[static_cast<size_t>(head) % kCategory10.size()];
}

std::array<uint8_t, 3> visible_colour(const std::array<uint8_t, 3>& colour, const std::array<uint8_t, 3>& background) {
    // Rec. 601 luma: a difference under 60 of 255 is hard to see with lines at partial opacity.
    const auto luma = [](const std::array<uint8_t, 3>& c) { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; };
    if (std::abs(luma(colour) - luma(background)) >= 60.0f) return colour;
    return luma(background) > 128.0f ? std::array<uint8_t, 3>{110, 110, 110} : std::array<uint8_t, 3>{170, 170, 170};
}

float line_opacity(float w) {
    if (!std::isfinite(w)) return 0.0f;
    return std::clamp(w, 0.0f, 1.0f);
}

HeadView head_view(const MapModel& model, const MapKey& raw, int64_t query) {
    if (model.set().query_kind == QueryKind::PixelGrid)
        throw ConfigError("the head view draws a token's row over the tokens; the queries of " + model.set().model +
                          " are the pixels of a grid");
    MapKey key = raw;
    key.token = -1;  // the whole matrix
    key = model.canonical(key);
    const auto [rows, cols] = model.size(key);
    if (query < 0 || query >= rows)
        throw ConfigError("query " + std::to_string(query) + " does not exist (the matrix has " + std::to_string(rows) +
                          " queries, 0.." + std::to_string(rows - 1) + ")");
    HeadView v;
    v.key = key;
    v.query = query;
    const AttentionSet& s = model.set();
    for (int64_t q = 0; q < rows; ++q)
        v.queries.push_back(label_or_index(s.query_labels, key.batch, q));
    const MapValues values = model.values(key);
    for (int64_t k = 0; k < cols; ++k) {
        v.keys.push_back(label_or_index(s.key_labels, key.batch, k));
        v.key_is_pad.push_back(model.is_pad(key.batch, k));
        v.weights.push_back(values.at(query, k));
    }
    v.colour = head_colour(key.head, key.quantity);
    std::string what =
        key.quantity == MapQuantity::Rollout ? "rollout" : head_phrase(key.head, static_cast<int>(s.heads));
    if (key.quantity == MapQuantity::Norms) what += ", norms";
    v.caption = (s.layered ? "layer " + std::to_string(key.layer) + ", " : std::string()) + what + ", batch item " +
                std::to_string(key.batch) + ": '" + v.queries[static_cast<size_t>(query)] + "' attends to";
    return v;
}

MapPicture draw_head_view(const HeadView& v, const ExportTheme& theme) {
    const TextRaster& text = TextRaster::shared();
    const auto measure = [&](const std::string& s) { return text.ok() ? text.width(s, kFontPx) : 7.0f * s.size(); };
    const HeadViewGeometry g = head_view_geometry(v, kRowH, kFontPx, kGap, measure);
    MapPicture out;
    RgbImage& img = out.image;
    img.width = static_cast<int>(std::ceil(std::max(g.width, measure(v.caption) + 2.0f * g.margin)));
    img.height = static_cast<int>(std::ceil(g.height));
    img.pixels.resize(static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3);
    for (size_t i = 0; i < img.pixels.size(); ++i)
        img.pixels[i] = theme.background[i % 3];
    const float base = (kRowH - kFontPx) * 0.5f + text.ascent(kFontPx);
    text.draw(img, g.margin, g.margin + text.ascent(kFontPx), v.caption, kFontPx, theme.text);

    // Boxes: the query in the head's colour, each key shaded by its weight.
    const std::array<uint8_t, 3> colour = visible_colour(v.colour, theme.background);
    const float qy = g.row_y(v.query) - kRowH * 0.5f;
    fill_rect(img, g.margin, qy + 1.0f, g.left_x() - 4.0f, qy + kRowH - 1.0f, colour, 0.55f);
    for (size_t k = 0; k < v.keys.size(); ++k) {
        const float y = g.row_y(static_cast<int64_t>(k)) - kRowH * 0.5f;
        fill_rect(img, g.right_x() + 4.0f, y + 1.0f, g.right_x() + g.right_w, y + kRowH - 1.0f, colour,
                  0.55f * line_opacity(v.weights[k]));
    }
    // Lines, then the labels over them.
    for (size_t k = 0; k < v.keys.size(); ++k)
        draw_line(img, g.left_x(), g.row_y(v.query), g.right_x(), g.row_y(static_cast<int64_t>(k)), kLineWidth, colour,
                  line_opacity(v.weights[k]));
    for (size_t q = 0; q < v.queries.size(); ++q) {
        const float w = text.width(v.queries[q], kFontPx);
        text.draw(img, g.left_x() - 8.0f - w, g.row_y(static_cast<int64_t>(q)) - kRowH * 0.5f + base, v.queries[q],
                  kFontPx, theme.text);
    }
    for (size_t k = 0; k < v.keys.size(); ++k)
        text.draw(img, g.right_x() + 8.0f, g.row_y(static_cast<int64_t>(k)) - kRowH * 0.5f + base, v.keys[k], kFontPx,
                  theme.text, v.key_is_pad[k] ? 0.45f : 1.0f);
    out.details["query"] = v.query;
    out.details["fonts"] = text.ok();
    return out;
}

std::string svg_head_view(const HeadView& v, const ExportTheme& theme) {
    const auto measure = [](const std::string& s) { return static_cast<float>(label_width(s, kFontPx)); };
    const HeadViewGeometry g = head_view_geometry(v, kRowH, kFontPx, kGap, measure);
    const double width = std::max<double>(g.width, label_width(v.caption, kFontPx) + 2.0 * g.margin);
    XmlWriter w;
    w.open("svg", {{"xmlns", "http://www.w3.org/2000/svg"},
                   {"width", svg_number(width)},
                   {"height", svg_number(g.height)},
                   {"viewBox", "0 0 " + svg_number(width) + " " + svg_number(g.height)},
                   {"font-family", "DejaVu Sans, sans-serif"},
                   {"font-size", svg_number(kFontPx)}});
    w.leaf("rect", {{"width", "100%"}, {"height", "100%"}, {"fill", svg_colour(theme.background)}});
    w.element("text",
              {{"x", svg_number(g.margin)}, {"y", svg_number(g.margin + kFontPx)}, {"fill", svg_colour(theme.text)}},
              v.caption);
    const std::string colour = svg_colour(visible_colour(v.colour, theme.background));
    const double qy = g.row_y(v.query) - kRowH * 0.5f;
    w.leaf("rect", {{"x", svg_number(g.margin)},
                    {"y", svg_number(qy + 1.0)},
                    {"width", svg_number(g.left_w - 4.0f)},
                    {"height", svg_number(kRowH - 2.0f)},
                    {"fill", colour},
                    {"fill-opacity", "0.55"}});
    w.open("g", {{"stroke", colour}, {"stroke-width", svg_number(kLineWidth)}});
    for (size_t k = 0; k < v.keys.size(); ++k) {
        w.open("line", {{"x1", svg_number(g.left_x())},
                        {"y1", svg_number(g.row_y(v.query))},
                        {"x2", svg_number(g.right_x())},
                        {"y2", svg_number(g.row_y(static_cast<int64_t>(k)))},
                        {"stroke-opacity", svg_number(line_opacity(v.weights[k]))}});
        w.element(
            "title", {},
            "'" + v.queries[static_cast<size_t>(v.query)] + "' -> '" + v.keys[k] + "': " + weight_text(v.weights[k]));
        w.close();
    }
    w.close();
    for (size_t k = 0; k < v.keys.size(); ++k) {
        const double y = g.row_y(static_cast<int64_t>(k)) - kRowH * 0.5f;
        w.leaf("rect", {{"x", svg_number(g.right_x() + 4.0f)},
                        {"y", svg_number(y + 1.0)},
                        {"width", svg_number(g.right_w - 4.0f)},
                        {"height", svg_number(kRowH - 2.0f)},
                        {"fill", colour},
                        {"fill-opacity", svg_number(0.55f * line_opacity(v.weights[k]))}});
    }
    const std::string fill = svg_colour(theme.text);
    for (size_t q = 0; q < v.queries.size(); ++q)
        w.element("text",
                  {{"x", svg_number(g.left_x() - 8.0f)},
                   {"y", svg_number(g.row_y(static_cast<int64_t>(q)) + kFontPx * 0.35f)},
                   {"text-anchor", "end"},
                   {"fill", fill}},
                  v.queries[q]);
    for (size_t k = 0; k < v.keys.size(); ++k)
        w.element("text",
                  {{"x", svg_number(g.right_x() + 8.0f)},
                   {"y", svg_number(g.row_y(static_cast<int64_t>(k)) + kFontPx * 0.35f)},
                   {"fill", fill},
                   {"fill-opacity", v.key_is_pad[k] ? "0.45" : "1"}},
                  v.keys[k]);
    return w.finish();
}

std::string head_view_file_name(const MapModel& model, const HeadView& v, const std::string& extension) {
    std::string stem = model.file_name(v.key);
    stem = stem.substr(0, stem.size() - 4);  // ".png"
    return stem + "_q" + std::to_string(v.query) + "_" +
           file_safe_token(bare_label(v.queries[static_cast<size_t>(v.query)])) + "_lines." + extension;
}

}  // namespace attn
