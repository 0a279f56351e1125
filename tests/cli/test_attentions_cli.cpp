// attnscope-cli run --attentions and the views' options, as a user types them: a file written
// here (core's safetensors writer, weights known by construction) goes through --dump, the model
// view, head views and panes; options that do not go together are refused in one line, exit 2,
// before anything is written.
#include "cli_runner.h"
#include "io/safetensors.h"
#include "tensor/tensor.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace attn::test {
namespace {

using attn::SafetensorsFile;
using attn::Tensor;

// [2 layers, 1 item, 2 heads, 4, 4]: every row uniform except layer 1, head 0, row 2, all on key 1.
fs::path write_file(const fs::path& dir) {
    Tensor a({2, 1, 2, 4, 4}, 0.25f);
    const size_t row = ((1 * 1 + 0) * 2 + 0) * 16 + 2 * 4;  // [1, 0, 0, 2, :]
    for (size_t k = 0; k < 4; ++k)
        a.data[row + k] = k == 1 ? 1.0f : 0.0f;
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", a);
    f.metadata["tokens"] = nlohmann::json({"[CLS]", "the", "cat", "[SEP]"}).dump();
    f.metadata["model"] = "cli-test";
    const fs::path path = dir / "att.safetensors";
    write_safetensors(path.string(), f.tensors, f.metadata);
    return path;
}

TEST(AttentionsCli, DumpModelViewHeadViewsAndPanes) {
    const fs::path d = fresh_dir("attentions_all");
    const fs::path file = write_file(d);
    const Result r =
        run_cli("run --attentions " + quote(file.string()) + " --dump " + quote((d / "dump").string()) +
                " --export-maps " + quote((d / "maps").string()) + " --export-grid --query 2" + " --export-panes " +
                quote((d / "panes").string()) + " --pane-a l1_b0_h0 --pane-b l1_b0_h1");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("cli-test"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[2, 1, 2, 4, 4]"), std::string::npos) << r.out;
    for (const char* f : {"dump/attentions.npy", "dump/head_stats.csv", "dump/head_stats.json", "maps/b0_model.png",
                          "maps/l1_b0_h0.png", "maps/l1_b0_h0_q2_cat_lines.png", "maps/lines.json",
                          "panes/side_by_side.png", "panes/diff_l1_b0_h0_minus_l1_b0_h1.png", "panes/panes.json"})
        EXPECT_TRUE(fs::exists(d / f)) << f;
    // Row 2 of layer 1, head 0 is one-hot on 'the'; head 1 is uniform: A - B there is +0.75 and -0.25.
    const auto lines = nlohmann::json::parse(slurp(d / "maps/lines.json"));
    bool found = false;
    for (const auto& e : lines)
        if (e["layer"] == 1 && e["head"] == 0) {
            found = true;
            EXPECT_EQ(e["weights"], nlohmann::json({0.0, 1.0, 0.0, 0.0}));
        }
    EXPECT_TRUE(found);
    const auto panes = nlohmann::json::parse(slurp(d / "panes/panes.json"));
    EXPECT_FLOAT_EQ(panes["difference"]["max_abs"].get<float>(), 0.75f);
}

TEST(AttentionsCli, OptionsThatDoNotGoTogetherAreRefusedInOneLine) {
    const fs::path d = fresh_dir("attentions_refused");
    const std::string file = quote(write_file(d).string());
    const struct {
        std::string args, says;
    } cases[] = {
        {"run --attentions " + file + " --model use-lite", "--model"},
        {"run --attentions " + file + " --text hello", "--text"},
        {"run --attentions " + file + " --query 1", "--query needs --export-maps"},
        {"run --attentions " + file + " --pane-a l0_b0_h0", "need --export-panes"},
        {"run --attentions " + file + " --export-panes " + quote((d / "p").string()), "--pane-a"},
        {"run --attentions " + file + " --export-panes " + quote((d / "p").string()) +
             " --pane-a l0_b0_h0 --b-mask-fill -inf",
         "--b-attentions"},
        {"run --attentions " + file + " --export-panes " + quote((d / "p").string()) + " --pane-a l9_b0_h0", "layer 9"},
        {"run --attentions " + file + " --export-panes " + quote((d / "p").string()) + " --pane-a nonsense",
         "nonsense"},
        {"run --attentions " + file + " --export-maps " + quote((d / "m").string()) + " --query 7", "query 7"},
        // The seed's modules and their pixel queries, checked before --dump writes anything.
        {"run --module cross --emb-dim 8 --grid 3x3 --dump " + quote((d / "p").string()) + " --export-maps " +
             quote((d / "p").string()) + " --query 0",
         "pixel queries"},
        {"run --module self --emb-dim 8 --dump " + quote((d / "p").string()) + " --export-maps " +
             quote((d / "p").string()) + " --query 99",
         "--query 99 does not exist"},
    };
    for (const auto& c : cases) {
        const Result r = run_cli(c.args);
        EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    EXPECT_FALSE(fs::exists(d / "p")) << "nothing written for a refused command";
}

}  // namespace
}  // namespace attn::test
