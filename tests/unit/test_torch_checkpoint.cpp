// core/io/torch_checkpoint.cpp: files Debian's torch writes at test time
// (tests/torch/make_torch_checkpoints.py, both layouts, pickle protocols 2 and 4) compared exactly
// with the values numpy writes; malicious files refused without their payload running; and
// archives and streams built by hand (checkpoint_builders.h) that lie in one place each.
#include "io/torch_checkpoint.h"

#include "checkpoint_builders.h"
#include "errors.h"
#include "io/npy.h"
#include "io/pickle_reader.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::expect_file_error;
using test::f32_bytes;
using test::make_zip;
using test::PickleBytes;

// The torch-written files, made once per test process.
struct TorchFiles {
    fs::path folder;
    std::string skip_reason;
    nlohmann::json manifest;
};

const TorchFiles& torch_files() {
    static const TorchFiles files = [] {
        TorchFiles f;
        f.folder = fs::path(testing::TempDir()) / ("attnscope_torch_ckpt_" + std::to_string(::getpid()));
        fs::remove_all(f.folder);
        const std::string log = f.folder.string() + ".log";
        const std::string cmd = "/usr/bin/python3 '" ATTNSCOPE_SOURCE_DIR "/tests/torch/make_torch_checkpoints.py' '" +
                                f.folder.string() + "' > '" + log + "' 2>&1";
        const int status = std::system(cmd.c_str());
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream in(log);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (code == 77) {
            f.skip_reason = "torch is missing for /usr/bin/python3: " + text;
        } else if (code != 0) {
            ADD_FAILURE() << "tests/torch/make_torch_checkpoints.py failed (exit " << code << "):\n" << text;
            f.skip_reason = "the generator failed";
        } else {
            std::ifstream m(f.folder / "manifest.json");
            f.manifest = nlohmann::json::parse(m);
        }
        std::atexit([] {
            std::error_code ec;
            const fs::path p = fs::path(testing::TempDir()) / ("attnscope_torch_ckpt_" + std::to_string(::getpid()));
            fs::remove_all(p, ec);
            fs::remove(p.string() + ".log", ec);
        });
        return f;
    }();
    return files;
}

TEST(TorchCheckpoint, FilesTorchWritesMatchNumpyExactly) {
    const TorchFiles& files = torch_files();
    if (!files.skip_reason.empty()) GTEST_SKIP() << files.skip_reason;
    const auto& names = files.manifest["names"];
    ASSERT_GE(names.size(), 20u);
    for (const auto& [format, path] : files.manifest["formats"].items()) {
        SCOPED_TRACE(format);
        const SafetensorsFile sd = read_torch_checkpoint(path.get<std::string>());
        ASSERT_EQ(sd.tensors.size(), names.size());
        EXPECT_TRUE(sd.metadata.empty());
        for (size_t i = 0; i < names.size(); ++i) {
            EXPECT_EQ(sd.tensors[i].first, std::string(names[i]));
            const Tensor want = read_npy((files.folder / std::string(files.manifest["expected"][i])).string());
            SCOPED_TRACE(sd.tensors[i].first);
            test::expect_same_tensor(sd.tensors[i].second, want);
        }
    }
}

TEST(TorchCheckpoint, MaliciousPicklesAreRefusedWithoutRunning) {
    const TorchFiles& files = torch_files();
    if (!files.skip_reason.empty()) GTEST_SKIP() << files.skip_reason;
    ASSERT_GE(files.manifest["evil"].size(), 15u);
    for (const auto& c : files.manifest["evil"]) {
        const std::string file = c["file"], names = c["names"], marker = c["marker"];
        SCOPED_TRACE(file);
        expect_file_error([&] { read_torch_checkpoint(file); }, {file, names, "untrusted input"});
        if (!marker.empty()) {
            EXPECT_FALSE(fs::exists(marker)) << "the payload ran: " << marker;
        }
    }
}

// ---- Hand-built checkpoints: each lies in one place ----

std::vector<uint8_t> zip_checkpoint(const std::string& pickle, const std::vector<test::ZipInput>& storages,
                                    const std::string& prefix = "archive/") {
    std::vector<test::ZipInput> entries = {{prefix + "data.pkl", pickle}};
    for (const auto& s : storages)
        entries.push_back({prefix + "data/" + s.name, s.data});
    entries.push_back({prefix + "version", "3\n"});
    return make_zip(entries, test::ZipOptions{true, false, ""});  // PyTorch's layout: data descriptors
}

SafetensorsFile parse(const std::vector<uint8_t>& b) {
    return parse_torch_checkpoint(b.data(), b.size(), "m.bin");
}

const std::string kSix = f32_bytes({0, 1, 2, 3, 4, 5});

// One tensor `w` on storage "0" of six floats.
std::string one_tensor(int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                       const std::vector<int64_t>& stride, const std::string& type = "FloatStorage") {
    return PickleBytes().begin_state_dict().tensor("w", type, "0", numel, offset, size, stride).end_state_dict().b;
}

TEST(TorchCheckpoint, GathersViewsThroughOffsetAndStrides) {
    // [[0, 1, 2], [3, 4, 5]] transposed: size [3, 2], strides [1, 3]; then a row with an offset;
    // then a tied name on the same storage.
    const std::string p = PickleBytes()
                              .begin_state_dict()
                              .tensor("t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3})
                              .tensor("row", "FloatStorage", "0", 6, 3, {3}, {1})
                              .tensor("tied", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1})
                              .tensor("ids", "FloatStorage", "0", 6, 1, {2, 3}, {0, 2})  // expanded rows
                              .end_state_dict()
                              .b;
    const SafetensorsFile sd = parse(zip_checkpoint(p, {{"0", kSix}}));
    ASSERT_EQ(sd.tensors.size(), 4u);
    EXPECT_EQ(sd.tensors[0].second.shape, (Shape{3, 2}));
    EXPECT_EQ(sd.tensors[0].second.data, (FloatStore{0, 3, 1, 4, 2, 5}));
    EXPECT_EQ(sd.tensors[1].second.data, (FloatStore{3, 4, 5}));
    EXPECT_EQ(sd.tensors[2].second.data, (FloatStore{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(sd.tensors[3].second.data, (FloatStore{1, 3, 5, 1, 3, 5}));
    EXPECT_EQ(sd.tensors[0].second.dtype, DType::F32);
}

TEST(TorchCheckpoint, ElementTypes) {
    const std::string halves("\x00\x3c\x00\xc0\x01\x00\x00\x7c", 8);  // 1, -2, 2^-24, inf
    const std::string bf16("\x80\x3f\x49\x40", 4);                    // 1, 3.140625
    const std::string longs("\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x00\x00\x00\x00\x00\x00", 16);
    const std::string p = PickleBytes()
                              .begin_state_dict()
                              .tensor("h", "HalfStorage", "h", 4, 0, {4}, {1})
                              .tensor("b", "BFloat16Storage", "b", 2, 0, {2}, {1})
                              .tensor("l", "LongStorage", "l", 2, 0, {2}, {1})
                              .tensor("m", "BoolStorage", "m", 2, 0, {2}, {1})
                              .tensor("s", "FloatStorage", "s", 1, 0, {}, {})
                              .end_state_dict()
                              .b;
    const SafetensorsFile sd = parse(zip_checkpoint(
        p, {{"h", halves}, {"b", bf16}, {"l", longs}, {"m", std::string("\x01\x00", 2)}, {"s", f32_bytes({7})}}));
    EXPECT_EQ(sd.tensors[0].second.data, (FloatStore{1, -2, 5.9604644775390625e-08f, INFINITY}));
    EXPECT_EQ(sd.tensors[1].second.data, (FloatStore{1, 3.140625f}));
    EXPECT_EQ(sd.tensors[2].second.data, (FloatStore{-1, 5}));
    EXPECT_EQ(sd.tensors[2].second.dtype, DType::Int64);
    EXPECT_EQ(sd.tensors[3].second.dtype, DType::Bool);
    EXPECT_EQ(sd.tensors[3].second.data, (FloatStore{1, 0}));
    EXPECT_EQ(sd.tensors[4].second.shape, Shape{});
    EXPECT_EQ(sd.tensors[4].second.data, (FloatStore{7}));
}

TEST(TorchCheckpoint, LyingTensorsAndStorages) {
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, 4, {3}, {1}), {{"0", kSix}}));
        },
        {"m.bin", "tensor \"w\"", "reads element 6 of a storage of 6"});
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(7, 0, {6}, {1}), {{"0", kSix}}));
        },
        {"storage \"0\" is 24 bytes", "needs 28"});
    expect_file_error([&] { parse(zip_checkpoint(one_tensor(6, 0, {6}, {1}), {})); },
                      {"storage \"0\" has no entry \"archive/data/0\""});
    // Expanding one element to 2^30 would allocate 4 GB from a 24-byte storage.
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, 0, {1 << 30}, {0}), {{"0", kSix}}));
        },
        {"tensor \"w\"", "twice the file's size"});
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, 0, {1 << 30, 1 << 30, 1 << 30}, {0, 0, 0}), {{"0", kSix}}));
        },
        {"too many elements"});
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, 0, {2, 3}, {3}), {{"0", kSix}}));
        },
        {"size [2, 3] but 1 strides"});
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, -1, {2}, {1}), {{"0", kSix}}));
        },
        {"storage offset", "not an int >= 0"});
    expect_file_error(
        [&] {
            parse(zip_checkpoint(one_tensor(6, 0, {6}, {1}, "ComplexFloatStorage"), {{"0", kSix}}));
        },
        {"\"torch.ComplexFloatStorage\"", "untrusted input"});
    // The same key as two storage types.
    const std::string two = PickleBytes()
                                .begin_state_dict()
                                .tensor("a", "FloatStorage", "0", 6, 0, {6}, {1})
                                .tensor("b", "IntStorage", "0", 6, 0, {6}, {1})
                                .end_state_dict()
                                .b;
    expect_file_error([&] { parse(zip_checkpoint(two, {{"0", kSix}})); }, {"storage \"0\" is named as"});
    const std::string dup = PickleBytes()
                                .begin_state_dict()
                                .tensor("a", "FloatStorage", "0", 6, 0, {6}, {1})
                                .tensor("a", "FloatStorage", "0", 6, 0, {6}, {1})
                                .end_state_dict()
                                .b;
    expect_file_error([&] { parse(zip_checkpoint(dup, {{"0", kSix}})); }, {"tensor \"a\" appears twice"});
}

TEST(TorchCheckpoint, ThingsThatAreNotStateDicts) {
    expect_file_error([&] { parse(zip_checkpoint(PickleBytes().proto().int1(3).stop().b, {})); },
                      {"m.bin", "holds the int 3, not a state_dict"});
    expect_file_error(
        [&] { parse(zip_checkpoint(PickleBytes().begin_state_dict().str("epoch").int1(3).end_state_dict().b, {})); },
        {"\"epoch\" holds the int 3, not a tensor"});
    expect_file_error(
        [&] { parse(zip_checkpoint(PickleBytes().begin_state_dict().int1(1).int1(3).end_state_dict().b, {})); },
        {"key is the int 1"});
    // A persistent id that is not a storage, and a whole module.
    const std::string mod = PickleBytes()
                                .begin_state_dict()
                                .str("w")
                                .global("torch._utils", "_rebuild_tensor_v2")
                                .mark()
                                .mark()
                                .str("module")
                                .int1(0)
                                .int1(0)
                                .int1(0)
                                .int1(0)
                                .tuple()
                                .persid()
                                .int1(0)
                                .ints({1})
                                .ints({1})
                                .no()
                                .none()
                                .tuple()
                                .reduce()
                                .end_state_dict()
                                .b;
    expect_file_error([&] { parse(zip_checkpoint(mod, {})); }, {"a whole nn.Module"});
    expect_file_error([&] { parse(make_zip({{"data.pkl", "x"}})); }, {"in no folder"});
    expect_file_error([&] { parse(make_zip({{"a/other", "x"}})); }, {"without \"a/data.pkl\""});
    expect_file_error([&] { parse(make_zip({{"a/data.pkl", "x", 8}})); }, {"\"a/data.pkl\"", "compressed"});
    expect_file_error(
        [&] {
            parse(make_zip({{"a/data.pkl", one_tensor(6, 0, {6}, {1})}, {"a/byteorder", "big"}}));
        },
        {"not little-endian"});
    const std::vector<uint8_t> st = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    expect_file_error([&] { parse(st); }, {"m.bin", "not a torch.save file"});
    expect_file_error([&] { read_torch_checkpoint("/nonexistent/pytorch_model.bin"); },
                      {"/nonexistent/pytorch_model.bin"});
}

// The legacy stream, built piece by piece.
std::vector<uint8_t> legacy(const std::string& main, const std::vector<std::pair<std::string, std::string>>& storages,
                            bool little_endian = true, const std::vector<uint64_t>& counts = {}) {
    std::string s =
        PickleBytes().proto().op(0x8a).op(10).b + std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10) + ".";
    s += PickleBytes().proto().op('M').op(0xe9).op(0x03).stop().b;  // 1001
    s += PickleBytes()
             .proto()
             .empty_dict()
             .mark()
             .str("little_endian")
             .op(little_endian ? 0x88 : 0x89)
             .setitems()
             .stop()
             .b;
    s += main;
    PickleBytes keys;
    keys.proto().empty_list().mark();
    for (const auto& st : storages)
        keys.str(st.first);
    s += keys.op('e').stop().b;
    for (size_t i = 0; i < storages.size(); ++i) {
        const uint64_t n = i < counts.size() ? counts[i] : storages[i].second.size() / 4;
        for (int k = 0; k < 8; ++k)
            s += char(uint8_t(n >> (8 * k)));
        s += storages[i].second;
    }
    return std::vector<uint8_t>(s.begin(), s.end());
}

std::string legacy_tensor(int64_t numel, int64_t offset, const std::vector<int64_t>& size,
                          const std::vector<int64_t>& stride) {
    return PickleBytes()
        .begin_state_dict()
        .tensor("w", "FloatStorage", "k", numel, offset, size, stride, true)
        .end_state_dict()
        .b;
}

TEST(TorchCheckpoint, LegacyStreamBuiltByHand) {
    const SafetensorsFile sd = parse(legacy(legacy_tensor(6, 1, {2, 2}, {1, 2}), {{"k", kSix}}));
    ASSERT_EQ(sd.tensors.size(), 1u);
    EXPECT_EQ(sd.tensors[0].second.data, (FloatStore{1, 3, 2, 4}));
    expect_file_error([&] { parse(legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}}, false)); }, {"big-endian"});
    expect_file_error(
        [&] {
            parse(legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}}, true, {5}));
        },
        {"storage \"k\" records 5 elements, its tensors 6"});
    expect_file_error(
        [&] {
            parse(legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}, {"k", kSix}}));
        },
        {"listed twice"});
    expect_file_error([&] { parse(legacy(legacy_tensor(6, 0, {6}, {1}), {})); }, {"not in the file"});
    expect_file_error(
        [&] {
            parse(legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}, {"z", kSix}}));
        },
        {"\"z\" is listed but no tensor names it"});
    std::vector<uint8_t> cut = legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}});
    cut.resize(cut.size() - 1);
    expect_file_error([&] { parse(cut); }, {"cut short in storage \"k\""});
}

TEST(TorchCheckpoint, LegacyStreamLargerThanAnyPickle) {
    // The storages follow the pickles: a file far larger than the pickle bound still loads.
    const int64_t n = int64_t(kMaxPickleBytes / 4) + 1000;
    std::string storage(size_t(n) * 4, '\0');
    storage[storage.size() - 2] = '\x80';  // the last float is 0x3f800000, 1.0
    storage[storage.size() - 1] = '\x3f';
    const SafetensorsFile sd = parse(legacy(legacy_tensor(n, n - 1, {1}, {1}), {{"k", storage}}));
    EXPECT_EQ(sd.tensors[0].second.data, (FloatStore{1.0f}));
}

TEST(TorchCheckpoint, LegacyStorageViews) {
    // ('storage', FloatStorage, root 'k', 'cpu', 6, ('view', 2, 3)): elements 2..4 of the root.
    const std::string p = PickleBytes()
                              .begin_state_dict()
                              .str("w")
                              .global("torch._utils", "_rebuild_tensor_v2")
                              .mark()
                              .mark()
                              .str("storage")
                              .global("torch", "FloatStorage")
                              .str("k")
                              .str("cpu")
                              .int1(6)
                              .str("view")
                              .int1(2)
                              .int1(3)
                              .op(0x87)
                              .tuple()
                              .persid()
                              .int1(1)
                              .ints({2})
                              .ints({1})
                              .no()
                              .none()
                              .tuple()
                              .reduce()
                              .end_state_dict()
                              .b;
    const SafetensorsFile sd = parse(legacy(p, {{"k", kSix}}));
    EXPECT_EQ(sd.tensors[0].second.data, (FloatStore{3, 4}));
}

TEST(TorchCheckpoint, EveryTruncationIsAFileError) {
    const std::string p = PickleBytes()
                              .begin_state_dict()
                              .tensor("a", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1})
                              .tensor("b", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3})
                              .end_state_dict()
                              .b;
    for (const std::vector<uint8_t>& whole :
         {zip_checkpoint(p, {{"0", kSix}}), legacy(legacy_tensor(6, 0, {6}, {1}), {{"k", kSix}})}) {
        EXPECT_NO_THROW(parse(whole));
        for (size_t n = 0; n < whole.size(); ++n) {
            const std::vector<uint8_t> cut(whole.begin(), whole.begin() + std::ptrdiff_t(n));
            EXPECT_THROW(parse(cut), FileError) << "cut to " << n << " of " << whole.size();
        }
    }
}

}  // namespace
}  // namespace attn
