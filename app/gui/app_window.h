// The window's frame loop. Each frame: take the engine's newest result, send the settings to the
// engine when they changed (after ~150 ms without typing), save the session when it changed (after
// ~0.5 s), run a requested export, then draw the menu, the panels (layout.h) and the status bar,
// and present. Nothing thrown inside a frame escapes it: it becomes a message.
//
// The parts, each in its own file: window_input (keys relayed to ImGui, dropped files),
// pass_scheduler (the debouncers), layout, menu_bar, panels/*, status_bar, screenshot (the
// --screenshot read-back) and test_layout (the end-to-end tests' hook).
#pragma once

#include "app_context.h"
#include "export_runner.h"
#include "lessons/lesson_tour.h"
#include "menu_bar.h"
#include "pass_scheduler.h"
#include "panels/panel.h"
#include "status_bar.h"
#include "test_layout.h"
#include "ui_style.h"
#include "widget_tracker.h"
#include "window_input.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct GLFWwindow;

namespace attn::gui {

struct AppOptions {
    std::string screenshot;       // --screenshot FILE: save the window once the first pass is drawn, exit
    std::string export_and_exit;  // --export DIR: export every map once the first pass is drawn, exit
    std::string test_layout;      // $ATTNSCOPE_TEST_LAYOUT: write widget rectangles and state here
    std::optional<int> layer;     // --layer N: the layer shown once a real model's pass arrives (-1: last)
    double screenshot_timeout_s = 300.0;
};

class AppWindow {
public:
    // `style` makes the window's look (theme, presentation size, fonts); it outlives the window
    // because ImGui's font atlas refers to its glyph ranges.
    AppWindow(GLFWwindow* window, AppContext& ctx, AppOptions options, UiStyle& style);
    ~AppWindow();
    AppWindow(const AppWindow&) = delete;
    AppWindow& operator=(const AppWindow&) = delete;

    // Runs until the window is closed (or the screenshot is written); returns the exit status.
    int run();

private:
    void frame();
    void before_frame(double now);
    void run_pending_export();
    void handle_drops();
    void handle_shortcuts();
    void handle_menu(const MenuRequests& r);
    void draw_lessons_menu();
    void reload_lessons();
    void draw_lesson_highlights(double now);
    std::vector<std::string> glyph_text() const;
    void reload_shaders();
    void after_render(int fb_width, int fb_height, double now);
    WindowReport report() const;
    void export_and_exit();

    GLFWwindow* window_;
    AppContext& ctx_;
    AppOptions options_;
    WindowInput input_;
    PassScheduler scheduler_;
    SessionSaver saver_;
    std::optional<TestLayout> test_layout_;
    WidgetTracker tracker_;
    UiStyle& style_;
    LessonTour tour_;
    std::unique_ptr<Panel> lesson_panel_;
    std::unique_ptr<Panel> input_panel_, model_panel_, attention_panel_, pad_mask_panel_, pipeline_panel_;
    std::unique_ptr<Panel> explore_panel_;  // a real model's views, in the Pad mask panel's place
    // The floating teaching windows (issue 12): step diagram, Q·K inspector, mask lab.
    std::unique_ptr<Panel> diagram_panel_, inspector_panel_, mask_lab_panel_;
    StatusBar status_bar_;

    ExportRunner exports_;

    bool in_frame_ = false;
    int ready_frames_ = 0;  // screenshot: frames drawn since everything settled
    double started_ = 0.0;
    int exit_code_ = 0;
    double fps_ = 0.0, last_frame_time_ = 0.0;
};

}  // namespace attn::gui
