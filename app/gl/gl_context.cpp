#include "gl_context.h"

#include <glad/gl.h>
#include <GLFW/glfw3.h>

#include <cstdio>

namespace attn::gl {

namespace {

std::string g_last_glfw_error;
int g_live_contexts = 0;  // GLFW is initialised while this is > 0; GL lives on one thread
bool g_quiet = false;     // GlContextOptions::quiet_open, while a window is being opened

void glfw_error_callback(int error, const char* description) {
    g_last_glfw_error = description ? description : "";
    if (!g_quiet) std::fprintf(stderr, "GLFW Error %d: %s\n", error, g_last_glfw_error.c_str());
}

// Sets g_quiet for the scope of the constructor.
struct QuietScope {
    explicit QuietScope(bool quiet) { g_quiet = quiet; }
    ~QuietScope() { g_quiet = false; }
};

std::string glfw_reason() {
    return g_last_glfw_error.empty() ? std::string("GLFW gave no reason") : g_last_glfw_error;
}

const char* const kUseCli =
    "The attnscope window needs a display (X11 or Wayland); run it under xvfb-run, or use attnscope-cli, "
    "which computes and exports everything without one.";

std::string gl_string(GLenum name) {
    const GLubyte* s = glGetString(name);
    return s ? reinterpret_cast<const char*>(s) : "(unknown)";
}

}  // namespace

GlContext::GlContext(const GlContextOptions& options) {
    const QuietScope quiet(options.quiet_open);
    if (g_live_contexts == 0) {
        g_last_glfw_error.clear();
        glfwSetErrorCallback(glfw_error_callback);
        if (!glfwInit())
            throw DisplayError("no display: GLFW could not initialise (" + glfw_reason() + "). " + kUseCli);
    }
    ++g_live_contexts;

    // GL 3.3 core, forward-compatible (required on macOS, harmless elsewhere), as in ImGui's example.
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);

    window_ = glfwCreateWindow(options.width, options.height, options.title.c_str(), nullptr, nullptr);
    if (window_ == nullptr) {
        const std::string reason = glfw_reason();
        if (--g_live_contexts == 0) glfwTerminate();
        throw DisplayError("no display with OpenGL 3.3 core: could not open a " + std::to_string(options.width) +
                           " x " + std::to_string(options.height) + " window (" + reason + "). " + kUseCli);
    }
    glfwMakeContextCurrent(window_);
    if (gladLoadGL(glfwGetProcAddress) == 0) {
        glfwDestroyWindow(window_);
        window_ = nullptr;
        if (--g_live_contexts == 0) glfwTerminate();
        throw DisplayError("no usable OpenGL: glad could not load the GL 3.3 core functions. " + std::string(kUseCli));
    }
    glfwSwapInterval(options.vsync ? 1 : 0);
}

GlContext::~GlContext() {
    // Reverse order of the constructor.
    if (window_ != nullptr) glfwDestroyWindow(window_);
    if (--g_live_contexts == 0) glfwTerminate();
}

void GlContext::make_current() const {
    glfwMakeContextCurrent(window_);
}

std::pair<int, int> GlContext::framebuffer_size() const {
    int width = 0, height = 0;
    glfwGetFramebufferSize(window_, &width, &height);
    return {width, height};
}

std::string GlContext::gl_version() {
    return gl_string(GL_VERSION);
}

std::string GlContext::gl_renderer() {
    return gl_string(GL_RENDERER);
}

std::string GlContext::last_glfw_error() {
    return g_last_glfw_error;
}

}  // namespace attn::gl
