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

// LeakSanitizer checks at exit, after the static GL context's destructor has run glfwTerminate
// and unloaded Mesa's driver: what the driver keeps for itself is then reported from
// "<unknown module>", which tests/sanitizers/lsan.supp cannot name. In sanitizer builds this
// keeps every library loaded by now (call it once a context exists) for the life of the process,
// so the report names them; app/gui/main.cpp does the same. Nothing is loaded; elsewhere a no-op.
void pin_loaded_libraries();

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
