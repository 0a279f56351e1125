// The end-to-end tests' view of the window ($ATTNSCOPE_TEST_LAYOUT): where the named widgets are
// (window pixels, from Dear ImGui's item rectangles) and what the window shows (the settings, the
// pass, the messages, the frame times), written as JSON at most ten times a second and only when
// it changed. tests/gui/gui_harness.py reads it to move the real pointer and to wait for states.
#pragma once

#include "app_context.h"

#include <nlohmann/json.hpp>

#include <array>
#include <deque>
#include <map>
#include <string>

struct GLFWwindow;

namespace attn::gui {

// What the window layer knows besides the AppContext.
struct WindowReport {
    bool ready = false;  // a pass of the current settings is drawn
    bool busy = false;
    bool cancelled = false;
    std::string blocked;
    int exports = 0;
    std::string last_export;
    nlohmann::json extra = nlohmann::json::object();  // more of the state, by key (lesson, ui)
};

class TestLayout : public ItemRecorder {
public:
    explicit TestLayout(std::string path) : path_(std::move(path)) {}

    void note(const std::string& name) override;
    void note_rect(const std::string& name, float x0, float y0, float x1, float y1) override;
    // At the start of each frame: the frame timeline (how smoothly the window draws while the
    // engine works), the last 600 frames.
    void frame_started(double now);
    // After the frame was presented: how long it took to build and draw (frame_costs in the state:
    // what the load tests judge, apart from the waits between frames when nothing happens).
    void frame_finished(double now);
    void write(GLFWwindow* window, AppContext& ctx, const WindowReport& report, double now);

private:
    std::string path_;
    std::map<std::string, std::array<float, 4>> rects_;  // {x0, y0, x1, y1}
    std::deque<double> frame_starts_;
    std::deque<double> frame_costs_;
    double frame_started_at_ = 0.0;
    double written_at_ = -1.0;
    std::string written_;
};

}  // namespace attn::gui
