#include "window_input.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>

namespace attn::gui {

WindowInput::WindowInput(GLFWwindow* window) : window_(window) {
    glfwSetWindowUserPointer(window_, this);
    glfwSetDropCallback(window_, drop_callback);
    glfwSetKeyCallback(window_, key_callback);  // in front of ImGui's own
}

WindowInput::~WindowInput() {
    glfwSetKeyCallback(window_, ImGui_ImplGlfw_KeyCallback);
    glfwSetDropCallback(window_, nullptr);
    glfwSetWindowUserPointer(window_, nullptr);
}

void WindowInput::key_callback(GLFWwindow* window, int key, int scancode, int action, int mods) {
    auto* self = static_cast<WindowInput*>(glfwGetWindowUserPointer(window));
    if (self == nullptr) {
        ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
        return;
    }
    if (action == GLFW_PRESS) {
        self->presses_.push_back({key, scancode, action, mods});
        self->pressed_since_frame_.push_back(key);
    }
    // Any release while a press is still unseen waits, modifiers included: Ctrl+A arrives as
    // ctrl down, a down, a up, ctrl up, possibly split over two polls.
    if (action == GLFW_RELEASE && (!self->pressed_since_frame_.empty() || !self->held_releases_.empty())) {
        self->held_releases_.push_back({key, scancode, action, mods});
        return;
    }
    ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

void WindowInput::drop_callback(GLFWwindow* window, int count, const char** paths) {
    auto* self = static_cast<WindowInput*>(glfwGetWindowUserPointer(window));
    if (self == nullptr) return;
    for (int i = 0; i < count; ++i)
        if (paths[i]) self->drops_.emplace_back(paths[i]);
}

std::vector<WindowInput::KeyEvent> WindowInput::take_presses() {
    std::vector<KeyEvent> out;
    out.swap(presses_);
    return out;
}

std::vector<std::string> WindowInput::take_drops() {
    std::vector<std::string> out;
    out.swap(drops_);
    return out;
}

void WindowInput::release_held_keys() {
    pressed_since_frame_.clear();
    std::vector<KeyEvent> held;
    held.swap(held_releases_);
    for (const KeyEvent& e : held)
        ImGui_ImplGlfw_KeyCallback(window_, e.key, e.scancode, e.action, e.mods);
}

}  // namespace attn::gui
