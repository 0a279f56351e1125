// Every lesson the app can offer: the bundled ones (<assets>/lessons/*.json) and the user's own
// ($XDG_DATA_HOME/attnscope/lessons/*.json, else ~/.local/share/attnscope/lessons/). A file that
// is not a lesson is left out with one message naming the file, the step and the field; the
// others load. A user's lesson with the id of a bundled one takes its place (a teacher's edited
// copy of the tour).
#pragma once

#include "lessons/lesson.h"

#include <string>
#include <vector>

namespace attn::gui {

struct LessonLibrary {
    std::vector<Lesson> lessons;      // by order, then id
    std::vector<std::string> errors;  // one per file left out
    std::vector<std::string> notes;   // user lessons that replace bundled ones

    const Lesson* find(const std::string& id) const;
};

// <asset_dir>/lessons, then the user's folder.
std::vector<std::string> lesson_dirs(const std::string& asset_dir);
std::string user_lesson_dir();

// Reads every *.json of `dirs` (missing folders are skipped quietly), in name order.
LessonLibrary load_lessons(const std::vector<std::string>& dirs, const std::string& asset_dir);

}  // namespace attn::gui
