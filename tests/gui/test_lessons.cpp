// Lessons without a window: reading and checking lesson files (one message naming the file, the
// step and the field), the bundled tour, the facts a task looks at, going through a tour with its
// scenes, and the progress kept in the session. Also the classroom settings (presentation size,
// themes) in the session, and the list of widget names against the names app/gui records.
#include "lessons/lesson_facts.h"
#include "lessons/lesson_library.h"
#include "lessons/lesson_tour.h"
#include "lessons/widget_names.h"
#include "settings.h"

#include "errors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace attn::gui {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kAssets = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets";

fs::path temp_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("attnscope_lessons_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A small valid lesson; tests break one thing in it.
json good_lesson() {
    return json::parse(R"json({
      "format": 1, "id": "heads", "title": {"en": "Heads", "zh": "多头"},
      "scene": {"module": "multihead"},
      "steps": [
        {"id": "split", "title": "view", "text": {"en": "q_heads is {shape.q_heads}", "zh": "q_heads 是 {shape.q_heads}"},
         "scene": {"heads": 8, "step": "q_heads", "colormap": "magma"}, "highlight": ["model.heads", "panel.pipeline"],
         "code": ["q = q.view(batch_size, -1, self.num_heads, self.depth).transpose(1, 2)"],
         "task": {"do": {"en": "Change heads to 4"}, "when": [{"fact": "heads", "is": 4}],
                  "noticed": {"en": "now {shape.q_heads}"}}},
        {"id": "fill", "title": "fill", "text": "masked_fill", "scene": {"mask_fill": "-1e9", "emb_dim": 64},
         "task": {"do": "-inf", "when": {"fact": "mask_fill", "changed": true}}},
        {"id": "read", "title": "read", "text": "no task here", "scene": {"module": "self", "image_path": "coffee.png"}}
      ]})json");
}

// The message parse_lesson throws for `j` (as text), or "" when it reads.
std::string problem(const json& j) {
    try {
        parse_lesson(j.dump(), "mine.json", kAssets);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(LessonFile, AGoodLessonReads) {
    const Lesson l = parse_lesson(good_lesson().dump(), "mine.json", kAssets);
    EXPECT_EQ(l.id, "heads");
    ASSERT_EQ(l.steps.size(), 3u);
    EXPECT_EQ(l.languages, (std::vector<std::string>{"en", "zh"}));
    EXPECT_EQ(l.steps[0].title.in("zh"), "view");  // one string: every language
    EXPECT_EQ(l.steps[0].text.in("zh"), "q_heads 是 {shape.q_heads}");
    EXPECT_EQ(l.steps[0].text.in("fr"), "q_heads is {shape.q_heads}");  // English when missing
    EXPECT_TRUE(l.steps[0].has_task);
    EXPECT_EQ(l.steps[1].task.when[0].op, Condition::Op::Changed);
    EXPECT_FALSE(l.steps[2].has_task);
    // A bundled picture's name becomes its path.
    EXPECT_EQ(fs::path(l.steps[2].scene["image_path"].get<std::string>()), fs::path(kAssets) / "images" / "coffee.png");
}

TEST(LessonFile, EachMistakeIsOneMessageNamingFileStepAndField) {
    struct Case {
        std::string why;
        std::function<void(json&)> spoil;
        std::vector<std::string> said;  // parts of the message
    };
    const std::vector<Case> cases = {
        {"a step without text",
         [](json& j) { j["steps"][1].erase("text"); },
         {"mine.json: step 2 (fill): \"text\": missing"}},
        {"an unknown widget",
         [](json& j) { j["steps"][0]["highlight"] = {"model.headz"}; },
         {"mine.json: step 1 (split): \"highlight\": \"model.headz\" is not a widget of the window"}},
        {"a misspelt field",
         [](json& j) { j["steps"][2]["hightlight"] = "model.heads"; },
         {"step 3 (read): \"hightlight\": unknown field"}},
        {"a setting the session does not have",
         [](json& j) { j["steps"][0]["scene"]["headz"] = 4; },
         {"step 1 (split): \"scene.headz\": is not a setting of the session"}},
        {"a value the session refuses",
         [](json& j) { j["steps"][0]["scene"]["module"] = "transformer"; },
         {"step 1 (split): \"scene.module\": is not a value the session takes"}},
        {"heads that do not divide emb_dim",
         [](json& j) { j["steps"][0]["scene"]["heads"] = 3; },
         {"step 1 (split): \"scene.heads\": 3 heads do not divide emb_dim 512"}},
        {"an unknown fact",
         [](json& j) { j["steps"][0]["task"]["when"][0]["fact"] = "headcount"; },
         {"step 1 (split): \"task.when[0].fact\": \"headcount\" is not a fact of the window"}},
        {"a condition with two tests",
         [](json& j) { j["steps"][0]["task"]["when"][0]["is_not"] = 2; },
         {"\"task.when[0]\": needs exactly one test"}},
        {"a task without when", [](json& j) { j["steps"][0]["task"].erase("when"); }, {"\"task.when\": missing"}},
        {"a text quoting an unknown fact",
         [](json& j) { j["steps"][0]["text"]["en"] = "see {shapes.q}"; },
         {"step 1 (split): \"text\": {shapes.q} is not a fact"}},
        {"two steps with one id",
         [](json& j) { j["steps"][2]["id"] = "split"; },
         {"step 3 (split): \"id\": another step has this id"}},
        {"an id with a slash", [](json& j) { j["id"] = "a/b"; }, {"mine.json: \"id\": letters, digits"}},
        {"another format", [](json& j) { j["format"] = 2; }, {"\"format\": 2 is not a format this app reads"}},
        {"no steps", [](json& j) { j["steps"] = json::array(); }, {"\"steps\": must be a list of at least one step"}},
        {"a text in no language", [](json& j) { j["title"] = json::object(); }, {"\"title\": must be a text"}},
        {"a language code that is not one",
         [](json& j) {
             j["title"] = {{"English", "x"}};
         },
         {"\"title.English\": is not a language code"}},
        {"a picture that is not bundled",
         [](json& j) { j["steps"][2]["scene"]["image_path"] = "dog.png"; },
         {"\"scene.image_path\": \"dog.png\" is not a bundled picture"}},
        {"not an object",
         [](json& j) {
             j = json::array({1, 2});
         },
         {"mine.json: not a lesson"}},
    };
    for (const Case& c : cases) {
        json j = good_lesson();
        c.spoil(j);
        const std::string said = problem(j);
        for (const std::string& part : c.said)
            EXPECT_NE(said.find(part), std::string::npos) << c.why << ": " << said;
    }
}

TEST(LessonFile, NotJsonSaysWhere) {
    try {
        parse_lesson("{\n  \"format\": 1,\n  \"id\": oops\n}", "bad.json", kAssets);
        FAIL() << "read a file that is not JSON";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.json: not JSON (line 3, column"), std::string::npos) << e.what();
    }
}

TEST(LessonFile, StepsForALaterBuildAreLeftOut) {
    json j = good_lesson();
    j["steps"][2]["needs"] = {"no_such_setting"};
    j["steps"][2]["scene"] = {{"no_such_setting", "x"}};  // not checked: this build cannot know it
    j["steps"][2]["highlight"] = {"model.not_yet"};
    const Lesson l = parse_lesson(j.dump(), "mine.json", kAssets);
    EXPECT_EQ(l.steps.size(), 2u);
    EXPECT_EQ(l.unavailable_steps, 1);
}

TEST(LessonLibrary, BadFilesAreLeftOutWithOneMessageEach) {
    const fs::path bundled = temp_dir("bundled"), user = temp_dir("user");
    write_text(bundled / "a_good.json", good_lesson().dump());
    write_text(bundled / "b_not_json.json", "this is not { json");
    json no_text = good_lesson();
    no_text["id"] = "other";
    no_text["steps"][0].erase("text");
    write_text(bundled / "c_no_text.json", no_text.dump());
    json bad_widget = good_lesson();
    bad_widget["id"] = "third";
    bad_widget["steps"][1]["highlight"] = "attention.nowhere";
    write_text(bundled / "d_bad_widget.json", bad_widget.dump());
    write_text(bundled / "notes.md", "not a lesson, not read");
    json replacement = good_lesson();
    replacement["title"] = "Heads, the teacher's version";
    write_text(user / "heads.json", replacement.dump());

    const LessonLibrary lib = load_lessons({bundled.string(), user.string(), (user / "missing").string()}, kAssets);
    ASSERT_EQ(lib.errors.size(), 3u);
    EXPECT_NE(lib.errors[0].find("b_not_json.json: not JSON"), std::string::npos) << lib.errors[0];
    EXPECT_NE(lib.errors[1].find("c_no_text.json: step 1 (split): \"text\": missing"), std::string::npos)
        << lib.errors[1];
    EXPECT_NE(lib.errors[2].find("d_bad_widget.json: step 2 (fill): \"highlight\": \"attention.nowhere\""),
              std::string::npos)
        << lib.errors[2];
    ASSERT_EQ(lib.lessons.size(), 1u);
    EXPECT_EQ(lib.lessons[0].title.in("en"), "Heads, the teacher's version");  // the user's replaces the bundled
    EXPECT_EQ(lib.notes.size(), 1u);
    fs::remove_all(bundled);
    fs::remove_all(user);
}

TEST(LessonLibrary, TheBundledLessonsReadWithoutAProblem) {
    const LessonLibrary lib = load_lessons({kAssets + "/lessons"}, kAssets);
    for (const std::string& e : lib.errors)
        ADD_FAILURE() << e;
    const Lesson* tour = lib.find("seed-tour");
    ASSERT_NE(tour, nullptr);
    EXPECT_EQ(tour->languages, (std::vector<std::string>{"en", "zh"}));
    // The article's sections in order, every step in both languages, and a task for each.
    std::string sections;
    for (const LessonStep& step : tour->steps) {
        if (sections.empty() || sections.substr(sections.rfind(' ') + 1) != step.section)
            sections += " " + step.section;
        for (const LocalText* t : {&step.title, &step.text, &step.task.what, &step.task.noticed})
            EXPECT_EQ(t->by_language.size(), 2u) << step.id;
        EXPECT_TRUE(step.has_task) << step.id;
    }
    EXPECT_EQ(sections.rfind(" 二 三 四 五 六 000", 0), 0u) << sections;
    // The real-model step waits for a session with a model.
    const std::vector<std::string> keys = scene_keys();
    const bool has_model = std::find(keys.begin(), keys.end(), "model") != keys.end();
    EXPECT_EQ(tour->unavailable_steps, has_model ? 0 : 1);
}

TEST(LessonFacts, PathsConditionsAndTexts) {
    const json facts = json::parse(R"({"heads": 4, "mask_fill": "-inf", "sentences": ["a", ""],
                                        "shape": {"q_heads": [3, 4, 5, 128]}, "step_name": "q_heads"})");
    EXPECT_EQ(fact_at(facts, "shape.q_heads.1"), 4);
    EXPECT_EQ(fact_at(facts, "sentences.1"), "");
    EXPECT_TRUE(fact_at(facts, "sentences.2").is_null());
    EXPECT_TRUE(fact_at(facts, "shape.k_heads").is_null());
    const auto holds = [&](const std::string& text, const json& baseline = nullptr) {
        const json c = json::parse(text);
        Condition cond;
        cond.fact = c["fact"];
        for (const auto& [name, op] :
             std::vector<std::pair<std::string, Condition::Op>>{{"is", Condition::Op::Is},
                                                                {"is_not", Condition::Op::IsNot},
                                                                {"at_least", Condition::Op::AtLeast},
                                                                {"at_most", Condition::Op::AtMost},
                                                                {"has", Condition::Op::Has},
                                                                {"changed", Condition::Op::Changed}})
            if (c.contains(name)) cond.op = op, cond.value = c[name];
        return condition_holds(cond, facts, baseline);
    };
    EXPECT_TRUE(holds(R"({"fact": "heads", "is": 4})"));
    EXPECT_TRUE(holds(R"({"fact": "heads", "is": 4.0})"));
    EXPECT_FALSE(holds(R"({"fact": "heads", "is": "4"})"));
    EXPECT_TRUE(holds(R"({"fact": "shape.q_heads", "is": [3, 4, 5, 128]})"));
    EXPECT_TRUE(holds(R"({"fact": "heads", "at_least": 2})"));
    EXPECT_FALSE(holds(R"({"fact": "heads", "at_most": 3})"));
    EXPECT_TRUE(holds(R"({"fact": "sentences", "has": "a"})"));
    EXPECT_TRUE(holds(R"({"fact": "mask_fill", "has": "inf"})"));
    EXPECT_FALSE(holds(R"({"fact": "sentences.1", "is_not": ""})"));
    EXPECT_FALSE(holds(R"({"fact": "sentences.2", "is_not": ""})"));  // not there: false
    EXPECT_TRUE(holds(R"({"fact": "heads", "changed": true})", 8));
    EXPECT_FALSE(holds(R"({"fact": "heads", "changed": true})", 4));
    EXPECT_FALSE(holds(R"({"fact": "heads", "changed": true})"));  // nothing to compare with yet
    EXPECT_EQ(with_facts("q is {shape.q_heads}, fill {mask_fill}, {{braces}, {shape.v}", facts),
              "q is [3, 4, 5, 128], fill -inf, {braces}, \u2026");
    EXPECT_EQ(fact_placeholders("a {heads} b {{c} {shape.q.1}"), (std::vector<std::string>{"heads", "shape.q.1"}));
    EXPECT_TRUE(is_fact_path("shape.q_heads.1"));
    EXPECT_FALSE(is_fact_path("shape"));
    EXPECT_FALSE(is_fact_path("heads."));
}

// A trace with steps of these names, shapes [1] .. : what the tour looks for.
std::shared_ptr<Trace> trace_of(const std::vector<std::string>& names) {
    auto t = std::make_shared<Trace>();
    t->module = "MultiHeadAttention";
    for (size_t i = 0; i < names.size(); ++i) {
        TraceStep s;
        s.name = names[i];
        s.shape.names = {"b", "heads"};
        s.shape.sizes = {3, static_cast<int64_t>(i)};
        t->steps.push_back(s);
    }
    return t;
}

LessonLibrary library_of(const json& lesson) {
    LessonLibrary lib;
    lib.lessons.push_back(parse_lesson(lesson.dump(), "mine.json", kAssets));
    return lib;
}

TEST(LessonTour, StepsSetUpTheirSceneAndNoticeTheTask) {
    AppContext ctx;
    double now = 1.0;
    ctx.clock = [&] { return now; };
    ctx.settings.sentences = {"my own sentence"};
    ctx.settings.colormap = Colormap::Turbo;
    ctx.settings.ui_scale = 2.0f;
    LessonTour tour(library_of(good_lesson()));

    tour.open(ctx, "heads");
    EXPECT_EQ(ctx.settings.lesson, "heads");
    EXPECT_EQ(ctx.settings.lesson_step, "split");
    EXPECT_EQ(ctx.settings.module, ModuleKind::MultiHead);  // the lesson's scene
    EXPECT_EQ(ctx.settings.heads, 8);                       // the step's
    EXPECT_EQ(ctx.settings.sentences, seed_sentences());    // everything else back to the defaults
    EXPECT_EQ(ctx.settings.colormap, Colormap::Magma);      // the scene sets it
    EXPECT_FLOAT_EQ(ctx.settings.ui_scale, 2.0f);           // the classroom's settings stay
    EXPECT_TRUE(tour.take_entered());
    EXPECT_FALSE(tour.take_entered());

    // The task waits for the step's pass; the Pipeline step is selected by name once it is there.
    ctx.settings.heads = 4;
    EXPECT_FALSE(tour.update(ctx, /*pass_current=*/false));
    ctx.trace = trace_of({"x", "q", "k", "v", "q_heads"});
    EXPECT_TRUE(tour.update(ctx, true));
    EXPECT_EQ(ctx.settings.step, 4);
    EXPECT_EQ(ctx.settings.lesson_done, (std::vector<std::string>{"heads/split"}));
    EXPECT_EQ(tour.noticed_at(), 1.0);
    ctx.settings.heads = 8;  // done stays done
    EXPECT_FALSE(tour.update(ctx, true));
    EXPECT_TRUE(tour.done(ctx.settings, *tour.step(ctx.settings)));

    // "changed": compared with the value once the step's pass is shown, not with the scene's own.
    tour.next(ctx);
    EXPECT_EQ(ctx.settings.mask_fill, MaskFill::NegBillion);
    EXPECT_EQ(ctx.settings.heads, 8);
    EXPECT_EQ(ctx.settings.colormap, Colormap::Magma);  // kept from the step before: the look stays
    EXPECT_FALSE(tour.update(ctx, true));
    ctx.settings.mask_fill = MaskFill::NegInf;
    EXPECT_TRUE(tour.update(ctx, true));
    EXPECT_EQ(tour.tasks_done(ctx.settings), (std::pair<int, int>{2, 2}));

    tour.next(ctx);
    EXPECT_EQ(ctx.settings.module, ModuleKind::Self);
    tour.back(ctx);
    EXPECT_EQ(ctx.settings.lesson_step, "fill");
    tour.go_to(ctx, 2);
    tour.next(ctx);  // after the last step: closed, the learner's own scene back
    EXPECT_EQ(ctx.settings.lesson, "");
    EXPECT_EQ(ctx.settings.sentences, (std::vector<std::string>{"my own sentence"}));
    EXPECT_EQ(ctx.settings.colormap, Colormap::Turbo);
    EXPECT_EQ(ctx.settings.lesson_done.size(), 2u);  // progress kept
}

TEST(LessonTour, ProgressIsRestoredFromTheSessionWithoutSettingTheSceneAgain) {
    const fs::path dir = temp_dir("restore");
    const std::string path = (dir / "session.json").string();
    {
        AppContext ctx;
        LessonTour tour(library_of(good_lesson()));
        tour.open(ctx, "heads");
        ctx.trace = trace_of({"x", "q_heads"});
        tour.update(ctx, true);
        ctx.settings.heads = 4;
        EXPECT_TRUE(tour.update(ctx, true));
        tour.next(ctx);
        ctx.settings.emb_dim = 128;  // the learner's own edit in step 2
        ctx.settings.language = "zh";
        save_session(path, ctx.settings);
    }
    // The next start.
    std::vector<std::string> warnings;
    AppContext ctx;
    ctx.settings = load_session(path, &warnings);
    EXPECT_TRUE(warnings.empty());
    LessonTour tour(library_of(good_lesson()));
    EXPECT_EQ(tour.step_index(ctx.settings), 1);
    EXPECT_FALSE(tour.update(ctx, true));
    EXPECT_TRUE(tour.take_entered());
    EXPECT_EQ(ctx.settings.emb_dim, 128);  // as the learner left it
    EXPECT_EQ(tour.language(ctx.settings), "zh");
    EXPECT_TRUE(tour.done(ctx.settings, tour.lesson(ctx.settings)->steps[0]));
    EXPECT_FALSE(tour.done(ctx.settings, tour.lesson(ctx.settings)->steps[1]));
    // A lesson that is gone is closed with a message; a step that is gone becomes the first.
    ctx.settings.lesson_step = "removed";
    tour.update(ctx, true);
    EXPECT_EQ(ctx.settings.lesson_step, "split");
    ctx.settings.lesson = "gone";
    tour.update(ctx, true);
    EXPECT_EQ(ctx.settings.lesson, "");
    ASSERT_EQ(ctx.messages.size(), 1u);
    EXPECT_NE(ctx.messages[0].text.find("\"gone\""), std::string::npos);
    fs::remove_all(dir);
}

// The panels clamp batch, head and token to the pass on screen, which is the pass before while the
// step's own is computed: the scene's values come back once its pass is shown.
TEST(LessonTour, TheScenesBatchHeadAndTokenSurviveThePassBefore) {
    json j = good_lesson();
    j["steps"][0]["scene"]["batch"] = 3;
    j["steps"][0]["scene"]["head"] = -1;
    AppContext ctx;
    LessonTour tour(library_of(j));
    tour.open(ctx, "heads");
    EXPECT_EQ(ctx.settings.batch, 3);
    ctx.settings.batch = 2;  // what a panel drawing a pass of 3 sentences does
    ctx.settings.head = 0;
    tour.update(ctx, false);
    EXPECT_EQ(ctx.settings.batch, 2);
    ctx.trace = trace_of({"q_heads"});
    tour.update(ctx, true);
    EXPECT_EQ(ctx.settings.batch, 3);
    EXPECT_EQ(ctx.settings.head, -1);
    EXPECT_EQ(ctx.settings.step, 0);
    ctx.settings.batch = 1;  // the learner's own choice afterwards stays
    tour.update(ctx, true);
    EXPECT_EQ(ctx.settings.batch, 1);
}

TEST(LessonTour, AStepNamingAPipelineStepTheModuleLacksSaysSo) {
    json j = good_lesson();
    j["steps"][0]["scene"]["step"] = "merge_heads";
    AppContext ctx;
    LessonTour tour(library_of(j));
    tour.open(ctx, "heads");
    ctx.trace = trace_of({"x", "q"});
    tour.update(ctx, true);
    ASSERT_EQ(ctx.messages.size(), 1u);
    EXPECT_NE(ctx.messages[0].text.find("no Pipeline step \"merge_heads\""), std::string::npos) << ctx.messages[0].text;
}

TEST(ClassroomSettings, OffByDefaultAndTheSessionKeepsThem) {
    // Defaults add no key: a session that never used them is the file it always was.
    // 20 of the seed, 5 of the teaching views (issue 12), 9 of real models (issue 11), 3 of the
    // seed's A | B.
    EXPECT_EQ(settings_to_json(Settings{}).size(), 37u);
    Settings s;
    s.ui_scale = 1.75f;
    s.theme = WindowTheme::Light;
    s.export_theme = WindowTheme::Light;
    s.language = "zh";
    s.lesson = "seed-tour";
    s.lesson_step = "split_heads";
    s.lesson_done = {"seed-tour/idea", "seed-tour/self"};
    const json j = settings_to_json(s);
    EXPECT_EQ(j["ui_scale"], 1.75);
    EXPECT_EQ(j["theme"], "light");
    std::vector<std::string> warnings;
    const Settings back = settings_from_json(j, &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_TRUE(back == s);
    EXPECT_TRUE(back.compute() == Settings{}.compute() && back.view() == Settings{}.view());
    EXPECT_FALSE(back == Settings{});  // but the settings differ, so the session is saved
}

TEST(ClassroomSettings, BadValuesKeepTheDefaultWithAWarning) {
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(
        json::parse(R"({"ui_scale": 9, "theme": "sepia", "language": 3, "lesson_done": ["a", 4], "heads": 4})"),
        &warnings);
    EXPECT_EQ(warnings.size(), 4u);
    EXPECT_FLOAT_EQ(s.ui_scale, 1.0f);
    EXPECT_EQ(s.theme, WindowTheme::Dark);
    EXPECT_EQ(s.language, "en");
    EXPECT_TRUE(s.lesson_done.empty());
    EXPECT_EQ(s.heads, 4);
}

TEST(ClassroomSettings, UiScaleStepsBetween100And250Percent) {
    EXPECT_FLOAT_EQ(step_ui_scale(1.0f, 1), 1.25f);
    EXPECT_FLOAT_EQ(step_ui_scale(1.0f, 2), 1.5f);
    EXPECT_FLOAT_EQ(step_ui_scale(1.0f, -1), 1.0f);
    EXPECT_FLOAT_EQ(step_ui_scale(2.5f, 1), 2.5f);
    EXPECT_FLOAT_EQ(step_ui_scale(1.3f, 1), 1.5f);  // snapped to the steps
}

// Every name app/gui records (note_item / note_rect with a literal) is one a lesson may name:
// a literal that ends the name must be a widget; one that is followed by more ("input.sentence."
// + i) must begin a listed name or be covered by a pattern's '#' or '*'.
TEST(WidgetNames, EveryRecordedNameIsListed) {
    const std::regex call(R"re(note_(?:item|rect)\(\s*(std::string\()?"([^"]*)"\s*(\))?)re");
    int literals = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(ATTNSCOPE_SOURCE_DIR) / "app" / "gui")) {
        if (entry.path().extension() != ".cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string source = text.str();
        for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
            const std::string name = (*it)[2];
            const bool whole = (*it)[3].matched && !(*it)[1].matched;
            ++literals;
            if (whole) {
                EXPECT_TRUE(is_widget_name(name)) << name << " in " << entry.path();
                continue;
            }
            // Some listed name begins with it ("pad_mask." + a grid's id: pad_mask.expanded...), or a
            // pattern's wildcard stands for what follows ("attention.thumb." + ... : attention.thumb.*).
            bool prefix = false;
            for (const std::string& p : widget_name_patterns()) {
                const size_t wild = p.find_first_of("#*");
                prefix = prefix || p.rfind(name, 0) == 0 ||
                         (wild != std::string::npos && wild <= name.size() && name.rfind(p.substr(0, wild), 0) == 0);
            }
            EXPECT_TRUE(prefix) << name << "... in " << entry.path();
        }
    }
    EXPECT_GT(literals, 40);
    EXPECT_TRUE(is_widget_name("input.sentence.12"));
    EXPECT_FALSE(is_widget_name("input.sentence.x"));
    EXPECT_TRUE(is_widget_name("attention.thumb.hmean.t2"));
    EXPECT_TRUE(is_widget_name("model.module.cross-multihead"));
    EXPECT_FALSE(is_widget_name("model.headz"));
    EXPECT_EQ(panel_item_name("Pad mask"), "panel.pad_mask");
    EXPECT_EQ(panel_item_name("##status"), "panel.status");
    EXPECT_TRUE(is_widget_name(panel_item_name("Pipeline")));
}

}  // namespace
}  // namespace attn::gui
