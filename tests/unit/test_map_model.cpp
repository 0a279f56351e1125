// core/maps: the one map model (which maps exist, their values, ranges, padding, names), the
// picture an export writes, and the exporter. Expected values are read straight from the weights
// the test wrote, or are the CLI's file names as the README documents them.
#include "errors.h"
#include "maps/cpu_render.h"
#include "maps/map_export.h"
#include "maps/map_model.h"
#include "model/forward.h"
#include "pipeline/scene.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

namespace attn {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
namespace fs = std::filesystem;

// A pass as far as the map model reads it: the module, the inputs' shapes, pad_mask, att_weights.
struct FakePass {
    Scene scene;
    Trace trace;
};

// Weights in [0, 1) that differ everywhere (a fixed pseudo-random pattern); `edit` changes some.
FakePass fake_pass(ModuleKind kind, const Shape& shape, const std::function<void(Tensor&)>& edit = {}) {
    FakePass p;
    p.scene.module.kind = kind;
    Tensor attn(shape);
    for (size_t i = 0; i < attn.data.size(); ++i)
        attn.data[i] = static_cast<float>((i * 2654435761u) % 1000003u) / 1000003.0f;
    if (edit) edit(attn);
    p.trace.module = module_class_name(kind);
    p.trace.attn_data = std::make_shared<const Tensor>(std::move(attn));
    return p;
}

// A cross-multihead pass: att_weights [b, heads, h*w, seq] over an x of [b, 1, h, w].
FakePass cross_pass(int64_t b, int64_t heads, int64_t h, int64_t w, int64_t seq) {
    FakePass p = fake_pass(ModuleKind::CrossMultiHead, {b, heads, h * w, seq});
    p.scene.inputs.x = Tensor({b, 1, h, w});
    return p;
}

MapModel model_of(const FakePass& p) {
    return MapModel(attention_set_from_pass(p.scene, p.trace));
}

TEST(MapModel, SmallMatricesGetTheSharedRangeAndNoPreviews) {
    // a NaN (a fully padded row) is left out of the range
    FakePass p = fake_pass(ModuleKind::MultiHead, {2, 4, 5, 5}, [](Tensor& a) { a.data[7] = kNaN; });
    const MapModel m = model_of(p);
    float lo = 2.0f, hi = -1.0f;
    for (float v : p.trace.attn().data)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    const MapRange shared = m.shared_range(MapQuantity::Weights);
    EXPECT_EQ(shared.lo, lo);
    EXPECT_EQ(shared.hi, hi);
    EXPECT_EQ(m.preview({0, 0}), nullptr);
}

TEST(MapModel, LargeMatricesGetPreviewsPerHeadAndTheirMean) {
    const int64_t q = 1500, k = 1100;  // a side over kMatrixPreviewSide
    FakePass p = fake_pass(ModuleKind::MultiHead, {1, 2, q, k});
    const MapModel m = model_of(p);
    for (int h = 0; h < 2; ++h) {
        const Downsampled* preview = m.preview({0, h});
        ASSERT_NE(preview, nullptr);
        const Downsampled direct = area_mean(p.trace.attn().data.data() + h * q * k, q, k, preview->rows, preview->cols);
        EXPECT_EQ(preview->rows, kMatrixPreviewSide);
        EXPECT_EQ(preview->cols, kMatrixPreviewSide);
        EXPECT_EQ(preview->values, direct.values) << "head " << h;
    }
    const Downsampled* mean = m.preview({0, kMeanHead});
    ASSERT_NE(mean, nullptr);
    for (size_t i = 0; i < mean->values.size(); i += 997)
        EXPECT_FLOAT_EQ(mean->values[i], m.preview({0, 0})->values[i] / 2.0f + m.preview({0, 1})->values[i] / 2.0f);
    EXPECT_EQ(m.preview({0, kMaxHead}), nullptr);  // fusions other than the mean have none
}

TEST(MapModel, CrossRangeLeavesOutPaddingKeys) {
    FakePass p = cross_pass(1, 1, 2, 3, 3);
    Tensor attn = p.trace.attn();
    for (int64_t px = 0; px < 6; ++px)
        attn.data[static_cast<size_t>(px * 3 + 2)] = 5.0f;  // key 2: padding, out of range
    p.trace.attn_data = std::make_shared<const Tensor>(attn);
    Tensor mask({1, 3}, 0.0f, DType::Bool);
    mask.data[2] = 1.0f;
    p.scene.inputs.pad_mask = mask;
    const MapModel m = model_of(p);
    EXPECT_LT(m.shared_range(MapQuantity::Weights).hi, 1.0f);
    EXPECT_TRUE(m.is_padding_map({0, 0, 2}));
    EXPECT_FALSE(m.is_padding_map({0, 0, 1}));
}

TEST(MapModel, StopsWhenCancelled) {
    FakePass p = fake_pass(ModuleKind::Self, {1, 8, 8});
    const std::atomic<bool> cancel{true};
    EXPECT_THROW(MapModel(attention_set_from_pass(p.scene, p.trace), &cancel), Cancelled);
}

TEST(MapModel, AttentionWeightsOfAnotherLayoutGiveNothing) {
    FakePass p = fake_pass(ModuleKind::MultiHead, {2, 5, 5});  // multi-head weights have 4 dimensions
    const MapModel m = model_of(p);
    EXPECT_TRUE(m.empty());
    EXPECT_TRUE(m.every_map().empty());
    EXPECT_THROW(m.values({0, 0}), ConfigError);
}

TEST(MapModel, CrossValuesAreTheTokensColumnOverTheGrid) {
    FakePass p = cross_pass(2, 3, 4, 5, 6);  // att_weights [2, 3, 20, 6]
    const MapModel m = model_of(p);
    const Tensor& a = p.trace.attn();
    const MapKey key{1, 2, 4};
    EXPECT_TRUE(m.spatial(key));
    EXPECT_EQ(m.size(key), std::make_pair(int64_t{4}, int64_t{5}));
    const MapValues v = m.values(key);
    EXPECT_EQ(v.owned, nullptr);  // a view into att_weights, not a copy
    for (int64_t r = 0; r < 4; ++r)
        for (int64_t c = 0; c < 5; ++c) {
            const float expected = a.data[static_cast<size_t>(((1 * 3 + 2) * 20 + r * 5 + c) * 6 + 4)];
            EXPECT_EQ(v.at(r, c), expected);
            EXPECT_EQ(m.value(key, r, c), expected);
        }
    // The mean over heads: each weight / heads, summed in head order.
    const MapValues mean = m.values({1, kMeanHead, 4});
    for (int64_t px = 0; px < 20; ++px) {
        float sum = 0.0f;
        for (int64_t h = 0; h < 3; ++h)
            sum += a.data[static_cast<size_t>(((1 * 3 + h) * 20 + px) * 6 + 4)] / 3.0f;
        EXPECT_EQ(mean.at(px / 5, px % 5), sum);
        EXPECT_EQ(m.value({1, kMeanHead, 4}, px / 5, px % 5), sum);
    }
}

TEST(MapModel, MatricesAreContiguousViewsAndFusionsAreOrdered) {
    FakePass p = fake_pass(ModuleKind::MultiHead, {1, 4, 3, 5});
    const MapModel m = model_of(p);
    const MapValues head = m.values({0, 2, 7});  // a matrix ignores the token
    EXPECT_TRUE(head.contiguous());
    EXPECT_EQ(head.data, p.trace.attn().data.data() + 2 * 15);
    EXPECT_EQ(m.canonical({0, 2, 7}).token, -1);
    const MapValues mx = m.values({0, kMaxHead}), mn = m.values({0, kMinHead}), mean = m.values({0, kMeanHead});
    for (int64_t i = 0; i < 15; ++i) {
        EXPECT_GE(mx.data[i], mean.data[i]);
        EXPECT_LE(mn.data[i], mean.data[i]);
        float hi = -1.0f;
        for (int64_t h = 0; h < 4; ++h)
            hi = std::max(hi, p.trace.attn().data[static_cast<size_t>(h * 15 + i)]);
        EXPECT_EQ(mx.data[i], hi);
    }
    // Matrices of weights are coloured on the absolute 0..1 scale unless the range is shared.
    EXPECT_EQ(m.range({0, 1}, MapStyle{}).lo, 0.0f);
    EXPECT_EQ(m.range({0, 1}, MapStyle{}).hi, 1.0f);
}

TEST(MapModel, SingleHeadModulesHaveNoFusions) {
    FakePass p = fake_pass(ModuleKind::Self, {2, 3, 3});
    const MapModel m = model_of(p);
    EXPECT_FALSE(m.has_fusions());
    EXPECT_THROW(m.values({0, kMeanHead}), ConfigError);
    EXPECT_THROW(m.values({0, 1}), ConfigError);
    EXPECT_THROW(m.values({2, 0}), ConfigError);
    EXPECT_THROW(m.values({0, 0, -1, 1}), ConfigError);  // one layer
    EXPECT_THROW(m.values({0, 0, -1, 0, MapQuantity::Norms}), ConfigError);
}

TEST(MapModel, EveryMapHasTheCliNamesAndOrder) {
    FakePass p = cross_pass(1, 2, 2, 2, 3);
    p.scene.tokens = TokenBatch{};
    p.scene.tokens->tokens = {{"tom", "!"}};
    p.scene.keys_are_tokens = true;
    Tensor mask({1, 3}, 0.0f, DType::Bool);
    mask.data[2] = 1.0f;  // key 2 is padding: no map
    p.scene.inputs.pad_mask = mask;
    const MapModel m = model_of(p);
    std::vector<std::string> names;
    for (const MapKey& k : m.every_map())
        names.push_back(m.file_name(k));
    EXPECT_EQ(names, (std::vector<std::string>{"b0_h0_t0_tom.png", "b0_h1_t0_tom.png", "b0_mean_t0_tom.png",
                                               "b0_h0_t1_u21.png", "b0_h1_t1_u21.png", "b0_mean_t1_u21.png"}));
    const nlohmann::json e = m.entry({0, kMeanHead, 1});
    EXPECT_EQ(e["head"], "mean");
    EXPECT_EQ(e["token"], "!");
    EXPECT_EQ(e["token_index"], 1);
    EXPECT_FALSE(e.contains("layer"));

    FakePass s = fake_pass(ModuleKind::MultiHead, {2, 2, 3, 3});
    const MapModel ms = model_of(s);
    names.clear();
    for (const MapKey& k : ms.every_map())
        names.push_back(ms.file_name(k));
    EXPECT_EQ(names, (std::vector<std::string>{"b0_h0.png", "b0_h1.png", "b1_h0.png", "b1_h1.png"}));
}

// A real model's set: two layers, a [CLS] and a 2 x 2 patch grid, fake value norms.
AttentionSet patch_set() {
    AttentionSet s;
    s.model = "vit-test";
    s.layered = true;
    s.batches = 1;
    s.heads = 2;
    s.queries = s.keys = 5;
    s.query_kind = QueryKind::Patches;
    s.grid_rows = s.grid_cols = 2;
    s.prefix_tokens = 1;
    for (int l = 0; l < 2; ++l) {
        Tensor a({1, 2, 5, 5});
        for (size_t i = 0; i < a.data.size(); ++i)
            a.data[i] = static_cast<float>(l * 100 + static_cast<int>(i)) / 1000.0f;
        s.layers.push_back(std::make_shared<const Tensor>(std::move(a)));
        s.value_norms.push_back([] {
            Tensor n({1, 2, 5});
            for (size_t i = 0; i < n.data.size(); ++i)
                n.data[i] = static_cast<float>(i + 1);
            return n;
        });
    }
    s.key_labels = s.query_labels = {{"[CLS]", "p0", "p1", "p2", "p3"}};
    s.key_is_pad = {{false, false, false, false, false}};
    s.images.resize(1);
    return s;
}

TEST(MapModel, PatchRowsSkipThePrefixAndNamesCarryTheLayer) {
    const MapModel m(patch_set());
    const MapKey cls{0, 1, 0, 1};
    EXPECT_TRUE(m.spatial(cls));
    const MapValues v = m.values(cls);
    // layer 1, head 1, query 0: weights (100 + 25 + 0*5 + 1 + cell) / 1000 for keys 1..4
    for (int64_t cell = 0; cell < 4; ++cell)
        EXPECT_FLOAT_EQ(v.at(cell / 2, cell % 2), static_cast<float>(100 + 25 + 1 + cell) / 1000.0f);
    EXPECT_EQ(m.file_name(cls), "l1_b0_h1_t0_cls.png");
    EXPECT_EQ(m.file_name({0, kMeanHead, -1, 0}), "l0_b0_mean.png");
    EXPECT_EQ(m.file_name({0, 0, -1, 1, MapQuantity::Norms}), "l1_b0_h0_norms.png");
    const nlohmann::json e = m.entry(cls);
    EXPECT_EQ(e["layer"], 1);
    EXPECT_EQ(e["token_role"], "query");
    // Every layer: matrices (heads, mean), then [CLS]'s rows (heads, mean); rollout last.
    const std::vector<MapKey> every = m.every_map();
    EXPECT_EQ(every.size(), 2u * (3 + 3) + 2);
    EXPECT_EQ(m.file_name(every.back()), "l1_b0_rollout_t0_cls.png");
    EXPECT_EQ(m.file_name(every[every.size() - 2]), "l1_b0_rollout.png");
    const auto view = m.grid(0, -1);  // the model view: a row per layer, rollout as the last column
    ASSERT_EQ(view.size(), 2u);
    EXPECT_EQ(view[1].back().quantity, MapQuantity::Rollout);
    // Rollout rows sum to 1 (every key is a token here).
    const MapValues r = m.values({0, 0, -1, 1, MapQuantity::Rollout});
    for (int64_t q = 0; q < 5; ++q) {
        double sum = 0.0;
        for (int64_t k = 0; k < 5; ++k)
            sum += r.at(q, k);
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(MapModel, NormsAreTheWeightsTimesTheValueNorms) {
    const MapModel m(patch_set());
    const MapKey key{0, 1, -1, 0, MapQuantity::Norms};
    const MapValues n = m.values(key);
    const MapValues w = m.values({0, 1, -1, 0});
    float hi = 0.0f;
    for (int64_t q = 0; q < 5; ++q)
        for (int64_t k = 0; k < 5; ++k) {
            EXPECT_FLOAT_EQ(n.at(q, k), w.at(q, k) * static_cast<float>(5 + k + 1));  // head 1: norms 6..10
            hi = std::max(hi, n.at(q, k));
        }
    // Norms are not probabilities: their matrix gets its own range, not 0..1.
    EXPECT_EQ(m.range(key, MapStyle{}).hi, hi);
    EXPECT_EQ(m.own_range(key).hi, hi);
}

TEST(MapPicture, MatrixExportIsFramedCellsOfThePaintedColours) {
    FakePass p = fake_pass(ModuleKind::MultiHead, {1, 2, 3, 4});
    Tensor mask({1, 4}, 0.0f, DType::Bool);
    mask.data[3] = 1.0f;
    p.scene.inputs.pad_mask = mask;
    const MapModel m = model_of(p);
    CpuPainter painter;
    const MapPicture pic = draw_map(m, {0, 1}, MapStyle{}, painter, 8);
    const std::vector<float> w(p.trace.attn().data.begin() + 12, p.trace.attn().data.begin() + 24);
    const RgbImage direct = render_matrix_map(w.data(), 3, 4, {false, false, false, true}, Colormap::Viridis, 8);
    EXPECT_EQ(pic.image.width, 4 * 9 + 1);
    EXPECT_EQ(pic.image.pixels, direct.pixels);
    EXPECT_EQ(pic.details["cell_px"], 8);
    EXPECT_EQ(natural_size(m, {0, 1}, 8), std::make_pair(pic.image.width, pic.image.height));
}

TEST(MapExport, EveryMapWritesMapsJsonAndRemovesStaleMaps) {
    const test::TempFolder folder;
    const std::string dir = folder.path.string();
    // A stale map listed by an earlier export, and a file it never listed (kept).
    std::ofstream(dir + "/b9_h0.png") << "old";
    std::ofstream(dir + "/notes.txt") << "mine";
    std::ofstream(dir + "/maps.json") << R"([{"file": "b9_h0.png"}, {"file": "../escape.png"}])";
    FakePass p = fake_pass(ModuleKind::MultiHead, {1, 2, 3, 3});
    const MapModel m = model_of(p);
    CpuPainter painter;
    const ExportResult r = export_every_map(m, painter, MapExportOptions{}, dir);
    EXPECT_EQ(r.files.size(), 3u);  // two maps and maps.json
    EXPECT_FALSE(fs::exists(dir + "/b9_h0.png"));
    EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
    std::ifstream in(dir + "/maps.json");
    const nlohmann::json index = nlohmann::json::parse(in);
    ASSERT_EQ(index.size(), 2u);
    EXPECT_EQ(index[1]["file"], "b0_h1.png");
    EXPECT_EQ(index[1]["width"], 3 * 33 + 1);
    EXPECT_EQ(index[1]["queries"].size(), 3u);

    const ExportResult g = export_grid(m, painter, 0, 0, MapExportOptions{}, dir);
    ASSERT_EQ(g.files.size(), 1u);
    EXPECT_TRUE(fs::exists(dir + "/b0_grid.png"));
}

}  // namespace
}  // namespace attn
