// Following a lesson: which step is shown, setting up its scene, noticing its task, Back and Next.
// The progress (lesson, step, done tasks, language) lives in the settings, so it is saved with
// the session and restored at the next start; what the tour keeps itself is only what a
// restart may forget (the learner's own scene from before the lesson, the values a "changed"
// test compares with).
//
// Going to a step sets up its scene: the session's settings back to their defaults (the look of
// the maps, the theme, the scale and the lessons' own keys stay), then the lesson's scene, then
// the step's. A step restored from the session is shown as the learner left it, without its scene
// set up again. No ImGui here: the tour is unit-tested with an AppContext and no window.
#pragma once

#include "app_context.h"
#include "lessons/lesson_library.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn::gui {

class LessonTour {
public:
    explicit LessonTour(LessonLibrary library) : library_(std::move(library)) {}

    const LessonLibrary& library() const { return library_; }
    // The lesson files read again (a teacher editing one): the step shown is found again by id.
    void reload(LessonLibrary library) {
        library_ = std::move(library);
        shown_.clear();
    }

    // The lesson open in `s`, or null; its step's index (0 when the session's step is unknown).
    const Lesson* lesson(const Settings& s) const;
    int step_index(const Settings& s) const;
    const LessonStep* step(const Settings& s) const;

    // Opens a lesson at its first step (remembering the learner's own scene for close()).
    void open(AppContext& ctx, const std::string& lesson_id);
    // Shows step `index` of the open lesson, its scene set up.
    void go_to(AppContext& ctx, int index);
    void next(AppContext& ctx);  // after the last step: close()
    void back(AppContext& ctx);
    // Sets the step's scene up again (the learner got lost).
    void again(AppContext& ctx) { go_to(ctx, step_index(ctx.settings)); }
    // Leaves the lesson; the learner's own scene comes back when it was kept in this run.
    void close(AppContext& ctx);

    // Once a frame, before the panels. `pass_current`: the pass on screen is the one of the
    // current settings (PassScheduler::settled). Selects a Pipeline step named by the scene once
    // the pass has it, and checks the task. True when the task was noticed in this frame.
    bool update(AppContext& ctx, bool pass_current);

    bool done(const Settings& s, const LessonStep& step) const;
    // Done tasks of the open lesson / tasks it has.
    std::pair<int, int> tasks_done(const Settings& s) const;
    // When the task of the current step was noticed (AppContext::clock), or nullopt.
    std::optional<double> noticed_at() const { return noticed_at_; }
    // True once after the step changed (by the tour or a restored session): the window then
    // brings the highlighted widgets into view.
    bool take_entered();
    // The Pipeline step a scene selected by name, once (-1: none): the window scrolls it into view.
    int take_selected_step();

    // The language the texts are shown in: the session's when the lesson has it, else English,
    // else the lesson's first.
    std::string language(const Settings& s) const;

private:
    void adopt(AppContext& ctx);  // a step the tour did not set up (restored, or edited by hand)
    void apply_scene(AppContext& ctx, const Lesson& lesson, const LessonStep& step);
    void mark_done(AppContext& ctx, const Lesson& lesson, const LessonStep& step);

    LessonLibrary library_;
    std::string shown_;              // "lesson/step" the state below belongs to
    std::string pending_step_name_;  // a Pipeline step to select once the pass has it
    // The scene's batch, head, token and step: set again once the step's own pass is shown, as
    // the panels clamp them to the pass on screen meanwhile (batch 3 of a pass of 3 sentences).
    nlohmann::json pending_view_ = nlohmann::json::object();
    bool settled_since_shown_ = false;
    std::map<std::string, nlohmann::json> baseline_;  // fact path -> value when the step settled
    std::optional<nlohmann::json> own_scene_;         // the learner's settings before the lesson
    std::optional<double> noticed_at_;
    bool entered_ = false;
    int selected_step_ = -1;
};

// "lesson-id/step-id": how lesson_done names a task.
std::string task_key(const Lesson& lesson, const LessonStep& step);

}  // namespace attn::gui
