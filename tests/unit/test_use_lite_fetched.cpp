// use-lite on the real model, where it has been fetched (ctest's use_lite_fetch does it): what
// the issue says a user sees on its example sentence, in multiples of uniform attention (1/L).
// The numbers themselves are checked against TensorFlow.js by tests/tfjs. Skipped where the model
// is not fetched.
#include "errors.h"
#include "models/model_cache.h"
#include "models/use_lite/use_lite.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace attn {
namespace {

std::unique_ptr<Model> fetched_use_lite() {
    try {
        return load_use_lite(use_lite_dir());
    } catch (const FileError&) {
        return nullptr;
    }
}

TEST(UseLiteFetched, LayerZeroHasPreviousSelfAndNextTokenHeads) {
    const auto m = fetched_use_lite();
    if (!m) GTEST_SKIP() << "use-lite is not fetched";
    const ModelPass pass = m->run(m->prepare_text({"The cat sat on the mat because it was tired."}));
    const Tensor& a = *pass.layers[0].attn;
    const int64_t H = a.dim(1), L = a.dim(2);
    double best[3] = {0, 0, 0};  // the largest mean share of a head's rows on i-1, i, i+1
    int64_t which[3] = {-1, -1, -1};
    for (int64_t h = 0; h < H; ++h)
        for (int d = 0; d < 3; ++d) {
            double share = 0;
            for (int64_t i = 1; i + 1 < L; ++i)
                share += a.data[(h * L + i) * L + i - 1 + d] / static_cast<double>(L - 2);
            if (share > best[d]) best[d] = share, which[d] = h;
        }
    const double uniform = 1.0 / static_cast<double>(L);
    for (int d = 0; d < 3; ++d)
        EXPECT_GT(best[d], 3 * uniform) << "offset " << d - 1 << ": head " << which[d];
    EXPECT_NE(which[0], which[1]);
    EXPECT_NE(which[1], which[2]);
    EXPECT_NE(which[0], which[2]);
}

TEST(UseLiteFetched, ALayerOneHeadAttendsToTheNouns) {
    const auto m = fetched_use_lite();
    if (!m) GTEST_SKIP() << "use-lite is not fetched";
    const ModelInputs in = m->prepare_text({"The cat sat on the mat because it was tired."});
    const ModelPass pass = m->run(in);
    std::vector<int64_t> nouns;  // the pieces of "cat" and "mat"
    for (size_t j = 0; j < in.tokens[0].size(); ++j)
        if (in.tokens[0][j] ==
                "\xE2\x96\x81"
                "cat" ||
            in.tokens[0][j] ==
                "\xE2\x96\x81"
                "ma" ||
            in.tokens[0][j] == "t")
            nouns.push_back(static_cast<int64_t>(j));
    ASSERT_EQ(nouns.size(), 3u);
    const Tensor& a = *pass.layers[1].attn;
    const int64_t H = a.dim(1), L = a.dim(2);
    double best = 0;
    for (int64_t h = 0; h < H; ++h) {
        double share = 0;
        for (int64_t i = 0; i < L; ++i)
            for (int64_t j : nouns)
                share += a.data[(h * L + i) * L + j] / static_cast<double>(L);
        best = std::max(best, share);
    }
    EXPECT_GT(best, 2.0 * static_cast<double>(nouns.size()) / static_cast<double>(L));  // twice uniform
}

}  // namespace
}  // namespace attn
