// .npy reading and writing: round trips, exact bytes, files written by NumPy itself, and every
// kind of bad input, which must become one FileError line naming the file and the problem.
#include "errors.h"
#include "io/npy.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::counting_tensor;
using test::TempFolder;
using test::expect_file_error;
using test::expect_same_tensor;

const std::string kName = "inputs/bad.npy";

void expect_parse_error(const std::vector<uint8_t>& bytes, std::vector<std::string> parts) {
    parts.push_back(kName);
    expect_file_error([&] { parse_npy(bytes.data(), bytes.size(), kName); }, parts);
}

// A .npy file put together by hand: preamble for `major`.0, the header text exactly as given
// (plus the final '\n'), then `data`. No padding: readers must not depend on it.
std::vector<uint8_t> npy_bytes(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
    const std::string header = dict + "\n";
    std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    const size_t len_bytes = major == 1 ? 2 : 4;
    for (size_t i = 0; i < len_bytes; ++i)
        out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& values) {
    std::vector<uint8_t> out;
    for (float v : values) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (int i = 0; i < 4; ++i)
            out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    }
    return out;
}

std::string f4_dict(const std::string& shape) {
    return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

std::string fixture(const std::string& file) {
    return std::string(ATTNSCOPE_TEST_DATA) + "/npy/" + file;
}

// ---------------------------------------------------------------------------------------------
// Round trips and exact bytes

TEST(NpyRoundTrip, F32ShapesIncludingScalarAndEmpty) {
    for (const Shape& shape : std::vector<Shape>{{2, 3}, {}, {0, 3}, {3, 0}, {5}, {1, 2, 3, 4}}) {
        SCOPED_TRACE(shape_string(shape));
        const Tensor t = counting_tensor(shape, -1.0f, 0.25f);
        const std::vector<uint8_t> bytes = encode_npy(t);
        expect_same_tensor(parse_npy(bytes.data(), bytes.size(), "rt.npy"), t);
    }
}

TEST(NpyRoundTrip, SpecialFloatValues) {
    Tensor t({6});
    t.data = {-0.0f,
              std::numeric_limits<float>::infinity(),
              -std::numeric_limits<float>::infinity(),
              std::numeric_limits<float>::quiet_NaN(),
              std::numeric_limits<float>::denorm_min(),
              std::numeric_limits<float>::max()};
    const std::vector<uint8_t> bytes = encode_npy(t);
    expect_same_tensor(parse_npy(bytes.data(), bytes.size(), "rt.npy"), t);
}

TEST(NpyRoundTrip, BoolAndInt64KeepTheirDtype) {
    Tensor mask({2, 3}, 0.0f, DType::Bool);
    mask.data = {1, 0, 0, 1, 1, 0};
    std::vector<uint8_t> bytes = encode_npy(mask);
    expect_same_tensor(parse_npy(bytes.data(), bytes.size(), "mask.npy"), mask);

    Tensor ids({1, 4}, 0.0f, DType::Int64);
    ids.data = {101, 7592, -5, 16777216};
    bytes = encode_npy(ids);
    expect_same_tensor(parse_npy(bytes.data(), bytes.size(), "ids.npy"), ids);
}

TEST(NpyRoundTrip, BoolWritesAnyNonZeroAsTrue) {
    Tensor mask({3}, 0.0f, DType::Bool);
    mask.data = {2.0f, 0.0f, -1.0f};
    const std::vector<uint8_t> bytes = encode_npy(mask);
    const Tensor back = parse_npy(bytes.data(), bytes.size(), "mask.npy");
    EXPECT_EQ(back.data, (FloatStore{1, 0, 1}));
}

TEST(NpyEncode, BytesOfATinyArrayMatchAHandBuiltFile) {
    Tensor t({2});
    t.data = {1.0f, -2.0f};
    // The 57-byte dict does not fit in the first 64 bytes after the 10-byte preamble, so the
    // header is 118 bytes (0x76, as numpy writes it too) and the data starts at byte 128.
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    ASSERT_EQ(dict.size(), 57u);
    std::string expected =
        std::string("\x93NUMPY\x01\x00", 8) + "\x76" + std::string(1, '\0') + dict + std::string(117 - 57, ' ') + "\n";
    expected += std::string("\x00\x00\x80\x3f", 4) + std::string("\x00\x00\x00\xc0", 4);

    const std::vector<uint8_t> bytes = encode_npy(t);
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), expected);
}

TEST(NpyEncode, DescrAndShapeTextForEachDtype) {
    const auto header_of = [](const Tensor& t) {
        const std::vector<uint8_t> b = encode_npy(t);
        return std::string(b.begin() + 10, b.begin() + 10 + (b[8] | (b[9] << 8)));
    };
    EXPECT_NE(header_of(Tensor({}, 0.0f)).find("'descr': '<f4', 'fortran_order': False, 'shape': (), }"),
              std::string::npos);
    EXPECT_NE(header_of(Tensor({2, 2}, 0.0f, DType::Bool)).find("'descr': '|b1'"), std::string::npos);
    EXPECT_NE(header_of(Tensor({3}, 0.0f, DType::Int64)).find("'descr': '<i8'"), std::string::npos);
    EXPECT_NE(header_of(Tensor({3}, 0.0f, DType::Int64)).find("'shape': (3,)"), std::string::npos);
}

TEST(NpyEncode, DataStartsAt64ByteBoundaryAfterNewline) {
    for (const Shape& shape : std::vector<Shape>{{}, {1}, {7, 3}, {123456, 0, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1}}) {
        SCOPED_TRACE(shape_string(shape));
        const std::vector<uint8_t> bytes = encode_npy(Tensor(shape));
        ASSERT_GE(bytes.size(), 10u);
        const size_t header_len = bytes[8] | (bytes[9] << 8);
        const size_t data_start = 10 + header_len;
        EXPECT_EQ(data_start % 64, 0u);
        EXPECT_EQ(bytes[data_start - 1], '\n');
        EXPECT_EQ(bytes.size(), data_start + 4 * static_cast<size_t>(shape_numel(shape)));
    }
}

// ---------------------------------------------------------------------------------------------
// Files written by NumPy (tests/data/npy/README.md says how)

TEST(NpyNumpyFixtures, Float32Matrix) {
    const Tensor t = read_npy(fixture("f32_2x3.npy"));
    EXPECT_EQ(t.shape, (Shape{2, 3}));
    EXPECT_EQ(t.dtype, DType::F32);
    EXPECT_EQ(t.data, (FloatStore{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}));
}

TEST(NpyNumpyFixtures, Float64IsConvertedToFloat) {
    const Tensor t = read_npy(fixture("f64_4.npy"));
    EXPECT_EQ(t.shape, (Shape{4}));
    EXPECT_EQ(t.dtype, DType::F32);
    ASSERT_EQ(t.data.size(), 4u);
    EXPECT_EQ(t.data[0], 1.5f);
    EXPECT_EQ(t.data[1], -2.25f);
    EXPECT_EQ(t.data[2], static_cast<float>(0.1));        // rounded from double, not parsed as float
    EXPECT_TRUE(std::isinf(t.data[3]) && t.data[3] > 0);  // 1e40 is beyond float
}

TEST(NpyNumpyFixtures, BoolAndUint8BecomeBool) {
    const Tensor b = read_npy(fixture("bool_2x2.npy"));
    EXPECT_EQ(b.shape, (Shape{2, 2}));
    EXPECT_EQ(b.dtype, DType::Bool);
    EXPECT_EQ(b.data, (FloatStore{1, 0, 0, 1}));

    const Tensor u = read_npy(fixture("u8_5.npy"));
    EXPECT_EQ(u.shape, (Shape{5}));
    EXPECT_EQ(u.dtype, DType::Bool);
    EXPECT_EQ(u.data, (FloatStore{0, 1, 1, 1, 0}));
}

TEST(NpyNumpyFixtures, IntegersBecomeInt64) {
    const Tensor ids = read_npy(fixture("i64_1x4.npy"));
    EXPECT_EQ(ids.shape, (Shape{1, 4}));
    EXPECT_EQ(ids.dtype, DType::Int64);
    EXPECT_EQ(ids.data, (FloatStore{101, 7592, 0, 102}));

    const Tensor small = read_npy(fixture("i32_3.npy"));
    EXPECT_EQ(small.shape, (Shape{3}));
    EXPECT_EQ(small.dtype, DType::Int64);
    EXPECT_EQ(small.data, (FloatStore{-3, 5, 16777216}));
}

TEST(NpyNumpyFixtures, ScalarAndEmpty) {
    const Tensor s = read_npy(fixture("scalar_f32.npy"));
    EXPECT_EQ(s.shape, Shape{});
    EXPECT_EQ(s.data, (FloatStore{3.5f}));

    const Tensor e = read_npy(fixture("empty_0x3.npy"));
    EXPECT_EQ(e.shape, (Shape{0, 3}));
    EXPECT_TRUE(e.data.empty());
}

TEST(NpyNumpyFixtures, Versions2And3) {
    const Tensor v2 = read_npy(fixture("f32_v2.npy"));
    EXPECT_EQ(v2.shape, (Shape{2, 2}));
    EXPECT_EQ(v2.data, (FloatStore{1, 2, 3, 4}));

    const Tensor v3 = read_npy(fixture("f32_v3.npy"));
    EXPECT_EQ(v3.shape, (Shape{3}));
    EXPECT_EQ(v3.data, (FloatStore{7, 8, 9}));
}

TEST(NpyNumpyFixtures, FortranOrderAndBigEndianAreRefused) {
    const std::string fortran = fixture("fortran_2x3.npy");
    expect_file_error([&] { read_npy(fortran); }, {fortran, "Fortran", "[2, 3]"});
    const std::string big = fixture("f32_be.npy");
    expect_file_error([&] { read_npy(big); }, {big, "'>f4'", "big-endian", "'<f4'"});
}

TEST(NpyNumpyFixtures, OurFileParsesLikeNumpysOwn) {
    // Same array, two writers: both must read back the same tensor.
    const Tensor numpy_written = read_npy(fixture("f32_2x3.npy"));
    const std::vector<uint8_t> ours = encode_npy(numpy_written);
    expect_same_tensor(parse_npy(ours.data(), ours.size(), "ours.npy"), numpy_written);
}

TEST(NpyNumpyFixtures, OurBytesEqualNumpysForCOrderFixtures) {
    // Same dtype names, same dict text, same 64-byte alignment: numpy's spare header room for
    // growing the first axis fits in the same padding for these small shapes.
    for (const char* file : {"f32_2x3.npy", "bool_2x2.npy", "i64_1x4.npy", "scalar_f32.npy", "empty_0x3.npy"}) {
        SCOPED_TRACE(file);
        const std::string path = fixture(file);
        std::ifstream in(path, std::ios::binary);
        const std::vector<uint8_t> numpy_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(encode_npy(read_npy(path)), numpy_bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input

TEST(NpyBad, BadMagic) {
    const std::vector<uint8_t> zip = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    expect_parse_error(zip, {"not a .npy file", "PK\\x03\\x04"});
    expect_parse_error({}, {"not a .npy file"});
}

TEST(NpyBad, TruncatedPreambleAndHeader) {
    std::vector<uint8_t> bytes = npy_bytes(f4_dict("(2,)"), f32_bytes({1, 2}));
    expect_parse_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 7), {"truncated"});
    expect_parse_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 9), {"truncated", "preamble", "10"});
    // The header says it is longer than what follows.
    const size_t header_len = bytes[8] | (bytes[9] << 8);
    expect_parse_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 30),
                       {"truncated .npy header", std::to_string(header_len), "only 20"});
}

TEST(NpyBad, UnsupportedVersion) {
    std::vector<uint8_t> bytes = npy_bytes(f4_dict("(2,)"), f32_bytes({1, 2}));
    bytes[6] = 4;
    expect_parse_error(bytes, {"version 4.0", "1.0, 2.0, 3.0"});
}

TEST(NpyBad, HeaderNotADict) {
    expect_parse_error(npy_bytes("['<f4', False, (2,)]", f32_bytes({1, 2})), {"not a Python dict"});
    expect_parse_error(npy_bytes("", {}), {"not a Python dict"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", f32_bytes({1, 2})),
                       {"after the closing '}'"});
    expect_parse_error(npy_bytes("{'descr': '<f4", {}), {"unterminated string"});
}

TEST(NpyBad, MissingUnknownAndDuplicateKeys) {
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, }", {}), {"no 'shape' key"});
    expect_parse_error(npy_bytes("{'fortran_order': False, 'shape': (1,), }", f32_bytes({1})), {"no 'descr' key"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'shape': (1,), }", f32_bytes({1})), {"no 'fortran_order' key"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", {}),
                       {"unexpected key 'extra'"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", {}),
                       {"'descr' appears twice"});
}

TEST(NpyBad, MalformedValues) {
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", {}), {"True or False"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", {}), {"a tuple as 'shape'"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", {}),
                       {"negative dimension"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", {}),
                       {"expected ',' or ')'"});
    expect_parse_error(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", {}),
                       {"expected ',' or ')'"});
    expect_parse_error(npy_bytes("{'descr': 4, 'fortran_order': False, 'shape': (2,)}", {}), {"dtype string"});
}

TEST(NpyBad, UnsupportedDtypes) {
    expect_parse_error(npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(8)),
                       {"unsupported dtype '<c8'", "supported: '<f4', '<f8'"});
    expect_parse_error(npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(4)),
                       {"'>f4'", "big-endian"});
    expect_parse_error(npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(2)),
                       {"'<f2'"});
    expect_parse_error(npy_bytes("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", {}),
                       {"structured"});
}

TEST(NpyBad, FortranOrderIsRefusedUnlessItIsTheSameLayout) {
    expect_parse_error(
        npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f32_bytes({1, 2, 3, 4, 5, 6})),
        {"Fortran", "[2, 3]", "ascontiguousarray"});
    // A vector or [1, n] has the same bytes in either order.
    for (const char* shape : {"(3,)", "(1, 3)", "(3, 1)"}) {
        const std::vector<uint8_t> b = npy_bytes(
            "{'descr': '<f4', 'fortran_order': True, 'shape': " + std::string(shape) + ", }", f32_bytes({1, 2, 3}));
        EXPECT_EQ(parse_npy(b.data(), b.size(), kName).data, (FloatStore{1, 2, 3}));
    }
}

TEST(NpyBad, DataShorterOrLongerThanTheShape) {
    expect_parse_error(npy_bytes(f4_dict("(2, 3)"), std::vector<uint8_t>(20)),
                       {"[2, 3]", "'<f4'", "needs 24 data bytes", "20 follow", "truncated"});
    expect_parse_error(npy_bytes(f4_dict("(2, 3)"), std::vector<uint8_t>(28)),
                       {"[2, 3]", "needs 24 data bytes", "28 follow"});
}

TEST(NpyBad, AbsurdShapesAllocateNothing) {
    expect_parse_error(npy_bytes(f4_dict("(4294967296, 4294967296, 4294967296)"), {}), {"absurd", "overflows"});
    // A zero does not excuse the rest: its strides would overflow just the same.
    expect_parse_error(npy_bytes(f4_dict("(0, 4294967296, 4294967296)"), {}), {"overflows"});
    expect_parse_error(npy_bytes(f4_dict("(99999999999999999999,)"), {}), {"does not fit in 64 bits"});
    // Large but representable: refused by the size check, long before any allocation.
    expect_parse_error(npy_bytes(f4_dict("(1000000000, 1000000000)"), {}),
                       {"needs 4000000000000000000 data bytes", "0 follow"});
    std::string many = "(";
    for (int i = 0; i < 65; ++i)
        many += "1, ";
    expect_parse_error(npy_bytes(f4_dict(many + ")"), f32_bytes({1})), {"more than 64"});
}

TEST(NpyBad, ScalarShape) {
    const std::vector<uint8_t> ok = npy_bytes(f4_dict("()"), f32_bytes({2.5f}));
    const Tensor t = parse_npy(ok.data(), ok.size(), kName);
    EXPECT_EQ(t.shape, Shape{});
    EXPECT_EQ(t.data, (FloatStore{2.5f}));
    expect_parse_error(npy_bytes(f4_dict("()"), {}), {"needs 4 data bytes", "0 follow"});
}

TEST(NpyBad, IntegerBeyondFloatPrecision) {
    std::vector<uint8_t> data(8, 0);
    data[0] = 1;
    data[3] = 1;  // 2^24 + 1
    expect_parse_error(npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", data),
                       {"16777217", "element 0"});
}

TEST(NpyBad, EveryTruncationThrowsFileError) {
    const std::vector<uint8_t> good = encode_npy(counting_tensor({2, 3}, -1.0f, 0.25f));
    for (size_t n = 0; n < good.size(); ++n) {
        SCOPED_TRACE(n);
        const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
        expect_parse_error(cut, {});
    }
}

TEST(NpyBad, CorruptedBytesNeverEscapeAsAnythingButFileError) {
    const std::vector<uint8_t> good = npy_bytes(f4_dict("(2, 3)"), f32_bytes({1, 2, 3, 4, 5, 6}));
    uint32_t state = 12345;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<uint8_t> bad = good;
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int k = 0; k < flips; ++k)
            bad[(next() >> 8) % bad.size()] = static_cast<uint8_t>(next() >> 24);
        try {
            parse_npy(bad.data(), bad.size(), kName);
        } catch (const FileError& e) {
            EXPECT_EQ(std::string(e.what()).rfind(kName + ": ", 0), 0u) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "trial " << trial << ": not a FileError: " << e.what();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files on disk

TEST(NpyWrite, WritesAndReadsBack) {
    TempFolder dir;
    const std::string path = (dir.path / "ids.npy").string();
    Tensor ids({1, 3}, 0.0f, DType::Int64);
    ids.data = {5, 6, 7};
    write_npy(path, ids);
    expect_same_tensor(read_npy(path), ids);
}

TEST(NpyWrite, MissingFolderThrowsAndLeavesExistingFileIntact) {
    TempFolder dir;
    const std::string existing = (dir.path / "a.npy").string();
    const Tensor first = counting_tensor({2, 2}, -1.0f, 0.25f);
    write_npy(existing, first);

    const std::string bad = (dir.path / "no_such_folder" / "a.npy").string();
    expect_file_error([&] { write_npy(bad, counting_tensor({3}, -1.0f, 0.25f)); }, {bad});

    expect_same_tensor(read_npy(existing), first);
    // Nothing else was left behind (no temporary file).
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir.path)) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1u);
}

TEST(NpyWrite, ReadingAMissingFileNamesIt) {
    TempFolder dir;
    const std::string path = (dir.path / "missing.npy").string();
    expect_file_error([&] { read_npy(path); }, {path});
}

}  // namespace
}  // namespace attn
