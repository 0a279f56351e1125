// use-lite's model in core on a small random model in the real model's layout and names
// (use_lite_test_model.h): the forward against a reference written from the equations, the
// invariants, padded batches against each sentence alone, the trace's lazy steps against the
// steps they come from, and every kind of bad folder or input. The real model is checked against
// TensorFlow.js by tests/tfjs (ctest use_lite_tfjs).
#include "errors.h"
#include "model/random.h"
#include "models/use_lite/small_dense.h"
#include "models/use_lite/use_lite.h"
#include "test_support.h"
#include "use_lite_test_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::TempFolder;
using test::TinyUseLite;

std::unique_ptr<Model> tiny_model(const TempFolder& tmp, uint64_t seed = 7) {
    TinyUseLite(seed).write(tmp.path / "use-lite");
    return load_use_lite((tmp.path / "use-lite").string());
}

// Ids and mask [b, L] from id lists, right-padded with 0.
ModelInputs inputs_of(const Model& m, const std::vector<std::vector<int64_t>>& ids) {
    size_t L = 0;
    for (const auto& s : ids)
        L = std::max(L, s.size());
    const int64_t b = static_cast<int64_t>(ids.size()), n = static_cast<int64_t>(L);
    Tensor t({b, n}, 0.0f, DType::Int64), mask({b, n}, 0.0f, DType::Int64);
    for (int64_t i = 0; i < b; ++i)
        for (size_t j = 0; j < ids[i].size(); ++j) {
            t.data[i * n + static_cast<int64_t>(j)] = static_cast<float>(ids[i][j]);
            mask.data[i * n + static_cast<int64_t>(j)] = 1.0f;
        }
    return m.prepare_ids(t, mask);
}

// The products: against a double-precision sum, for every number of rows (every tiling) and an
// output width that leaves the last column block partly empty; and each row's bits the same
// whatever rows are computed with it.
TEST(UseLiteDense, MatchesASumInDoubleAndEachRowIsComputedOnItsOwn) {
    Random rng(5);
    const int64_t in = 13, out = 2 * dense_block_width() + 5, rows = 20;
    Tensor kernel({in, out}), bias({out}), x({rows, in});
    for (Tensor* t : {&kernel, &bias, &x})
        for (float& v : t->data)
            v = rng.normal();
    const PackedKernel packed = pack_kernel(kernel);
    Tensor all({rows, out});
    dense_rows(x.ptr(), rows, packed, bias.ptr(), all.ptr());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
            double s = 0;
            for (int64_t k = 0; k < in; ++k)
                s += static_cast<double>(x.data[r * in + k]) * kernel.data[k * out + o];
            EXPECT_NEAR(all.data[r * out + o], s + bias.data[o], 1e-5);
        }
    for (int64_t n = 1; n <= rows; ++n)
        for (int64_t r0 : {int64_t(0), rows - n}) {
            Tensor part({n, out});
            dense_rows(x.ptr() + r0 * in, n, packed, bias.ptr(), part.ptr());
            EXPECT_EQ(std::memcmp(part.ptr(), all.ptr() + r0 * out, n * out * sizeof(float)), 0) << n << " rows";
        }
}

TEST(UseLite, NotFetchedSaysHowToFetch) {
    TempFolder tmp;
    for (const fs::path& dir : {tmp.path / "nothing-here", tmp.path / "half"}) {
        if (dir.filename() == "half") {
            TinyUseLite(1).write(dir);
            fs::remove(dir / kFetchMarker);  // an interrupted fetch
        }
        try {
            load_use_lite(dir.string());
            ADD_FAILURE() << "loaded " << dir;
        } catch (const FileError& e) {
            EXPECT_NE(std::string(e.what()).find("use-lite is not fetched: run `attnscope-cli fetch use-lite`"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(UseLite, InfoComesFromTheWeights) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    EXPECT_EQ(m->info().family, ModelFamily::UseLite);
    EXPECT_EQ(m->info().name, "use-lite");
    EXPECT_EQ(m->info().layers, 2);
    EXPECT_EQ(m->info().heads, TinyUseLite::kHeads);
    EXPECT_EQ(m->info().hidden, TinyUseLite::kHidden);
    EXPECT_EQ(m->info().intermediate, TinyUseLite::kFfn);
    EXPECT_EQ(m->info().max_positions, TinyUseLite::kPositions);
    EXPECT_TRUE(m->info().takes_text);
}

TEST(UseLite, ForwardMatchesTheEquations) {
    TempFolder tmp;
    const TinyUseLite tiny(7);
    tiny.write(tmp.path / "use-lite");
    const auto m = load_use_lite((tmp.path / "use-lite").string());
    for (const std::vector<int64_t>& ids : std::vector<std::vector<int64_t>>{{7}, {6, 8, 9}, {10, 12, 13, 0, 6, 11}}) {
        const ModelPass pass = m->run(inputs_of(*m, {ids}));
        const TinyUseLite::Result ref = tiny.reference(ids);
        const int64_t n = static_cast<int64_t>(ids.size()), H = TinyUseLite::kHeads, hidden = TinyUseLite::kHidden;
        double att_diff = 0, hid_diff = 0, emb_diff = 0;
        for (int l = 0; l < 2; ++l) {
            ASSERT_EQ(pass.layers[l].attn->shape, (Shape{1, H, n, n}));
            for (int64_t h = 0; h < H; ++h)
                for (int64_t i = 0; i < n; ++i)
                    for (int64_t j = 0; j < n; ++j)
                        att_diff = std::max(
                            att_diff, std::abs(pass.layers[l].attn->data[(h * n + i) * n + j] - ref.att[l][h][i][j]));
        }
        ASSERT_EQ(pass.last_hidden_state->shape, (Shape{1, n, hidden}));
        for (int64_t i = 0; i < n; ++i)
            for (int64_t c = 0; c < hidden; ++c)
                hid_diff =
                    std::max(hid_diff, std::abs(pass.last_hidden_state->data[i * hidden + c] - ref.hidden[i][c]));
        ASSERT_TRUE(pass.sentence_embedding);
        for (int64_t c = 0; c < hidden; ++c)
            emb_diff = std::max(emb_diff, std::abs(pass.sentence_embedding->data[c] - ref.embedding[c]));
        // float32 against double over two layers of width <= 20: ~1e-6 expected.
        EXPECT_LT(att_diff, 1e-5) << n << " tokens";
        EXPECT_LT(hid_diff, 1e-4) << n << " tokens";
        EXPECT_LT(emb_diff, 1e-5) << n << " tokens";
    }
}

TEST(UseLite, InvariantsOfAPaddedBatch) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const ModelPass pass = m->run(inputs_of(*m, {{6, 7, 8, 9, 10}, {11}, {12, 13, 7}}));
    const int64_t lengths[3] = {5, 1, 3}, L = 5, H = TinyUseLite::kHeads;
    for (const LayerPass& layer : pass.layers)
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t q = 0; q < L; ++q) {
                    double sum = 0;
                    for (int64_t k = 0; k < L; ++k) {
                        const float a = layer.attn->data[((i * H + h) * L + q) * L + k];
                        sum += a;
                        if (k >= lengths[i]) {
                            EXPECT_EQ(a, 0.0f) << "padded key " << k << " of item " << i;
                        }
                    }
                    EXPECT_NEAR(sum, 1.0, 1e-6);  // padded query rows too, over the real keys
                }
    for (int64_t i = 0; i < 3; ++i) {
        double norm = 0;
        for (int64_t c = 0; c < TinyUseLite::kHidden; ++c)
            norm += std::pow(pass.sentence_embedding->data[i * TinyUseLite::kHidden + c], 2);
        EXPECT_NEAR(norm, 1.0, 1e-6);
    }
}

// The bits of item i's real tokens in a batch equal those of the sentence alone.
void expect_same_real_block(const ModelPass& batch, const ModelPass& alone, int64_t i, int64_t n, int64_t L) {
    const int64_t H = TinyUseLite::kHeads, hidden = TinyUseLite::kHidden;
    for (size_t l = 0; l < batch.layers.size(); ++l)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t q = 0; q < n; ++q)
                ASSERT_EQ(std::memcmp(batch.layers[l].attn->ptr() + ((i * H + h) * L + q) * L,
                                      alone.layers[l].attn->ptr() + (h * n + q) * n, n * sizeof(float)),
                          0)
                    << "layer " << l << " head " << h << " row " << q;
    ASSERT_EQ(std::memcmp(batch.last_hidden_state->ptr() + i * L * hidden, alone.last_hidden_state->ptr(),
                          n * hidden * sizeof(float)),
              0);
    ASSERT_EQ(std::memcmp(batch.sentence_embedding->ptr() + i * hidden, alone.sentence_embedding->ptr(),
                          hidden * sizeof(float)),
              0);
}

TEST(UseLite, APaddedBatchGivesEachSentenceItsNumbersAloneBitForBit) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const std::vector<std::vector<int64_t>> ids = {{6, 7, 8, 9, 10, 11}, {11}, {12, 13, 7}, {9, 9, 9, 9}};
    const ModelPass batch = m->run(inputs_of(*m, ids));
    for (size_t i = 0; i < ids.size(); ++i) {
        const ModelPass alone = m->run(inputs_of(*m, {ids[i]}));
        expect_same_real_block(batch, alone, static_cast<int64_t>(i), static_cast<int64_t>(ids[i].size()), 6);
    }
#ifdef _OPENMP
    // And whatever the number of threads.
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const ModelPass one_thread = m->run(inputs_of(*m, ids));
    omp_set_num_threads(threads);
    for (size_t l = 0; l < batch.layers.size(); ++l)
        EXPECT_EQ(std::memcmp(batch.layers[l].attn->ptr(), one_thread.layers[l].attn->ptr(),
                              batch.layers[l].attn->data.size() * sizeof(float)),
                  0);
#endif
}

TEST(UseLite, AnEmptySentenceInABatchAttendsUniformlyOverItsPadding) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const ModelInputs in = m->prepare_text({"", "ab c"});
    ASSERT_EQ(in.attention_mask.data[0], 0.0f);
    const ModelPass pass = m->run(in);
    const int64_t L = in.input_ids.dim(1);
    for (int64_t e = 0; e < TinyUseLite::kHeads * L * L; ++e)
        EXPECT_FLOAT_EQ(pass.layers[0].attn->data[e], 1.0f / static_cast<float>(L));
    EXPECT_THROW(m->prepare_text({"", ""}), TextError);
    EXPECT_THROW(m->prepare_text({}), ConfigError);
}

TEST(UseLite, PrepareTextPadsAndLabelsWithThePieces) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const ModelInputs in = m->prepare_text({"ab c", "c"});
    // "▁ab▁c" -> ▁ab ▁c; "▁c" -> ▁c, then padding.
    ASSERT_EQ(in.input_ids.shape, (Shape{2, 2}));
    EXPECT_EQ(in.input_ids.dtype, DType::Int64);
    EXPECT_EQ(std::vector<float>(in.input_ids.data.begin(), in.input_ids.data.end()),
              (std::vector<float>{10, 11, 11, 0}));
    EXPECT_EQ(std::vector<float>(in.attention_mask.data.begin(), in.attention_mask.data.end()),
              (std::vector<float>{1, 1, 1, 0}));
    EXPECT_EQ(in.tokens[0], (std::vector<std::string>{"\xE2\x96\x81"
                                                      "ab",
                                                      "\xE2\x96\x81"
                                                      "c"}));
    EXPECT_EQ(in.tokens[1], (std::vector<std::string>{"\xE2\x96\x81"
                                                      "c",
                                                      "<pad>"}));
    EXPECT_TRUE(in.warnings.empty());
}

TEST(UseLite, LongSentencesAreCutToTheGraphsMaximumWithAWarning) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const ModelInputs in = m->prepare_text({"c", "c c c c c c c c"});  // 8 pieces, 6 positions
    ASSERT_EQ(in.input_ids.shape, (Shape{2, TinyUseLite::kPositions}));
    ASSERT_EQ(in.warnings.size(), 1u);
    EXPECT_NE(in.warnings[0].find("sentence 2 has 8 pieces"), std::string::npos) << in.warnings[0];
    EXPECT_NE(in.warnings[0].find("first 6"), std::string::npos) << in.warnings[0];

    Tensor ids({1, 9}, 7.0f, DType::Int64), mask({1, 9}, 1.0f, DType::Int64);
    const ModelInputs cut = m->prepare_ids(ids, mask);
    EXPECT_EQ(cut.input_ids.shape, (Shape{1, 6}));
    ASSERT_EQ(cut.warnings.size(), 1u);
    Tensor long_ids({1, 9}, 7.0f, DType::Int64);
    ModelInputs direct;
    direct.input_ids = long_ids;
    direct.attention_mask = mask;
    EXPECT_THROW(m->run(direct), ShapeError);
}

TEST(UseLite, BadIdsAndMasksAreShapeErrorsNamingThem) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    auto message = [&](Tensor ids, Tensor mask) {
        try {
            m->prepare_ids(ids, mask);
        } catch (const ShapeError& e) {
            return std::string(e.what());
        }
        return std::string("no ShapeError");
    };
    Tensor ids({2, 3}, 7.0f, DType::Int64), mask({2, 3}, 1.0f, DType::Int64);
    EXPECT_NE(message(Tensor({6}, 7.0f, DType::Int64), Tensor({6}, 1.0f)).find("input_ids has shape [6]"),
              std::string::npos);
    EXPECT_NE(message(ids, Tensor({2, 4}, 1.0f)).find("attention_mask has shape [2, 4]"), std::string::npos);
    Tensor big = ids;
    big.data[4] = 14.0f;  // 14 rows in the embedding table: ids 0..13
    EXPECT_NE(message(big, mask).find("input_ids[1, 1] is 14"), std::string::npos) << message(big, mask);
    Tensor holes = mask;
    holes.data[1] = 0.0f;  // 1 0 1: not right padding
    EXPECT_NE(message(ids, holes).find("right padding"), std::string::npos) << message(ids, holes);
    Tensor half = mask;
    half.data[2] = 0.5f;
    EXPECT_NE(message(ids, half).find("expected 0 or 1"), std::string::npos);
}

TEST(UseLite, ValueNormsFollowTheirDefinition) {
    TempFolder tmp;
    const TinyUseLite tiny(11);
    tiny.write(tmp.path / "use-lite");
    const auto m = load_use_lite((tmp.path / "use-lite").string());
    const ModelPass pass = m->run(inputs_of(*m, {{6, 7, 8}, {9}}));
    const int64_t H = TinyUseLite::kHeads, L = 3, hidden = TinyUseLite::kHidden;
    for (int l = 0; l < 2; ++l) {
        const Tensor norms = pass.layers[l].value_norms();
        ASSERT_EQ(norms.shape, (Shape{2, H, L}));
        const Tensor v = pass.layers[l].trace.find("v")->tensor();  // [b, L, heads*depth], bias included
        const Tensor& W = tiny.get(TinyUseLite::layer(TinyUseLite::M(), l) +
                                   "MultiheadAttention/output_transform_single/kernel/part_0");
        const int64_t E = v.dim(2), D = E / H;
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t j = 0; j < L; ++j) {
                    double sq = 0;
                    for (int64_t o = 0; o < hidden; ++o) {
                        double s = 0;
                        for (int64_t d = 0; d < D; ++d)
                            s += v.data[(i * L + j) * E + h * D + d] * W.data[(h * D + d) * hidden + o];
                        sq += s * s;
                    }
                    EXPECT_NEAR(norms.data[(i * H + h) * L + j], std::sqrt(sq), 1e-5);
                }
    }
}

TEST(UseLite, TraceStepsHaveTheirShapesAndAgreeWithEachOther) {
    TempFolder tmp;
    const auto m = tiny_model(tmp);
    const ModelPass pass = m->run(inputs_of(*m, {{6, 7, 8, 9}, {10, 11}}));
    const int64_t b = 2, L = 4, H = TinyUseLite::kHeads;
    const std::vector<std::string> names = {"x",         "ln",           "qkv",         "q",        "k",      "v",
                                            "q_heads",   "k_heads",      "v_heads",     "q_scaled", "scores", "masked",
                                            "softmax",   "weighted_sum", "merge_heads", "attn_out", "add",    "ffn_ln",
                                            "ffn_conv1", "ffn_conv2",    "ffn_add"};
    for (int l = 0; l < 2; ++l) {
        const Trace& t = pass.layers[l].trace;
        for (const std::string& name : names) {
            const TraceStep* s = t.find(name);
            ASSERT_NE(s, nullptr) << "layer " << l << " has no step " << name;
            EXPECT_FALSE(s->code.empty());
            EXPECT_EQ(s->tensor().shape, s->shape.sizes) << name;
            EXPECT_EQ(s->shape.names.size(), s->shape.sizes.size()) << name;
        }
        EXPECT_EQ(t.find("residual") != nullptr, l == 0);
        EXPECT_EQ(t.find("softmax")->shape.to_string(), "[b, heads, L, L] = [2, " + std::to_string(H) + ", 4, 4]");
        // softmax(masked) is the held attention; masked is scores + (-1e9 on padded keys).
        const Tensor scores = t.find("scores")->tensor(), masked = t.find("masked")->tensor();
        const Tensor& att = *pass.layers[l].attn;
        for (int64_t i = 0; i < b; ++i)
            for (int64_t e = 0; e < H * L * L; ++e) {
                const int64_t key = e % L, at = i * H * L * L + e;
                EXPECT_EQ(masked.data[at], scores.data[at] + (key >= (i == 0 ? 4 : 2) ? -1e9f : 0.0f));
            }
        for (int64_t row = 0; row < b * H * L; ++row) {
            double mx = -1e30, sum = 0;
            for (int64_t k = 0; k < L; ++k)
                mx = std::max(mx, static_cast<double>(masked.data[row * L + k]));
            for (int64_t k = 0; k < L; ++k)
                sum += std::exp(masked.data[row * L + k] - mx);
            for (int64_t k = 0; k < L; ++k)
                EXPECT_NEAR(att.data[row * L + k], std::exp(masked.data[row * L + k] - mx) / sum, 1e-6);
        }
        EXPECT_EQ(t.attn_data, pass.layers[l].attn);
        EXPECT_FLOAT_EQ(t.fill, -1e9f);
    }
    EXPECT_NE(pass.embeddings.find("timing_signal"), nullptr);
    EXPECT_NE(pass.embeddings.find("embedding"), nullptr);
    EXPECT_EQ(pass.embeddings.find("x")->shape.sizes, (Shape{b, L, TinyUseLite::kEmb}));
    EXPECT_EQ(pass.pooling.find("l2_normalize")->shape.sizes, (Shape{b, TinyUseLite::kHidden}));
    // e + (e + t) on the real tokens, 0 on padding.
    const Tensor e = pass.embeddings.find("embedding")->tensor(), t = pass.embeddings.find("timing_signal")->tensor();
    const Tensor x = pass.embeddings.find("x")->tensor();
    for (int64_t k = 0; k < x.numel(); ++k)
        EXPECT_EQ(x.data[k], e.data[k] + (e.data[k] + t.data[k]));
    EXPECT_EQ(x.data[(1 * L + 3) * TinyUseLite::kEmb], 0.0f);
}

TEST(UseLite, AMissingOrMisshapenTensorIsNamedWithBothShapes) {
    TempFolder tmp;
    TinyUseLite tiny(3);
    const std::string ffn = TinyUseLite::layer(TinyUseLite::TS(), 1) + "FFN/conv2/Tensordot/Reshape_1";
    tiny.write(tmp.path / "missing", ffn);
    try {
        load_use_lite((tmp.path / "missing").string());
        ADD_FAILURE() << "loaded";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("'" + ffn + "' is missing"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("model.json"), std::string::npos) << e.what();
    }
    tiny.t[ffn] = Tensor({TinyUseLite::kHidden, TinyUseLite::kFfn});  // transposed
    tiny.write(tmp.path / "transposed");
    try {
        load_use_lite((tmp.path / "transposed").string());
        ADD_FAILURE() << "loaded";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("has shape [12, 20], expected [20, 12]"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace attn
