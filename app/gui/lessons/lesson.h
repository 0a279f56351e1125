// A lesson: a guided tour of the window, read from a JSON file (assets/lessons/*.json, or the
// user's $XDG_DATA_HOME/attnscope/lessons/). The format is documented, with an example, in
// assets/lessons/README.md. Each step sets up the scene through the session's own settings
// (any key of session.json), points at the panel and the widget that matter (the names the
// window records, lessons/widget_names.h), explains with the seed's line of code and its shape
// comment, and may ask the learner to do one thing, noticed by conditions on what the window
// shows (lessons/lesson_facts.h).
//
// Reading a file validates all of it: a file that is not a lesson is refused whole with one
// message naming the file, the step and the field, so that a teacher's typo never reaches the
// window as a step that silently does nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace attn::gui {

// The lesson file format this app reads ("format": 1).
constexpr int kLessonFormat = 1;

// A text in several languages: {"en": "...", "zh": "..."}, or one string for every language.
struct LocalText {
    std::map<std::string, std::string> by_language;  // "" = the same in every language
    // The text in `language`, else in English, else in any language the text has ("" if none).
    const std::string& in(const std::string& language) const;
    bool empty() const { return by_language.empty(); }
};

// One test on what the window shows (lesson_facts.h): the fact at `fact` ("heads",
// "shape.q_heads.1", "step_name") compared with `value` by `op`.
struct Condition {
    enum class Op { Is, IsNot, AtLeast, AtMost, Has, Changed } op = Op::Is;
    std::string fact;
    nlohmann::json value;  // unused for Changed
};

struct Task {
    LocalText what;               // "do": what the learner is asked to do
    std::vector<Condition> when;  // all of them hold: done
    LocalText noticed;            // said once it is done
};

struct LessonStep {
    std::string id;       // unique in the lesson; progress is kept by it
    std::string section;  // the seed's section: "四", "7.2", "000"
    LocalText title, text;
    std::vector<std::string> code;                    // the seed's lines, shown as they are
    std::string source;                               // where the code comes from ("seed 002, 7.2")
    nlohmann::json scene = nlohmann::json::object();  // session keys; "step" may be a step's name
    std::vector<std::string> highlight;               // widget names, drawn around in order
    std::vector<std::string> needs;                   // session keys this step needs
    bool has_task = false;
    Task task;
    // False when a key in `needs` is not a setting of this build (a step for a feature that is
    // not there yet): the tour leaves the step out.
    bool available = true;
};

struct Lesson {
    std::string id, file;
    int order = 100;  // lessons are listed by order, then title
    LocalText title, summary;
    nlohmann::json scene = nlohmann::json::object();  // under every step's own
    std::vector<LessonStep> steps;                    // the available ones only
    int unavailable_steps = 0;
    std::vector<std::string> languages;  // every language its title has
};

// What a lesson's scene may set: the keys of the session that describe the scene (every key of
// settings_to_json(Settings{}): the inputs, the model and the view).
std::vector<std::string> scene_keys();

// Reads and checks one lesson. Throws ConfigError with one message: "<file>: step 3 (heads):
// \"highlight\": \"model.headz\" is not a widget of the window". `asset_dir` resolves a scene's
// bundled picture names ("image_path": "coffee.png" is <asset_dir>/images/coffee.png).
Lesson parse_lesson(const std::string& text, const std::string& file, const std::string& asset_dir);
Lesson read_lesson_file(const std::string& path, const std::string& asset_dir);

}  // namespace attn::gui
