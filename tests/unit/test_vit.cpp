// ViT from a Hugging Face folder (core/models/vit): loading with and without "vit.", the patch
// embedding against a direct convolution, the pass and its trace, and the bad inputs. Numbers
// against PyTorch are checked live in tests/torch/hf_compare.py.
#include "errors.h"
#include "export/png.h"
#include "models/bert/bert_model.h"
#include "models/vit/vit_model.h"

#include "test_bert_folders.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attn {
namespace {

using test::TempFolder;
using test::TinyVit;

std::string what_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(Vit, LoadsWithEitherPrefix) {
    for (const std::string prefix : {"vit.", ""}) {
        TempFolder dir;
        TinyVit v;
        v.prefix = prefix;
        v.classifier = prefix == "vit.";
        std::vector<std::string> warnings;
        auto model = load_vit_folder(test::write_tiny_vit(dir.path / "dino", v), &warnings);
        EXPECT_EQ(model->info().family, ModelFamily::Vit);
        EXPECT_FALSE(model->info().takes_text);
        EXPECT_EQ(model->info().image_height, 12);
        EXPECT_EQ(model->info().patch_size, 4);
        EXPECT_EQ(model->info().max_positions, 10);
        if (v.classifier) {
            ASSERT_EQ(warnings.size(), 1u);
            EXPECT_NE(warnings[0].find("classifier.weight"), std::string::npos) << warnings[0];
        } else {
            EXPECT_TRUE(warnings.empty());
        }
    }
}

TEST(Vit, PassMatchesADirectPatchConvolution) {
    TempFolder dir;
    TinyVit v;
    auto model = load_vit_folder(test::write_tiny_vit(dir.path / "m", v), nullptr);
    const Tensor px = test::filled({2, 3, 12, 12}, 7, 1.0f);
    const ModelInputs in = model->prepare_pixels(px);
    EXPECT_EQ(in.patch_rows, 3);
    EXPECT_EQ(in.patch_cols, 3);
    EXPECT_EQ(in.prefix_tokens, 1);
    EXPECT_EQ(in.tokens[1], (std::vector<std::string>{"[CLS]", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}));
    EXPECT_EQ(in.attention_mask.shape, (Shape{2, 10}));
    const ModelPass pass = model->run(in);
    ASSERT_EQ(pass.layers.size(), 2u);
    EXPECT_EQ(pass.last_hidden_state->shape, (Shape{2, 10, 12}));
    EXPECT_EQ(pass.layers[0].attn->shape, (Shape{2, 3, 10, 10}));

    // Conv2d(kernel = stride = 4) by its definition, in double, against the patch_embeddings step.
    const auto tensors = test::tiny_vit_tensors(v);
    auto find = [&](const std::string& n) -> const Tensor& {
        for (const auto& t : tensors)
            if (t.first == n) return t.second;
        throw std::runtime_error(n);
    };
    const Tensor& W = find("vit.embeddings.patch_embeddings.projection.weight");  // [12, 3, 4, 4]
    const Tensor& B = find("vit.embeddings.patch_embeddings.projection.bias");
    const Tensor patches = pass.embeddings.find("patch_embeddings")->tensor();  // [2, 9, 12]
    ASSERT_EQ(patches.shape, (Shape{2, 9, 12}));
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t p = 0; p < 9; ++p)
            for (int64_t o = 0; o < 12; ++o) {
                double acc = B.data[static_cast<size_t>(o)];
                for (int64_t c = 0; c < 3; ++c)
                    for (int64_t y = 0; y < 4; ++y)
                        for (int64_t x = 0; x < 4; ++x)
                            acc += static_cast<double>(W.data[static_cast<size_t>(((o * 3 + c) * 4 + y) * 4 + x)]) *
                                   px.data[static_cast<size_t>(((i * 3 + c) * 12 + (p / 3) * 4 + y) * 12 + (p % 3) * 4 +
                                                               x)];
                EXPECT_NEAR(patches.data[static_cast<size_t>((i * 9 + p) * 12 + o)], acc, 1e-5);
            }
    // Rows sum to 1; the trace is ViT's pre-LN layer.
    for (const LayerPass& l : pass.layers)
        for (int64_t r = 0; r < 2 * 3 * 10; ++r) {
            double s = 0;
            for (int64_t k = 0; k < 10; ++k)
                s += l.attn->data[static_cast<size_t>(r * 10 + k)];
            EXPECT_NEAR(s, 1.0, 1e-5);
        }
    const Trace& t = pass.layers[0].trace;
    EXPECT_EQ(t.module, "ViTLayer");
    EXPECT_EQ(t.steps[1].name, "layernorm_before");
    EXPECT_EQ(t.find("masked"), nullptr);
    EXPECT_EQ(t.steps.back().name, "ffn_residual");
    test::expect_same_tensor(t.steps.back().tensor(), pass.layers[1].trace.find("hidden_states")->tensor());
    EXPECT_EQ(pass.pooling.steps.back().name, "layernorm");
}

TEST(Vit, RefusesPixelsOfAnotherSize) {
    TempFolder dir;
    auto model = load_vit_folder(test::write_tiny_vit(dir.path / "m"), nullptr);
    const std::string msg = what_of([&] { model->prepare_pixels(Tensor({1, 3, 16, 12})); });
    EXPECT_NE(msg.find("pixel_values is [1, 3, 16, 12]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("takes [b, 3, 12, 12]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("resized"), std::string::npos) << msg;
    EXPECT_THROW(model->prepare_pixels(Tensor({3, 12, 12})), ShapeError);
    Tensor nan({1, 3, 12, 12});
    nan.data[5] = NAN;
    EXPECT_THROW(model->prepare_pixels(nan), ShapeError);
    EXPECT_THROW(model->prepare_text({"a cat"}), ConfigError);
    ModelInputs none;
    EXPECT_THROW(model->run(none), ShapeError);
}

TEST(Vit, PicturesArePreprocessedToTheModelsSize) {
    TempFolder dir;
    auto model = load_vit_folder(test::write_tiny_vit(dir.path / "m"), nullptr);
    RgbImage img;
    img.width = 30;
    img.height = 17;
    for (int i = 0; i < 30 * 17 * 3; ++i)
        img.pixels.push_back(static_cast<uint8_t>(i * 37 % 256));
    const std::string a = (dir.path / "a.png").string(), notpic = (dir.path / "b.png").string();
    write_png(a, img);
    const ModelInputs in = model->prepare_images({a, a});
    ASSERT_TRUE(in.pixel_values.has_value());
    EXPECT_EQ(in.pixel_values->shape, (Shape{2, 3, 12, 12}));  // resized, aspect ratio ignored
    ASSERT_EQ(in.images.size(), 2u);
    EXPECT_EQ(in.images[0], in.images[1]);  // one decoded picture for both items
    EXPECT_EQ(in.images[0]->width, 30);
    // mean = std = 0.5 in this folder: every value lies in [-1, 1]
    for (float v : in.pixel_values->data) {
        EXPECT_GE(v, -1.0f);
        EXPECT_LE(v, 1.0f);
    }
    std::ofstream(notpic) << "not a picture";
    EXPECT_THROW(model->prepare_images({notpic}), FileError);
    std::filesystem::remove(dir.path / "m" / "preprocessor_config.json");
    std::vector<std::string> warnings;
    auto bare = load_vit_folder((dir.path / "m").string(), &warnings);
    ASSERT_EQ(warnings.size(), 2u);  // the classifier, and the missing preprocessing
    EXPECT_NE(what_of([&] { bare->prepare_images({a}); }).find("no preprocessor_config.json"), std::string::npos);
    EXPECT_NO_THROW(bare->prepare_pixels(Tensor({1, 3, 12, 12})));
}

TEST(Vit, BadFolders) {
    TempFolder dir;
    const std::string folder = test::write_tiny_vit(dir.path / "m");
    nlohmann::json c = test::tiny_vit_config(TinyVit{});
    c["image_size"] = 16;  // position embeddings for 16 patches, the file has 9
    test::write_json(folder + "/config.json", c);
    std::string msg = what_of([&] { load_vit_folder(folder, nullptr); });
    EXPECT_NE(msg.find("embeddings.position_embeddings is [1, 10, 12]; config.json makes it [1, 17, 12]"),
              std::string::npos)
        << msg;
    c = test::tiny_vit_config(TinyVit{});
    c["patch_size"] = 24;
    test::write_json(folder + "/config.json", c);
    msg = what_of([&] { load_vit_folder(folder, nullptr); });
    EXPECT_NE(msg.find("patch_size 24x24 is larger than image_size 12x12"), std::string::npos) << msg;
    c = test::tiny_vit_config(TinyVit{});
    c["image_size"] = {12, "x"};
    test::write_json(folder + "/config.json", c);
    EXPECT_THROW(load_vit_folder(folder, nullptr), FileError);
    test::write_json(folder + "/config.json", test::tiny_vit_config(TinyVit{}));
    msg = what_of([&] { load_bert_folder(folder, nullptr); });
    EXPECT_NE(msg.find("holds a vit model"), std::string::npos) << msg;
}

}  // namespace
}  // namespace attn
