// attnscope-cli's --attn-mask and --causal (nn.MultiheadAttention's attn_mask): what a run
// writes, and the masks and settings it refuses with exit 2 and one line naming the file.
#include "cli_runner.h"
#include "io/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace fs = std::filesystem;
using namespace attn;
using namespace attn::test;

namespace {

void expect_refused(const std::string& args, const std::vector<std::string>& parts) {
    Result r = run_cli(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << args << "\n" << r.err;
    for (const std::string& p : parts)
        EXPECT_NE(r.err.find(p), std::string::npos) << "no \"" << p << "\" in: " << r.err;
}

// The seed's three sentences padded to 5: b 3, L = S = 5.
const std::string kMha = "run --module torch-mha --emb-dim 16 --heads 4 ";

}  // namespace

TEST(AttnMaskCli, CausalWeightsAreZeroAboveTheDiagonalAndTheTraceShowsTheMask) {
    const fs::path d = fresh_dir("causal");
    Result r = run_cli(kMha + "--causal --dump " + quote((d / "dump").string()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("attn_mask: causal"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("attn_mask = torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1)"), std::string::npos);
    EXPECT_NE(r.out.find("combined_mask       [b, heads, L, S] = [3, 4, 5, 5]"), std::string::npos) << r.out;
    const Tensor a = read_npy((d / "dump" / "attn.npy").string());  // [b, heads, L, S]
    ASSERT_EQ(a.shape, (Shape{3, 4, 5, 5}));
    for (int64_t bh = 0; bh < 12; ++bh)
        for (int64_t i = 0; i < 5; ++i) {
            double sum = 0.0;
            for (int64_t j = 0; j < 5; ++j) {
                const float w = a.data[static_cast<size_t>((bh * 5 + i) * 5 + j)];
                if (j > i) {
                    EXPECT_EQ(w, 0.0f);
                }
                sum += w;
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    const Tensor mask = read_npy((d / "dump" / "09_attn_mask.npy").string());  // the step, dumped
    EXPECT_EQ(mask.dtype, DType::Bool);
    EXPECT_EQ(mask.shape, (Shape{5, 5}));
}

TEST(AttnMaskCli, ABoolAndAFloatFileOfTheSameMaskGiveTheSameWeights) {
    const fs::path d = fresh_dir("same");
    Tensor as_bool({5, 5}, 0.0f, DType::Bool), as_float({5, 5});
    for (int64_t i = 0; i < 5; ++i)
        for (int64_t j = 0; j < 5; ++j)
            if ((i + 2 * j) % 3 == 0 && j != i) {
                as_bool.data[static_cast<size_t>(i * 5 + j)] = 1.0f;
                as_float.data[static_cast<size_t>(i * 5 + j)] = -std::numeric_limits<float>::infinity();
            }
    write_npy((d / "b.npy").string(), as_bool);
    write_npy((d / "f.npy").string(), as_float);
    for (const char* name : {"b", "f"}) {
        Result r = run_cli(kMha + "--attn-mask " + quote((d / (std::string(name) + ".npy")).string()) + " --dump " +
                           quote((d / name).string()) + " --steps attn");
        ASSERT_EQ(r.status, 0) << r.err;
    }
    const Tensor wb = read_npy((d / "b" / "attn.npy").string()), wf = read_npy((d / "f" / "attn.npy").string());
    ASSERT_EQ(wb.shape, wf.shape);
    for (int64_t n = 0; n < wb.numel(); ++n)
        EXPECT_EQ(wb.data[static_cast<size_t>(n)], wf.data[static_cast<size_t>(n)]) << n;
}

TEST(AttnMaskCli, BadMasksAndSettingsAreRefused) {
    const fs::path d = fresh_dir("bad_attn");
    write_npy((d / "wrong.npy").string(), Tensor({2, 5, 5}, 0.0f, DType::Bool));
    write_npy((d / "ints.npy").string(), Tensor({5, 5}, 1.0f, DType::Int64));
    Tensor nan({5, 5});
    nan.data[7] = std::numeric_limits<float>::quiet_NaN();
    write_npy((d / "nan.npy").string(), nan);
    write_npy((d / "ok.npy").string(), Tensor({5, 5}, 0.0f, DType::Bool));
    const std::string wrong = (d / "wrong.npy").string();
    expect_refused(kMha + "--attn-mask " + quote(wrong),
                   {wrong + ": attn_mask has shape [2, 5, 5]", "[L, S] = [5, 5]", "[b*heads, L, S] = [12, 5, 5]"});
    expect_refused(kMha + "--attn-mask " + quote((d / "ints.npy").string()), {"ints.npy", "bool, uint8 or float32"});
    expect_refused(kMha + "--attn-mask " + quote((d / "nan.npy").string()), {"nan.npy", "NaN at [1, 2]"});
    expect_refused(kMha + "--attn-mask /no/such/mask.npy", {"/no/such/mask.npy"});
    expect_refused(kMha + "--causal --attn-mask " + quote((d / "ok.npy").string()), {"--attn-mask and --causal"});
    expect_refused("run --module multihead --emb-dim 16 --heads 4 --attn-mask " + quote((d / "ok.npy").string()),
                   {"--attn-mask is for --module torch-mha only", "--pad-mask"});
    expect_refused("run --module self --emb-dim 16 --causal", {"--causal is for --module torch-mha only"});
}
