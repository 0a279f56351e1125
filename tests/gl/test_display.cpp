// Without a display the GUI fails with a DisplayError that says so and names attnscope-cli,
// instead of crashing. Run as a death test in a fresh process ("threadsafe" style re-executes the
// binary), because GLFW is already initialised with Xvfb's display in this one.
#include "gl_context.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace attn::gl {
namespace {

void open_window_without_display() {
    ::unsetenv("DISPLAY");
    ::unsetenv("WAYLAND_DISPLAY");
    try {
        GlContextOptions options;
        options.width = options.height = 64;
        options.visible = false;
        const GlContext context(options);
        std::fprintf(stderr, "opened a window without a display\n");
        std::exit(1);
    } catch (const DisplayError& e) {
        std::fprintf(stderr, "DisplayError: %s\n", e.what());
        std::exit(0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "another exception: %s\n", e.what());
        std::exit(2);
    }
}

TEST(GlContextDeathTest, NoDisplayIsADisplayErrorPointingToTheCli) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(open_window_without_display(), ::testing::ExitedWithCode(0), "DisplayError: no display.*attnscope-cli");
}

}  // namespace
}  // namespace attn::gl
