// core/image/vit_preprocess.cpp: pixel_values against numpy doing ViTImageProcessor's rescale and
// normalise on Pillow's resize (tests/image/pillow_reference.py; skipped without python3-pil),
// and preprocessor_config.json field by field.
#include "image/vit_preprocess.h"

#include "errors.h"
#include "image/image.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "pillow_reference.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attn {
namespace {

using test::expect_file_error;

VitPreprocessConfig parse(const std::string& text) {
    return parse_preprocessor_config_text(text, "pp.json");
}

TEST(VitPreprocess, PixelValuesMatchNumpyOnPillowsResize) {
    const test::PillowReference& ref = test::pillow_reference();
    if (!ref.skip_reason.empty()) GTEST_SKIP() << ref.skip_reason;
    const auto& cases = ref.cases["vit"];
    ASSERT_GE(cases.size(), 30u);
    double max_diff = 0;
    for (const auto& c : cases) {
        const std::string folder = c["folder"];
        const VitPreprocessConfig config = parse_preprocessor_config(folder + "/preprocessor_config.json");
        const Tensor got = vit_pixel_values(load_image(c["picture"]), config);
        const Tensor want = read_npy(folder + "/pixel_values.npy");
        ASSERT_EQ(got.shape, want.shape) << folder;
        double diff = 0;
        for (size_t i = 0; i < got.data.size(); ++i)
            diff = std::max(diff, double(std::abs(got.data[i] - want.data[i])));
        EXPECT_LE(diff, 1e-6) << folder << " on " << std::string(c["picture"]);
        max_diff = std::max(max_diff, diff);
    }
    std::printf("[ vit ] %zu pictures x configs against numpy: max |diff| %.3g\n", cases.size(), max_diff);
}

// ---- preprocessor_config.json, one field at a time ----

TEST(VitPreprocessConfig, MissingFieldsGetViTImageProcessorsDefaults) {
    const VitPreprocessConfig c = parse("{}");
    EXPECT_TRUE(c.do_resize);
    EXPECT_EQ(c.height, 224);
    EXPECT_EQ(c.width, 224);
    EXPECT_EQ(c.resample, ResampleFilter::Bilinear);
    EXPECT_TRUE(c.do_rescale);
    EXPECT_EQ(c.rescale_factor, 1.0 / 255.0);
    EXPECT_TRUE(c.do_normalize);
    EXPECT_EQ(c.image_mean, (std::array<double, 3>{0.5, 0.5, 0.5}));
    EXPECT_EQ(c.image_std, (std::array<double, 3>{0.5, 0.5, 0.5}));
    EXPECT_FALSE(c.do_convert_rgb);
    // null means "the default" for the values, and Python's falsy None for the flags.
    const VitPreprocessConfig n = parse(
        R"({"size": null, "resample": null, "image_mean": null, "image_std": null, "do_resize": null,
            "do_normalize": null, "do_convert_rgb": null})");
    EXPECT_EQ(n.height, 224);
    EXPECT_EQ(n.resample, ResampleFilter::Bilinear);
    EXPECT_EQ(n.image_mean[0], 0.5);
    EXPECT_FALSE(n.do_resize);
    EXPECT_FALSE(n.do_normalize);
}

TEST(VitPreprocessConfig, SizeForms) {
    const VitPreprocessConfig hw = parse(R"({"size": {"height": 384, "width": 200}})");
    EXPECT_EQ(hw.height, 384);
    EXPECT_EQ(hw.width, 200);
    const VitPreprocessConfig square = parse(R"({"size": 96})");
    EXPECT_EQ(square.height, 96);
    EXPECT_EQ(square.width, 96);
    const VitPreprocessConfig list = parse(R"({"size": [31, 45]})");
    EXPECT_EQ(list.height, 31);
    EXPECT_EQ(list.width, 45);
    // Valid for other processors, refused by ViT's: a ConfigError that says so.
    for (const char* text :
         {R"({"size": {"shortest_edge": 224}})", R"({"size": {"shortest_edge": 224, "longest_edge": 500}})"}) {
        try {
            parse(text);
            ADD_FAILURE() << "accepted " << text;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find("pp.json"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("shortest_edge"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("height"), std::string::npos) << e.what();
        }
    }
    expect_file_error([] { parse(R"({"size": {"height": 10}})"); }, {"pp.json", "\"size\""});
    expect_file_error([] { parse(R"({"size": {"height": 10, "width": 0}})"); }, {"pp.json", "size.width", "1..16384"});
    expect_file_error([] { parse(R"({"size": 0})"); }, {"pp.json", "size", "got 0"});
    expect_file_error([] { parse(R"({"size": -3})"); }, {"size"});
    expect_file_error([] { parse(R"({"size": 99999999999999999999})"); }, {"size"});
    expect_file_error([] { parse(R"({"size": 224.5})"); }, {"size"});
    expect_file_error([] { parse(R"({"size": [1, 2, 3]})"); }, {"size", "[height, width]"});
    expect_file_error([] { parse(R"({"size": "224"})"); }, {"size"});
    expect_file_error([] { parse(R"({"size": {"height": 20000, "width": 4}})"); }, {"size.height"});
}

TEST(VitPreprocessConfig, ResampleIsOneOfPilsSixFilters) {
    const ResampleFilter want[] = {ResampleFilter::Nearest, ResampleFilter::Lanczos, ResampleFilter::Bilinear,
                                   ResampleFilter::Bicubic, ResampleFilter::Box,     ResampleFilter::Hamming};
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(parse("{\"resample\": " + std::to_string(i) + "}").resample, want[i]);
    expect_file_error([] { parse(R"({"resample": 6})"); }, {"pp.json", "\"resample\"", "0..5", "got 6"});
    expect_file_error([] { parse(R"({"resample": -1})"); }, {"resample"});
    expect_file_error([] { parse(R"({"resample": 2.0})"); }, {"resample"});
    expect_file_error([] { parse(R"({"resample": "bilinear"})"); }, {"resample"});
}

TEST(VitPreprocessConfig, Flags) {
    const VitPreprocessConfig c =
        parse(R"({"do_resize": false, "do_rescale": false, "do_normalize": false, "do_convert_rgb": true})");
    EXPECT_FALSE(c.do_resize);
    EXPECT_FALSE(c.do_rescale);
    EXPECT_FALSE(c.do_normalize);
    EXPECT_TRUE(c.do_convert_rgb);
    for (const char* field : {"do_resize", "do_rescale", "do_normalize", "do_convert_rgb"})
        expect_file_error([&] { parse(std::string("{\"") + field + "\": \"yes\"}"); },
                          {"pp.json", std::string("\"") + field + "\"", "true or false"});
    expect_file_error([] { parse(R"({"do_resize": 1})"); }, {"do_resize"});
}

TEST(VitPreprocessConfig, RescaleFactor) {
    EXPECT_EQ(parse(R"({"rescale_factor": 0.00392156862745098})").rescale_factor, 0.00392156862745098);
    EXPECT_EQ(parse(R"({"rescale_factor": 1})").rescale_factor, 1.0);  // an int, as Python allows
    expect_file_error([] { parse(R"({"rescale_factor": null})"); }, {"rescale_factor", "null", "do_rescale"});
    EXPECT_NO_THROW(parse(R"({"rescale_factor": null, "do_rescale": false})"));
    expect_file_error([] { parse(R"({"rescale_factor": "1/255"})"); }, {"pp.json", "rescale_factor", "number"});
}

TEST(VitPreprocessConfig, MeanAndStd) {
    const VitPreprocessConfig c = parse(R"({"image_mean": [0.485, 0.456, 0.406], "image_std": 0.25})");
    EXPECT_EQ(c.image_mean, (std::array<double, 3>{0.485, 0.456, 0.406}));
    EXPECT_EQ(c.image_std, (std::array<double, 3>{0.25, 0.25, 0.25}));
    expect_file_error([] { parse(R"({"image_mean": [0.5, 0.5]})"); }, {"pp.json", "image_mean", "3 values", "got 2"});
    expect_file_error([] { parse(R"({"image_std": [0.5, "a", 0.5]})"); }, {"image_std[1]", "number"});
    expect_file_error([] { parse(R"({"image_std": [0.5, 0, 0.5]})"); }, {"image_std", "zero"});
    expect_file_error([] { parse(R"({"image_mean": {"r": 1}})"); }, {"image_mean"});
}

TEST(VitPreprocessConfig, UnusedFieldsAreIgnored) {
    const VitPreprocessConfig c = parse(R"({"crop_size": 224, "do_center_crop": true,
        "feature_extractor_type": "ViTFeatureExtractor", "image_processor_type": "ViTImageProcessor"})");
    EXPECT_EQ(c.height, 224);
}

TEST(VitPreprocessConfig, FileProblemsNameTheFile) {
    expect_file_error([] { parse("{\"size\": "); }, {"pp.json", "not valid JSON"});
    expect_file_error([] { parse("[1, 2]"); }, {"pp.json", "JSON object"});
    expect_file_error([] { parse_preprocessor_config("/nonexistent/preprocessor_config.json"); },
                      {"/nonexistent/preprocessor_config.json"});
    test::TempFolder dir;
    const std::string path = (dir.path / "preprocessor_config.json").string();
    write_file_atomically(path, std::vector<uint8_t>{'{', '"', 's', 'i', 'z', 'e', '"', ':', '7', '}'});
    EXPECT_EQ(parse_preprocessor_config(path).width, 7);
}

// ---- pixel_values without Pillow: invariants of the arithmetic ----

Rgb8Image gradient(int w, int h) {
    Rgb8Image im;
    im.width = w;
    im.height = h;
    for (int i = 0; i < w * h * 3; ++i)
        im.pixels.push_back(uint8_t(i * 7));
    return im;
}

TEST(VitPixelValues, ChannelsFirstAndRawWithoutRescaleOrNormalise) {
    VitPreprocessConfig c;
    c.do_resize = c.do_rescale = c.do_normalize = false;
    const Rgb8Image im = gradient(5, 3);
    const Tensor t = vit_pixel_values(im, c);
    ASSERT_EQ(t.shape, (Shape{3, 3, 5}));  // [3, H, W]
    for (int ch = 0; ch < 3; ++ch)
        for (int i = 0; i < 15; ++i)
            EXPECT_EQ(t.data[size_t(ch * 15 + i)], float(im.pixels[size_t(i * 3 + ch)]));
}

TEST(VitPixelValues, DefaultsMapBlackAndWhiteToMinusOneAndOne) {
    Rgb8Image im;
    im.width = 2;
    im.height = 1;
    im.pixels = {0, 0, 0, 255, 255, 255};
    VitPreprocessConfig c;
    c.do_resize = false;
    const Tensor t = vit_pixel_values(im, c);
    for (int ch = 0; ch < 3; ++ch) {
        EXPECT_EQ(t.data[size_t(ch * 2)], -1.0f);
        EXPECT_EQ(t.data[size_t(ch * 2 + 1)], 1.0f);
    }
}

TEST(VitPixelValues, PerChannelMeanAndStdAndTheConfigsSize) {
    VitPreprocessConfig c;
    c.height = 4;
    c.width = 9;
    c.do_rescale = false;
    c.image_mean = {100, 0, 255};
    c.image_std = {2, 1, 0.5};
    Rgb8Image im;
    im.width = 3;
    im.height = 2;
    for (int i = 0; i < 6; ++i)
        im.pixels.insert(im.pixels.end(), {100, 7, 255});
    const Tensor t = vit_pixel_values(im, c);
    ASSERT_EQ(t.shape, (Shape{3, 4, 9}));
    for (int i = 0; i < 36; ++i) {
        EXPECT_EQ(t.data[size_t(i)], 0.0f);
        EXPECT_EQ(t.data[size_t(36 + i)], 7.0f);
        EXPECT_EQ(t.data[size_t(72 + i)], 0.0f);
    }
}

}  // namespace
}  // namespace attn
