// What a classroom changes in the window, kept in the session beside the inputs and the view:
// the presentation scale, the window's theme and the exports' theme, the lessons' language and
// the learner's progress through the lessons (lessons/lesson_tour.h).
//
// None of it changes the engine's result or the maps' values, and all of it is off by default: a
// session that never used them is the same file as before (the keys are written only when they
// differ from the defaults), and a session of an older version loads with the defaults.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace attn::gui {

enum class WindowTheme { Dark, Light };
std::string theme_name(WindowTheme theme);              // "dark" | "light"
WindowTheme parse_theme_name(const std::string& name);  // ConfigError for anything else

// Presentation mode: the UI scale from 100% to 250%, in steps of 25% (Ctrl+= / Ctrl+-).
constexpr float kMinUiScale = 1.0f, kMaxUiScale = 2.5f, kUiScaleStep = 0.25f;
// `scale` moved by `steps` of kUiScaleStep, snapped to the steps and kept in range.
float step_ui_scale(float scale, int steps);

struct ClassroomSettings {
    float ui_scale = 1.0f;                         // times the monitor's own content scale (glfwGetWindowContentScale)
    WindowTheme theme = WindowTheme::Dark;         // of the window; the maps keep their colormaps
    WindowTheme export_theme = WindowTheme::Dark;  // of exported pictures (core's ExportTheme)
    std::string language = "en";                   // of the lessons' texts: "en", "zh"...
    // The lesson being followed ("" = none open), its step (the step's id) and every task the
    // learner has done, as "lesson-id/step-id", sorted.
    std::string lesson;
    std::string lesson_step;
    std::vector<std::string> lesson_done;
};

bool operator==(const ClassroomSettings& a, const ClassroomSettings& b);
inline bool operator!=(const ClassroomSettings& a, const ClassroomSettings& b) {
    return !(a == b);
}

// Adds the fields that differ from the defaults to the session object `j`.
void classroom_to_json(const ClassroomSettings& s, nlohmann::json& j);
// Reads them from the session object `j`, tolerantly: a missing field keeps its default, a
// mistyped or out-of-range one keeps it and adds a warning (as settings_from_json).
void classroom_from_json(const nlohmann::json& j, ClassroomSettings& s, std::vector<std::string>* warnings);

}  // namespace attn::gui
