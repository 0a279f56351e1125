// MapViews (app/gui/map_views.cpp) against core's CPU renderers: the maps the window shows, and
// the files the export writes from pixels(), must be the maps of core's CPU painter (core/maps).
//
// Tolerances, per RGB channel:
//   matrices and maps without a picture: 1/255. The GPU looks up the colormap in float and rounds
//     once when writing RGBA8; colormap_rgb rounds once too, from a t computed in another order.
//   cross maps over a picture: 2/255. The CPU rounds the colour before blending and blends the
//     picture at full precision; the GPU blends the unrounded colour over an 8-bit copy of the
//     picture (as in tests/gl). The GPU also interpolates between grid cells with its texture
//     unit's own weights; under Mesa's llvmpipe that adds nothing visible (maxdiff 1 measured).
#include "map_views.h"

#include "gl_context.h"
#include "gl_test_support.h"
#include "leak_report.h"
#include "textures.h"

#include "maps/cpu_render.h"
#include "model/forward.h"
#include "pipeline/scene.h"
#include "render/colormap.h"

#include <glad/gl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace attn::gui {
namespace {

gl::GlContext& context() {
    static std::unique_ptr<gl::GlContext> ctx = [] {
        gl::GlContextOptions options;
        options.width = 64;
        options.height = 64;
        options.title = "attnscope_gui_views_tests";
        options.visible = false;
        options.vsync = false;
        auto made = std::make_unique<gl::GlContext>(options);
        gl::pin_loaded_libraries();  // for LeakSanitizer: see app/gl/leak_report.h
        return made;
    }();
    ctx->make_current();
    return *ctx;
}

struct Pass {
    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const Trace> trace;
};

Pass run_pass(ModuleKind kind, MaskFill fill = MaskFill::Module,
              std::vector<std::string> sentences = seed_sentences()) {
    SceneSpec spec;
    spec.module.kind = kind;
    spec.module.emb_dim = 32;
    spec.module.heads = 4;
    spec.module.mask_fill = fill;
    spec.seed = 7;
    spec.sentences = std::move(sentences);
    spec.max_len = kSeedMaxLen;
    spec.image_paths = {std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/chelsea.png"};
    spec.grid_h = 6;
    spec.grid_w = 8;
    auto scene = std::make_shared<Scene>(build_scene(spec));
    auto trace = std::make_shared<Trace>(forward(scene->module, scene->weights, scene->inputs));
    return {scene, trace};
}

struct Diff {
    int max = 0, x = -1, y = -1;
    std::string to_string() const {
        return "maxdiff " + std::to_string(max) + " at (x " + std::to_string(x) + ", y " + std::to_string(y) + ")";
    }
};

Diff compare(const RgbImage& got, const RgbImage& want) {
    Diff d;
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.height, want.height);
    if (got.width != want.width || got.height != want.height || got.pixels.size() != want.pixels.size()) {
        d.max = 256;
        return d;
    }
    for (size_t i = 0; i < got.pixels.size(); ++i) {
        const int diff = std::abs(int{got.pixels[i]} - int{want.pixels[i]});
        if (diff > d.max) {
            d.max = diff;
            d.x = static_cast<int>(i / 3) % got.width;
            d.y = static_cast<int>(i / 3) / got.width;
        }
    }
    return d;
}

std::array<uint8_t, 3> pixel(const RgbImage& image, int x, int y) {
    const size_t at = (static_cast<size_t>(y) * static_cast<size_t>(image.width) + static_cast<size_t>(x)) * 3;
    return {image.pixels[at], image.pixels[at + 1], image.pixels[at + 2]};
}

int channel_diff(const std::array<uint8_t, 3>& a, const std::array<uint8_t, 3>& b) {
    int d = 0;
    for (size_t c = 0; c < 3; ++c)
        d = std::max(d, std::abs(int{a[c]} - int{b[c]}));
    return d;
}

// The column of att_weights [b, heads, h*w, seq] (or [b, h*w, seq]) for one (batch, head, token).
std::vector<float> cross_column(const Trace& trace, int heads, int batch, int head, int token) {
    const Tensor& a = trace.attn();
    const int64_t lq = a.dim(-2), lk = a.dim(-1);
    std::vector<float> out(static_cast<size_t>(lq));
    for (int64_t p = 0; p < lq; ++p)
        out[static_cast<size_t>(p)] = a.data[static_cast<size_t>(((batch * heads + head) * lq + p) * lk + token)];
    return out;
}

// The texture as the window gets it, read back top row first like RgbImage.
RgbImage read_texture(const gl::Texture& texture) {
    RgbImage image{texture.width(), texture.height(), {}};
    std::vector<uint8_t> bottom_up(static_cast<size_t>(texture.width() * texture.height() * 3));
    GLint pack = 4, bound = 0;
    glGetIntegerv(GL_PACK_ALIGNMENT, &pack);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &bound);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindTexture(GL_TEXTURE_2D, texture.id());
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGB, GL_UNSIGNED_BYTE, bottom_up.data());
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(bound));
    glPixelStorei(GL_PACK_ALIGNMENT, pack);
    const size_t row = static_cast<size_t>(texture.width()) * 3;
    for (int y = texture.height() - 1; y >= 0; --y)
        image.pixels.insert(image.pixels.end(), bottom_up.begin() + static_cast<long>(y * row),
                            bottom_up.begin() + static_cast<long>((y + 1) * row));
    return image;
}

TEST(MapViews, CrossMapsEqualTheCpuRenderingOverThePicture) {
    context();
    const Pass pass = run_pass(ModuleKind::CrossMultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    ASSERT_TRUE(views.is_cross());
    ASSERT_EQ(views.heads(), 4);
    ASSERT_EQ(views.batches(), 3);
    ASSERT_EQ(views.rows(), 6);
    ASSERT_EQ(views.cols(), 8);
    ASSERT_EQ(views.tokens(), 5);

    for (Colormap cmap : {Colormap::Viridis, Colormap::Turbo}) {
        MapStyle style;
        style.colormap = cmap;
        style.opacity = 0.6f;
        for (int b = 0; b < 3; ++b)
            for (int t = 0; t < 5; ++t) {
                if (views.is_pad(b, t)) continue;
                for (int h = 0; h < 4; ++h) {
                    const std::vector<float> column = cross_column(*pass.trace, 4, b, h, t);
                    const RgbImage want =
                        render_cross_map(column.data(), 6, 8, &pass.scene->images[b]->rgb, cmap, style.opacity);
                    const RgbImage got = views.pixels({b, h, t}, style);
                    const Diff d = compare(got, want);
                    EXPECT_LE(d.max, 2) << colormap_name(cmap) << " b" << b << " h" << h << " t" << t << ": "
                                        << d.to_string();
                }
            }
    }
}

TEST(MapViews, TheWindowTextureHasThePixelsOfTheExport) {
    context();
    const Pass pass = run_pass(ModuleKind::CrossMultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    MapStyle style;
    style.colormap = Colormap::Magma;
    for (const MapKey key : {MapKey{0, 2, 1}, MapKey{2, -1, 3}}) {
        const gl::Texture& texture = views.texture(key, style, 160, 120);
        EXPECT_EQ(texture.width(), 160);
        EXPECT_EQ(texture.height(), 120);
        const RgbImage on_screen = read_texture(texture);
        const RgbImage exported = views.pixels(key, style, 160, 120);
        EXPECT_EQ(compare(on_screen, exported).max, 0);
    }
    // Cached: the same texture for the same key, style and size.
    const GLuint first = views.texture({0, 2, 1}, style, 160, 120).id();
    EXPECT_EQ(views.texture({0, 2, 1}, style, 160, 120).id(), first);
}

TEST(MapViews, MeanOverHeadsIsTheAverageOfTheHeads) {
    context();
    const Pass pass = run_pass(ModuleKind::CrossMultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    for (int b = 0; b < 3; ++b)
        for (int t = 0; t < 5; ++t)
            for (int r = 0; r < 6; ++r)
                for (int c = 0; c < 8; ++c) {
                    double sum = 0.0;
                    for (int h = 0; h < 4; ++h)
                        sum += views.value({b, h, t}, r, c);
                    EXPECT_NEAR(views.value({b, -1, t}, r, c), sum / 4.0, 1e-6);
                }
    // And its picture is render_cross_map of the mean.
    MapStyle style;
    std::vector<float> mean(48, 0.0f);
    for (int h = 0; h < 4; ++h) {
        const std::vector<float> column = cross_column(*pass.trace, 4, 1, h, 2);
        for (size_t p = 0; p < 48; ++p)
            mean[p] += column[p] / 4.0f;
    }
    const RgbImage want =
        render_cross_map(mean.data(), 6, 8, &pass.scene->images[1]->rgb, style.colormap, style.opacity);
    EXPECT_LE(compare(views.pixels({1, -1, 2}, style), want).max, 2);
}

TEST(MapViews, PerMapAndSharedRanges) {
    context();
    const Pass pass = run_pass(ModuleKind::CrossMultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    MapStyle per_map, shared;
    shared.shared_range = true;

    float all_lo = std::numeric_limits<float>::infinity(), all_hi = -all_lo;
    for (int b = 0; b < 3; ++b)
        for (int t = 0; t < 5; ++t)
            for (int h = -1; h < 4; ++h) {
                float lo = std::numeric_limits<float>::infinity(), hi = -lo;
                for (int r = 0; r < 6; ++r)
                    for (int c = 0; c < 8; ++c) {
                        const float v = views.value({b, h, t}, r, c);
                        lo = std::min(lo, v);
                        hi = std::max(hi, v);
                    }
                const MapRange range = views.range({b, h, t}, per_map);
                EXPECT_EQ(range.lo, lo);
                EXPECT_EQ(range.hi, hi);
                if (!views.is_pad(b, t) && h >= 0) {
                    all_lo = std::min(all_lo, lo);
                    all_hi = std::max(all_hi, hi);
                }
            }
    for (int h = -1; h < 4; ++h) {
        const MapRange range = views.range({0, h, 1}, shared);
        EXPECT_EQ(range.lo, all_lo);
        EXPECT_EQ(range.hi, all_hi);
    }
    EXPECT_LT(all_lo, all_hi);

    // Shared normalisation changes the colours: without a picture behind it (opacity 1), the map
    // is colormap_rgb of (w - all_lo) / (all_hi - all_lo) in every cell.
    const MapKey key{0, 1, 2};
    const RgbImage got = views.pixels(key, shared, 8 * 16, 6 * 16);
    shared.opacity = 1.0f;
    const RgbImage opaque = views.pixels(key, shared, 8 * 16, 6 * 16);
    int worst = 0;
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 8; ++c) {
            const float t = (views.value(key, r, c) - all_lo) / (all_hi - all_lo);
            // The centre of cell (r, c): bilinear filtering returns the cell's own value there.
            worst =
                std::max(worst, channel_diff(pixel(opaque, c * 16 + 8, r * 16 + 8), colormap_rgb(shared.colormap, t)));
        }
    EXPECT_LE(worst, 1);
    EXPECT_GT(compare(got, views.pixels(key, per_map, 8 * 16, 6 * 16)).max, 0);
}

TEST(MapViews, MatricesEqualTheCpuMatrixColours) {
    context();
    for (ModuleKind kind : {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::TorchMHA}) {
        const Pass pass = run_pass(kind);
        MapViews views;
        views.set_pass(pass.scene, pass.trace);
        ASSERT_FALSE(views.is_cross());
        const int heads = views.heads(), n = views.rows();
        ASSERT_EQ(heads, kind == ModuleKind::Self ? 1 : 4);
        ASSERT_EQ(n, 5);
        ASSERT_EQ(views.cols(), 5);
        for (Colormap cmap : {Colormap::Viridis, Colormap::Grey, Colormap::Inferno}) {
            MapStyle style;
            style.colormap = cmap;
            for (int b = 0; b < 3; ++b)
                for (int h = 0; h < heads; ++h) {
                    const MapRange range = views.range({b, h, 0}, style);
                    EXPECT_EQ(range.lo, 0.0f);  // matrices: the absolute 0..1 range
                    EXPECT_EQ(range.hi, 1.0f);
                    // The export picture: 32 px cells framed by 1 px grid lines, as the CLI draws it.
                    const RgbImage got = views.pixels({b, h, 0}, style);
                    ASSERT_EQ(got.width, 5 * 33 + 1);
                    ASSERT_EQ(got.height, 5 * 33 + 1);
                    std::vector<float> matrix(25);
                    for (int q = 0; q < 5; ++q)
                        for (int k = 0; k < 5; ++k)
                            matrix[static_cast<size_t>(q * 5 + k)] = views.value({b, h, 0}, q, k);
                    std::vector<bool> pad(5);
                    for (int k = 0; k < 5; ++k)
                        pad[static_cast<size_t>(k)] = views.is_pad(b, k);  // hatched in both pictures
                    const RgbImage cpu = render_matrix_map(matrix.data(), 5, 5, pad, cmap, 32);
                    for (int q = 0; q < 5; ++q)
                        for (int k = 0; k < 5; ++k) {
                            // Every pixel of the cell is its colour (nearest filtering: crisp cells).
                            for (int dy : {0, 1, 12, 31})
                                for (int dx : {0, 1, 12, 31})
                                    EXPECT_LE(channel_diff(pixel(got, k * 33 + 1 + dx, q * 33 + 1 + dy),
                                                           pixel(cpu, k * 33 + 1 + dx, q * 33 + 1 + dy)),
                                              1)
                                        << module_name(kind) << " " << colormap_name(cmap) << " b" << b << " h" << h
                                        << " cell (" << q << ", " << k << ")";
                        }
                }
        }
    }
}

TEST(MapViews, MatrixMeanOverHeads) {
    context();
    const Pass pass = run_pass(ModuleKind::MultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    for (int q = 0; q < 5; ++q)
        for (int k = 0; k < 5; ++k) {
            double sum = 0.0;
            for (int h = 0; h < 4; ++h)
                sum += views.value({2, h, 0}, q, k);
            EXPECT_NEAR(views.value({2, -1, 0}, q, k), sum / 4.0, 1e-6);
        }
}

// Row (or column) i of n cells reduced to m: its first cell, as render/downsample.h bins them.
int64_t bin_start(int64_t i, int64_t n, int64_t m) {
    return i * n / m;
}

// SelfAttention over one sentence of n tokens (97 distinct words, repeated).
std::pair<std::shared_ptr<Scene>, std::shared_ptr<Trace>> long_sentence_pass(int64_t n, int64_t emb_dim,
                                                                              uint64_t seed) {
    std::string sentence;
    for (int64_t i = 0; i < n; ++i)
        sentence += "w" + std::to_string(i % 97) + " ";
    SceneSpec spec;
    spec.module.kind = ModuleKind::Self;
    spec.module.emb_dim = emb_dim;
    spec.seed = seed;
    spec.sentences = {sentence};
    auto scene = std::make_shared<Scene>(build_scene(spec));
    auto trace = std::make_shared<Trace>(forward(scene->module, scene->weights, scene->inputs));
    return {scene, trace};
}

// A matrix with more cells than pixels: each pixel must be the mean of the weights it covers. A
// matrix with a side over kMatrixPreviewSide is reduced twice (to its preview with the pass, then
// to the pixels), so a pixel covers the weights of whole preview bins.
TEST(MapViews, LargeMatricesAreTheMeansOfTheWeightsUnderEachPixel) {
    context();
    for (const int64_t n : {int64_t{300}, kMatrixPreviewSide + 176}) {
        const auto [scene, trace] = long_sentence_pass(n, 16, 3);
        MapViews views;
        views.set_pass(scene, trace);
        ASSERT_EQ(views.rows(), n);
        const int64_t side = 100, preview = std::min(n, kMatrixPreviewSide);
        // The shared range: a weight of a 300-token row is about 1/300, too dark in 0..1.
        const MapStyle style{Colormap::Viridis, true, 0.6f};
        const MapRange range = views.range({0, 0, 0}, style);
        const RgbImage got = views.pixels({0, 0, 0}, style, side, side);
        ASSERT_EQ(got.width, side);
        int worst = 0;
        for (int64_t y = 0; y < side; ++y)
            for (int64_t x = 0; x < side; ++x) {
                const int64_t q0 = bin_start(bin_start(y, preview, side), n, preview);
                const int64_t q1 = bin_start(bin_start(y + 1, preview, side), n, preview);
                const int64_t k0 = bin_start(bin_start(x, preview, side), n, preview);
                const int64_t k1 = bin_start(bin_start(x + 1, preview, side), n, preview);
                double sum = 0.0;
                for (int64_t q = q0; q < q1; ++q)
                    for (int64_t k = k0; k < k1; ++k)
                        sum += trace->attn().data[static_cast<size_t>(q * n + k)];
                const double mean = sum / static_cast<double>((q1 - q0) * (k1 - k0));
                const auto want =
                    colormap_rgb(style.colormap, static_cast<float>((mean - range.lo) / (range.hi - range.lo)));
                worst = std::max(worst, channel_diff(pixel(got, static_cast<int>(x), static_cast<int>(y)), want));
            }
        EXPECT_LE(worst, 1) << n << " tokens";
    }
}

// Exports draw a map at its natural size: a long sentence's matrix gets smaller cells, and one
// of more than 2047 tokens (a cell and a grid line each in 4096 px) gets a cell per several, never a
// size the GL cannot draw (10,000 tokens at 32 px would be 330,000 px a side).
TEST(MapViews, NaturalSizeOfLongSentencesFitsOneImage) {
    context();
    for (const auto& [n, side] : {std::pair<int64_t, int>{5, 5 * 33 + 1}, {300, 300 * 13 + 1}, {4500, 2047 * 2 + 1}}) {
        const auto [scene, trace] = long_sentence_pass(n, 8, 0);
        MapViews views;
        views.set_pass(scene, trace);
        const RgbImage got = views.pixels({0, 0, 0}, MapStyle{Colormap::Viridis, false, 0.6f});
        EXPECT_EQ(got.width, side) << n << " tokens";
        EXPECT_EQ(got.height, side) << n << " tokens";
    }
}

TEST(MapViews, PaddingRunsFollowPadMask) {
    context();
    const Pass pass = run_pass(ModuleKind::MultiHead, MaskFill::Module, {"tom chases jerry", "", "a b c d e"});
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    using Runs = std::vector<std::pair<int, int>>;
    EXPECT_EQ(views.padding_runs(0), (Runs{{3, 5}}));
    EXPECT_EQ(views.padding_runs(1), (Runs{{0, 5}}));
    EXPECT_EQ(views.padding_runs(2), Runs{});
    EXPECT_FALSE(views.all_keys_padding(0));
    EXPECT_TRUE(views.all_keys_padding(1));
    EXPECT_FALSE(views.all_keys_padding(2));
}

TEST(MapViews, NanRowsOfAFullyPaddedSentenceAreDrawnInTheNanColour) {
    context();
    // The second sentence is empty: every key of its rows is padding, and with -inf the softmax
    // is 0/0 = NaN, as in PyTorch.
    const Pass pass = run_pass(ModuleKind::MultiHead, MaskFill::NegInf, {"tom chases jerry", ""});
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    EXPECT_TRUE(std::isnan(views.value({1, 0, 0}, 0, 0)));
    EXPECT_FALSE(std::isnan(views.value({0, 0, 0}, 0, 0)));
    for (MapStyle style : {MapStyle{}, MapStyle{Colormap::Magma, true, 0.6f}}) {
        const RgbImage got = views.pixels({1, 2, 0}, style);
        for (int q = 0; q < views.rows(); ++q)
            for (int k = 0; k < views.cols(); ++k)
                for (int dy : {10, 11}) {
                    // Off the NaN cross and off the hatch lines of the padding columns (every 10 px).
                    const int x = k * 33 + 1 + 3, y = q * 33 + 1 + dy;
                    if ((x + y) % 10 != 0) {
                        EXPECT_EQ(pixel(got, x, y), kNanColour);
                    }
                }
        // The shared range is over finite weights only.
        const MapRange range = views.range({0, 0, 0}, style);
        EXPECT_TRUE(std::isfinite(range.lo) && std::isfinite(range.hi));
    }
}

TEST(MapViews, CrossMapWithoutPictureHasCrispCells) {
    context();
    Pass pass = run_pass(ModuleKind::Cross);
    auto scene = std::make_shared<Scene>(*pass.scene);
    scene->images.clear();  // as with --x from a .npy: no picture to lay the map over
    MapViews views;
    views.set_pass(scene, pass.trace);
    ASSERT_EQ(views.heads(), 1);
    MapStyle style;
    for (int t = 0; t < 4; ++t) {
        const std::vector<float> column = cross_column(*pass.trace, 1, 0, 0, t);
        const RgbImage want = render_cross_map(column.data(), 6, 8, nullptr, style.colormap, style.opacity);
        const Diff d = compare(views.pixels({0, 0, t}, style), want);
        EXPECT_LE(d.max, 1) << "t" << t << ": " << d.to_string();
    }
}

TEST(MapViews, NewPassDropsTheOldMaps) {
    context();
    const Pass cross = run_pass(ModuleKind::CrossMultiHead);
    const Pass self = run_pass(ModuleKind::Self);
    MapViews views;
    views.set_pass(cross.scene, cross.trace);
    MapStyle style;
    const RgbImage before = read_texture(views.texture({0, 0, 0}, style, 64, 48));
    views.set_pass(self.scene, self.trace);
    EXPECT_EQ(views.trace(), self.trace.get());
    EXPECT_FALSE(views.is_cross());
    EXPECT_EQ(views.heads(), 1);
    const RgbImage after = read_texture(views.texture({0, 0, 0}, style, 64, 48));
    EXPECT_GT(compare(after, before).max, 0);
    EXPECT_EQ(compare(after, views.pixels({0, 0, 0}, style, 64, 48)).max, 0);
    // No pass: nothing to show, and asking is an error, not a crash.
    views.set_pass(nullptr, nullptr);
    EXPECT_EQ(views.batches(), 0);
    EXPECT_THROW(views.texture({0, 0, 0}, style), Error);
}

TEST(MapViews, BadKeysAreErrors) {
    context();
    const Pass pass = run_pass(ModuleKind::CrossMultiHead);
    MapViews views;
    views.set_pass(pass.scene, pass.trace);
    MapStyle style;
    EXPECT_THROW(views.texture({3, 0, 0}, style), ConfigError);
    EXPECT_THROW(views.texture({0, 4, 0}, style), ConfigError);
    EXPECT_THROW(views.texture({0, -4, 0}, style), ConfigError);
    EXPECT_THROW(views.texture({0, 0, 5}, style), ConfigError);
    EXPECT_THROW(views.value({0, 0, 0}, 6, 0), ConfigError);
}

TEST(MapViews, ColorbarRunsThroughTheColormap) {
    context();
    MapViews views;
    for (Colormap cmap : {Colormap::Viridis, Colormap::Turbo}) {
        const RgbImage bar = read_texture(views.colorbar(cmap, 256, 8));
        const ColormapTable& table = colormap_table(cmap);
        // 256 px over a ramp of 256 values: pixel x samples the ramp at its own entry, x / 255.
        for (int x = 0; x < 256; ++x)
            EXPECT_LE(channel_diff(pixel(bar, x, 4), colormap_rgb(cmap, static_cast<float>(x) / 255.0f)), 1) << x;
        EXPECT_LE(channel_diff(pixel(bar, 0, 0), table[0]), 1);
        EXPECT_LE(channel_diff(pixel(bar, 255, 7), table[255]), 1);
    }
}

TEST(MapViews, ArrayTexturesDrawAnyValues) {
    context();
    MapViews views;
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> values = {0.0f, 0.5f, 1.0f, std::nanf(""), -inf, inf};  // [2, 3]
    const RgbImage got =
        read_texture(views.array_texture("t", 1, values.data(), 2, 3, {0.0f, 1.0f}, Colormap::Grey, 30, 20));
    const ColormapTable& grey = colormap_table(Colormap::Grey);
    EXPECT_EQ(pixel(got, 5, 5), grey[0]);
    EXPECT_LE(channel_diff(pixel(got, 15, 5), colormap_rgb(Colormap::Grey, 0.5f)), 1);
    EXPECT_EQ(pixel(got, 25, 5), grey[255]);
    EXPECT_EQ(pixel(got, 5, 15), kNanColour);
    EXPECT_EQ(pixel(got, 15, 15), grey[0]);
    EXPECT_EQ(pixel(got, 25, 15), grey[255]);
    // Same version: not uploaded again, even when the caller's values changed.
    const std::vector<float> other(6, 1.0f);
    const RgbImage same =
        read_texture(views.array_texture("t", 1, other.data(), 2, 3, {0.0f, 1.0f}, Colormap::Grey, 30, 20));
    EXPECT_EQ(compare(same, got).max, 0);
    const RgbImage changed =
        read_texture(views.array_texture("t", 2, other.data(), 2, 3, {0.0f, 1.0f}, Colormap::Grey, 30, 20));
    EXPECT_EQ(pixel(changed, 5, 5), grey[255]);
}

}  // namespace
}  // namespace attn::gui
