// The window and its OpenGL 3.3 core context, set up the way Dear ImGui's
// examples/example_glfw_opengl3 does (error callback, core forward-compatible hints), with glad
// loaded. Everything else in app/gl needs one of these current on the calling thread.
#pragma once

#include "errors.h"

#include <string>
#include <utility>

struct GLFWwindow;

namespace attn::gl {

// No display to open a window on (no $DISPLAY / $WAYLAND_DISPLAY, or the server refuses a GL 3.3
// core context). The message says so and points to attnscope-cli, which needs no display.
struct DisplayError : Error {
    using Error::Error;
};

struct GlContextOptions {
    int width = 1280, height = 800;  // window size in screen coordinates
    std::string title = "attnscope";
    bool visible = true;  // false: a hidden window, for tests and offscreen rendering
    bool vsync = true;
    // true: GLFW's errors while the window is being opened are not printed on stderr (they are
    // in the DisplayError's message), so a caller can report a missing display in one line.
    bool quiet_open = false;
};

// Owns the GLFW window (and GLFW itself while any GlContext lives). Not copyable or movable: the
// GLFWwindow's user pointer and callbacks may refer to it.
class GlContext {
public:
    // Initialises GLFW, opens the window, makes its context current and loads GL with glad.
    // Throws DisplayError on any failure, with GLFW's own words in the message.
    explicit GlContext(const GlContextOptions& options = {});
    ~GlContext();
    GlContext(const GlContext&) = delete;
    GlContext& operator=(const GlContext&) = delete;

    GLFWwindow* window() const { return window_; }
    void make_current() const;

    // Size in pixels (glfwGetFramebufferSize), which is what glViewport takes: on HiDPI screens it
    // differs from the window size in screen coordinates.
    std::pair<int, int> framebuffer_size() const;

    // "4.5 (Core Profile) Mesa 22.3.6", "llvmpipe (LLVM 15.0.6, 256 bits)": for logs and reports.
    static std::string gl_version();
    static std::string gl_renderer();

    // The description of the last error GLFW reported through the error callback ("" if none).
    static std::string last_glfw_error();

private:
    GLFWwindow* window_ = nullptr;
};

}  // namespace attn::gl
