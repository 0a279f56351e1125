// An --x or --context .npy that is not float32 (numpy's default float64, or integers) is converted
// to float32, as the engine computes, with one warning on stderr that names the file and the
// dtype; the pass is then exactly the pass of the float32 file holding the same values. (PyTorch
// would refuse such an input to float32 weights; attnscope runs it and says what it did.)
#include "cli_runner.h"

#include "io/npy.h"
#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <string>

namespace attn::test {
namespace {

const std::string kNpy = ATTNSCOPE_SOURCE_DIR "/tests/data/npy/";

// The module's output for --x FILE (self-attention, emb_dim 8, seeded weights), and the run.
Result run_self(const std::string& file, const fs::path& dump) {
    return run_cli("run --module self --emb-dim 8 --x " + quote(kNpy + file) + " --dump " + quote(dump.string()) +
                   " --steps output");
}

TEST(NpyDtypes, Float32IsReadWithoutAWarning) {
    const fs::path d = fresh_dir("dtype_f32");
    const Result r = run_self("x_f32_1x3x8.npy", d);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST(NpyDtypes, OtherDtypesAreConvertedWithAWarningThatNamesThem) {
    const fs::path ref = fresh_dir("dtype_ref"), ints = fresh_dir("dtype_int_ref");
    ASSERT_EQ(run_self("x_f32_1x3x8.npy", ref).status, 0);
    const Tensor expected = read_npy((ref / "output.npy").string());
    for (const auto& [file, dtype] : {std::pair{"x_f64_1x3x8.npy", "float64"}, std::pair{"x_i64_1x3x8.npy", "int64"},
                                      std::pair{"x_i32_1x3x8.npy", "int32"}}) {
        const fs::path d = fresh_dir(std::string("dtype_") + dtype);
        const Result r = run_self(file, d);
        ASSERT_EQ(r.status, 0) << file << ": " << r.err;
        EXPECT_NE(
            r.err.find(std::string("warning: ") + kNpy + file + ": x holds " + dtype + " values; converted to float32"),
            std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("astype(numpy.float32)"), std::string::npos) << r.err;
        EXPECT_EQ(count_lines(r.err.substr(0, r.err.find("attnscope-cli: wrote"))), 1u) << r.err;  // one warning
        if (std::string(dtype) == "float64") {
            // 0.25 k - 3 is exact in float32: the same input, the same output, bit for bit.
            const Tensor out = read_npy((d / "output.npy").string());
            EXPECT_EQ(out.shape, expected.shape);
            EXPECT_EQ(std::vector<float>(out.data.begin(), out.data.end()),
                      std::vector<float>(expected.data.begin(), expected.data.end()));
        }
    }
}

TEST(NpyDtypes, TheContextIsCheckedToo) {
    const fs::path d = fresh_dir("dtype_context");
    const Result r =
        run_cli("run --module cross --emb-dim 8 --image " + quote(ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png") +
                " --grid 2x2 --context " + quote(kNpy + "x_i64_1x3x8.npy"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("context holds int64 values; converted to float32"), std::string::npos) << r.err;
}

TEST(NpyDtypes, BoolIsRefused) {
    const Result r = run_cli("run --module self --emb-dim 2 --x " + quote(kNpy + "bool_2x2.npy"));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not bool"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace attn::test
