// The window's frame loop and layout. Each frame: take the engine's newest result, send the
// settings to the engine when they changed (after ~150 ms without typing), save the session
// when it changed (after ~0.5 s), run a requested export, then draw the panels in a fixed
// layout and present. Nothing thrown inside a frame escapes it: it becomes a message.
//
// Layout (deterministic for a window size; 1440 x 900 by default):
//   +--------------------------------------------------------------+
//   | menu: File (exports, export folder, quit)  View (shaders)    |
//   +-----------+----------------------------------+---------------+
//   | Input     | Attention                        | Pipeline      |
//   |           |                                  |               |
//   +-----------+                                  |               |
//   | Model     +----------------------------------+               |
//   |           | Pad mask                         |               |
//   +-----------+----------------------------------+---------------+
//   | status: engine state / progress + Cancel, the newest message |
//   +--------------------------------------------------------------+
#pragma once

#include "app_context.h"

#include <deque>
#include <optional>
#include <string>

struct GLFWwindow;

namespace attn::gui {

enum class ExportKind;

struct AppOptions {
    std::string screenshot;   // --screenshot FILE: save the window once the first pass is drawn, exit
    std::string export_and_exit;  // --export DIR: export every map once the first pass is drawn, exit
    std::string test_layout;  // $ATTNSCOPE_TEST_LAYOUT: write widget rectangles and state here
    double screenshot_timeout_s = 300.0;
};

struct PanelRect {
    float x = 0, y = 0, w = 0, h = 0;
};

struct Layout {
    PanelRect input, model, attention, pad_mask, pipeline, status;
};

// The panels' places for a window of width x height (screen units), below a menu bar of
// menu_height and above a status bar of status_height.
Layout compute_layout(float width, float height, float menu_height, float status_height);

class AppWindow {
public:
    AppWindow(GLFWwindow* window, AppContext& ctx, AppOptions options);
    ~AppWindow();
    AppWindow(const AppWindow&) = delete;
    AppWindow& operator=(const AppWindow&) = delete;

    // Runs until the window is closed (or the screenshot is written); returns the exit status.
    int run();

private:
    void frame();
    void before_frame(double now);
    void take_results(double now);
    void submit_when_due(double now);
    void save_session_when_due(double now, bool force);
    void run_pending_export();
    void handle_drops();
    void handle_shortcuts();
    void reload_shaders();
    void draw_menu();
    void draw_status(const PanelRect& r);
    void draw_panels(const Layout& layout);
    bool pass_settled() const;  // the shown pass is the one for the current settings
    void after_render(int fb_width, int fb_height, double now);
    void write_test_layout(double now);
    void export_and_exit();

    GLFWwindow* window_;
    AppContext& ctx_;
    AppOptions options_;

    std::string submitted_key_;  // compute_key of the newest request sent (or refused to send)
    std::string pending_key_;    // settings being typed, waiting for the debounce
    double pending_since_ = 0.0;
    double pass_started_ = 0.0;
    bool first_submitted_ = false;
    bool cancelled_ = false;
    std::string blocked_;  // why the current settings are not sent ("" when they are)
    std::vector<std::string> last_warnings_;

    std::string saved_json_, pending_save_json_;
    double save_pending_since_ = 0.0;

    std::optional<ExportKind> pending_export_;
    int exports_done_ = 0;
    std::string last_export_summary_;

    bool in_frame_ = false;
    int frames_since_pass_ = 0;  // frames drawn since the current pass was applied
    int ready_frames_ = 0;       // screenshot: frames drawn since everything settled
    double started_ = 0.0;
    int exit_code_ = 0;
    double fps_ = 0.0, last_frame_time_ = 0.0;
    double layout_written_ = -1.0;
    std::string layout_json_;
    std::deque<double> frame_starts_;  // test layout only: when the recent frames began (s)
};

}  // namespace attn::gui
