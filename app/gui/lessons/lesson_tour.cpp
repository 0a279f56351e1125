#include "lessons/lesson_tour.h"

#include "lessons/lesson_facts.h"

#include <algorithm>

namespace attn::gui {

namespace {

using nlohmann::json;

// What going to a step leaves as the learner set it: the look of the maps. (The lessons' own
// keys, the theme and the scale are not in the defaults' JSON, so they stay too.)
bool kept_by_scenes(const std::string& key) {
    return key == "colormap" || key == "shared_normalisation" || key == "opacity";
}

// View settings the panels clamp to the pass on screen.
bool is_clamped_view(const std::string& key) {
    return key == "batch" || key == "head" || key == "token" || key == "step";
}

}  // namespace

std::string task_key(const Lesson& lesson, const LessonStep& step) {
    return lesson.id + "/" + step.id;
}

const Lesson* LessonTour::lesson(const Settings& s) const {
    return s.lesson.empty() ? nullptr : library_.find(s.lesson);
}

int LessonTour::step_index(const Settings& s) const {
    const Lesson* l = lesson(s);
    if (!l) return 0;
    for (size_t i = 0; i < l->steps.size(); ++i)
        if (l->steps[i].id == s.lesson_step) return static_cast<int>(i);
    return 0;
}

const LessonStep* LessonTour::step(const Settings& s) const {
    const Lesson* l = lesson(s);
    return l ? &l->steps[static_cast<size_t>(step_index(s))] : nullptr;
}

void LessonTour::open(AppContext& ctx, const std::string& lesson_id) {
    if (!library_.find(lesson_id)) {
        ctx.error("No lesson \"" + lesson_id + "\"");
        return;
    }
    // The learner's own scene, once: switching from one lesson to another keeps the first.
    if (ctx.settings.lesson.empty() && !own_scene_) own_scene_ = settings_to_json(ctx.settings);
    ctx.settings.lesson = lesson_id;
    go_to(ctx, 0);
}

void LessonTour::go_to(AppContext& ctx, int index) {
    const Lesson* l = lesson(ctx.settings);
    if (!l) return;
    index = std::clamp(index, 0, static_cast<int>(l->steps.size()) - 1);
    const LessonStep& st = l->steps[static_cast<size_t>(index)];
    ctx.settings.lesson_step = st.id;
    apply_scene(ctx, *l, st);
    shown_ = task_key(*l, st);
    settled_since_shown_ = false;
    baseline_.clear();
    noticed_at_.reset();
    entered_ = true;
}

void LessonTour::next(AppContext& ctx) {
    const Lesson* l = lesson(ctx.settings);
    if (!l) return;
    const int i = step_index(ctx.settings);
    if (i + 1 < static_cast<int>(l->steps.size()))
        go_to(ctx, i + 1);
    else
        close(ctx);
}

void LessonTour::back(AppContext& ctx) {
    const int i = step_index(ctx.settings);
    if (lesson(ctx.settings) && i > 0) go_to(ctx, i - 1);
}

void LessonTour::close(AppContext& ctx) {
    const ClassroomSettings kept = ctx.settings.classroom();
    if (own_scene_) {
        std::vector<std::string> warnings;
        ctx.settings = settings_from_json(*own_scene_, &warnings);
        own_scene_.reset();
    }
    ctx.settings.classroom() = kept;
    ctx.settings.lesson.clear();
    ctx.settings.lesson_step.clear();
    shown_.clear();
    pending_step_name_.clear();
    noticed_at_.reset();
}

void LessonTour::apply_scene(AppContext& ctx, const Lesson& l, const LessonStep& st) {
    json j = settings_to_json(ctx.settings);
    const json defaults = settings_to_json(Settings{});  // items() refers to it: not a temporary
    for (const auto& item : defaults.items())
        if (!kept_by_scenes(item.key())) j[item.key()] = item.value();
    pending_step_name_.clear();
    pending_view_ = json::object();
    for (const json* scene : {&l.scene, &st.scene}) {
        for (const auto& item : scene->items()) {
            if (item.key() == "step" && item.value().is_string()) {
                pending_step_name_ = item.value().get<std::string>();  // selected once the pass is there
                continue;
            }
            j[item.key()] = item.value();
            if (is_clamped_view(item.key())) pending_view_[item.key()] = item.value();
        }
    }
    std::vector<std::string> warnings;  // none: the lesson file was checked when it was read
    ctx.settings = settings_from_json(j, &warnings);
}

void LessonTour::adopt(AppContext& ctx) {
    const Lesson* l = lesson(ctx.settings);
    const LessonStep& st = l->steps[static_cast<size_t>(step_index(ctx.settings))];
    ctx.settings.lesson_step = st.id;  // an unknown step id (the file changed) becomes the first
    shown_ = task_key(*l, st);
    pending_step_name_.clear();
    pending_view_ = json::object();
    settled_since_shown_ = false;
    baseline_.clear();
    noticed_at_.reset();
    entered_ = true;
}

int LessonTour::take_selected_step() {
    const int step = selected_step_;
    selected_step_ = -1;
    return step;
}

bool LessonTour::take_entered() {
    const bool e = entered_;
    entered_ = false;
    return e;
}

bool LessonTour::update(AppContext& ctx, bool pass_current) {
    Settings& s = ctx.settings;
    if (s.lesson.empty()) {
        shown_.clear();
        return false;
    }
    const Lesson* l = lesson(s);
    if (!l) {
        ctx.error("The lesson \"" + s.lesson + "\" of the session is not among the lessons found; it is closed");
        s.lesson.clear();
        s.lesson_step.clear();
        return false;
    }
    if (task_key(*l, *step(s)) != shown_ || s.lesson_step != step(s)->id) adopt(ctx);
    const LessonStep& st = *step(s);

    if (!pending_step_name_.empty() && pass_current && ctx.trace) {
        const auto& steps = ctx.trace->steps;
        const auto it =
            std::find_if(steps.begin(), steps.end(), [&](const TraceStep& t) { return t.name == pending_step_name_; });
        if (it != steps.end()) {
            s.step = static_cast<int>(it - steps.begin());
            selected_step_ = s.step;
        } else {
            ctx.error(l->file + ": step " + st.id + ": \"scene.step\": " + ctx.trace->module +
                      " has no Pipeline step \"" + pending_step_name_ + "\"");
        }
        pending_step_name_.clear();
    }
    // Tasks are checked from the first frame that shows the step's own pass: until then a
    // "changed" test has nothing to compare with, and the scene's own values must not count.
    if (!settled_since_shown_) {
        if (!pass_current || !pending_step_name_.empty()) return false;
        settled_since_shown_ = true;
        if (!pending_view_.empty()) {  // what the panels clamped while the pass before was shown
            json j = settings_to_json(s);
            j.update(pending_view_);
            std::vector<std::string> warnings;
            s = settings_from_json(j, &warnings);
            pending_view_ = json::object();
        }
    }
    // Only while the screen shows the current settings: the "noticed" text then quotes the shape
    // the learner sees, and settings that are never computed (3 heads of 512) are not noticed.
    if (!st.has_task || done(s, st) || !pass_current) return false;
    const json facts = lesson_facts(ctx, pass_current);
    bool all = true;
    for (const Condition& c : st.task.when) {
        json& base = baseline_[c.fact];
        if (c.op == Condition::Op::Changed && base.is_null()) base = fact_at(facts, c.fact);
        all = all && condition_holds(c, facts, base);
    }
    if (!all) return false;
    mark_done(ctx, *l, st);
    noticed_at_ = ctx.clock ? ctx.clock() : 0.0;
    return true;
}

void LessonTour::mark_done(AppContext& ctx, const Lesson& l, const LessonStep& st) {
    std::vector<std::string>& done_list = ctx.settings.lesson_done;
    const std::string key = task_key(l, st);
    const auto at = std::lower_bound(done_list.begin(), done_list.end(), key);
    if (at == done_list.end() || *at != key) done_list.insert(at, key);
}

bool LessonTour::done(const Settings& s, const LessonStep& st) const {
    const Lesson* l = lesson(s);
    return l && std::binary_search(s.lesson_done.begin(), s.lesson_done.end(), task_key(*l, st));
}

std::pair<int, int> LessonTour::tasks_done(const Settings& s) const {
    const Lesson* l = lesson(s);
    if (!l) return {0, 0};
    int done_count = 0, total = 0;
    for (const LessonStep& st : l->steps) {
        if (!st.has_task) continue;
        ++total;
        done_count += done(s, st) ? 1 : 0;
    }
    return {done_count, total};
}

std::string LessonTour::language(const Settings& s) const {
    const Lesson* l = lesson(s);
    if (!l || l->languages.empty()) return s.language;
    const auto has = [&](const std::string& code) {
        return std::find(l->languages.begin(), l->languages.end(), code) != l->languages.end();
    };
    if (has(s.language)) return s.language;
    return has("en") ? "en" : l->languages.front();
}

}  // namespace attn::gui
