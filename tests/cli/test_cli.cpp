// attnscope-cli end to end, run as a user runs it: a real process, its stdout, stderr, exit
// status and the files it writes.
#include "cli_runner.h"
#include "io/npy.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

namespace fs = std::filesystem;
using namespace attn::test;

namespace {

const std::string kAssets = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/";
const std::string kBad = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/bad-inputs/";

}  // namespace

TEST(Cli, SeedExampleShowsTheSeedShapes) {
    Result self = run_cli("run --module self --emb-dim 512");
    ASSERT_EQ(self.status, 0) << self.err;
    EXPECT_NE(self.out.find("[b, seq, emb] = [3, 5, 512]"), std::string::npos) << self.out;
    EXPECT_NE(self.out.find("[b, seq, seq] = [3, 5, 5]"), std::string::npos);
    EXPECT_NE(self.out.find("torch.bmm(q, k.transpose(1, 2))"), std::string::npos);

    Result multi = run_cli("run --module multihead --emb-dim 512 --heads 8");
    ASSERT_EQ(multi.status, 0) << multi.err;
    for (const char* s : {"[b, seq, emb] = [3, 5, 512]", "[b, heads, seq, depth] = [3, 8, 5, 64]",
                          "[b, heads, seq, seq] = [3, 8, 5, 5]",
                          "pad_mask.unsqueeze(1).repeat(1, self.num_heads, 1, 1)", "input_ids [b, seq] = [3, 5]"})
        EXPECT_NE(multi.out.find(s), std::string::npos) << "missing " << s << " in\n" << multi.out;

    Result cross = run_cli("run --module cross-multihead --emb-dim 512 --heads 8 --grid 40x40");
    ASSERT_EQ(cross.status, 0) << cross.err;
    for (const char* s : {"[b, c, h, w] = [3, 3, 40, 40]", "[b, h*w, emb] = [3, 1600, 512]",
                          "[b, heads, h*w, depth] = [3, 8, 1600, 64]", "[b, heads, h*w, seq] = [3, 8, 1600, 5]",
                          "[b, h*w, seq] = [3, 1600, 5]"})
        EXPECT_NE(cross.out.find(s), std::string::npos) << "missing " << s << " in\n" << cross.out;
}

TEST(Cli, JsonTraceParsesAndListsEveryStep) {
    Result r = run_cli("run --module cross --emb-dim 16 --grid 7x5 --json");
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["class"], "CrossAttention");
    std::vector<std::string> names;
    for (auto& s : j["steps"])
        names.push_back(s["name"]);
    const std::vector<std::string> expected = {
        "x",      "proj_in", "flatten",  "context",           "q",      "k",       "v",
        "scores", "scaled",  "pad_mask", "pad_mask_expanded", "masked", "softmax", "weighted_sum",
        "fold",   "proj_out"};
    EXPECT_EQ(names, expected);
}

TEST(Cli, DumpWritesEveryStepInPyTorchLayouts) {
    fs::path d = fresh_dir("dump");
    Result r = run_cli("run --module cross-multihead --emb-dim 16 --heads 4 --grid 7x5 --dump " + quote(d.string()));
    ASSERT_EQ(r.status, 0) << r.err;
    attn::Tensor attn = attn::read_npy((d / "attn.npy").string());
    EXPECT_EQ(attn.shape, (attn::Shape{3, 4, 35, 5}));
    EXPECT_EQ(attn::read_npy((d / "output.npy").string()).shape, (attn::Shape{3, 3, 7, 5}));
    EXPECT_EQ(attn::read_npy((d / "input_ids.npy").string()).dtype, attn::DType::Int64);
    EXPECT_EQ(attn::read_npy((d / "pad_mask.npy").string()).dtype, attn::DType::Bool);
    EXPECT_TRUE(fs::exists(d / "x.npy") && fs::exists(d / "context.npy") && fs::exists(d / "trace.json"));
    auto trace = nlohmann::json::parse(slurp(d / "trace.json"));
    for (auto& s : trace["steps"]) {
        const std::string idx = (s["index"].get<int>() < 10 ? "0" : "") + std::to_string(s["index"].get<int>());
        fs::path f = d / (idx + "_" + s["name"].get<std::string>() + ".npy");
        ASSERT_TRUE(fs::exists(f)) << f;
        EXPECT_EQ(attn::read_npy(f.string()).shape, s["sizes"].get<attn::Shape>()) << f;
    }
    // --steps writes only what is named
    fs::path only = fresh_dir("dump_only");
    r = run_cli("run --module self --emb-dim 8 --dump " + quote(only.string()) + " --steps output,attn");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(std::distance(fs::directory_iterator(only), fs::directory_iterator()), 2);
}

TEST(Cli, ExportsOneMapPerBatchHeadAndToken) {
    fs::path d = fresh_dir("maps");
    Result r = run_cli("run --module cross-multihead --emb-dim 32 --heads 2 --image " + quote(kAssets + "coffee.png") +
                       " --text 'Tom chases Jerry' --text 'a cup' --grid 20x30 --export-maps " + quote(d.string()));
    ASSERT_EQ(r.status, 0) << r.err;
    // batch 0: 3 tokens, batch 1: 2 tokens (one padded key, no map); 2 heads + the mean
    auto index = nlohmann::json::parse(slurp(d / "maps.json"));
    EXPECT_EQ(index.size(), (3u + 2u) * 3u);
    EXPECT_TRUE(fs::exists(d / "b0_h1_t2_jerry.png"));
    EXPECT_TRUE(fs::exists(d / "b1_mean_t1_cup.png"));
    EXPECT_FALSE(fs::exists(d / "b1_h0_t2_u3cpadu3e.png"));
    for (auto& e : index) {
        EXPECT_EQ(e["width"], 600);
        EXPECT_EQ(e["height"], 400);
    }
    fs::path m = fresh_dir("matrix");
    r = run_cli("run --module multihead --emb-dim 16 --heads 4 --export-maps " + quote(m.string()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(slurp(m / "maps.json")).size(), 3u * 4u);
    EXPECT_TRUE(fs::exists(m / "b2_h3.png"));
}

// A long sentence's matrix still makes one picture of at most kMatrixMapSide (4096) px a side:
// smaller cells, then cells that are the mean of several (it once failed past 496 tokens).
TEST(Cli, LongSentenceMatrixMapsFitOnePicture) {
    for (const auto& [tokens, cell, drawn] : {std::tuple<int, int, int>{300, 12, 300}, {3000, 1, 2047}}) {
        std::string words;
        for (int i = 0; i < tokens; ++i)
            words += "w" + std::to_string(i % 50) + " ";
        fs::path d = fresh_dir("long" + std::to_string(tokens));
        Result r = run_cli("run --module self --emb-dim 8 --text " + quote(words) + " --export-maps " + quote(d.string()));
        ASSERT_EQ(r.status, 0) << r.err;
        auto index = nlohmann::json::parse(slurp(d / "maps.json"));
        ASSERT_EQ(index.size(), 1u);
        EXPECT_EQ(index[0]["cell_px"], cell);
        EXPECT_EQ(index[0]["width"], drawn * (cell + 1) + 1);
        EXPECT_EQ(index[0]["height"], drawn * (cell + 1) + 1);
        EXPECT_EQ(index[0]["keys"].size(), static_cast<size_t>(tokens));
        EXPECT_EQ(index[0].contains("cells_drawn"), drawn != tokens);
    }
}

TEST(Cli, BadInputIsOneLineAndExitTwo) {
    const std::array<std::string, 8> cases = {
        "run --module nonsense",
        "run --module multihead --emb-dim 10 --heads 3",
        "run --module cross --image " + quote(kBad + "truncated.jpg") + " --emb-dim 8",
        "run --module cross --image /no/such/file.png --emb-dim 8",
        "run --module self --weights /no/such/w.safetensors",
        "run --module cross --grid 0x3",
        "run --module cross --image " + quote(kAssets + "chelsea.png") + " --grid 4000x4000",
        "run --unknown-flag",
    };
    for (const std::string& c : cases) {
        Result r = run_cli(c);
        EXPECT_EQ(r.status, 2) << c << "\n" << r.err;
        EXPECT_EQ(count_lines(r.err), 1u) << c << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("attnscope-cli: ", 0), 0u) << r.err;
    }
    Result heads = run_cli("run --module multihead --emb-dim 10 --heads 3");
    EXPECT_NE(heads.err.find("does not divide emb_dim 10"), std::string::npos) << heads.err;
}

TEST(Cli, SavedWeightsLoadBackToTheSameResult) {
    fs::path d = fresh_dir("weights");
    const std::string w = (d / "w.safetensors").string();
    Result a = run_cli("run --module torch-mha --emb-dim 16 --heads 4 --seed 3 --save-weights " + quote(w) +
                       " --dump " + quote((d / "a").string()) + " --steps output,attn,x,pad_mask");
    ASSERT_EQ(a.status, 0) << a.err;
    // the same inputs with another seed: only the loaded weights can make the numbers agree
    Result b =
        run_cli("run --module torch-mha --emb-dim 16 --heads 4 --seed 99 --weights " + quote(w) + " --x " +
                quote((d / "a" / "x.npy").string()) + " --pad-mask " + quote((d / "a" / "pad_mask.npy").string()) +
                " --dump " + quote((d / "b").string()) + " --steps output,attn");
    ASSERT_EQ(b.status, 0) << b.err;
    Result c =
        run_cli("run --module torch-mha --emb-dim 16 --heads 4 --seed 99 --x " + quote((d / "a" / "x.npy").string()) +
                " --dump " + quote((d / "c").string()) + " --steps output");
    ASSERT_EQ(c.status, 0) << c.err;
    EXPECT_NE(attn::read_npy((d / "a" / "output.npy").string()).data,
              attn::read_npy((d / "c" / "output.npy").string()).data);
    EXPECT_EQ(attn::read_npy((d / "a" / "output.npy").string()).data,
              attn::read_npy((d / "b" / "output.npy").string()).data);
}
