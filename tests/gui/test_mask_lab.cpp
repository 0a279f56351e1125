// The mask lab's cases (app/gui/mask_lab.h) on the seed's batch, by the invariants each one
// teaches: padding keys get 0; the causal mask hides the future; both together hide both; a left-
// padded causal row with nothing left is uniform with -1e9 and NaN with -inf (the other rows the
// same under both fills); a float 0/1 mask masks nothing. The numbers against torch are in
// tests/torch/mask_lab_compare.py (ctest gui_mask_lab, which saves the window's own cases).
#include "mask_lab.h"
#include "settings.h"

#include "io/npy.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace attn::gui {
namespace {

const std::string kChelsea = ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png";

MaskLabSpec seed_spec() {
    Settings s;  // the seed's three sentences: 4, 3 and 4 tokens of 5
    s.emb_dim = 16;
    s.heads = 2;
    MaskLabSpec spec;
    spec.scene = scene_spec(s, kChelsea);
    return spec;
}

const MaskLabCase& find(const MaskLabResult& r, const std::string& id) {
    for (const MaskLabCase& c : r.cases)
        if (c.id == id) return c;
    throw std::runtime_error("no case " + id);
}

// weights[b, h, i, j] of a [b, heads, L, S] tensor.
float w(const Tensor& t, int64_t b, int64_t h, int64_t i, int64_t j) {
    const Shape& s = t.shape;
    return t.data[static_cast<size_t>(((b * s[1] + h) * s[2] + i) * s[3] + j)];
}

TEST(MaskLab, EachCaseMasksWhatItTeaches) {
    const MaskLabResult r = run_mask_lab(seed_spec());
    ASSERT_EQ(r.cases.size(), 6u);
    const int64_t B = 3, H = 2, L = 5;
    const int lengths[] = {4, 3, 4};
    for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < L; ++i)
                for (int64_t j = 0; j < L; ++j) {
                    const bool pad = j >= lengths[b], future = j > i;
                    EXPECT_EQ(w(find(r, "key_padding").weights, b, h, i, j) == 0.0f, pad) << b << h << i << j;
                    EXPECT_EQ(w(find(r, "key_padding").masked, b, h, i, j) != 0.0f, pad);
                    EXPECT_EQ(w(find(r, "attn_mask").weights, b, h, i, j) == 0.0f, future);
                    EXPECT_EQ(w(find(r, "both").masked, b, h, i, j) != 0.0f, pad || future);
                    EXPECT_GT(w(find(r, "float_01").weights, b, h, i, j), 0.0f);  // 1.0 added masks nothing
                    EXPECT_EQ(w(find(r, "float_01").masked, b, h, i, j), 0.0f);
                }
    // Padded on the left: item b has 5 - lengths[b] padding positions first; with causal, query i
    // sees keys 0..i, all padding while i < 5 - lengths[b].
    for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < L; ++i) {
                const bool nothing_left = i < L - lengths[b];
                for (int64_t j = 0; j < L; ++j) {
                    const float a = w(find(r, "full_row_1e9").weights, b, h, i, j);
                    const float n = w(find(r, "full_row_inf").weights, b, h, i, j);
                    if (nothing_left) {
                        EXPECT_FLOAT_EQ(a, 1.0f / 5.0f) << b << h << i << j;  // uniform over every key
                        EXPECT_TRUE(std::isnan(n));
                    } else {
                        EXPECT_NEAR(a, n, 1e-7);
                    }
                }
            }
    EXPECT_EQ(r.tokens_left[1][0], "<pad>");
    EXPECT_EQ(r.tokens_left[1][2], "the");
}

TEST(MaskLab, WorkerDeliversTheNewestAndExportWritesEveryInput) {
    MaskLabWorker worker;
    MaskLabSpec spec = seed_spec();
    worker.submit(spec);
    spec.scene.module.heads = 4;
    const uint64_t newest = worker.submit(spec);
    ASSERT_TRUE(worker.wait_idle(60.0));
    std::optional<MaskLabResult> r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->generation, newest);
    EXPECT_TRUE(r->error.empty()) << r->error;
    EXPECT_EQ(r->cases[0].weights.shape, (Shape{3, 4, 5, 5}));

    const std::string dir = (std::filesystem::temp_directory_path() / "attnscope_mask_lab_test").string();
    std::filesystem::remove_all(dir);
    export_mask_lab(*r, dir);
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir + "/cases.json"));
    EXPECT_EQ(j["cases"].size(), 6u);
    for (const char* f : {"weights.safetensors", "x.npy", "x_left.npy", "pad_mask.npy", "pad_mask_left.npy",
                          "attn_mask.npy", "both_weights.npy", "full_row_inf_masked.npy"})
        EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
    EXPECT_EQ(read_npy(dir + "/attn_mask.npy").dtype, DType::Bool);
    std::filesystem::remove_all(dir);

    // A bad attn_mask file becomes the result's error, not a crash.
    spec.attn_mask_path = dir + "/missing.npy";
    worker.submit(spec);
    ASSERT_TRUE(worker.wait_idle(60.0));
    r = worker.take_result();
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->error.find("missing.npy"), std::string::npos) << r->error;
}

}  // namespace
}  // namespace attn::gui
