// The Lesson panel: the card of the lesson step being followed (lessons/lesson_tour.h), shown
// while a lesson is open, at the top of the centre column. It says where the step is in the seed
// article (its section), explains in a few sentences, quotes the seed's line of code with its
// shape comment, and asks the learner to do one thing, which turns green with what it showed
// once the window notices it. Back and Next (also PageUp / PageDown, what a presenter's clicker
// sends), Set up again, the language switch and Close.
//
// Texts may name a fact of the window in braces ("q is now {shape.q_heads}"): it is written with
// its current value, so the explanation quotes the real shape on screen.
#pragma once

#include "lessons/lesson_tour.h"
#include "panels/panel.h"
#include "pass_scheduler.h"

namespace attn::gui {

class LessonPanel : public Panel {
public:
    LessonPanel(LessonTour& tour, const PassScheduler& scheduler)
        : Panel("Lesson"), tour_(tour), scheduler_(scheduler) {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_header(AppContext& ctx, const Lesson& lesson, int index);
    void draw_task(AppContext& ctx, const LessonStep& step, const std::string& language);
    void draw_buttons(AppContext& ctx, const Lesson& lesson, int index);

    LessonTour& tour_;
    const PassScheduler& scheduler_;
    nlohmann::json facts_;  // of this frame, for the texts' {fact} parts
};

// The display name of a language code: "English", "中文"; the code itself otherwise.
std::string language_name(const std::string& code);

}  // namespace attn::gui
