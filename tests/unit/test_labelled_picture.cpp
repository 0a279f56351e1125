// core/maps/labelled_picture: the words around exported pictures. The map and the tiles must land
// where the header says, untouched; the colorbar runs from the colormap's last entry at the top to
// its first at the bottom; the labels are drawn (when a font is there) and name what they should.
#include "maps/head_view.h"
#include "maps/labelled_picture.h"
#include "maps/svg_side_by_side.h"
#include "render/colormap.h"
#include "render/text_raster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace attn {
namespace {

// A picture whose every pixel is different (so a misplaced paste shows).
RgbImage pattern(int w, int h, int seed) {
    RgbImage img;
    img.width = w;
    img.height = h;
    img.pixels.resize(static_cast<size_t>(w * h * 3));
    for (size_t i = 0; i < img.pixels.size(); ++i)
        img.pixels[i] = static_cast<uint8_t>((i * 37u + static_cast<size_t>(seed) * 101u) % 251u);
    return img;
}

std::array<uint8_t, 3> pixel(const RgbImage& img, int x, int y) {
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(img.width) + static_cast<size_t>(x)) * 3;
    return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

bool contains_at(const RgbImage& big, const RgbImage& small, int x0, int y0) {
    for (int y = 0; y < small.height; ++y)
        for (int x = 0; x < small.width; ++x)
            if (pixel(big, x0 + x, y0 + y) != pixel(small, x, y)) return false;
    return true;
}

// Pixels in [x0, x1) x [y0, y1) that are not the background: drawn text.
int drawn(const RgbImage& img, int x0, int y0, int x1, int y1, const std::array<uint8_t, 3>& background) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            n += pixel(img, x, y) != background;
    return n;
}

TEST(LabelledPicture, TileLabelsNameHeadsFusionsAndRollout) {
    EXPECT_EQ(tile_label({0, 3, -1, 2, MapQuantity::Weights}), "h3");
    EXPECT_EQ(tile_label({0, kMeanHead, -1, 2, MapQuantity::Weights}), "mean");
    EXPECT_EQ(tile_label({0, kMaxHead, -1, 2, MapQuantity::Weights}), "max");
    EXPECT_EQ(tile_label({0, kMeanHead, -1, 2, MapQuantity::Rollout}), "rollout");
    EXPECT_EQ(tile_label({0, 1, -1, 2, MapQuantity::Norms}), "h1, norms");
}

TEST(LabelledPicture, ColorbarRunsFromHiAtTheTopToLoAtTheBottomBesideTheUntouchedMap) {
    const RgbImage map = pattern(90, 80, 1);
    const ExportTheme theme = dark_theme();
    const RgbImage out = with_colorbar(map, Colormap::Coolwarm, {-0.5f, 0.5f}, "l0_b0_h1 - l1_b0_h1", theme);
    EXPECT_TRUE(contains_at(out, map, kColorbarMapX, kColorbarMapY));
    const int bar_x = kColorbarMapX + map.width + kColorbarGap + kColorbarWidth / 2;
    EXPECT_EQ(pixel(out, bar_x, kColorbarMapY), colormap_rgb(Colormap::Coolwarm, 1.0f));
    EXPECT_EQ(pixel(out, bar_x, kColorbarMapY + map.height - 1), colormap_rgb(Colormap::Coolwarm, 0.0f));
    // The middle of the bar is coolwarm's light grey: 0 of a range symmetric about 0.
    const auto mid = pixel(out, bar_x, kColorbarMapY + (map.height - 1) / 2);
    const auto want = colormap_rgb(Colormap::Coolwarm, 0.5f);
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(mid[c], want[c], 3);
    EXPECT_GE(out.height, kColorbarMapY + map.height);
    if (TextRaster(TextRaster::default_fonts()).ok()) {
        EXPECT_GT(drawn(out, 0, 0, out.width, kColorbarMapY - 2, theme.background), 20) << "the caption";
        EXPECT_GT(drawn(out, bar_x + kColorbarWidth, kColorbarMapY, out.width, out.height, theme.background), 20)
            << "the numbers beside the bar";
    }
}

TEST(LabelledPicture, ModelViewColumnsAreAtLeastAsWideAsTheirLabels) {
    // Tiles of 4 px under labels like "rollout": the labels must not run into each other.
    std::vector<std::vector<GridTile>> tiles(1);
    std::vector<std::vector<RgbImage>> pictures(1);
    for (int c = 0; c < 3; ++c) {
        GridTile t;
        t.key = {0, kMeanHead, -1, 0, c == 2 ? MapQuantity::Rollout : MapQuantity::Weights};
        tiles[0].push_back(t);
        pictures[0].push_back(pattern(4, 4, c));
    }
    const TextRaster text(TextRaster::default_fonts());
    if (!text.ok()) GTEST_SKIP() << "no font";
    const RgbImage out = label_model_view(tiles, pictures);
    EXPECT_GE(out.width, static_cast<int>(text.width("mean", 12.0f) * 2 + text.width("rollout", 12.0f)) + 6 * 4);
}

TEST(LabelledPicture, ShortMapsGetABarOfAtLeast64Pixels) {
    const RgbImage out = with_colorbar(pattern(20, 10, 2), Colormap::Coolwarm, {-1.0f, 1.0f}, "A - B");
    EXPECT_GE(out.height, kColorbarMapY + 64);
}

TEST(LabelledPicture, ModelViewPutsTileRowCUnderItsHeaderAndLabelsTheLayers) {
    const int layers = 3, columns = 4, side = 60;  // wider than the labels
    std::vector<std::vector<GridTile>> tiles(layers);
    std::vector<std::vector<RgbImage>> pictures(layers);
    for (int l = 0; l < layers; ++l)
        for (int c = 0; c < columns; ++c) {
            GridTile t;
            t.key = {0, c < columns - 1 ? c : kMeanHead, -1, l, MapQuantity::Weights};
            tiles[l].push_back(t);
            pictures[l].push_back(pattern(side, side, l * columns + c));
        }
    const ExportTheme theme = dark_theme();
    const RgbImage out = label_model_view(tiles, pictures, theme);
    EXPECT_EQ(out.height, kModelViewHeader + layers * (side + kModelViewGap));
    const int left = out.width - columns * (side + kModelViewGap);
    EXPECT_GT(left, 0);
    for (int l = 0; l < layers; ++l)
        for (int c = 0; c < columns; ++c)
            EXPECT_TRUE(contains_at(out, pictures[l][c], left + c * (side + kModelViewGap),
                                    kModelViewHeader + l * (side + kModelViewGap)))
                << "layer " << l << ", column " << c;
    if (TextRaster(TextRaster::default_fonts()).ok()) {
        EXPECT_GT(drawn(out, left, 0, out.width, kModelViewHeader, theme.background), 20) << "head labels";
        for (int l = 0; l < layers; ++l)
            EXPECT_GT(drawn(out, 0, kModelViewHeader + l * (side + kModelViewGap), left - 1,
                            kModelViewHeader + l * (side + kModelViewGap) + side, theme.background),
                      20)
                << "the label of layer " << l;
    }
}

TEST(LabelledPicture, SideBySidePutsEachPictureAfterTheLastUnderItsCaption) {
    const RgbImage a = pattern(30, 20, 3), b = pattern(25, 40, 4);
    const RgbImage ca = with_caption(a, "l0_b0_h1"), cb = with_caption(b, "l1_b0_h1 (mask fill -inf)");
    EXPECT_TRUE(contains_at(ca, a, kColorbarMapX, kColorbarMapY));
    EXPECT_TRUE(contains_at(cb, b, kColorbarMapX, kColorbarMapY));
    const RgbImage row = side_by_side({ca, cb});
    EXPECT_EQ(row.width, ca.width + kSideBySideGap + cb.width);
    EXPECT_EQ(row.height, std::max(ca.height, cb.height));
    EXPECT_TRUE(contains_at(row, ca, 0, 0));
    EXPECT_TRUE(contains_at(row, cb, ca.width + kSideBySideGap, 0));
}

TEST(LabelledPicture, SvgSideBySideNestsEachDocumentWithItsOwnIds) {
    const std::string doc =
        "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"50\" height=\"40\"><defs>"
        "<linearGradient id=\"colorbar\"/></defs><rect fill=\"url(#colorbar)\"/><use href=\"#colorbar\"/></svg>";
    const std::string out = svg_side_by_side({{doc, 50, 40}, {doc, 30, 60}}, dark_theme(), 12);
    EXPECT_EQ(out.find("<?xml"), 0u);
    EXPECT_EQ(out.find("<?xml", 1), std::string::npos) << "one declaration";
    EXPECT_NE(out.find("width=\"92\" height=\"60\""), std::string::npos) << out;
    EXPECT_NE(out.find("<svg x=\"0\" y=\"0\""), std::string::npos);
    EXPECT_NE(out.find("<svg x=\"62\" y=\"0\""), std::string::npos);
    for (const char* part : {"id=\"p0_colorbar\"", "url(#p0_colorbar)", "href=\"#p0_colorbar\"", "id=\"p1_colorbar\"",
                             "url(#p1_colorbar)", "href=\"#p1_colorbar\""})
        EXPECT_NE(out.find(part), std::string::npos) << part;
    EXPECT_EQ(out.find("id=\"colorbar\""), std::string::npos);
}

TEST(LabelledPicture, HeadViewColoursStayVisibleOnBothThemes) {
    const auto luma = [](const std::array<uint8_t, 3>& c) { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; };
    for (const ExportTheme& theme : {dark_theme(), light_theme()})
        for (int head : {kMeanHead, 0, 1, 7})
            for (MapQuantity q : {MapQuantity::Weights, MapQuantity::Rollout}) {
                const auto c = visible_colour(head_colour(head, q), theme.background);
                EXPECT_GE(std::abs(luma(c) - luma(theme.background)), 60.0f) << "head " << head;
            }
    // A colour that is visible is kept: the head's colour is its identity across views.
    EXPECT_EQ(visible_colour(head_colour(kMeanHead), dark_theme().background), head_colour(kMeanHead));
}

}  // namespace
}  // namespace attn
