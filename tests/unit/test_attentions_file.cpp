// core/maps/attentions_file: attention tensors a user saved (output_attentions), read into the map
// model; and what the views make of them: the difference of two maps, the head view, the map names
// the CLI takes. Expected values are the weights the test wrote, or invariants (softmax rows sum
// to 1; A - A = 0; a difference is symmetric under swapping A and B).
#include "errors.h"
#include "export/png.h"
#include "io/safetensors.h"
#include "maps/attentions_file.h"
#include "maps/map_difference.h"
#include "maps/map_model.h"
#include "maps/map_picture.h"
#include "maps/view_export.h"
#include "render/text_raster.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

namespace attn {
namespace {

namespace fs = std::filesystem;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Softmax rows [layers, b, heads, Lq, Lk] of a fixed pseudo-random pattern.
Tensor softmax_rows(const Shape& shape) {
    Tensor t(shape);
    const int64_t keys = shape.back();
    for (size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = 0.1f + static_cast<float>((i * 2654435761u) % 1000003u) / 1000003.0f;
    for (size_t r = 0; r < t.data.size(); r += static_cast<size_t>(keys)) {
        float sum = 0.0f;
        for (int64_t k = 0; k < keys; ++k)
            sum += t.data[r + static_cast<size_t>(k)];
        for (int64_t k = 0; k < keys; ++k)
            t.data[r + static_cast<size_t>(k)] /= sum;
    }
    return t;
}

std::string tokens_json(const std::vector<std::vector<std::string>>& tokens) {
    return nlohmann::json(tokens).dump();
}

SafetensorsFile text_file(int64_t layers = 2, int64_t b = 2, int64_t heads = 3, int64_t L = 4) {
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", softmax_rows({layers, b, heads, L, L}));
    std::vector<std::vector<std::string>> tokens;
    for (int64_t i = 0; i < b; ++i) {
        tokens.emplace_back();
        for (int64_t j = 0; j < L; ++j)
            tokens.back().push_back(j == 0 ? "[CLS]" : "w" + std::to_string(i) + "_" + std::to_string(j));
    }
    f.metadata["tokens"] = tokens_json(tokens);
    f.metadata["model"] = "my-gpt";
    return f;
}

void expect_error(SafetensorsFile f, const std::vector<std::string>& parts) {
    try {
        attentions_from_safetensors(std::move(f), "/data/att.safetensors");
        ADD_FAILURE() << "expected an error with " << parts[0];
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("/data/att.safetensors"), std::string::npos) << msg;
        for (const std::string& p : parts)
            EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
}

TEST(AttentionsFile, TextModelGivesEveryLayerHeadAndLabel) {
    const SafetensorsFile f = text_file();
    const Tensor& a = f.tensors[0].second;
    AttentionSet s = attentions_from_safetensors(f, "/data/att.safetensors");
    EXPECT_EQ(s.model, "my-gpt");
    EXPECT_TRUE(s.layered);
    EXPECT_EQ(s.layers.size(), 2u);
    EXPECT_EQ(s.query_kind, QueryKind::Tokens);
    EXPECT_EQ(s.key_labels[1][2], "w1_2");
    EXPECT_EQ(s.query_labels[1][2], "w1_2");
    const MapModel m(std::move(s));
    EXPECT_TRUE(m.has_rollout());
    EXPECT_FALSE(m.has_norms());
    // The weight at [layer 1, batch 1, head 2, query 3, key 0] is the file's.
    const int64_t at = (((1 * 2 + 1) * 3 + 2) * 4 + 3) * 4 + 0;
    EXPECT_EQ(m.value({1, 2, -1, 1}, 3, 0), a.data[static_cast<size_t>(at)]);
    EXPECT_EQ(m.file_name({1, 2, -1, 1}), "l1_b1_h2.png");
}

TEST(AttentionsFile, MaskMarksPaddingAndAllowsNaNOnlyWhereEveryKeyIsPadding) {
    SafetensorsFile f = text_file(1, 2, 1, 3);
    Tensor& a = f.tensors[0].second;
    Tensor mask({2, 3}, 1.0f, DType::Int64);
    mask.data[2] = 0.0f;  // item 0: last key padding
    for (int k = 0; k < 3; ++k)
        mask.data[static_cast<size_t>(3 + k)] = 0.0f;  // item 1: every key padding
    for (size_t i = 9; i < 18; ++i)
        a.data[i] = kNaN;  // item 1, as a -inf mask gives it
    f.tensors.emplace_back("attention_mask", mask);
    const AttentionSet s = attentions_from_safetensors(f, "/data/att.safetensors");
    EXPECT_TRUE(s.is_pad(0, 2));
    EXPECT_FALSE(s.is_pad(0, 1));
    EXPECT_TRUE(s.is_pad(1, 0));

    // The same NaN in item 0, whose keys are real: refused, with its index.
    SafetensorsFile bad = text_file(1, 2, 1, 3);
    bad.tensors[0].second.data[4] = kNaN;
    expect_error(bad, {"NaN", "[layer 0, batch 0, head 0, query 1, key 1]"});
}

TEST(AttentionsFile, BadFilesNameTheTensorOrFieldAndWhatWasExpected) {
    SafetensorsFile f = text_file();
    f.tensors[0].second = Tensor({2, 2, 4, 4}, 0.25f);
    expect_error(f, {"\"attentions\"", "[layers, b, heads, Lq, Lk]", "rank 4"});

    f = text_file();
    f.tensors.clear();
    expect_error(f, {"no tensor \"attentions\""});

    f = text_file(1, 1, 1, 4);
    f.metadata["tokens"] = "[[\"a\", \"b\", \"c\"]]";
    expect_error(f, {"\"tokens\"", "batch item 0 has 3 tokens", "Lk = 4"});

    f = text_file(1, 2, 1, 4);
    f.metadata["tokens"] = "[[\"a\", \"b\", \"c\", \"d\"]]";
    expect_error(f, {"\"tokens\"", "1 token arrays", "2"});

    f = text_file();
    f.metadata["tokens"] = "[[\"a\", ";
    expect_error(f, {"\"tokens\" is not JSON"});

    f = text_file();
    f.metadata.erase("tokens");
    expect_error(f, {"no \"tokens\""});

    f = text_file();
    f.tensors[0].second.data[7] = std::numeric_limits<float>::infinity();
    expect_error(f, {"inf", "[layer 0, batch 0, head 0, query 1, key 3]", "softmax weights"});

    f = text_file();
    f.tensors[0].second.data[0] = 3.5f;
    expect_error(f, {"3.5", "[0, 1]"});

    f = text_file(1, 2, 1, 3);
    f.tensors.emplace_back("attention_mask", Tensor({2, 4}, 1.0f, DType::Int64));
    expect_error(f, {"\"attention_mask\"", "[b, Lk] = [2, 3]", "[2, 4]"});

    f = text_file(1, 1, 1, 3);
    f.tensors.emplace_back("attention_mask", Tensor({1, 3}, 2.0f, DType::Int64));
    expect_error(f, {"\"attention_mask\"", "holds 2", "1 (token) or 0 (padding)"});

    f = text_file(1, 1, 1, 3);
    f.tensors.emplace_back("attention_mask", Tensor({1, 3}, 1.0f));
    expect_error(f, {"\"attention_mask\"", "I64"});

    // Cross-attention without query tokens.
    f = SafetensorsFile{};
    f.tensors.emplace_back("attentions", softmax_rows({1, 1, 1, 2, 3}));
    f.metadata["tokens"] = "[\"x\", \"y\", \"z\"]";
    expect_error(f, {"Lq = 2", "Lk = 3", "query_tokens"});
}

TEST(AttentionsFile, CrossAttentionKeepsItsQueryTokens) {
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", softmax_rows({1, 1, 2, 2, 3}));
    f.metadata["tokens"] = "[\"x\", \"y\", \"z\"]";  // b = 1 may be written flat
    f.metadata["query_tokens"] = "[[\"Q0\", \"Q1\"]]";
    const MapModel m(attentions_from_safetensors(f, "/tmp/c.safetensors"));
    EXPECT_EQ(m.queries(), 2);
    EXPECT_EQ(m.keys(), 3);
    EXPECT_FALSE(m.has_rollout());
    EXPECT_EQ(m.set().query_labels[0][1], "Q1");
    EXPECT_EQ(m.set().model, "c");  // no "model": the file's name
}

TEST(AttentionsFile, PatchTokensGetTheGridThePictureAndDefaultLabels) {
    const fs::path dir = fs::path(::testing::TempDir()) / "attentions_patches";
    fs::create_directories(dir);
    RgbImage photo;
    photo.width = 8;
    photo.height = 6;
    photo.pixels.assign(8 * 6 * 3, 200);
    write_png((dir / "photo.png").string(), photo);

    SafetensorsFile f;
    f.tensors.emplace_back("attentions", softmax_rows({2, 1, 2, 7, 7}));  // [CLS] + 2 x 3 patches
    f.metadata["patch_grid"] = "2x3";
    f.metadata["image"] = "photo.png";
    AttentionSet s = attentions_from_safetensors(f, (dir / "vit.safetensors").string());
    EXPECT_EQ(s.query_kind, QueryKind::Patches);
    EXPECT_EQ(s.prefix_tokens, 1);
    EXPECT_EQ(s.key_labels[0][0], "[CLS]");
    EXPECT_EQ(s.key_labels[0][6], "p5");
    ASSERT_TRUE(s.images[0]);
    EXPECT_EQ(s.images[0]->width, 8);
    const Tensor a = f.tensors[0].second;
    const MapModel m(std::move(s));
    // Query 4's row over the patches, head 1, layer 1: the file's weights after [CLS].
    const MapKey key{0, 1, 4, 1};
    ASSERT_TRUE(m.spatial(key));
    const int64_t row = (((1 * 1 + 0) * 2 + 1) * 7 + 4) * 7;
    EXPECT_EQ(m.value(key, 1, 2), a.data[static_cast<size_t>(row + 1 + 1 * 3 + 2)]);

    f.metadata["image"] = "missing.png";
    expect_error(f, {"\"image\"", "missing.png", "does not exist"});
    f.metadata.erase("image");
    f.metadata["patch_grid"] = "3x3";
    expect_error(f, {"\"patch_grid\" 3x3", "9 patches", "Lk = 7"});
    f.metadata["prefix_tokens"] = "1";
    expect_error(f, {"\"patch_grid\" 3x3", "prefix_tokens 1", "10 tokens", "Lk = 7"});
    f.metadata.erase("prefix_tokens");
    f.metadata["patch_grid"] = "three";
    expect_error(f, {"\"patch_grid\"", "ROWSxCOLS"});
}

TEST(AttentionsFile, RowsThatDoNotSumToOneAreAWarning) {
    SafetensorsFile f = text_file(1, 1, 1, 3);
    for (int k = 0; k < 3; ++k)
        f.tensors[0].second.data[static_cast<size_t>(k)] = 0.1f;
    f.tensors.emplace_back("extra", Tensor({1}, 0.0f));
    std::vector<std::string> warnings;
    attentions_from_safetensors(f, "/data/att.safetensors", &warnings);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find("\"extra\""), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[1].find("sums to 0.3"), std::string::npos) << warnings[1];
}

TEST(AttentionsFile, ReadsTheBytesTransformersWouldWriteThroughTheReader) {
    // Through the real file reader: F16 attentions (written as F32 by encode_safetensors, so the
    // F32 path) and the file's own name in messages.
    const fs::path path = fs::path(::testing::TempDir()) / "att_roundtrip.safetensors";
    SafetensorsFile f = text_file(1, 1, 2, 3);
    write_safetensors(path.string(), f.tensors, f.metadata);
    const AttentionSet s = read_attentions_file(path.string());
    EXPECT_EQ(s.heads, 2);
    EXPECT_TRUE(std::equal(s.layers[0]->data.begin(), s.layers[0]->data.end(), f.tensors[0].second.data.begin()));
    try {
        read_attentions_file((fs::path(::testing::TempDir()) / "nope.safetensors").string());
        ADD_FAILURE();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.safetensors"), std::string::npos);
    }
}

TEST(AttentionsFile, IsAttentionsFileLooksAtTheHeaderOnly) {
    // What the window asks of a dropped .safetensors file: attention, or the seed's weights?
    const fs::path dir = fs::path(::testing::TempDir()) / "is_attentions";
    fs::create_directories(dir);
    const SafetensorsFile f = text_file(1, 1, 2, 3);
    write_safetensors((dir / "att.safetensors").string(), f.tensors, f.metadata);
    EXPECT_TRUE(is_attentions_file((dir / "att.safetensors").string()));
    write_safetensors((dir / "weights.safetensors").string(), {{"W_q", Tensor({2, 2}, 0.5f)}});
    EXPECT_FALSE(is_attentions_file((dir / "weights.safetensors").string()));
    // Broken, short, missing, a folder: false, never an exception.
    {
        std::ofstream out(dir / "short.safetensors", std::ios::binary);
        out << "abc";
    }
    {
        std::ofstream out(dir / "huge_header.safetensors", std::ios::binary);
        const unsigned char length[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
        out.write(reinterpret_cast<const char*>(length), 8);
        out << "{\"attentions\": {}}";
    }
    {
        std::ofstream out(dir / "not_json.safetensors", std::ios::binary);
        const unsigned char length[8] = {6, 0, 0, 0, 0, 0, 0, 0};
        out.write(reinterpret_cast<const char*>(length), 8);
        out << "{\"atte";
    }
    EXPECT_FALSE(is_attentions_file((dir / "short.safetensors").string()));
    EXPECT_FALSE(is_attentions_file((dir / "huge_header.safetensors").string()));
    EXPECT_FALSE(is_attentions_file((dir / "not_json.safetensors").string()));
    EXPECT_FALSE(is_attentions_file((dir / "missing.safetensors").string()));
    EXPECT_FALSE(is_attentions_file(dir.string()));
}

// --- Differences

TEST(MapDifference, IsAMinusBSymmetricAboutZeroAndNaNWhereEitherIs) {
    const SafetensorsFile f = text_file(2, 1, 2, 4);
    const MapModel m(attentions_from_safetensors(f, "/data/att.safetensors"));
    const MapKey a{0, 0, -1, 1}, b{0, 1, -1, 0};
    const MapDifference d = map_difference(m, a, m, b);
    const MapModel diff(d.set);
    float max_abs = 0.0f;
    for (int q = 0; q < 4; ++q)
        for (int k = 0; k < 4; ++k) {
            const float x = m.value(a, q, k) - m.value(b, q, k);
            EXPECT_EQ(diff.value(d.key, q, k), x);
            max_abs = std::max(max_abs, std::abs(x));
        }
    EXPECT_EQ(d.max_abs, max_abs);
    const MapRange r = diff.range(d.key, MapStyle{});
    EXPECT_EQ(r.lo, -max_abs);
    EXPECT_EQ(r.hi, max_abs);
    // A - A is 0 everywhere: drawn in the middle colour of coolwarm.
    const MapDifference zero = map_difference(m, a, m, a);
    EXPECT_EQ(zero.max_abs, 0.0f);
    const MapModel zm(zero.set);
    MapStyle style;
    style.colormap = Colormap::Coolwarm;
    CpuPainter painter;
    const MapPicture pic = draw_map(zm, zero.key, style, painter, 4);
    const auto mid = colormap_rgb(Colormap::Coolwarm, 0.5f);
    // A cell's centre (after the 1 px grid line).
    const size_t px = (static_cast<size_t>(2) * static_cast<size_t>(pic.image.width) + 2) * 3;
    EXPECT_EQ(pic.image.pixels[px], mid[0]);
    EXPECT_EQ(pic.image.pixels[px + 1], mid[1]);
    EXPECT_EQ(pic.image.pixels[px + 2], mid[2]);
}

TEST(MapDifference, MinusInfAgainstMinus1e9IsNaNOnTheFullyPaddedItem) {
    // Item 0 all padding: -inf gives NaN rows, -1e9 uniform rows (1/3 each).
    auto with_rows = [](float v) {
        SafetensorsFile f = text_file(1, 1, 1, 3);
        std::fill(f.tensors[0].second.data.begin(), f.tensors[0].second.data.end(), v);
        f.tensors.emplace_back("attention_mask", Tensor({1, 3}, 0.0f, DType::Int64));
        return MapModel(attentions_from_safetensors(f, "/data/att.safetensors"));
    };
    const MapModel inf = with_rows(kNaN), e9 = with_rows(1.0f / 3.0f);
    const MapDifference d = map_difference(e9, {0, 0}, inf, {0, 0}, "-1e9", "-inf");
    EXPECT_EQ(d.nan_cells, 9);
    EXPECT_EQ(d.set.model, "-1e9 - -inf");
    EXPECT_TRUE(std::isnan(MapModel(d.set).value(d.key, 1, 1)));
}

TEST(MapDifference, MapsOfDifferentSizesAreRefused) {
    const MapModel small(attentions_from_safetensors(text_file(1, 1, 1, 3), "/a"));
    const MapModel big(attentions_from_safetensors(text_file(1, 1, 1, 4), "/b"));
    try {
        map_difference(small, {0, 0}, big, {0, 0}, "left", "right");
        ADD_FAILURE();
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("left [3, 3]"), std::string::npos) << msg;
        EXPECT_NE(msg.find("right [4, 4]"), std::string::npos) << msg;
    }
}

// --- Head view

TEST(HeadView, IsTheQuerysRowWithItsLabels) {
    const SafetensorsFile f = text_file(2, 2, 3, 4);
    const MapModel m(attentions_from_safetensors(f, "/data/att.safetensors"));
    const HeadView v = head_view(m, {1, 2, -1, 1}, 3);
    ASSERT_EQ(v.weights.size(), 4u);
    float sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
        EXPECT_EQ(v.weights[static_cast<size_t>(k)], m.value({1, 2, -1, 1}, 3, k));
        sum += v.weights[static_cast<size_t>(k)];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
    EXPECT_EQ(v.queries[3], "w1_3");
    EXPECT_EQ(head_view_file_name(m, v, "png"), "l1_b1_h2_q3_w1_3_lines.png");
    EXPECT_THROW(head_view(m, {0, 0}, 4), ConfigError);
    EXPECT_EQ(line_opacity(0.25f), 0.25f);
    EXPECT_EQ(line_opacity(kNaN), 0.0f);
    EXPECT_EQ(line_opacity(1.5f), 1.0f);
}

TEST(HeadView, PictureDrawsEachLineWithItsWeightAsOpacity) {
    // One query, two keys: weights 1 and 0. The line to key 0 is solid head colour at its middle,
    // the line to key 1 invisible (the background).
    SafetensorsFile f;
    Tensor a({1, 1, 1, 2, 2}, 0.0f);
    a.data = {1.0f, 0.0f, 0.5f, 0.5f};
    f.tensors.emplace_back("attentions", a);
    f.metadata["tokens"] = "[\"a\", \"b\"]";
    const MapModel m(attentions_from_safetensors(f, "/x"));
    const HeadView v = head_view(m, {0, 0}, 0);
    const MapPicture pic = draw_head_view(v);
    const TextRaster text(TextRaster::default_fonts());
    const auto g = head_view_geometry(v, 20.0f, 13.0f, 160.0f, [&](const std::string& s) {
        return text.ok() ? text.width(s, 13.0f) : 7.0f * s.size();
    });
    auto pixel = [&](float x, float y) {
        const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(pic.image.width) + static_cast<size_t>(x)) * 3;
        return std::array<uint8_t, 3>{pic.image.pixels[i], pic.image.pixels[i + 1], pic.image.pixels[i + 2]};
    };
    const float mid_x = (g.left_x() + g.right_x()) * 0.5f;
    // Line 0 is horizontal (query 0 to key 0) at row 0's centre.
    EXPECT_EQ(pixel(mid_x, g.row_y(0)), head_colour(0));
    // Line 1 runs from row 0 to row 1: at its middle, nothing was drawn.
    EXPECT_EQ(pixel(mid_x, (g.row_y(0) + g.row_y(1)) * 0.5f), ExportTheme{}.background);
    const std::string svg = svg_head_view(v);
    EXPECT_NE(svg.find("stroke-opacity=\"1\""), std::string::npos);
    EXPECT_NE(svg.find("stroke-opacity=\"0\""), std::string::npos);
    EXPECT_NE(svg.find("&apos;a&apos; -&gt; &apos;b&apos;: 0"), std::string::npos) << svg;
}

TEST(MapNames, ParseTheFileNamesTheExportsWrite) {
    const MapModel m(attentions_from_safetensors(text_file(2, 2, 3, 4), "/data/att.safetensors"));
    for (const MapKey& key : m.every_map()) {
        const MapKey parsed = parse_map_name(m.file_name(key));
        EXPECT_EQ(m.canonical(parsed), m.canonical(key)) << m.file_name(key);
    }
    EXPECT_EQ(parse_map_name("b0_mean_t2_jerry").token, 2);
    EXPECT_EQ(parse_map_name("l11_b0_rollout").quantity, MapQuantity::Rollout);
    EXPECT_THROW(parse_map_name("head3"), ConfigError);
    EXPECT_THROW(parse_map_name("b0_h3_xyz"), ConfigError);
    EXPECT_THROW(parse_map_name("b0_hx"), ConfigError);
}

}  // namespace
}  // namespace attn
