#include "classroom_settings.h"

#include "errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace attn::gui {

namespace {

using nlohmann::json;

void warn(std::vector<std::string>* warnings, const char* key) {
    if (warnings) warnings->push_back(std::string("session: \"") + key + "\" is not valid; using the default");
}

// Lesson and step ids are short names a lesson file gives (lessons/lesson.h); anything else in a
// session is ignored rather than shown.
bool plausible_id(const std::string& s) {
    return s.size() <= 200 && s.find('\0') == std::string::npos;
}

}  // namespace

std::string theme_name(WindowTheme theme) {
    return theme == WindowTheme::Light ? "light" : "dark";
}

WindowTheme parse_theme_name(const std::string& name) {
    if (name == "dark") return WindowTheme::Dark;
    if (name == "light") return WindowTheme::Light;
    throw ConfigError("theme \"" + name + "\": expected dark or light");
}

float step_ui_scale(float scale, int steps) {
    const float snapped = std::round(scale / kUiScaleStep) * kUiScaleStep;
    return std::clamp(snapped + static_cast<float>(steps) * kUiScaleStep, kMinUiScale, kMaxUiScale);
}

bool operator==(const ClassroomSettings& a, const ClassroomSettings& b) {
    return a.ui_scale == b.ui_scale && a.theme == b.theme && a.export_theme == b.export_theme &&
           a.language == b.language && a.lesson == b.lesson && a.lesson_step == b.lesson_step &&
           a.lesson_done == b.lesson_done;
}

void classroom_to_json(const ClassroomSettings& s, json& j) {
    const ClassroomSettings d;
    if (s.ui_scale != d.ui_scale) j["ui_scale"] = s.ui_scale;
    if (s.theme != d.theme) j["theme"] = theme_name(s.theme);
    if (s.export_theme != d.export_theme) j["export_theme"] = theme_name(s.export_theme);
    if (s.language != d.language) j["language"] = s.language;
    if (!s.lesson.empty()) j["lesson"] = s.lesson;
    if (!s.lesson_step.empty()) j["lesson_step"] = s.lesson_step;
    if (!s.lesson_done.empty()) j["lesson_done"] = s.lesson_done;
}

void classroom_from_json(const json& j, ClassroomSettings& s, std::vector<std::string>* warnings) {
    if (!j.is_object()) return;
    if (j.contains("ui_scale")) {
        const json& v = j["ui_scale"];
        if (v.is_number() && v.get<double>() >= kMinUiScale && v.get<double>() <= kMaxUiScale)
            s.ui_scale = v.get<float>();
        else
            warn(warnings, "ui_scale");
    }
    for (const auto& [key, out] : {std::pair{"theme", &s.theme}, std::pair{"export_theme", &s.export_theme}}) {
        if (!j.contains(key)) continue;
        const json& v = j[key];
        if (v.is_string() && (v == "dark" || v == "light"))
            *out = parse_theme_name(v.get<std::string>());
        else
            warn(warnings, key);
    }
    for (const auto& [key, out] : {std::pair{"language", &s.language}, std::pair{"lesson", &s.lesson},
                                   std::pair{"lesson_step", &s.lesson_step}}) {
        if (!j.contains(key)) continue;
        const json& v = j[key];
        if (v.is_string() && plausible_id(v.get<std::string>()) && !(key == std::string("language") && v == ""))
            *out = v.get<std::string>();
        else
            warn(warnings, key);
    }
    if (j.contains("lesson_done")) {
        const json& v = j["lesson_done"];
        std::vector<std::string> done;
        bool ok = v.is_array() && v.size() <= 100000;
        for (size_t i = 0; ok && i < v.size(); ++i) {
            ok = v[i].is_string() && plausible_id(v[i].get<std::string>());
            if (ok) done.push_back(v[i].get<std::string>());
        }
        if (ok) {
            std::sort(done.begin(), done.end());
            done.erase(std::unique(done.begin(), done.end()), done.end());
            s.lesson_done = std::move(done);
        } else {
            warn(warnings, "lesson_done");
        }
    }
}

}  // namespace attn::gui
