#include "lessons/lesson.h"

#include "errors.h"
#include "lessons/lesson_facts.h"
#include "lessons/widget_names.h"
#include "model/config.h"
#include "settings.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace attn::gui {

namespace {

using nlohmann::json;

// Where in the file a problem is, for its one message: "step 3 (heads)".
struct Place {
    const std::string& file;
    std::string step;    // "" = the lesson itself
    std::string prefix;  // of the fields: "task." inside a task

    [[noreturn]] void fail(const std::string& field, const std::string& what) const {
        std::string text = file + ": ";
        if (!step.empty()) text += step + ": ";
        if (!field.empty()) text += "\"" + prefix + field + "\": ";
        throw ConfigError(text + what);
    }
};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

bool is_id(const std::string& s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool is_language(const std::string& s) {
    return s.size() >= 2 && s.size() <= 8 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

// Refuses fields the format does not have: a misspelt "hightlight" would otherwise be ignored.
void only_fields(const json& j, const std::vector<std::string>& known, const Place& at, const std::string& prefix) {
    for (const auto& item : j.items()) {
        if (item.key() == "comment") continue;  // a teacher's note; JSON has no comments
        if (std::find(known.begin(), known.end(), item.key()) == known.end())
            at.fail(prefix + item.key(), "unknown field (this part has: " + join(known) + ", comment)");
    }
}

std::string get_string(const json& j, const std::string& key, const Place& at, bool required) {
    if (!j.contains(key)) {
        if (required) at.fail(key, "missing");
        return {};
    }
    if (!j[key].is_string()) at.fail(key, "must be a string");
    return j[key].get<std::string>();
}

LocalText get_text(const json& j, const std::string& key, const Place& at, bool required) {
    LocalText t;
    if (!j.contains(key)) {
        if (required) at.fail(key, "missing");
        return t;
    }
    const json& v = j[key];
    if (v.is_string()) {
        if (v.get<std::string>().empty()) at.fail(key, "is empty");
        t.by_language[""] = v.get<std::string>();
        return t;
    }
    if (!v.is_object() || v.empty())
        at.fail(key, "must be a text, or an object of texts by language ({\"en\": \"...\", \"zh\": \"...\"})");
    for (const auto& item : v.items()) {
        if (!is_language(item.key()))
            at.fail(key + "." + item.key(), "is not a language code (en, zh, fr...: lower-case letters)");
        if (!item.value().is_string() || item.value().get<std::string>().empty())
            at.fail(key + "." + item.key(), "must be a text that is not empty");
        t.by_language[item.key()] = item.value().get<std::string>();
    }
    return t;
}

std::vector<std::string> get_strings(const json& j, const std::string& key, const Place& at) {
    std::vector<std::string> out;
    if (!j.contains(key)) return out;
    const json& v = j[key];
    if (v.is_string()) return {v.get<std::string>()};
    if (!v.is_array()) at.fail(key, "must be a string or a list of strings");
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) at.fail(key + "[" + std::to_string(i) + "]", "must be a string");
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

// A scene: session keys, checked by reading them as a session does. A bundled picture's name
// becomes its path; "step" may name a Pipeline step instead of giving its index.
json get_scene(const json& j, const Place& at, const std::string& asset_dir) {
    if (!j.contains("scene")) return json::object();
    if (!j["scene"].is_object()) at.fail("scene", "must be an object of session settings");
    json scene = j["scene"];
    const std::vector<std::string> keys = scene_keys();
    for (auto& item : scene.items()) {
        const std::string& key = item.key();
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            at.fail("scene." + key, "is not a setting of the session (settings: " + join(keys) + ")");
        if (key == "step" && item.value().is_string()) {
            if (item.value().get<std::string>().empty()) at.fail("scene.step", "names no Pipeline step");
            continue;
        }
        if (key == "image_path" && item.value().is_string()) {
            const std::string name = item.value().get<std::string>();
            if (!name.empty() && name.find('/') == std::string::npos && !asset_dir.empty()) {
                const std::filesystem::path path = std::filesystem::path(asset_dir) / "images" / name;
                std::error_code ec;
                if (!std::filesystem::is_regular_file(path, ec))
                    at.fail("scene.image_path", "\"" + name + "\" is not a bundled picture (" + path.string() + ")");
                item.value() = path.string();
            }
        }
    }
    return scene;
}

// The step's settings read as a session file would be: each value must be one the session takes.
void check_scene(const json& lesson_scene, const json& step_scene, const Place& at) {
    json merged = settings_to_json(Settings{});
    for (const json* scene : {&lesson_scene, &step_scene})
        for (const auto& item : scene->items())
            if (!(item.key() == "step" && item.value().is_string())) merged[item.key()] = item.value();
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(merged, &warnings);
    if (!warnings.empty()) {
        // "session: \"heads\" is not valid; using the default" -> the key.
        const std::string& w = warnings.front();
        const size_t a = w.find('"'), b = w.find('"', a + 1);
        const std::string key = a != std::string::npos && b != std::string::npos ? w.substr(a + 1, b - a - 1) : "";
        at.fail("scene." + key, "is not a value the session takes");
    }
    if (has_heads(s.module) && (s.heads < 1 || s.emb_dim % s.heads != 0))
        at.fail("scene.heads", std::to_string(s.heads) + " heads do not divide emb_dim " + std::to_string(s.emb_dim));
}

// The {fact} parts of a text name facts the window has.
void check_placeholders(const LocalText& t, const std::string& field, const Place& at) {
    for (const auto& [language, text] : t.by_language)
        for (const std::string& path : fact_placeholders(text))
            if (!is_fact_path(path))
                at.fail(field, "{" + path + "} is not a fact of the window (write {{ for a brace; facts: " +
                                   join(fact_roots()) + ")");
}

Condition get_condition(const json& c, const std::string& field, const Place& at) {
    if (!c.is_object()) at.fail(field, "must be an object such as {\"fact\": \"heads\", \"is\": 4}");
    static const std::vector<std::pair<std::string, Condition::Op>> ops = {
        {"is", Condition::Op::Is},          {"is_not", Condition::Op::IsNot}, {"at_least", Condition::Op::AtLeast},
        {"at_most", Condition::Op::AtMost}, {"has", Condition::Op::Has},      {"changed", Condition::Op::Changed}};
    std::vector<std::string> known = {"fact"};
    for (const auto& [name, op] : ops)
        known.push_back(name);
    only_fields(c, known, at, field + ".");
    Condition out;
    out.fact = get_string(c, "fact", at, false);
    if (!c.contains("fact")) at.fail(field + ".fact", "missing");
    if (!is_fact_path(out.fact))
        at.fail(field + ".fact", "\"" + out.fact + "\" is not a fact of the window (facts: " + join(fact_roots()) +
                                     "; shape.<step name>[.<index>])");
    int found = 0;
    for (const auto& [name, op] : ops) {
        if (!c.contains(name)) continue;
        ++found;
        out.op = op;
        out.value = c[name];
    }
    if (found != 1) at.fail(field, "needs exactly one test of: is, is_not, at_least, at_most, has, changed");
    if ((out.op == Condition::Op::AtLeast || out.op == Condition::Op::AtMost) && !out.value.is_number())
        at.fail(field, "at_least and at_most compare with a number");
    if (out.op == Condition::Op::Changed && out.value != true) at.fail(field + ".changed", "must be true");
    return out;
}

Task get_task(const json& j, const Place& step_place) {
    const json& t = j["task"];
    if (!t.is_object()) step_place.fail("task", "must be an object with do, when and noticed");
    const Place at{step_place.file, step_place.step, "task."};
    only_fields(t, {"do", "when", "noticed"}, at, "");
    Task task;
    task.what = get_text(t, "do", at, false);
    if (task.what.empty()) at.fail("do", "missing: what the learner is asked to do");
    task.noticed = get_text(t, "noticed", at, false);
    if (!t.contains("when")) at.fail("when", "missing: the conditions that say the task is done");
    const json& when = t["when"];
    if (when.is_object()) {
        task.when.push_back(get_condition(when, "when", at));
    } else if (when.is_array() && !when.empty()) {
        for (size_t i = 0; i < when.size(); ++i)
            task.when.push_back(get_condition(when[i], "when[" + std::to_string(i) + "]", at));
    } else {
        at.fail("when", "must be a condition or a list of them");
    }
    return task;
}

LessonStep get_step(const json& j, size_t index, const json& lesson_scene, const std::string& file,
                    const std::string& asset_dir) {
    std::string label = "step " + std::to_string(index + 1);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) label += " (" + j["id"].get<std::string>() + ")";
    const Place at{file, label, ""};
    if (!j.is_object()) at.fail("", "must be an object");
    only_fields(j, {"id", "section", "title", "text", "code", "source", "scene", "highlight", "needs", "task"}, at, "");
    LessonStep step;
    step.id = get_string(j, "id", at, true);
    if (!is_id(step.id)) at.fail("id", "letters, digits, '_' and '-' only (it names the step in the session)");
    step.section = get_string(j, "section", at, false);
    step.title = get_text(j, "title", at, true);
    step.text = get_text(j, "text", at, true);
    step.code = get_strings(j, "code", at);
    step.source = get_string(j, "source", at, false);
    step.needs = get_strings(j, "needs", at);
    const std::vector<std::string> keys = scene_keys();
    step.available = std::all_of(step.needs.begin(), step.needs.end(), [&](const std::string& k) {
        return std::find(keys.begin(), keys.end(), k) != keys.end();
    });
    step.highlight = get_strings(j, "highlight", at);
    if (j.contains("task")) {
        step.has_task = true;
        step.task = get_task(j, at);
    }
    if (!step.available) return step;  // for a later build: its settings and widgets are not known here
    check_placeholders(step.title, "title", at);
    check_placeholders(step.text, "text", at);
    check_placeholders(step.task.what, "task.do", at);
    check_placeholders(step.task.noticed, "task.noticed", at);
    step.scene = get_scene(j, at, asset_dir);
    check_scene(lesson_scene, step.scene, at);
    for (size_t i = 0; i < step.highlight.size(); ++i)
        if (!is_widget_name(step.highlight[i]))
            at.fail("highlight", "\"" + step.highlight[i] +
                                     "\" is not a widget of the window (the names are listed in "
                                     "assets/lessons/README.md)");
    return step;
}

void add_languages(const LocalText& t, std::set<std::string>& out) {
    for (const auto& [language, text] : t.by_language)
        if (!language.empty()) out.insert(language);
}

}  // namespace

const std::string& LocalText::in(const std::string& language) const {
    static const std::string none;
    for (const std::string& l : {language, std::string(), std::string("en")}) {
        const auto it = by_language.find(l);
        if (it != by_language.end()) return it->second;
    }
    return by_language.empty() ? none : by_language.begin()->second;
}

std::vector<std::string> scene_keys() {
    std::vector<std::string> keys;
    const json defaults = settings_to_json(Settings{});  // items() refers to it: not a temporary
    for (const auto& item : defaults.items())
        keys.push_back(item.key());
    return keys;
}

Lesson parse_lesson(const std::string& text, const std::string& file, const std::string& asset_dir) {
    const Place at{file, "", ""};
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        // Line and column of the byte nlohmann names, for a person with an editor.
        const size_t byte = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
        const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + byte, '\n'));
        const size_t line_start = text.rfind('\n', byte == 0 ? 0 : byte - 1);
        const size_t column = byte - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
        throw ConfigError(file + ": not JSON (line " + std::to_string(line) + ", column " + std::to_string(column) +
                          "): not a lesson file");
    }
    if (!j.is_object()) at.fail("", "not a lesson: the file must hold one JSON object");
    only_fields(j, {"format", "id", "title", "summary", "order", "scene", "steps"}, at, "");
    if (!j.contains("format"))
        at.fail("format", "missing (this app reads format " + std::to_string(kLessonFormat) + ")");
    if (j["format"] != kLessonFormat)
        at.fail("format", j["format"].dump() + " is not a format this app reads (it reads " +
                              std::to_string(kLessonFormat) + ")");
    Lesson lesson;
    lesson.file = file;
    lesson.id = get_string(j, "id", at, true);
    if (!is_id(lesson.id)) at.fail("id", "letters, digits, '_' and '-' only (it names the lesson in the session)");
    lesson.title = get_text(j, "title", at, true);
    lesson.summary = get_text(j, "summary", at, false);
    if (j.contains("order")) {
        if (!j["order"].is_number_integer()) at.fail("order", "must be a whole number");
        lesson.order = j["order"].get<int>();
    }
    lesson.scene = get_scene(j, at, asset_dir);
    check_scene(lesson.scene, json::object(), at);
    if (!j.contains("steps")) at.fail("steps", "missing");
    if (!j["steps"].is_array() || j["steps"].empty()) at.fail("steps", "must be a list of at least one step");
    std::set<std::string> ids, languages;
    add_languages(lesson.title, languages);
    for (size_t i = 0; i < j["steps"].size(); ++i) {
        LessonStep step = get_step(j["steps"][i], i, lesson.scene, file, asset_dir);
        if (!ids.insert(step.id).second)
            Place{file, "step " + std::to_string(i + 1) + " (" + step.id + ")", ""}.fail("id",
                                                                                         "another step has this id");
        for (const LocalText* t : {&step.title, &step.text, &step.task.what, &step.task.noticed})
            add_languages(*t, languages);
        if (step.available)
            lesson.steps.push_back(std::move(step));
        else
            ++lesson.unavailable_steps;
    }
    if (lesson.steps.empty()) at.fail("steps", "none of them can be shown by this build (see their \"needs\")");
    lesson.languages.assign(languages.begin(), languages.end());
    return lesson;
}

Lesson read_lesson_file(const std::string& path, const std::string& asset_dir) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw ConfigError(path + ": not a regular file");
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > (4u << 20)) throw ConfigError(path + ": larger than 4 MiB; not a lesson file");
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) throw ConfigError(path + ": could not be read");
    return parse_lesson(text, path, asset_dir);
}

}  // namespace attn::gui
