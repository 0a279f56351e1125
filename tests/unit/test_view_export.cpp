// core/maps/view_export: the statistics table and the query views an app's click exports, on an
// attentions set built here whose answer is known by construction: head 0 of layer 0 puts all of
// each row on the previous token (a previous-token head), head 1 spreads it evenly.
#include "errors.h"
#include "io/safetensors.h"
#include "maps/attentions_file.h"
#include "maps/head_view.h"
#include "maps/map_painter.h"
#include "maps/view_export.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace attn {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// [1 layer, 1 item, 2 heads, 5, 5]: head 0 row i -> key max(i - 1, 0); head 1 uniform.
AttentionSet previous_token_set() {
    const int64_t L = 5;
    Tensor a({1, 1, 2, L, L}, 0.0f);
    for (int64_t i = 0; i < L; ++i) {
        a.data[static_cast<size_t>(i * L + std::max<int64_t>(i - 1, 0))] = 1.0f;
        for (int64_t k = 0; k < L; ++k)
            a.data[static_cast<size_t>(L * L + i * L + k)] = 1.0f / static_cast<float>(L);
    }
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", a);
    f.metadata["tokens"] = nlohmann::json({"[CLS]", "the", "cat", "sat", "[SEP]"}).dump();
    return attentions_from_safetensors(f, "/data/prev.safetensors");
}

TEST(ViewExport, HeadStatsTableGoesOutAsJsonAndCsvWithTheKnownAnswers) {
    const fs::path dir = fs::path(::testing::TempDir()) / "view_export_stats";
    fs::remove_all(dir);
    const ExportResult r = export_head_stats(previous_token_set(), dir.string());
    ASSERT_EQ(r.files.size(), 2u);
    const nlohmann::json j = nlohmann::json::parse(slurp(dir / "head_stats.json"));
    ASSERT_EQ(j["head_stats"].size(), 2u);
    // Rows 1..4 have a real previous key; each puts weight 1 (head 0) or 1/5 (head 1) on it.
    EXPECT_NEAR(j["head_stats"][0]["previous_share"].get<double>(), 1.0, 1e-7);
    EXPECT_NEAR(j["head_stats"][1]["previous_share"].get<double>(), 0.2, 1e-7);
    EXPECT_NEAR(j["head_stats"][0]["entropy"].get<double>(), 0.0, 1e-7);
    EXPECT_NEAR(j["head_stats"][1]["entropy"].get<double>(), std::log(5.0), 1e-6);
    std::stringstream csv(slurp(dir / "head_stats.csv"));
    std::string header, row0, row1, extra;
    std::getline(csv, header);
    std::getline(csv, row0);
    std::getline(csv, row1);
    EXPECT_FALSE(std::getline(csv, extra) && !extra.empty()) << "one line per head";
    EXPECT_EQ(header.rfind("layer,head,entropy,", 0), 0u) << header;
    // The CSV's previous_share column holds the same numbers as the JSON.
    const auto column = [&](const std::string& line, const std::string& name) {
        std::vector<std::string> names, values;
        std::stringstream h(header), v(line);
        for (std::string s; std::getline(h, s, ',');)
            names.push_back(s);
        for (std::string s; std::getline(v, s, ',');)
            values.push_back(s);
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == name) return std::stod(values.at(i));
        ADD_FAILURE() << name << " not in " << header;
        return -1.0;
    };
    EXPECT_NEAR(column(row0, "previous_share"), 1.0, 1e-7);
    EXPECT_NEAR(column(row1, "previous_share"), 0.2, 1e-7);
}

TEST(ViewExport, QueryViewsOfTokenQueriesAreHeadViewsOfThatRow) {
    const fs::path dir = fs::path(::testing::TempDir()) / "view_export_query";
    fs::remove_all(dir);
    const MapModel model(previous_token_set());
    CpuPainter painter;
    MapExportOptions options;
    export_query_views(model, painter, 3, options, dir.string());
    const nlohmann::json lines = nlohmann::json::parse(slurp(dir / "lines.json"));
    ASSERT_EQ(lines.size(), 3u);  // two heads and their mean
    EXPECT_EQ(lines[0]["file"], "l0_b0_h0_q3_sat_lines.png");
    EXPECT_EQ(lines[0]["weights"][2], 1.0);  // 'sat' looks at 'cat'
    EXPECT_TRUE(fs::exists(dir / lines[0]["file"].get<std::string>()));
    EXPECT_THROW(export_query_views(model, painter, 5, options, dir.string()), ConfigError);
}

TEST(ViewExport, HeadViewFileNamesLeaveOutTheTokenizersWordMarks) {
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", Tensor({1, 1, 1, 5, 5}, 0.2f));
    // SentencePiece's U+2581, GPT-2's U+0120, WordPiece's ##, CLIP's </w>, and a token that is
    // only a mark (kept, as its code point).
    f.metadata["tokens"] = nlohmann::json({"\u2581sat", "\u0120cat", "##s", "mat</w>", "\u2581"}).dump();
    const MapModel model(attentions_from_safetensors(f, "/data/marks.safetensors"));
    const std::vector<std::string> want = {"sat", "cat", "s", "mat", "u2581"};
    for (int64_t q = 0; q < 5; ++q)
        EXPECT_EQ(head_view_file_name(model, head_view(model, {0, 0, -1, 0}, q), "png"),
                  "l0_b0_h0_q" + std::to_string(q) + "_" + want[static_cast<size_t>(q)] + "_lines.png");
}

}  // namespace
}  // namespace attn
