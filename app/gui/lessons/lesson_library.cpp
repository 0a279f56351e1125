#include "lessons/lesson_library.h"

#include "errors.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace attn::gui {

namespace fs = std::filesystem;

const Lesson* LessonLibrary::find(const std::string& id) const {
    for (const Lesson& l : lessons)
        if (l.id == id) return &l;
    return nullptr;
}

std::string user_lesson_dir() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "attnscope" / "lessons").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".local" / "share" / "attnscope" / "lessons").string();
    return {};
}

std::vector<std::string> lesson_dirs(const std::string& asset_dir) {
    std::vector<std::string> dirs;
    if (!asset_dir.empty()) dirs.push_back((fs::path(asset_dir) / "lessons").string());
    const std::string user = user_lesson_dir();
    if (!user.empty()) dirs.push_back(user);
    return dirs;
}

LessonLibrary load_lessons(const std::vector<std::string>& dirs, const std::string& asset_dir) {
    LessonLibrary library;
    for (size_t d = 0; d < dirs.size(); ++d) {
        std::error_code ec;
        if (!fs::is_directory(dirs[d], ec)) continue;
        std::vector<fs::path> files;
        for (fs::directory_iterator it(dirs[d], ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".json") files.push_back(it->path());
        if (ec) library.errors.push_back(dirs[d] + ": could not be listed (" + ec.message() + ")");
        std::sort(files.begin(), files.end());
        std::vector<std::string> ids_here;
        for (const fs::path& file : files) {
            try {
                Lesson lesson = read_lesson_file(file.string(), asset_dir);
                if (std::find(ids_here.begin(), ids_here.end(), lesson.id) != ids_here.end())
                    throw ConfigError(file.string() + ": \"id\": another lesson in this folder is \"" + lesson.id +
                                      "\"");
                ids_here.push_back(lesson.id);
                auto same = std::find_if(library.lessons.begin(), library.lessons.end(),
                                         [&](const Lesson& l) { return l.id == lesson.id; });
                if (same != library.lessons.end()) {
                    library.notes.push_back("Lesson \"" + lesson.id + "\" from " + file.string() + " replaces " +
                                            same->file);
                    *same = std::move(lesson);
                } else {
                    library.lessons.push_back(std::move(lesson));
                }
            } catch (const Error& e) {
                library.errors.push_back(std::string("Lesson left out: ") + e.what());
            } catch (const std::exception& e) {
                library.errors.push_back("Lesson left out: " + file.string() + ": " + e.what());
            }
        }
    }
    std::stable_sort(library.lessons.begin(), library.lessons.end(), [](const Lesson& a, const Lesson& b) {
        return a.order != b.order ? a.order < b.order : a.id < b.id;
    });
    return library;
}

}  // namespace attn::gui
