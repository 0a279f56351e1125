// The head view's SVG (core/maps/head_view_svg.h): one line per key from the chosen query, each
// line's data-value the map model's value at (query, key) read back with strtof, its opacity that
// value over the map's range; the tokens as escaped text; the file name carries the layer, batch
// item, head and query; a query outside the matrix is a ConfigError.
#include "errors.h"
#include "maps/head_view_svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>

namespace attn {
namespace {

// 2 layers, 1 batch item, 2 heads, 4 tokens (the last padding), weights a known pattern with one NaN.
AttentionSet text_set() {
    AttentionSet s;
    s.model = "bert-test";
    s.layered = true;
    s.batches = 1;
    s.heads = 2;
    s.queries = s.keys = 4;
    for (int l = 0; l < 2; ++l) {
        Tensor a({1, 2, 4, 4});
        for (size_t i = 0; i < a.data.size(); ++i)
            a.data[i] = static_cast<float>((i * 7 + static_cast<size_t>(l) * 3) % 16) / 16.0f;
        if (l == 1) a.data[1 * 16 + 2 * 4 + 1] = std::numeric_limits<float>::quiet_NaN();  // head 1, query 2, key 1
        s.layers.push_back(std::make_shared<const Tensor>(std::move(a)));
    }
    s.key_labels = s.query_labels = {{"[CLS]", "<b>&", "汤姆", "[PAD]"}};
    s.key_is_pad = {{false, false, false, true}};
    s.images.resize(1);
    return s;
}

TEST(HeadViewSvg, OneLinePerKeyWithTheModelsValue) {
    const MapModel model(text_set());
    MapKey key;
    key.layer = 1;
    key.head = 1;
    key.token = -1;
    const std::string svg = head_view_svg(model, key, 2, MapStyle{});
    const std::regex line(R"re(<line [^>]*stroke-opacity="([^"]*)"[^>]*data-key="(\d+)" data-value="([^"]*)")re");
    int lines = 0;
    const MapRange range = model.range(key, MapStyle{});
    for (std::sregex_iterator it(svg.begin(), svg.end(), line), end; it != end; ++it, ++lines) {
        const int k = std::stoi((*it)[2]);
        const float want = model.value(key, 2, k);
        const float got = std::strtof(std::string((*it)[3]).c_str(), nullptr);
        const double opacity = std::strtod(std::string((*it)[1]).c_str(), nullptr);
        if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(got)) << k;
            EXPECT_EQ(opacity, 0.0) << "a NaN draws no line";
            continue;
        }
        EXPECT_EQ(got, want) << "key " << k;
        EXPECT_NEAR(opacity, (want - range.lo) / (range.hi - range.lo), 1e-3) << "key " << k;
    }
    EXPECT_EQ(lines, 4);
    EXPECT_NE(svg.find("&lt;b&gt;&amp;"), std::string::npos);  // escaped, not markup
    EXPECT_NE(svg.find("汤姆"), std::string::npos);
    EXPECT_NE(svg.find("data-query=\"2\""), std::string::npos);
    EXPECT_EQ(head_view_file_name(model, key, 2), "l1_b0_h1_q2_head_view.svg");
}

TEST(HeadViewSvg, QueriesOutsideTheMatrixAreRefused) {
    const MapModel model(text_set());
    MapKey key;
    key.token = -1;
    EXPECT_THROW(head_view_svg(model, key, 4, MapStyle{}), ConfigError);
    EXPECT_THROW(head_view_svg(model, key, -1, MapStyle{}), ConfigError);
}

TEST(HeadViewSvg, ExportWritesTheDocumentUnderItsName) {
    const MapModel model(text_set());
    MapKey key;
    key.head = kMeanHead;
    key.token = -1;
    const auto dir = std::filesystem::temp_directory_path() / "attnscope_head_view_svg_test";
    std::filesystem::remove_all(dir);
    const std::string path = export_head_view(model, key, 0, MapStyle{}, (dir / "nested").string());
    EXPECT_EQ(std::filesystem::path(path).filename().string(), "l0_b0_mean_q0_head_view.svg");
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), head_view_svg(model, key, 0, MapStyle{}));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attn
