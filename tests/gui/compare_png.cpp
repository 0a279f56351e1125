// compare_png ACTUAL REFERENCE [DIFF.png]: are two screenshots the same picture, within the
// tolerance below? Prints the statistics; exit 0 when they match, 1 when not, 2 on bad input.
//
// Tolerance. Mesa's llvmpipe renders the same frame bit for bit on one machine (two runs here
// differ in 0 pixels), but another Mesa or LLVM version, or a CPU with other vector widths, may
// round the colormap shader's float maths, its bilinear sampling and the anti-aliased edges of
// glyphs and frames by a level or two. So a screenshot matches when
//   - it has the reference's size,
//   - the mean absolute difference over all channels is at most 1.0 level (of 255), and
//   - at most 0.1 % of the pixels (~1,300 of 1440 x 900) differ by more than 24 levels in a channel.
// What the test is there to catch changes far more: a panel moved by a pixel row, a map upside
// down or in another colormap, missing text or a missing map each move thousands of pixels by
// tens of levels.
#include "errors.h"
#include "export/png.h"
#include "image/image.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr double kMaxMeanDifference = 1.0;   // levels of 255
constexpr int kLargeDifference = 24;         // levels of 255
constexpr double kMaxLargeFraction = 0.001;  // of the pixels

int level(const attn::Image& im, int c, int y, int x) {
    return static_cast<int>(std::lround(im.rgb.data[(static_cast<size_t>(c) * im.height + y) * im.width + x] * 255.0f));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: compare_png ACTUAL REFERENCE [DIFF.png]\n");
        return 2;
    }
    try {
        const attn::Image a = attn::load_image(argv[1]);
        const attn::Image r = attn::load_image(argv[2]);
        if (a.width != r.width || a.height != r.height) {
            std::printf("size differs: %d x %d, reference %d x %d\n", a.width, a.height, r.width, r.height);
            return 1;
        }
        double sum = 0.0;
        long large = 0;
        int max_diff = 0;
        attn::RgbImage diff;
        diff.width = a.width;
        diff.height = a.height;
        diff.pixels.assign(static_cast<size_t>(a.width) * a.height * 3, 0);
        for (int y = 0; y < a.height; ++y)
            for (int x = 0; x < a.width; ++x) {
                int worst = 0;
                for (int c = 0; c < 3; ++c) {
                    const int d = std::abs(level(a, c, y, x) - level(r, c, y, x));
                    sum += d;
                    worst = std::max(worst, d);
                }
                max_diff = std::max(max_diff, worst);
                if (worst > kLargeDifference) ++large;
                // The diff picture: the reference dimmed, differences in red.
                const size_t o = (static_cast<size_t>(y) * a.width + x) * 3;
                const uint8_t grey = static_cast<uint8_t>(level(r, 1, y, x) / 4);
                diff.pixels[o] = static_cast<uint8_t>(std::min(255, grey + worst * 8));
                diff.pixels[o + 1] = grey;
                diff.pixels[o + 2] = grey;
            }
        const double pixels = static_cast<double>(a.width) * a.height;
        const double mean = sum / (pixels * 3.0);
        const double large_fraction = static_cast<double>(large) / pixels;
        std::printf(
            "%d x %d: mean difference %.4f levels (max %.1f), %ld pixels (%.4f %%) differ by more than %d "
            "(max %.2f %%), largest difference %d\n",
            a.width, a.height, mean, kMaxMeanDifference, large, 100.0 * large_fraction, kLargeDifference,
            100.0 * kMaxLargeFraction, max_diff);
        const bool same = mean <= kMaxMeanDifference && large_fraction <= kMaxLargeFraction;
        if (!same && argc > 3) {
            attn::write_png(argv[3], diff);
            std::printf("differences drawn in red: %s\n", argv[3]);
        }
        return same ? 0 : 1;
    } catch (const attn::Error& e) {
        std::fprintf(stderr, "compare_png: %s\n", e.what());
        return 2;
    }
}
