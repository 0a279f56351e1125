// core/image/resample.cpp against Pillow itself: tests/image/pillow_reference.py resizes PNGs of
// odd sizes (1-pixel sides, shrinking, enlarging, non-integer ratios, grey/RGBA/palette files and
// the bundled photographs) with every filter, and every uint8 result must be identical. The
// script needs Debian's python3-pil; without it these tests skip. The rest are invariants and
// hand-computed values that need no Pillow.
#include "image/resample.h"

#include "errors.h"
#include "image/image.h"
#include "pillow_reference.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace attn {
namespace {

namespace fs = std::filesystem;

Rgb8Image load_rgb8(const std::string& path) {
    return rgb8_from_image(load_image(path));
}

// Pillow's result: its raw uint8 [h, w, 3] bytes.
Rgb8Image expected_rgb8(const fs::path& file, int width, int height) {
    std::ifstream in(file, std::ios::binary);
    Rgb8Image out;
    out.width = width;
    out.height = height;
    out.pixels.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    EXPECT_EQ(out.pixels.size(), size_t(width) * size_t(height) * 3) << file;
    return out;
}

Rgb8Image constant(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    Rgb8Image im;
    im.width = w;
    im.height = h;
    for (int i = 0; i < w * h; ++i)
        im.pixels.insert(im.pixels.end(), {r, g, b});
    return im;
}

const ResampleFilter kAll[] = {ResampleFilter::Nearest, ResampleFilter::Lanczos, ResampleFilter::Bilinear,
                               ResampleFilter::Bicubic, ResampleFilter::Box,     ResampleFilter::Hamming};

TEST(Resample, IdenticalToPillowOnEveryCase) {
    const test::PillowReference& ref = test::pillow_reference();
    if (!ref.skip_reason.empty()) GTEST_SKIP() << ref.skip_reason;
    const auto& cases = ref.cases["resize"];
    ASSERT_GT(cases.size(), 1000u);
    int failed = 0, max_diff = 0;
    std::map<std::string, Rgb8Image> pictures;
    double seconds = 0;
    for (const auto& c : cases) {
        const std::string picture = c["picture"];
        if (!pictures.count(picture)) pictures[picture] = load_rgb8(picture);
        const int w = c["width"], h = c["height"], f = c["filter"];
        const Rgb8Image want = expected_rgb8(ref.folder / std::string(c["expected"]), w, h);
        const auto t0 = std::chrono::steady_clock::now();
        const Rgb8Image got = resize_like_pillow(pictures[picture], w, h, ResampleFilter(f));
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ASSERT_EQ(got.width, w);
        ASSERT_EQ(got.height, h);
        ASSERT_EQ(want.pixels.size(), got.pixels.size());
        int diff = 0;
        size_t first = 0;
        for (size_t i = 0; i < got.pixels.size(); ++i) {
            const int d = std::abs(int(got.pixels[i]) - int(want.pixels[i]));
            if (d > diff) {
                diff = d;
                first = i;
            }
        }
        max_diff = std::max(max_diff, diff);
        if (diff != 0 && ++failed <= 10)
            ADD_FAILURE() << fs::path(picture).filename().string() << " -> " << w << " x " << h << " "
                          << resample_filter_name(ResampleFilter(f)) << ": max diff " << diff << " at pixel "
                          << first / 3 << " channel " << first % 3 << " (got " << int(got.pixels[first]) << ", Pillow "
                          << int(want.pixels[first]) << ")";
    }
    EXPECT_EQ(failed, 0);
    std::printf("[ resample ] %zu cases against Pillow: max |diff| %d, %d differ; %.3f s resizing\n", cases.size(),
                max_diff, failed, seconds);
}

TEST(Resample, PicturesReadAsPillowsRgb) {
    // Same size is Pillow's copy, so these cases check rgb8_from_image (grey copied to three
    // channels, alpha dropped, the palette expanded) against Pillow's convert("RGB").
    const test::PillowReference& ref = test::pillow_reference();
    if (!ref.skip_reason.empty()) GTEST_SKIP() << ref.skip_reason;
    int checked = 0;
    for (const auto& c : ref.cases["resize"]) {
        const std::string picture = c["picture"];
        const Rgb8Image im = load_rgb8(picture);
        if (c["width"] != im.width || c["height"] != im.height || c["filter"] != 2) continue;
        const Rgb8Image want = expected_rgb8(ref.folder / std::string(c["expected"]), im.width, im.height);
        EXPECT_EQ(im.pixels, want.pixels) << picture;
        ++checked;
    }
    EXPECT_GE(checked, 15);
}

// ---- Without Pillow: values computed by hand from Pillow's rules, and invariants ----

TEST(Resample, TwoPixelsToOneBilinearRoundsTheHalfUp) {
    // Shrinking 2 -> 1: centre 1.0, support 2; both taps weigh 0.75 before normalising, 0.5 after,
    // which is 2^21 in fixed point. (0 + 255) * 2^21 + 2^21 = 128 * 2^22 + 2^21 -> 128.
    Rgb8Image im;
    im.width = 2;
    im.height = 1;
    im.pixels = {0, 10, 255, 255, 11, 0};
    const Rgb8Image out = resize_like_pillow(im, 1, 1, ResampleFilter::Bilinear);
    EXPECT_EQ(out.pixels, (std::vector<uint8_t>{128, 11, 128}));
}

TEST(Resample, NearestDoublingRepeatsEachPixel) {
    Rgb8Image im;
    im.width = 3;
    im.height = 1;
    im.pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const Rgb8Image out = resize_like_pillow(im, 6, 2, ResampleFilter::Nearest);
    const std::vector<uint8_t> row = {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 8, 9, 7, 8, 9};
    std::vector<uint8_t> both = row;
    both.insert(both.end(), row.begin(), row.end());
    EXPECT_EQ(out.pixels, both);
}

TEST(Resample, ConstantPicturesStayConstant) {
    // Every filter's weights sum to one, so a flat colour survives any size (up to the fixed-point
    // rounding, which a constant 0 or 255 cannot show and a mid grey must not either).
    for (const ResampleFilter f : kAll)
        for (const auto& [w, h] : std::vector<std::pair<int, int>>{{1, 1}, {7, 3}, {224, 224}, {1, 50}, {2, 2}}) {
            const Rgb8Image out = resize_like_pillow(constant(13, 9, 0, 128, 255), w, h, f);
            ASSERT_EQ(out.pixels.size(), size_t(w * h * 3));
            for (size_t i = 0; i < out.pixels.size(); i += 3) {
                ASSERT_EQ(out.pixels[i], 0) << resample_filter_name(f) << " " << w << "x" << h;
                ASSERT_EQ(out.pixels[i + 1], 128) << resample_filter_name(f) << " " << w << "x" << h;
                ASSERT_EQ(out.pixels[i + 2], 255) << resample_filter_name(f) << " " << w << "x" << h;
            }
        }
}

TEST(Resample, SameSizeIsACopyAndOneSideOnlyFiltersOneWay) {
    std::mt19937 rng(7);
    Rgb8Image im;
    im.width = 11;
    im.height = 5;
    for (int i = 0; i < 11 * 5 * 3; ++i)
        im.pixels.push_back(uint8_t(rng()));
    for (const ResampleFilter f : kAll) {
        EXPECT_EQ(resize_like_pillow(im, 11, 5, f).pixels, im.pixels);
        // Only the width changes: each row is resized on its own, so one row alone gives the same.
        const Rgb8Image wide = resize_like_pillow(im, 17, 5, f);
        for (int y = 0; y < 5; ++y) {
            Rgb8Image row;
            row.width = 11;
            row.height = 1;
            row.pixels.assign(im.pixels.begin() + y * 33, im.pixels.begin() + (y + 1) * 33);
            const Rgb8Image r = resize_like_pillow(row, 17, 1, f);
            EXPECT_TRUE(std::equal(r.pixels.begin(), r.pixels.end(), wide.pixels.begin() + y * 51))
                << resample_filter_name(f) << " row " << y;
        }
    }
}

TEST(Resample, SixteenBitSamplesKeepTheirHighByte) {
    Image im;
    im.width = 2;
    im.height = 1;
    im.rgb = Tensor({3, 1, 2});
    const float v[6] = {0x1234 / 65535.0f, 0xFFFF / 65535.0f, 0x00FF / 65535.0f, 200 / 255.0f, 0.0f, 1.0f};
    std::copy(v, v + 6, im.rgb.ptr());
    // planar in, interleaved out: pixel 0 is (0x1234, 0x00FF, 0), pixel 1 (0xFFFF, 200 / 255, 1).
    EXPECT_EQ(rgb8_from_image(im).pixels, (std::vector<uint8_t>{0x12, 0x00, 0x00, 0xFF, 200, 255}));
    // Every 8-bit level comes back as itself.
    Image all;
    all.width = 256;
    all.height = 1;
    all.rgb = Tensor({3, 1, 256});
    for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 256; ++k)
            all.rgb.data[size_t(c * 256 + k)] = float(k) / 255.0f;
    const Rgb8Image back = rgb8_from_image(all);
    for (int k = 0; k < 256; ++k)
        ASSERT_EQ(back.pixels[size_t(k * 3 + 1)], k);
}

TEST(Resample, RefusesImpossibleSizes) {
    const Rgb8Image im = constant(4, 4, 1, 2, 3);
    EXPECT_THROW(resize_like_pillow(im, 0, 4, ResampleFilter::Bilinear), ConfigError);
    EXPECT_THROW(resize_like_pillow(im, 4, -1, ResampleFilter::Bilinear), ConfigError);
    EXPECT_THROW(resize_like_pillow(im, int(kMaxImageSide) + 1, 4, ResampleFilter::Bilinear), ConfigError);
    EXPECT_THROW(resize_like_pillow(im, 4, 4, ResampleFilter(9)), ConfigError);
    Rgb8Image broken = im;
    broken.pixels.pop_back();
    EXPECT_THROW(resize_like_pillow(broken, 2, 2, ResampleFilter::Box), ShapeError);
    Image wrong;
    wrong.width = 3;
    wrong.height = 2;
    wrong.rgb = Tensor({3, 3, 2});
    EXPECT_THROW(rgb8_from_image(wrong), ShapeError);
    EXPECT_EQ(resample_filter_name(ResampleFilter::Bicubic), "bicubic");
}

}  // namespace
}  // namespace attn
