// Attention maps as pictures (--export-maps) and the PNG writer.
#include "errors.h"
#include "maps/cpu_render.h"
#include "maps/map_key.h"
#include "export/png.h"

#include <gtest/gtest.h>

#if __has_include(<stb_image.h>)
#include <stb_image.h>
#else  // Debian's libstb-dev; the test target has no stb include path of its own
#include <stb/stb_image.h>
#endif

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace attn {
namespace {

using Rgb = std::array<uint8_t, 3>;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

Rgb pixel(const RgbImage& img, int x, int y) {
    const size_t i = (static_cast<size_t>(y) * img.width + x) * 3;
    return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

std::string temp_path(const std::string& leaf) {
    return ::testing::TempDir() + "attnscope_maps_" + std::to_string(::getpid()) + "_" + leaf;
}

// ---- render_matrix_map ----

TEST(AttentionMap, MatrixSizeAndGridLines) {
    const std::vector<float> w = {0.1f, 0.9f, 0.0f, 0.5f, 0.5f, 0.0f};  // [2, 3]
    const RgbImage img = render_matrix_map(w.data(), 2, 3, {}, Colormap::Viridis, 10);
    EXPECT_EQ(img.width, 3 * 11 + 1);
    EXPECT_EQ(img.height, 2 * 11 + 1);
    EXPECT_EQ(img.pixels.size(), static_cast<size_t>(img.width * img.height * 3));
    for (int x = 0; x < img.width; ++x) {
        EXPECT_EQ(pixel(img, x, 0), kGridLineColour);
        EXPECT_EQ(pixel(img, x, 11), kGridLineColour);
        EXPECT_EQ(pixel(img, x, 22), kGridLineColour);
    }
    for (int y = 0; y < img.height; ++y)
        EXPECT_EQ(pixel(img, 11, y), kGridLineColour);
}

TEST(AttentionMap, EachCellShowsTheTableColourOfItsWeight) {
    // Absolute mapping: 0 -> entry 0, 1 -> entry 255, k/255 -> entry k; no normalisation.
    const std::vector<float> w = {0.0f, 1.0f, 128.0f / 255.0f, 0.25f};  // [2, 2], max is 1
    const std::vector<float> low = {0.0f, 0.2f, 0.1f, 0.2f};            // max 0.2 stays dim
    for (Colormap cmap : {Colormap::Viridis, Colormap::Turbo}) {
        const ColormapTable& t = colormap_table(cmap);
        const RgbImage img = render_matrix_map(w.data(), 2, 2, {false, false}, cmap, 8);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) {
                const Rgb expect = colormap_rgb(cmap, w[static_cast<size_t>(i * 2 + j)]);
                for (int dy = 0; dy < 8; ++dy)
                    for (int dx = 0; dx < 8; ++dx)
                        ASSERT_EQ(pixel(img, j * 9 + 1 + dx, i * 9 + 1 + dy), expect) << i << "," << j;
            }
        EXPECT_EQ(pixel(img, 1, 1), t[0]);
        EXPECT_EQ(pixel(img, 10, 1), t[255]);
        EXPECT_EQ(pixel(img, 1, 10), t[128]);
        const RgbImage dim = render_matrix_map(low.data(), 2, 2, {}, cmap, 8);
        EXPECT_EQ(pixel(dim, 10, 1), colormap_rgb(cmap, 0.2f));
        EXPECT_NE(pixel(dim, 10, 1), t[255]);
    }
}

TEST(AttentionMap, HatchingOnlyOnPadColumns) {
    const int64_t q = 3, k = 4;
    const int cell = 12;
    std::vector<float> w(static_cast<size_t>(q * k), 0.25f);
    const std::vector<bool> pad = {false, false, true, true};
    const Rgb base = colormap_rgb(Colormap::Magma, 0.25f);
    const RgbImage img = render_matrix_map(w.data(), q, k, pad, Colormap::Magma, cell);
    for (int64_t i = 0; i < q; ++i)
        for (int64_t j = 0; j < k; ++j) {
            int hatched = 0, plain = 0;
            for (int dy = 0; dy < cell; ++dy)
                for (int dx = 0; dx < cell; ++dx) {
                    const Rgb p = pixel(img, static_cast<int>(j * (cell + 1) + 1 + dx),
                                        static_cast<int>(i * (cell + 1) + 1 + dy));
                    if (p == kPadHatchColour)
                        ++hatched;
                    else if (p == base)
                        ++plain;
                    else
                        ADD_FAILURE() << "unexpected colour in cell " << i << "," << j;
                }
            if (pad[static_cast<size_t>(j)]) {
                // Diagonal lines: several per cell, yet the weight's colour stays visible.
                EXPECT_GE(hatched, cell) << i << "," << j;
                EXPECT_GT(plain, hatched) << i << "," << j;
            } else {
                EXPECT_EQ(hatched, 0) << i << "," << j;
            }
        }
    // The hatching is diagonal: a hatched pixel's down-left neighbour is hatched too.
    const int x0 = 2 * (cell + 1) + 1, y0 = 1;
    for (int dy = 0; dy + 1 < cell; ++dy)
        for (int dx = 1; dx < cell; ++dx)
            if (pixel(img, x0 + dx, y0 + dy) == kPadHatchColour) {
                EXPECT_EQ(pixel(img, x0 + dx - 1, y0 + dy + 1), kPadHatchColour);
            }
}

TEST(AttentionMap, NanCellsGetTheNanColourAndACross) {
    const std::vector<float> w = {kNaN, 0.5f};  // [1, 2]
    const int cell = 9;
    const RgbImage img = render_matrix_map(w.data(), 1, 2, {}, Colormap::Viridis, cell);
    EXPECT_EQ(pixel(img, 1 + 0, 1 + 0), kNanCrossColour);         // top-left corner
    EXPECT_EQ(pixel(img, 1 + cell - 1, 1 + 0), kNanCrossColour);  // top-right corner
    EXPECT_EQ(pixel(img, 1 + 4, 1 + 4), kNanCrossColour);         // centre
    EXPECT_EQ(pixel(img, 1 + 4, 1 + 0), kNanColour);              // top middle
    EXPECT_EQ(pixel(img, 1 + 0, 1 + 4), kNanColour);              // left middle
    EXPECT_EQ(pixel(img, cell + 2 + 4, 1 + 4), colormap_rgb(Colormap::Viridis, 0.5f));
}

TEST(AttentionMap, MatrixRefusals) {
    const std::vector<float> w(6, 0.5f);
    EXPECT_THROW(render_matrix_map(w.data(), 2, 3, {true, false}, Colormap::Grey, 4), ShapeError);
    EXPECT_THROW(render_matrix_map(w.data(), 0, 3, {}, Colormap::Grey, 4), ShapeError);
    EXPECT_THROW(render_matrix_map(w.data(), 2, 3, {}, Colormap::Grey, 0), ConfigError);
    const std::vector<float> big(100000, 0.5f);
    EXPECT_THROW(render_matrix_map(big.data(), 1, 100000, {}, Colormap::Grey, 4), ConfigError);
}

// ---- render_cross_map ----

Tensor flat_background(int64_t h, int64_t w, float r, float g, float b) {
    Tensor t({3, h, w});
    const int64_t plane = h * w;
    for (int64_t i = 0; i < plane; ++i) {
        t.data[static_cast<size_t>(i)] = r;
        t.data[static_cast<size_t>(plane + i)] = g;
        t.data[static_cast<size_t>(2 * plane + i)] = b;
    }
    return t;
}

TEST(AttentionMap, CrossMapHasTheBackgroundsSize) {
    std::vector<float> w(40 * 40);
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = static_cast<float>(i % 17);
    const Tensor bg = flat_background(300, 451, 0.5f, 0.5f, 0.5f);
    const RgbImage img = render_cross_map(w.data(), 40, 40, &bg, Colormap::Viridis, 0.6f);
    EXPECT_EQ(img.width, 451);
    EXPECT_EQ(img.height, 300);
    EXPECT_EQ(img.pixels.size(), 451u * 300u * 3u);
}

TEST(AttentionMap, CrossMapIsNormalisedPerMapAndBlended) {
    // [1, 2] grid of weights 0.2 and 0.4 over a 1 x 40 background: after per-map normalisation
    // the left end is the map's low colour and the right end its high colour.
    const std::vector<float> w = {0.2f, 0.4f};
    const Tensor bg = flat_background(1, 40, 1.0f, 0.0f, 0.5f);
    const ColormapTable& t = colormap_table(Colormap::Inferno);
    const RgbImage full = render_cross_map(w.data(), 1, 2, &bg, Colormap::Inferno, 1.0f);
    EXPECT_EQ(pixel(full, 0, 0), t[0]);
    EXPECT_EQ(pixel(full, 39, 0), t[255]);
    // Bilinear in between: the middle pixels are neither end, and luminance rises left to right.
    EXPECT_NE(pixel(full, 19, 0), t[0]);
    EXPECT_NE(pixel(full, 20, 0), t[255]);
    // Opacity 0 is the background alone; 0.5 is the rounded average.
    const RgbImage none = render_cross_map(w.data(), 1, 2, &bg, Colormap::Inferno, 0.0f);
    for (int x = 0; x < 40; ++x)
        EXPECT_EQ(pixel(none, x, 0), (Rgb{255, 0, 128}));
    const RgbImage half = render_cross_map(w.data(), 1, 2, &bg, Colormap::Inferno, 0.5f);
    const Rgb hi = t[255];
    const Rgb p = pixel(half, 39, 0);
    EXPECT_NEAR(p[0], 0.5 * 255 + 0.5 * hi[0], 0.51);
    EXPECT_NEAR(p[1], 0.5 * 0 + 0.5 * hi[1], 0.51);
    EXPECT_NEAR(p[2], 0.5 * 127.5 + 0.5 * hi[2], 0.51);
}

TEST(AttentionMap, ConstantCrossMapIsMidColour) {
    const std::vector<float> w(6, 0.125f);
    const Tensor bg = flat_background(20, 30, 0, 0, 0);
    const RgbImage img = render_cross_map(w.data(), 2, 3, &bg, Colormap::Viridis, 1.0f);
    const Rgb mid = colormap_rgb(Colormap::Viridis, 0.5f);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x)
            ASSERT_EQ(pixel(img, x, y), mid);
}

TEST(AttentionMap, CrossMapAloneUsesNearestCellsAtLeast256Px) {
    // 4 x 5 grid -> cells of ceil(256 / 5) = 52 px: 260 x 208, the grid's aspect kept.
    std::vector<float> w(20);
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = static_cast<float>(i);
    const RgbImage img = render_cross_map(w.data(), 4, 5, nullptr, Colormap::Turbo, 0.3f);
    EXPECT_EQ(img.width, 260);
    EXPECT_EQ(img.height, 208);
    for (int gy = 0; gy < 4; ++gy)
        for (int gx = 0; gx < 5; ++gx) {
            const Rgb expect = colormap_rgb(Colormap::Turbo, static_cast<float>(gy * 5 + gx) / 19.0f);
            EXPECT_EQ(pixel(img, gx * 52, gy * 52), expect);
            EXPECT_EQ(pixel(img, gx * 52 + 51, gy * 52 + 51), expect);
        }
    // A large grid is not shrunk: 300 x 1 stays one pixel a cell.
    std::vector<float> line(300, 1.0f);
    const RgbImage wide = render_cross_map(line.data(), 1, 300, nullptr, Colormap::Grey, 1.0f);
    EXPECT_EQ(wide.width, 300);
    EXPECT_EQ(wide.height, 1);
}

TEST(AttentionMap, CrossMapNanCellsShowTheNanColour) {
    const std::vector<float> w = {kNaN, kNaN, kNaN, kNaN};
    const RgbImage alone = render_cross_map(w.data(), 2, 2, nullptr, Colormap::Viridis, 1.0f);
    for (int y = 0; y < alone.height; ++y)
        for (int x = 0; x < alone.width; ++x)
            ASSERT_EQ(pixel(alone, x, y), kNanColour);
    const std::vector<float> one_nan = {0.0f, 1.0f, kNaN, 0.5f};
    const RgbImage img = render_cross_map(one_nan.data(), 2, 2, nullptr, Colormap::Viridis, 1.0f);
    EXPECT_EQ(pixel(img, 0, img.height - 1), kNanColour);
    EXPECT_EQ(pixel(img, img.width - 1, 0), colormap_table(Colormap::Viridis)[255]);
}

TEST(AttentionMap, CrossMapRefusals) {
    const std::vector<float> w(4, 0.5f);
    const Tensor bg = flat_background(4, 4, 0, 0, 0);
    EXPECT_THROW(render_cross_map(w.data(), 2, 2, &bg, Colormap::Grey, 1.5f), ConfigError);
    EXPECT_THROW(render_cross_map(w.data(), 2, 2, &bg, Colormap::Grey, kNaN), ConfigError);
    EXPECT_THROW(render_cross_map(w.data(), 0, 2, &bg, Colormap::Grey, 0.5f), ShapeError);
    const Tensor grey_bg({1, 4, 4});
    EXPECT_THROW(render_cross_map(w.data(), 2, 2, &grey_bg, Colormap::Grey, 0.5f), ShapeError);
}

// ---- file_safe_token ----

TEST(AttentionMap, FileSafeToken) {
    EXPECT_EQ(file_safe_token("jerry"), "jerry");
    EXPECT_EQ(file_safe_token("Jerry"), "jerry");
    EXPECT_EQ(file_safe_token("!"), "u21");
    EXPECT_EQ(file_safe_token("杰"), "u6770");
    EXPECT_EQ(file_safe_token("杰瑞"), "u6770u745e");
    EXPECT_EQ(file_safe_token("a-b_c"), "a-b_c");
    EXPECT_EQ(file_safe_token("a.b/c"), "au2ebu2fc");
    EXPECT_EQ(file_safe_token("🐱"), "u1f431");
    EXPECT_EQ(file_safe_token("<pad>"), "u3cpadu3e");
    // At most 24 characters, cut between pieces, never inside one.
    EXPECT_EQ(file_safe_token(std::string(30, 'x')), std::string(24, 'x'));
    EXPECT_EQ(file_safe_token("汤姆追逐杰瑞"), "u6c64u59c6u8ffdu9010");  // 20 chars; "u6770" won't fit
    EXPECT_EQ(file_safe_token("\xFF"
                              "a"),
              "xffx61");
}

// ---- write_png ----

TEST(Png, WriteThenReadBackIsEqual) {
    RgbImage img;
    img.width = 7;
    img.height = 5;
    img.pixels.resize(7 * 5 * 3);
    for (size_t i = 0; i < img.pixels.size(); ++i)
        img.pixels[i] = static_cast<uint8_t>(i * 37 + 11);
    const std::string path = temp_path("round.png");
    write_png(path, img);
    int w = 0, h = 0, n = 0;
    unsigned char* back = stbi_load(path.c_str(), &w, &h, &n, 3);
    ASSERT_NE(back, nullptr) << stbi_failure_reason();
    EXPECT_EQ(w, 7);
    EXPECT_EQ(h, 5);
    EXPECT_EQ(n, 3);
    EXPECT_EQ(std::vector<uint8_t>(back, back + 7 * 5 * 3), img.pixels);
    stbi_image_free(back);
    std::remove(path.c_str());
}

TEST(Png, RenderedMapRoundTrips) {
    const std::vector<float> w = {0.0f, 0.3f, 0.7f, 1.0f};
    const RgbImage img = render_matrix_map(w.data(), 2, 2, {false, true}, Colormap::Magma, 6);
    const std::string path = temp_path("matrix.png");
    write_png(path, img);
    int iw = 0, ih = 0, n = 0;
    unsigned char* back = stbi_load(path.c_str(), &iw, &ih, &n, 3);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(std::vector<uint8_t>(back, back + iw * ih * 3), img.pixels);
    stbi_image_free(back);
    std::remove(path.c_str());
}

TEST(Png, FailuresNameThePath) {
    RgbImage img;
    img.width = 2;
    img.height = 2;
    img.pixels.assign(12, 0);
    try {
        write_png("/nonexistent-folder/x.png", img);
        ADD_FAILURE() << "expected FileError";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-folder/x.png"), std::string::npos);
    }
    img.pixels.resize(11);
    EXPECT_THROW(write_png(temp_path("short.png"), img), FileError);
    RgbImage empty;
    EXPECT_THROW(write_png(temp_path("empty.png"), empty), FileError);
}

}  // namespace
}  // namespace attn
