// The session the window saves and restores: a faithful JSON round trip, and loading that never
// fails on a file someone else wrote (wrong types, huge numbers, not an object, not JSON at all).
#include "settings.h"

#include "errors.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace attn::gui {
namespace {

using nlohmann::json;

std::filesystem::path temp_dir(const std::string& name) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("attnscope_gui_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

Settings unusual() {
    Settings s;
    s.sentences = {"汤姆追逐杰瑞", "a b c", ""};
    s.max_len = 7;
    s.image_path = "/tmp/some picture.png";
    s.grid_h = 12;
    s.grid_w = 7;
    s.full_resolution = true;
    s.module = ModuleKind::TorchMHA;
    s.emb_dim = 96;
    s.heads = 6;
    s.seed = 18446744073709551615ull;  // the largest seed survives JSON
    s.scale.kind = ScaleChoice::Kind::Number;
    s.scale.value = 0.3;
    s.mask_fill = MaskFill::NegInf;
    s.weights_path = "w.safetensors";
    s.colormap = Colormap::Turbo;
    s.shared_normalisation = true;
    s.opacity = 0.25f;
    s.batch = 2;
    s.head = -1;
    s.token = 3;
    s.step = 9;
    s.model = "/home/someone/models/all-MiniLM-L6-v2";
    s.layer = 5;
    s.norms = true;
    s.rollout = true;
    s.fusion = kMaxHead;
    s.explore_tab = 2;
    s.stats_sort = "entropy";
    s.stats_descending = false;
    s.stats_filter = "previous_share > 0.5";
    s.diagram_open = true;
    s.anim_progress = 0.4f;
    s.inspect_cell = {1, 2, 3, 0};
    s.temperature = 2.5f;
    s.mask_lab_open = true;
    s.compare_open = true;
    s.compare_b_mask_fill = "-inf";
    s.compare_b_scale = "0.25";
    return s;
}

TEST(Settings, JsonRoundTripKeepsEveryField) {
    const Settings s = unusual();
    std::vector<std::string> warnings;
    const Settings back = settings_from_json(json::parse(settings_to_json(s).dump()), &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(settings_to_json(back), settings_to_json(s));
    EXPECT_EQ(back.sentences, s.sentences);
    EXPECT_EQ(back.seed, s.seed);
    EXPECT_EQ(back.scale.kind, ScaleChoice::Kind::Number);
    EXPECT_DOUBLE_EQ(back.scale.value, 0.3);
    EXPECT_EQ(back.head, -1);
    EXPECT_EQ(back.model, s.model);
    EXPECT_EQ(back.layer, 5);
    EXPECT_EQ(back.fusion, kMaxHead);
    EXPECT_EQ(back.stats_filter, s.stats_filter);
    EXPECT_EQ(back.inspect_cell, (std::vector<int>{1, 2, 3, 0}));
    EXPECT_FLOAT_EQ(back.anim_progress, 0.4f);
    EXPECT_TRUE(back == s);
}

TEST(Settings, TeachingViewsOutOfRangeKeepTheirDefaults) {
    json j = settings_to_json(Settings{});
    j["inspect_cell"] = {1, 2, 3};  // not four
    j["anim_progress"] = 1.5;       // past the end
    j["temperature"] = 0.0;         // would divide by zero
    j["diagram_open"] = "yes";      // not a bool
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(j, &warnings);
    EXPECT_EQ(warnings.size(), 4u);
    EXPECT_TRUE(s.inspect_cell.empty());
    EXPECT_FLOAT_EQ(s.anim_progress, 1.0f);
    EXPECT_FLOAT_EQ(s.temperature, 1.0f);
    EXPECT_FALSE(s.diagram_open);
}

// A session saved before real models came has none of their fields: it loads without a warning
// and opens the seed's module, as it did.
TEST(Settings, SessionsFromBeforeRealModelsLoadAsTheSeed) {
    const json old = json::parse(R"({"sentences": ["tom chases jerry"], "module": "multihead", "heads": 4,
                                     "emb_dim": 64, "head": 2, "step": 3})");
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(old, &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(s.model, "");
    EXPECT_EQ(s.module, ModuleKind::MultiHead);
    EXPECT_EQ(s.layer, 0);
    EXPECT_FALSE(s.norms);
    EXPECT_EQ(s.fusion, kMeanHead);
    const json bad = {{"layer", -1}, {"fusion", 0}, {"model", 7}};
    const Settings t = settings_from_json(bad, &warnings);
    EXPECT_EQ(t.layer, 0);
    EXPECT_EQ(t.fusion, kMeanHead);
    EXPECT_EQ(t.model, "");
    EXPECT_EQ(warnings.size(), 3u);
}

TEST(Settings, DefaultsAreTheSeedScene) {
    const Settings s;
    EXPECT_EQ(s.module, ModuleKind::CrossMultiHead);
    EXPECT_EQ(s.heads, 8);
    EXPECT_EQ(s.emb_dim, 512);
    EXPECT_EQ(s.sentences, seed_sentences());
    EXPECT_TRUE(s.image_path.empty());  // the bundled picture
    EXPECT_EQ(s.max_len, 0);            // auto: the seed's batch still pads to 5 (effective_max_len)
    EXPECT_EQ(effective_max_len(s.sentences, s.max_len), 5);
}

// A session file written before the settings were split in two (this is the file that version
// saved for its defaults, key for key) still loads, every field where it was.
TEST(Settings, SessionFilesOfEarlierVersionsLoad) {
    const auto dir = temp_dir("old");
    const std::string path = (dir / "session.json").string();
    write_text(path, R"({
  "batch": 1, "colormap": "magma", "emb_dim": 256, "full_resolution": false, "grid_h": 20, "grid_w": 30,
  "head": -1, "heads": 4, "image_path": "", "mask_fill": "-inf", "max_len": 5, "module": "multihead",
  "opacity": 0.25, "scale": "depth", "seed": 3, "sentences": ["Tom chases Jerry!", "a dog runs"],
  "shared_normalisation": true, "step": 7, "token": 2, "weights_path": ""
})");
    std::vector<std::string> warnings;
    const Settings s = load_session(path, &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(s.module, ModuleKind::MultiHead);
    EXPECT_EQ(s.emb_dim, 256);
    EXPECT_EQ(s.heads, 4);
    EXPECT_EQ(s.seed, 3u);
    EXPECT_EQ(s.scale.kind, ScaleChoice::Kind::Depth);
    EXPECT_EQ(s.mask_fill, MaskFill::NegInf);
    EXPECT_EQ(s.max_len, 5);  // an explicit max_len (the old default) stays explicit
    EXPECT_EQ(s.grid_h, 20);
    EXPECT_EQ(s.grid_w, 30);
    EXPECT_EQ(s.sentences, (std::vector<std::string>{"Tom chases Jerry!", "a dog runs"}));
    EXPECT_EQ(s.colormap, Colormap::Magma);
    EXPECT_TRUE(s.shared_normalisation);
    EXPECT_FLOAT_EQ(s.opacity, 0.25f);
    EXPECT_EQ(s.batch, 1);
    EXPECT_EQ(s.head, -1);
    EXPECT_EQ(s.token, 2);
    EXPECT_EQ(s.step, 7);
    // And the file saved now keeps every key of before (older versions read it too, and skip the
    // nine of real models that they do not know).
    save_session(path, s);
    const json saved = json::parse(std::ifstream(path));
    // 20, 5 of the teaching views (issue 12), 9 of real models (issue 11), 3 of the seed's A | B
    EXPECT_EQ(saved.size(), 37u);
    for (const char* key : {"sentences",       "max_len",   "image_path",   "grid_h",   "grid_w",
                            "full_resolution", "module",    "emb_dim",      "heads",    "seed",
                            "scale",           "mask_fill", "weights_path", "colormap", "shared_normalisation",
                            "opacity",         "batch",     "head",         "token",    "step"})
        EXPECT_TRUE(saved.contains(key)) << key;
    EXPECT_EQ(saved["max_len"], 5);
    std::filesystem::remove_all(dir);
}

TEST(Settings, SaveAndLoadSessionFile) {
    const auto dir = temp_dir("save");
    const std::string path = (dir / "nested" / "session.json").string();  // the folder is created
    save_session(path, unusual());
    std::vector<std::string> warnings;
    const Settings back = load_session(path, &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(settings_to_json(back), settings_to_json(unusual()));
    std::filesystem::remove_all(dir);
}

TEST(Settings, MissingSessionFileGivesDefaultsQuietly) {
    std::vector<std::string> warnings;
    const Settings s = load_session("/nonexistent/attnscope/session.json", &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(settings_to_json(s), settings_to_json(Settings{}));
}

TEST(Settings, WrongTypesKeepTheDefaultWithAWarning) {
    const json j = {{"heads", "eight"},
                    {"emb_dim", json::array({512})},
                    {"sentences", {1, 2, 3}},
                    {"image_path", 42},
                    {"full_resolution", "yes"},
                    {"module", 7},
                    {"colormap", nullptr},
                    {"opacity", "0.5"},
                    {"seed", -1},
                    {"scale", {{"a", 1}}}};
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(j, &warnings);
    EXPECT_EQ(s.heads, 8);
    EXPECT_EQ(s.emb_dim, 512);
    EXPECT_EQ(s.sentences, seed_sentences());
    EXPECT_EQ(s.image_path, "");
    EXPECT_FALSE(s.full_resolution);
    EXPECT_EQ(s.module, ModuleKind::CrossMultiHead);
    EXPECT_EQ(s.colormap, Colormap::Viridis);
    EXPECT_FLOAT_EQ(s.opacity, 0.6f);
    EXPECT_EQ(s.scale.kind, ScaleChoice::Kind::Module);
    // Each bad field is named once (seed -1 may be refused or not, but never crashes).
    EXPECT_GE(warnings.size(), 9u);
    for (const std::string& w : warnings)
        EXPECT_NE(w.find("session"), std::string::npos) << w;
}

TEST(Settings, HugeAndOutOfRangeNumbersAreRefused) {
    const json j = json::parse(R"({"emb_dim": 1e300, "heads": 99999999999999, "grid_h": -5, "grid_w": 0,
                                   "max_len": 2147483648, "opacity": 7.5, "batch": -3, "head": -4,
                                   "token": -1, "step": 1e20})");
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(j, &warnings);
    const Settings d;
    EXPECT_EQ(s.emb_dim, d.emb_dim);
    EXPECT_EQ(s.heads, d.heads);
    EXPECT_EQ(s.grid_h, d.grid_h);
    EXPECT_EQ(s.grid_w, d.grid_w);
    EXPECT_EQ(s.max_len, d.max_len);
    EXPECT_FLOAT_EQ(s.opacity, d.opacity);
    EXPECT_EQ(s.batch, 0);
    EXPECT_EQ(s.head, 0);
    EXPECT_EQ(s.token, 0);
    EXPECT_EQ(s.step, 0);
    EXPECT_EQ(warnings.size(), 10u);
}

TEST(Settings, UnknownNamesAndExtraFieldsAreHarmless) {
    const json j = {{"module", "rm -rf /"}, {"mask_fill", "-42"},      {"scale", "fast"}, {"colormap", "rainbow"},
                    {"export_dir", "/etc"}, {"__proto__", {{"x", 1}}}, {"heads", 4}};
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(j, &warnings);
    EXPECT_EQ(s.module, ModuleKind::CrossMultiHead);
    EXPECT_EQ(s.mask_fill, MaskFill::Module);
    EXPECT_EQ(s.scale.kind, ScaleChoice::Kind::Module);
    EXPECT_EQ(s.colormap, Colormap::Viridis);
    EXPECT_EQ(s.heads, 4);  // the good field still counts
    EXPECT_EQ(warnings.size(), 4u);
    // Nothing in a session names a place to write to.
    EXPECT_FALSE(settings_to_json(s).contains("export_dir"));
}

TEST(Settings, NotAnObjectGivesDefaults) {
    for (const char* text : {"[1, 2, 3]", "42", "\"session\"", "null", "true"}) {
        std::vector<std::string> warnings;
        const Settings s = settings_from_json(json::parse(text), &warnings);
        EXPECT_EQ(settings_to_json(s), settings_to_json(Settings{})) << text;
        ASSERT_EQ(warnings.size(), 1u) << text;
    }
}

TEST(Settings, BrokenSessionFilesGiveDefaultsAndAMessage) {
    const auto dir = temp_dir("broken");
    const std::string binary("\x89PNG\r\n\x1a\n\0\0\xff\xfe", 12);
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    int n = 0;
    for (const std::string& text : {std::string(), std::string("{\"heads\": 4"), std::string("not json"), binary,
                                    std::string("{\"sentences\": [\"a\"], }"), deep}) {
        const auto path = dir / ("s" + std::to_string(n++) + ".json");
        write_text(path, text);
        std::vector<std::string> warnings;
        Settings s;
        ASSERT_NO_THROW(s = load_session(path.string(), &warnings)) << n;
        EXPECT_EQ(s.heads, 8) << n;
        EXPECT_FALSE(warnings.empty()) << n;
    }
    std::filesystem::remove_all(dir);
}

// A session file is data anyone may have written: keys that name places to write (an export
// folder, another session path, a screenshot) are ignored, never saved back, and saving writes
// the given session path and nothing else.
TEST(Settings, SessionCannotNameAPlaceToWrite) {
    const auto dir = temp_dir("paths");
    const auto elsewhere = dir / "elsewhere";
    std::filesystem::create_directories(elsewhere);
    const json evil = {{"heads", 4},
                       {"export_dir", (elsewhere / "export").string()},
                       {"session_path", (elsewhere / "session.json").string()},
                       {"screenshot", (elsewhere / "shot.png").string()},
                       {"test_layout", (elsewhere / "layout.json").string()},
                       {"weights_save_path", (elsewhere / "w.safetensors").string()}};
    const auto session_dir = dir / "config";
    std::filesystem::create_directories(session_dir);
    const std::string path = (session_dir / "session.json").string();
    write_text(path, evil.dump());

    std::vector<std::string> warnings;
    const Settings s = load_session(path, &warnings);
    EXPECT_EQ(s.heads, 4);
    save_session(path, s);

    // The keys the session holds: inputs to read and view choices, no output path.
    const json saved = json::parse(std::ifstream(path));
    std::string keys;
    for (const auto& item : saved.items())
        keys += (keys.empty() ? "" : " ") + item.key();
    EXPECT_EQ(keys,
              "anim_progress batch colormap compare_b_mask_fill compare_b_scale compare_open diagram_open emb_dim "
              "explore_tab full_resolution fusion grid_h grid_w head "
              "heads image_path inspect_cell layer mask_fill mask_lab_open max_len model module norms opacity rollout "
              "scale seed sentences shared_normalisation stats_descending stats_filter stats_sort step temperature "
              "token weights_path");
    EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        files.push_back(std::filesystem::relative(entry.path(), dir).string());
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{"config", "config/session.json", "elsewhere"}));
    std::filesystem::remove_all(dir);
}

// JSON text is UTF-8; a session whose sentences hold other bytes (Latin-1 from an editor, a
// multi-byte character cut short) keeps everything else, reads the bytes as U+FFFD and says so.
TEST(Settings, BytesThatAreNotUtf8AreReadAsReplacementCharacters) {
    const auto dir = temp_dir("utf8");
    const std::string path = (dir / "session.json").string();
    write_text(path,
               std::string(
                   "{\"sentences\": [\"caf\xe9 au lait\", \"\xff\xfe\xc3\", \"\xed\xa0\x80\", \"ok \xf0\x9f\x98\x80\"],"
                   " \"heads\": 2, \"module\": \"multihead\"}"));
    std::vector<std::string> warnings;
    const Settings s = load_session(path, &warnings);
    EXPECT_EQ(s.heads, 2);
    EXPECT_EQ(s.module, ModuleKind::MultiHead);
    const std::string fffd = "\xEF\xBF\xBD";
    ASSERT_EQ(s.sentences.size(), 4u);
    EXPECT_EQ(s.sentences[0], "caf" + fffd + " au lait");
    EXPECT_EQ(s.sentences[1], fffd + fffd + fffd);
    EXPECT_EQ(s.sentences[2], fffd + fffd + fffd);     // a UTF-16 surrogate is not UTF-8
    EXPECT_EQ(s.sentences[3], "ok \xF0\x9F\x98\x80");  // valid 4-byte UTF-8 stays
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("7 byte(s) that are not UTF-8"), std::string::npos) << warnings[0];
    std::filesystem::remove_all(dir);
}

// A session that names a FIFO (or a terminal) as its picture or weights would block the engine's
// reader for good: such paths are dropped with a warning; a file that is merely missing stays.
TEST(Settings, PathsThatAreNotPlainFilesAreDropped) {
    const auto dir = temp_dir("fifo");
    const std::string fifo = (dir / "picture.png").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string missing = (dir / "not-yet.safetensors").string();
    const std::string path = (dir / "session.json").string();
    write_text(path, json{{"image_path", fifo}, {"weights_path", missing}, {"heads", 2}}.dump());
    std::vector<std::string> warnings;
    const Settings s = load_session(path, &warnings);
    EXPECT_EQ(s.image_path, "");
    EXPECT_EQ(s.weights_path, missing);
    EXPECT_EQ(s.heads, 2);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find(fifo), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("not a regular file"), std::string::npos) << warnings[0];
    std::filesystem::remove_all(dir);
}

// Settings can hold bytes that are not UTF-8 (a --text argument, a file name): saving writes them
// as U+FFFD instead of throwing out of the frame loop.
TEST(Settings, SavingBytesThatAreNotUtf8NeverThrows) {
    const auto dir = temp_dir("utf8save");
    Settings s;
    s.sentences = {"tom \xff chases"};
    s.image_path = "/tmp/caf\xe9.png";
    const std::string path = (dir / "session.json").string();
    ASSERT_NO_THROW(save_session(path, s));
    EXPECT_NE(s.compute(), Settings{}.compute());
    std::vector<std::string> warnings;
    const Settings back = load_session(path, &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(back.sentences[0], "tom \xEF\xBF\xBD chases");
    std::filesystem::remove_all(dir);
}

TEST(Settings, TooManySentencesAreRefused) {
    json j;
    j["sentences"] = std::vector<std::string>(5000, "a");
    std::vector<std::string> warnings;
    const Settings s = settings_from_json(j, &warnings);
    EXPECT_EQ(s.sentences, seed_sentences());
    EXPECT_EQ(warnings.size(), 1u);
}

TEST(Settings, SaveIntoAnImpossiblePlaceThrowsFileError) {
    EXPECT_THROW(save_session("/proc/attnscope/session.json", Settings{}), Error);
}

// --- ComputeSettings: equal settings, equal results; the view never recomputes.

TEST(ComputeSettings, ViewChangesDoNotChangeThem) {
    const Settings base;
    Settings v = base;
    v.colormap = Colormap::Magma;
    v.shared_normalisation = true;
    v.opacity = 0.1f;
    v.batch = 2;
    v.head = -1;
    v.token = 4;
    v.step = 11;
    EXPECT_EQ(v.compute(), base.compute());
    EXPECT_NE(v.view(), base.view());
    EXPECT_NE(v, base);  // the session does change: it is saved
}

TEST(ComputeSettings, EveryComputeSettingChangesThem) {
    const Settings base;
    std::vector<std::pair<const char*, Settings>> changed;
    auto with = [&](const char* what, auto edit) {
        Settings s = base;
        edit(s);
        changed.emplace_back(what, s);
    };
    with("sentence text", [](Settings& s) { s.sentences[0] += "x"; });
    with("one more sentence", [](Settings& s) { s.sentences.push_back(""); });
    with("max_len", [](Settings& s) { s.max_len = 5; });
    with("image", [](Settings& s) { s.image_path = "a.png"; });
    with("grid_h", [](Settings& s) { s.grid_h = 20; });
    with("grid_w", [](Settings& s) { s.grid_w = 20; });
    with("full resolution", [](Settings& s) { s.full_resolution = true; });
    with("module", [](Settings& s) { s.module = ModuleKind::Self; });
    with("emb_dim", [](Settings& s) { s.emb_dim = 256; });
    with("heads", [](Settings& s) { s.heads = 4; });
    with("seed", [](Settings& s) { s.seed = 1; });
    with("scale", [](Settings& s) { s.scale.kind = ScaleChoice::Kind::Depth; });
    with("scale value", [](Settings& s) {
        s.scale.kind = ScaleChoice::Kind::Number;
        s.scale.value = 0.5;
    });
    with("mask fill", [](Settings& s) { s.mask_fill = MaskFill::NegInf; });
    with("weights", [](Settings& s) { s.weights_path = "w.safetensors"; });
    for (const auto& [what, s] : changed) {
        EXPECT_NE(s.compute(), base.compute()) << what;
        EXPECT_EQ(s.view(), base.view()) << what;
    }
    // A number scale's value counts; another scale's leftover value does not.
    Settings a = base, b = base;
    a.scale.value = 0.1;
    b.scale.value = 0.9;
    EXPECT_EQ(a.compute(), b.compute());
}

// Every field of the session is in one of the two halves: a JSON key that neither comparison
// sees would be saved but never recompute or re-save. Each key is changed alone in the JSON.
TEST(ComputeSettings, EveryJsonFieldIsComparedByOneHalf) {
    const json defaults = settings_to_json(Settings{});
    const json other = settings_to_json(unusual());
    for (const auto& item : defaults.items()) {
        json j = defaults;
        j[item.key()] = other[item.key()];
        std::vector<std::string> warnings;
        const Settings s = settings_from_json(j, &warnings);
        ASSERT_TRUE(warnings.empty()) << item.key();
        const bool compute = s.compute() != Settings{}.compute(), view = s.view() != Settings{}.view();
        EXPECT_TRUE(compute != view) << item.key() << " is compared by " << (compute ? "both" : "neither");
    }
}

TEST(ComputeKey, SceneSpecFollowsTheSettings) {
    Settings s;
    s.heads = 4;
    s.grid_h = 10;
    SceneSpec spec = scene_spec(s, "/assets/images/chelsea.png");
    EXPECT_EQ(spec.module.heads, 4);
    EXPECT_EQ(spec.grid_h, 10);
    ASSERT_EQ(spec.image_paths.size(), 1u);
    EXPECT_EQ(spec.image_paths[0], "/assets/images/chelsea.png");  // no picture chosen: the default
    s.module = ModuleKind::Self;
    EXPECT_TRUE(scene_spec(s, "x.png").image_paths.empty());  // text-only modules read no picture
}

}  // namespace
}  // namespace attn::gui
