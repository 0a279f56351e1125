// The TensorFlow.js weights reader: tensors written by tfjs_test_files.h (cut across shards at
// odd places) come back exactly, and every mismatch between the manifest and the shards is one
// FileError line naming model.json, the tensor and both sizes.
#include "errors.h"
#include "io/tfjs_weights.h"
#include "test_support.h"
#include "tfjs_test_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::counting_tensor;
using test::expect_file_error;
using test::expect_same_tensor;
using test::TempFolder;
using test::TfjsEntry;

std::vector<TfjsEntry> sample_entries() {
    Tensor ints({3}, 0.0f, DType::Int64);
    ints.data = {4.0f, -1.0f, 128.0f};
    Tensor scalar(Shape{});
    scalar.data = {0.125f};
    return {{"module/Embeddings_en", counting_tensor({7, 5}, -3.0f, 0.25f)},
            {"A/Layer_0/mul/y", scalar},
            {"A/Const", ints, "int32"},
            {"A/kernel", counting_tensor({1, 1, 3, 4}, 100.0f, -1.5f)}};
}

std::string json_text(const nlohmann::json& j) {
    return j.dump();
}

TEST(TfjsWeights, ReadsEveryTensorBackAcrossShardBoundaries) {
    TempFolder tmp;
    const auto entries = sample_entries();
    test::write_tfjs_folder(tmp.path, entries, 24);  // 24 bytes: tensors straddle the shards
    ASSERT_TRUE(fs::exists(tmp.path / "group1-shard9of9"));
    const auto tensors = read_tfjs_weights((tmp.path / "model.json").string());
    ASSERT_EQ(tensors.size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        EXPECT_EQ(tensors[i].first, entries[i].name);
        expect_same_tensor(tensors[i].second, entries[i].tensor, false);
    }
    EXPECT_EQ(tensors[1].second.shape, Shape{});
    EXPECT_EQ(tensors[1].second.numel(), 1);
    EXPECT_EQ(tensors[2].second.dtype, DType::Int64);
    EXPECT_EQ(tensors[0].second.dtype, DType::F32);
}

TEST(TfjsWeights, ManifestOffsetsArePackedInOrder) {
    const auto entries = sample_entries();
    const TfjsManifest m = parse_tfjs_manifest(json_text(test::tfjs_manifest_json(entries, {"a", "b"})), "model.json");
    ASSERT_EQ(m.weights.size(), 4u);
    EXPECT_EQ(m.weights[0].offset, 0u);
    EXPECT_EQ(m.weights[1].offset, 7u * 5 * 4);
    EXPECT_EQ(m.weights[2].offset, 7u * 5 * 4 + 4);
    EXPECT_EQ(m.weights[3].offset, 7u * 5 * 4 + 4 + 12);
    EXPECT_EQ(m.groups[0].bytes, (35u + 1 + 3 + 12) * 4);
}

TEST(TfjsWeights, ShortShardNamesTheTensorThatDoesNotFit) {
    TempFolder tmp;
    test::write_tfjs_folder(tmp.path, sample_entries(), 1 << 20);
    const fs::path shard = tmp.path / "group1-shard1of1";
    fs::resize_file(shard, 150);  // inside A/Const (bytes 144..156)
    expect_file_error([&] { read_tfjs_weights((tmp.path / "model.json").string()); },
                      {"model.json", "'A/Const'", "[3]", "int32", "144 to 156", "hold 150 bytes", "need 204"});
}

TEST(TfjsWeights, LeftoverBytesAreAnError) {
    TempFolder tmp;
    test::write_tfjs_folder(tmp.path, sample_entries(), 1 << 20);
    std::ofstream(tmp.path / "group1-shard1of1", std::ios::app | std::ios::binary) << "xyz";
    expect_file_error([&] { read_tfjs_weights((tmp.path / "model.json").string()); },
                      {"model.json", "3 bytes are left over", "'A/kernel'", "hold 207", "need 204"});
}

TEST(TfjsWeights, MissingShardIsNamed) {
    TempFolder tmp;
    test::write_tfjs_folder(tmp.path, sample_entries(), 64);
    fs::remove(tmp.path / "group1-shard2of4");
    expect_file_error([&] { read_tfjs_weights((tmp.path / "model.json").string()); },
                      {"model.json", "group1-shard2of4", "missing"});
}

TEST(TfjsWeights, BadManifestsAreFileErrors) {
    const auto entries = sample_entries();
    auto with = [&](auto edit) {
        nlohmann::json j = test::tfjs_manifest_json(entries, {"group1-shard1of1"});
        edit(j);
        return j.dump();
    };
    auto expect_bad = [](const std::string& text, std::vector<std::string> parts) {
        parts.push_back("dir/model.json");
        expect_file_error([&] { parse_tfjs_manifest(text, "dir/model.json"); }, parts);
    };
    expect_bad("{not json", {"not JSON"});
    expect_bad("{\"modelTopology\": {}}", {"no \"weightsManifest\""});
    expect_bad(with([](auto& j) { j["weightsManifest"] = nlohmann::json::array(); }), {"not a list of groups"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0].erase("paths"); }), {"\"paths\""});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["paths"][0] = "../secret"; }),
               {"../secret", "shard file name"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["paths"][0] = "/etc/passwd"; }), {"/etc/passwd"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["weights"][1]["name"] = "module/Embeddings_en"; }),
               {"'module/Embeddings_en'", "twice"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["weights"][0]["dtype"] = "float16"; }),
               {"'module/Embeddings_en'", "float16", "float32 or int32"});
    expect_bad(with([](auto& j) {
                   j["weightsManifest"][0]["weights"][0]["quantization"] = {{"dtype", "uint8"}};
               }),
               {"'module/Embeddings_en'", "quantized"});
    expect_bad(with([](auto& j) {
                   j["weightsManifest"][0]["weights"][0]["shape"] = {7, -5};
               }),
               {"'module/Embeddings_en'", "-5"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["weights"][0]["shape"] = {1.5}; }), {"1.5"});
    expect_bad(with([](auto& j) {
                   j["weightsManifest"][0]["weights"][0]["shape"] = {1 << 30, 1 << 30, 1 << 30};
               }),
               {"too many elements"});
    expect_bad(with([](auto& j) { j["weightsManifest"][0]["weights"][0]["shape"] = "7x5"; }), {"shape"});
}

TEST(TfjsWeights, DecodeRefusesABufferOfTheWrongSize) {
    const auto entries = sample_entries();
    const TfjsManifest m = parse_tfjs_manifest(json_text(test::tfjs_manifest_json(entries, {"a"})), "m.json");
    const std::vector<uint8_t> bytes = test::tfjs_bytes(entries);
    EXPECT_EQ(decode_tfjs_group(m, 0, bytes.data(), bytes.size(), "m.json").size(), 4u);
    expect_file_error([&] { decode_tfjs_group(m, 0, bytes.data(), bytes.size() - 4, "m.json"); },
                      {"m.json", "200 bytes", "need 204"});
}

}  // namespace
}  // namespace attn
