// The SVG export (core/maps/svg_maps.h through map_export.h) against the PNG export of the same
// model: every matrix cell's fill is the colour the PNG gives that cell, its <title> the exact
// weight; labels with markup characters, CJK and emoji come back as they were; maps over a
// picture embed exactly the PNG export's file; maps.json lists the same maps. The SVG is read
// back with a small reader of this export's own output (xmllint checks that it is XML at all:
// tests/cli/svg_export_test.sh).
#include "export/png.h"
#include "image/image.h"
#include "io/atomic_file.h"
#include "maps/map_export.h"
#include "maps/svg_maps.h"
#include "maps/svg_writer.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

namespace attn {
namespace {

namespace fs = std::filesystem;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- a reader for this export's own SVG ----------------------------------------------------

std::string unescape(const std::string& s) {
    static const std::pair<const char*, const char*> kEntities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
    std::string out;
    for (size_t i = 0; i < s.size();) {
        bool replaced = false;
        for (const auto& [entity, ch] : kEntities)
            if (s.compare(i, std::strlen(entity), entity) == 0) {
                out += ch;
                i += std::strlen(entity);
                replaced = true;
                break;
            }
        if (!replaced) out += s[i++];
    }
    return out;
}

struct Element {
    std::map<std::string, std::string> attributes;
    std::string text;  // the character data up to the next tag, or the <title> inside
};

// Every start tag `<tag ...` whose class attribute is `cls`, with its attributes and either its
// text (a <text>) or the text of the <title> it holds (a <rect>).
std::vector<Element> elements(const std::string& doc, const std::string& tag, const std::string& cls) {
    std::vector<Element> out;
    const std::string start = "<" + tag + " class=\"" + cls + "\"";
    for (size_t at = doc.find(start); at != std::string::npos; at = doc.find(start, at + 1)) {
        Element e;
        size_t i = at + tag.size() + 1;
        const size_t end = doc.find('>', i);
        while (i < end) {  // name="value" pairs
            while (i < end && doc[i] == ' ')
                ++i;
            const size_t eq = doc.find('=', i);
            if (eq == std::string::npos || eq > end) break;
            const size_t close = doc.find('"', eq + 2);
            e.attributes[doc.substr(i, eq - i)] = unescape(doc.substr(eq + 2, close - eq - 2));
            i = close + 1;
        }
        size_t text_at = end + 1;
        if (doc.compare(text_at, 1, "\n") == 0) {  // a rect: its <title> on the next line
            const size_t t = doc.find("<title>", text_at);
            text_at = t + 7;
        }
        e.text = unescape(doc.substr(text_at, doc.find('<', text_at) - text_at));
        out.push_back(std::move(e));
    }
    return out;
}

std::array<uint8_t, 3> hex_colour(const std::string& s) {
    EXPECT_EQ(s.size(), 7u) << s;
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)); };
    return {byte(1), byte(3), byte(5)};
}

// ---- the maps ---------------------------------------------------------------------------------

// [b, heads, L, L] weights that differ everywhere, one NaN row; labels that need escaping.
AttentionSet token_set(int64_t b, int64_t heads, int64_t L) {
    AttentionSet s;
    s.model = "MultiHeadAttention";
    s.batches = b;
    s.heads = heads;
    s.queries = s.keys = L;
    Tensor w({b, heads, L, L});
    for (size_t i = 0; i < w.data.size(); ++i)
        w.data[i] = static_cast<float>((i * 2654435761u) % 1000003u) / 1000003.0f;
    for (int64_t j = 0; j < L; ++j)
        w.data[static_cast<size_t>((L - 1) * L + j)] = kNaN;  // batch 0, head 0, last query
    s.layers.push_back(std::make_shared<const Tensor>(std::move(w)));
    const std::vector<std::string> words = {"tom", "<b>", "&amp;", "\"q\" 'a'", "汤姆", "😀", "a\x01z", "<pad>"};
    for (int64_t i = 0; i < b; ++i) {
        s.key_labels.emplace_back(words.begin(), words.begin() + L);
        s.query_labels.emplace_back(words.begin(), words.begin() + L);
        s.key_is_pad.emplace_back(static_cast<size_t>(L), false);
        s.key_is_pad.back().back() = true;  // the last key is padding
    }
    s.images.resize(static_cast<size_t>(b));
    return s;
}

Image decoded(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return decode_image(bytes.data(), bytes.size(), path);
}

std::array<uint8_t, 3> pixel(const Image& img, int64_t x, int64_t y) {
    const int64_t plane = int64_t{img.width} * img.height;
    std::array<uint8_t, 3> c{};
    for (int64_t ch = 0; ch < 3; ++ch)
        c[static_cast<size_t>(ch)] = static_cast<uint8_t>(
            std::lround(img.rgb.data[static_cast<size_t>(ch * plane + y * img.width + x)] * 255.0f));
    return c;
}

// The colour most of a cell's pixels have: its fill (hatch lines and NaN crosses cover fewer).
std::array<uint8_t, 3> cell_fill(const Image& img, int64_t x0, int64_t y0, int cell) {
    std::map<std::array<uint8_t, 3>, int> count;
    for (int dy = 0; dy < cell; ++dy)
        for (int dx = 0; dx < cell; ++dx)
            ++count[pixel(img, x0 + dx, y0 + dy)];
    return std::max_element(count.begin(), count.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
}

nlohmann::json read_json(const fs::path& p) {
    const std::vector<uint8_t> bytes = read_file_bytes(p.string());
    return nlohmann::json::parse(bytes.begin(), bytes.end());
}

}  // namespace

TEST(SvgExport, MatrixCellsHaveThePngColoursAndTheExactWeights) {
    const test::TempFolder folder;
    const int64_t b = 2, H = 2, L = 8;
    const MapModel model(token_set(b, H, L));
    CpuPainter painter;
    MapExportOptions png, svg;
    svg.format = ExportFormat::Svg;
    export_every_map(model, painter, png, (folder.path / "png").string());
    export_every_map(model, painter, svg, (folder.path / "svg").string());

    int checked = 0;
    for (const MapKey& key : model.every_map()) {
        const std::string name = model.file_name(key);  // b0_h1.png, b0_mean.png...
        const Image img = decoded((folder.path / "png" / name).string());
        const std::vector<uint8_t> bytes =
            read_file_bytes((folder.path / "svg" / export_file_name(model, key, ExportFormat::Svg)).string());
        const std::string doc(bytes.begin(), bytes.end());
        const MatrixCells cells = matrix_cells(model, key);
        const std::vector<Element> rects = elements(doc, "rect", "cell");
        ASSERT_EQ(rects.size(), static_cast<size_t>(L * L)) << name;
        const MapValues values = model.values(key);
        for (const Element& e : rects) {
            const int64_t q = std::stoll(e.attributes.at("data-q")), k = std::stoll(e.attributes.at("data-k"));
            const int pitch = cells.cell_px + 1;
            EXPECT_EQ(hex_colour(e.attributes.at("fill")), cell_fill(img, k * pitch + 1, q * pitch + 1, cells.cell_px))
                << name << " cell " << q << ", " << k;
            // "query 2 (label), key 3 (label): 0.123456789": the number after the last ": ".
            const std::string number = e.text.substr(e.text.rfind(": ") + 2);
            const float want = values.at(q, k);
            if (std::isnan(want)) {
                EXPECT_EQ(number, "NaN") << name;
            } else {
                EXPECT_EQ(std::strtof(number.c_str(), nullptr), want) << name << " " << e.text;
            }
            EXPECT_NE(e.text.find("key " + std::to_string(k) + " (" +
                                  unescape(xml_escape(model.set().key_labels[0][static_cast<size_t>(k)])) + ")"),
                      std::string::npos)
                << e.text;
            ++checked;
        }
        // One hatched rectangle over the padding column, a cross per NaN cell.
        EXPECT_EQ(elements(doc, "rect", "padding").size(), 1u) << name;
        size_t nans = 0;
        for (int64_t q = 0; q < L; ++q)
            for (int64_t k = 0; k < L; ++k)
                nans += std::isnan(values.at(q, k)) ? 1 : 0;
        EXPECT_EQ(elements(doc, "path", "nan").size(), nans) << name;
        if (key.batch == 0 && key.head == 0) {
            EXPECT_EQ(nans, static_cast<size_t>(L));
        }
    }
    EXPECT_EQ(checked, static_cast<int>(model.every_map().size() * L * L));
    EXPECT_EQ(model.every_map().size(), static_cast<size_t>(b * H));  // a matrix per (batch item, head)

    // maps.json: the same maps, the same entries, .svg for .png.
    const nlohmann::json a = read_json(folder.path / "png" / "maps.json"),
                         s = read_json(folder.path / "svg" / "maps.json");
    ASSERT_EQ(a.size(), s.size());
    for (size_t i = 0; i < a.size(); ++i) {
        std::string file = a[i]["file"];
        EXPECT_EQ(s[i]["file"], file.replace(file.size() - 3, 3, "svg"));
        EXPECT_EQ(s[i]["head"], a[i]["head"]);
        EXPECT_EQ(s[i]["keys"], a[i]["keys"]);
        EXPECT_EQ(s[i]["cell_px"], a[i]["cell_px"]);
        EXPECT_EQ(s[i]["svg_cells"], "rects");
        EXPECT_TRUE(fs::exists(folder.path / "svg" / s[i]["file"].get<std::string>()));
    }
}

TEST(SvgExport, TokensWithMarkupCjkAndEmojiSurviveAsText) {
    const MapModel model(token_set(1, 1, 8));
    CpuPainter painter;
    const SvgPicture svg = svg_map(model, {0, 0}, MapStyle{}, painter);
    const std::vector<Element> queries = elements(svg.text, "text", "query"), keys = elements(svg.text, "text", "key");
    ASSERT_EQ(queries.size(), 8u);
    ASSERT_EQ(keys.size(), 8u);
    const std::vector<std::string> want = {"tom", "<b>", "&amp;", "\"q\" 'a'", "汤姆", "😀", "a\xEF\xBF\xBDz", "<pad>"};
    for (size_t i = 0; i < 8; ++i) {
        EXPECT_EQ(queries[i].text, want[i]);
        EXPECT_EQ(keys[i].text, want[i]);
    }
    EXPECT_EQ(svg.text.find("<b>"), std::string::npos);  // never as markup
    EXPECT_EQ(svg.text.find('\x01'), std::string::npos);
    // Long labels stand upright.
    EXPECT_NE(keys[3].attributes.at("transform").find("rotate(-90"), std::string::npos);
}

TEST(SvgExport, MapsOverAPictureEmbedThePngExportByteForByte) {
    const test::TempFolder folder;
    // A cross-multihead pass: [b, heads, h*w, seq] over a 7 x 5 picture.
    AttentionSet s;
    s.model = "CrossMultiAttention";
    s.batches = 1;
    s.heads = 2;
    s.queries = 3 * 4;
    s.keys = 3;
    s.query_kind = QueryKind::PixelGrid;
    s.grid_rows = 3;
    s.grid_cols = 4;
    Tensor w({1, 2, 12, 3});
    for (size_t i = 0; i < w.data.size(); ++i)
        w.data[i] = static_cast<float>((i * 7919u) % 101u) / 101.0f;
    s.layers.push_back(std::make_shared<const Tensor>(std::move(w)));
    s.key_labels = {{"tom", "<&>", "<pad>"}};
    s.key_is_pad = {{false, false, true}};
    auto picture = std::make_shared<Image>();
    picture->width = 7;
    picture->height = 5;
    picture->rgb = Tensor({3, 5, 7});
    for (size_t i = 0; i < picture->rgb.data.size(); ++i)
        picture->rgb.data[i] = static_cast<float>(i % 13) / 12.0f;
    s.images = {picture};
    const MapModel model(std::move(s));
    CpuPainter painter;
    MapExportOptions png, svg;
    svg.format = ExportFormat::Svg;
    export_every_map(model, painter, png, (folder.path / "png").string());
    export_every_map(model, painter, svg, (folder.path / "svg").string());
    size_t maps = 0;
    for (const MapKey& key : model.every_map()) {
        EXPECT_NE(key.token, 2) << "the padding key got a map";
        const std::vector<uint8_t> png_bytes = read_file_bytes((folder.path / "png" / model.file_name(key)).string());
        const std::vector<uint8_t> svg_bytes =
            read_file_bytes((folder.path / "svg" / export_file_name(model, key, ExportFormat::Svg)).string());
        const std::string doc(svg_bytes.begin(), svg_bytes.end());
        EXPECT_NE(doc.find("data:image/png;base64," + base64(png_bytes) + "\""), std::string::npos)
            << model.file_name(key);
        // The exact weight of every grid cell as a title.
        const std::vector<Element> cells = elements(doc, "rect", "value");
        ASSERT_EQ(cells.size(), 12u);
        const MapValues v = model.values(key);
        for (const Element& e : cells) {
            const int64_t r = std::stoll(e.attributes.at("data-r")), c = std::stoll(e.attributes.at("data-c"));
            EXPECT_EQ(std::strtof(e.text.substr(e.text.rfind(": ") + 2).c_str(), nullptr), v.at(r, c));
        }
        EXPECT_NE(doc.find("key token " + std::to_string(key.token)), std::string::npos);
        ++maps;
    }
    EXPECT_EQ(maps, model.every_map().size());
    EXPECT_GE(maps, 2u * 3u);  // (2 heads + the mean) x the 2 real tokens
    const nlohmann::json index = read_json(folder.path / "svg" / "maps.json");
    ASSERT_EQ(index.size(), maps);
    bool named = false;
    for (const nlohmann::json& e : index) {
        EXPECT_EQ(e["svg_value_titles"], true);
        named = named || (e["token_index"] == 1 && e["token"] == "<&>");
    }
    EXPECT_TRUE(named);
}

TEST(SvgExport, TheGridIsOneDocumentWithACaptionPerHead) {
    const test::TempFolder folder;
    const MapModel model(token_set(1, 3, 4));
    CpuPainter painter;
    MapExportOptions svg;
    svg.format = ExportFormat::Svg;
    const ExportResult r = export_grid(model, painter, 0, 0, svg, folder.path.string());
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(fs::path(r.files[0]).filename(), "b0_grid.svg");
    const std::vector<uint8_t> bytes = read_file_bytes(r.files[0]);
    const std::string doc(bytes.begin(), bytes.end());
    std::vector<std::string> captions;
    for (const Element& e : elements(doc, "text", "caption"))
        captions.push_back(e.text);
    size_t tiles = 0;
    for (const auto& row : model.grid(0))
        tiles += row.size();
    EXPECT_EQ(captions.size(), tiles);
    EXPECT_EQ(elements(doc, "rect", "cell").size(), tiles * 16);
    for (const char* c : {"head 0", "head 1", "head 2"})
        EXPECT_NE(std::find(captions.begin(), captions.end(), c), captions.end()) << c;
}

TEST(SvgExport, ALargeMatrixEmbedsItsPngPicture) {
    const int64_t L = 300;  // 90,000 cells, over kSvgMaxCellRects
    AttentionSet s = token_set(1, 1, 2);
    s.queries = s.keys = L;
    s.layers = {std::make_shared<const Tensor>(Tensor({1, 1, L, L}, 1.0f / L))};
    s.key_labels = {std::vector<std::string>(L, "w")};
    s.query_labels = s.key_labels;
    s.key_is_pad = {std::vector<bool>(L, false)};
    const MapModel model(std::move(s));
    CpuPainter painter;
    const SvgPicture svg = svg_map(model, {0, 0}, MapStyle{}, painter, 2);  // 2 px cells: a small picture
    EXPECT_EQ(svg.details["svg_cells"], "picture");
    EXPECT_EQ(elements(svg.text, "rect", "cell").size(), 0u);
    const RgbImage png = draw_map(model, {0, 0}, MapStyle{}, painter, 2).image;
    EXPECT_NE(svg.text.find(base64(encode_png(png, "x"))), std::string::npos);
    EXPECT_EQ(elements(svg.text, "text", "query").size(), 0u);  // 3 px a cell: too small to label
}

TEST(SvgExport, TheLightThemeIsAWhitePageWithDarkTextAndGridAndTheDefaultIsUnchanged) {
    const test::TempFolder folder;
    const MapModel model(token_set(1, 2, 4));
    CpuPainter painter;
    // The default pictures are the dark theme's, as they always were.
    const RgbImage plain = draw_map(model, {0, 1}, MapStyle{}, painter).image;
    EXPECT_EQ(plain.pixels, draw_map(model, {0, 1}, MapStyle{}, painter, kDefaultCellPx, dark_theme()).image.pixels);
    EXPECT_EQ(std::vector<uint8_t>(plain.pixels.begin(), plain.pixels.begin() + 3),
              std::vector<uint8_t>(kGridLineColour.begin(), kGridLineColour.end()));
    // Light: the grid lines of the PNG and the tile gaps take the theme's colours.
    const ExportTheme light = parse_theme("light");
    const RgbImage lit = draw_map(model, {0, 1}, MapStyle{}, painter, kDefaultCellPx, light).image;
    EXPECT_EQ(std::vector<uint8_t>(lit.pixels.begin(), lit.pixels.begin() + 3),
              std::vector<uint8_t>(light.grid_line.begin(), light.grid_line.end()));
    const RgbImage tiled = tile_pictures({{lit, lit}}, light);
    EXPECT_EQ(tiled.pixels[0], 255);
    // Only the framing changed: the cells keep their colours.
    const int64_t centre = (16 * plain.width + 16) * 3;
    EXPECT_EQ(plain.pixels[centre], lit.pixels[centre]);
    const SvgPicture svg = svg_map(model, {0, 1}, MapStyle{}, painter, kDefaultCellPx, light);
    EXPECT_NE(svg.text.find("<rect class=\"background\" width=\"" + std::to_string(svg.width) + "\" height=\"" +
                            std::to_string(svg.height) + "\" fill=\"#ffffff\"/>"),
              std::string::npos);
    EXPECT_NE(svg.text.find("fill=\"" + svg_colour(light.text) + "\""), std::string::npos);
    EXPECT_NE(svg.text.find("class=\"grid\""), std::string::npos);
    EXPECT_NE(svg.text.find("fill=\"" + svg_colour(light.grid_line) + "\""), std::string::npos);
    EXPECT_THROW(parse_theme("sepia"), ConfigError);
    EXPECT_THROW(parse_export_format("pdf"), ConfigError);
}

}  // namespace attn
