// Shared helpers of the GL tests: one hidden GL 3.3 core window for the whole binary, created on
// first use (so a test that must run without one, like the no-display death test, never opens it).
#pragma once

#include "gl_context.h"
#include "export/png.h"

#include <array>
#include <cstdint>
#include <string>

namespace attn::gl::testing {

constexpr int kTestWindowSide = 64;

GlContext& test_context();

// The largest per-channel difference between two RGB8 images of the same size, and where it is.
struct RgbDiff {
    bool same_size = true;
    int max_diff = 0;
    int x = -1, y = -1;  // first pixel with max_diff
    std::array<uint8_t, 3> got{}, want{};
    std::string to_string() const;
};
RgbDiff compare_rgb(const RgbImage& got, const RgbImage& want);

}  // namespace attn::gl::testing
