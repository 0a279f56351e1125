// What GLFW's callbacks collect between two frames: keys, relayed to Dear ImGui, and files
// dropped on the window. Installed in front of ImGui's own key callback; found again from the
// callbacks through the window's user pointer (Dear ImGui 1.86's GLFW backend does not use it),
// so nothing lives in a static.
//
// Why a relay: ImGui 1.86 samples key state once per frame, so a key pressed and released between
// two frames (a fast typist, xdotool, a busy frame) is never seen: Ctrl+A in a text field or
// Ctrl+E would be lost. The relay holds back the release of a key pressed since the last frame
// until that frame is drawn, and records every press for the window's own shortcuts.
#pragma once

#include <string>
#include <vector>

struct GLFWwindow;

namespace attn::gui {

class WindowInput {
public:
    struct KeyEvent {
        int key, scancode, action, mods;
    };

    explicit WindowInput(GLFWwindow* window);  // installs the callbacks
    ~WindowInput();                            // gives the key callback back to ImGui
    WindowInput(const WindowInput&) = delete;
    WindowInput& operator=(const WindowInput&) = delete;

    // The presses since the last call, for the shortcuts (Ctrl+E, Ctrl+Q, F5, Escape).
    std::vector<KeyEvent> take_presses();
    // The files dropped since the last call.
    std::vector<std::string> take_drops();
    // After a frame: ImGui has seen the presses; let the held releases through.
    void release_held_keys();

private:
    static void key_callback(GLFWwindow* window, int key, int scancode, int action, int mods);
    static void drop_callback(GLFWwindow* window, int count, const char** paths);

    GLFWwindow* window_;
    std::vector<KeyEvent> held_releases_;
    std::vector<KeyEvent> presses_;
    std::vector<int> pressed_since_frame_;
    std::vector<std::string> drops_;
};

}  // namespace attn::gui
