#include "gl_test_support.h"

#include "leak_report.h"

#include <glad/gl.h>


#include <cstdlib>
#include <memory>

namespace attn::gl::testing {

GlContext& test_context() {
    static std::unique_ptr<GlContext> context = [] {
        GlContextOptions options;
        options.width = kTestWindowSide;
        options.height = kTestWindowSide;
        options.title = "attnscope_gl_tests";
        options.visible = false;
        options.vsync = false;
        auto made = std::make_unique<GlContext>(options);
        attn::gl::pin_loaded_libraries();  // the driver is loaded now
        return made;
    }();
    context->make_current();
    return *context;
}

std::string RgbDiff::to_string() const {
    if (!same_size) return "the images differ in size";
    if (x < 0) return "maxdiff 0";
    auto rgb = [](const std::array<uint8_t, 3>& c) {
        return "(" + std::to_string(c[0]) + ", " + std::to_string(c[1]) + ", " + std::to_string(c[2]) + ")";
    };
    return "maxdiff " + std::to_string(max_diff) + " first at (x " + std::to_string(x) + ", y " + std::to_string(y) +
           "): GPU " + rgb(got) + ", CPU " + rgb(want);
}

RgbDiff compare_rgb(const RgbImage& got, const RgbImage& want) {
    RgbDiff diff;
    if (got.width != want.width || got.height != want.height || got.pixels.size() != want.pixels.size()) {
        diff.same_size = false;
        diff.max_diff = 256;
        return diff;
    }
    for (int y = 0; y < got.height; ++y)
        for (int x = 0; x < got.width; ++x) {
            const size_t at = (static_cast<size_t>(y) * static_cast<size_t>(got.width) + static_cast<size_t>(x)) * 3;
            for (size_t c = 0; c < 3; ++c) {
                const int d = std::abs(int{got.pixels[at + c]} - int{want.pixels[at + c]});
                if (d > diff.max_diff) {
                    diff.max_diff = d;
                    diff.x = x;
                    diff.y = y;
                    diff.got = {got.pixels[at], got.pixels[at + 1], got.pixels[at + 2]};
                    diff.want = {want.pixels[at], want.pixels[at + 1], want.pixels[at + 2]};
                }
            }
        }
    return diff;
}

}  // namespace attn::gl::testing
