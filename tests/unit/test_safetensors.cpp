// safetensors reading and writing: round trips, the exact layout, F16/BF16/F64 conversion checked
// against values worked out by hand, and every kind of bad input, which must become one FileError
// line naming the file, the tensor and the problem.
#include "errors.h"
#include "io/safetensors.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::counting_tensor;
using test::expect_file_error;
using test::expect_same_tensor;
using test::TempFolder;

const std::string kName = "weights/bad.safetensors";

void expect_parse_error(const std::vector<uint8_t>& bytes, std::vector<std::string> parts) {
    parts.push_back(kName);
    expect_file_error([&] { parse_safetensors(bytes.data(), bytes.size(), kName); }, parts);
}

void append_le(std::vector<uint8_t>& out, uint64_t v, int nbytes) {
    for (int i = 0; i < nbytes; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A file put together by hand: the length as given, the header text, then `data`.
std::vector<uint8_t> st_bytes(uint64_t header_len, const std::string& header, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out;
    append_le(out, header_len, 8);
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<uint8_t> st_bytes(const std::string& header, const std::vector<uint8_t>& data) {
    return st_bytes(header.size(), header, data);
}

std::string entry(const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return "{\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": " + offsets + "}";
}

// ---------------------------------------------------------------------------------------------
// Round trips and layout

TEST(SafetensorsRoundTrip, TensorsKeepOrderShapesAndValues) {
    std::vector<NamedTensor> tensors = {
        {"Wq.weight", counting_tensor({4, 4}, -3.0f, 0.5f)}, {"scalar", counting_tensor({}, 7.0f, 0.5f)},
        {"empty", counting_tensor({0, 3}, 0.0f, 0.5f)},      {"a.bias", counting_tensor({3}, 1.0f, 0.5f)},
        {"also_empty", counting_tensor({2, 0}, 0.0f, 0.5f)},
    };
    tensors[0].second.data[1] = -0.0f;
    tensors[0].second.data[2] = std::numeric_limits<float>::infinity();
    tensors[0].second.data[3] = std::numeric_limits<float>::quiet_NaN();
    const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "héllo"}};

    const std::vector<uint8_t> bytes = encode_safetensors(tensors, metadata);
    const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "rt.safetensors");

    ASSERT_EQ(file.tensors.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        SCOPED_TRACE(tensors[i].first);
        EXPECT_EQ(file.tensors[i].first, tensors[i].first);
        EXPECT_EQ(file.tensors[i].second.dtype, DType::F32);
        expect_same_tensor(file.tensors[i].second, tensors[i].second, /*compare_dtype=*/false);
    }
    EXPECT_EQ(file.metadata, metadata);
}

TEST(SafetensorsRoundTrip, NoTensorsNoMetadata) {
    const std::vector<uint8_t> bytes = encode_safetensors({});
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
    const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "empty.safetensors");
    EXPECT_TRUE(file.tensors.empty());
    EXPECT_TRUE(file.metadata.empty());
}

TEST(SafetensorsEncode, LayoutIsTheSpecOne) {
    Tensor b({2});
    b.data = {1.0f, -2.0f};
    const std::vector<uint8_t> bytes =
        encode_safetensors({{"z.weight", counting_tensor({2, 3}, 0.0f, 0.5f)}, {"a.bias", b}}, {{"format", "pt"}});

    ASSERT_GE(bytes.size(), 8u);
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
        n |= uint64_t(bytes[i]) << (8 * i);
    EXPECT_EQ(n % 8, 0u);
    ASSERT_EQ(bytes.size(), 8 + n + 4 * (6 + 2));

    const std::string text(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
    const nlohmann::json header = nlohmann::json::parse(text);
    EXPECT_EQ(header["__metadata__"], (nlohmann::json{{"format", "pt"}}));
    EXPECT_EQ(header["z.weight"]["dtype"], "F32");
    EXPECT_EQ(header["z.weight"]["shape"], (nlohmann::json{2, 3}));
    EXPECT_EQ(header["z.weight"]["data_offsets"], (nlohmann::json{0, 24}));
    EXPECT_EQ(header["a.bias"]["shape"], (nlohmann::json{2}));
    EXPECT_EQ(header["a.bias"]["data_offsets"], (nlohmann::json{24, 32}));
    // In the given order, not sorted.
    EXPECT_LT(text.find("z.weight"), text.find("a.bias"));

    // a.bias: 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
    const std::vector<uint8_t> tail(bytes.end() - 8, bytes.end());
    EXPECT_EQ(tail, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}));
}

// ---------------------------------------------------------------------------------------------
// Conversion from F16, BF16 and F64

TEST(SafetensorsDtypes, HalfBfloatAndDoubleValuesKnownByHand) {
    const std::vector<uint16_t> f16 = {
        0x3C00,  // 1.0
        0xC000,  // -2.0
        0x7BFF,  // 65504, the largest half
        0x0001,  // 2^-24, the smallest subnormal
        0x03FF,  // 1023 * 2^-24, the largest subnormal
        0x0400,  // 2^-14, the smallest normal
        0x8000,  // -0.0
        0x7C00,  // inf
        0xFC00,  // -inf
        0x7E00,  // NaN
        0x3555,  // 0.333251953125
    };
    const std::vector<uint16_t> bf16 = {
        0x3F80,  // 1.0
        0xC000,  // -2.0
        0x7F7F,  // 3.3895313892515355e38, the largest bfloat16
        0x0001,  // 2^-133, a float subnormal
        0x7F80,  // inf
        0xFF80,  // -inf
        0x7FC0,  // NaN
        0x3EAB,  // 0.333984375
    };
    const std::vector<double> f64 = {1.5, -0.1};

    std::vector<uint8_t> data;
    for (uint16_t h : f16)
        append_le(data, h, 2);
    for (uint16_t h : bf16)
        append_le(data, h, 2);
    for (double d : f64) {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        append_le(data, bits, 8);
    }
    const std::string header = "{\"h\": " + entry("F16", "[11]", "[0, 22]") +
                               ", \"b\": " + entry("BF16", "[2, 4]", "[22, 38]") +
                               ", \"d\": " + entry("F64", "[2]", "[38, 54]") + "}";
    const std::vector<uint8_t> bytes = st_bytes(header, data);
    const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "half.safetensors");

    ASSERT_EQ(file.tensors.size(), 3u);
    EXPECT_EQ(file.tensors[0].first, "h");
    const FloatStore& h = file.tensors[0].second.data;
    ASSERT_EQ(h.size(), 11u);
    EXPECT_EQ(h[0], 1.0f);
    EXPECT_EQ(h[1], -2.0f);
    EXPECT_EQ(h[2], 65504.0f);
    EXPECT_EQ(h[3], std::ldexp(1.0f, -24));
    EXPECT_EQ(h[4], std::ldexp(1023.0f, -24));
    EXPECT_EQ(h[5], std::ldexp(1.0f, -14));
    EXPECT_EQ(h[6], 0.0f);
    EXPECT_TRUE(std::signbit(h[6]));
    EXPECT_EQ(h[7], std::numeric_limits<float>::infinity());
    EXPECT_EQ(h[8], -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(h[9]));
    EXPECT_EQ(h[10], 0.333251953125f);

    EXPECT_EQ(file.tensors[1].first, "b");
    EXPECT_EQ(file.tensors[1].second.shape, (Shape{2, 4}));
    const FloatStore& b = file.tensors[1].second.data;
    ASSERT_EQ(b.size(), 8u);
    EXPECT_EQ(b[0], 1.0f);
    EXPECT_EQ(b[1], -2.0f);
    EXPECT_EQ(b[2], 3.3895313892515355e38f);
    EXPECT_EQ(b[3], std::ldexp(1.0f, -133));
    EXPECT_EQ(b[4], std::numeric_limits<float>::infinity());
    EXPECT_EQ(b[5], -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(b[6]));
    EXPECT_EQ(b[7], 0.333984375f);

    EXPECT_EQ(file.tensors[2].second.data, (FloatStore{1.5f, static_cast<float>(-0.1)}));
}

TEST(SafetensorsDtypes, EveryHalfMatchesTheFormula) {
    // All 65536 bit patterns against the textbook definition, computed in double:
    // normal (-1)^s 2^(e-15) (1 + m/1024), subnormal (-1)^s 2^-14 (m/1024).
    std::vector<uint8_t> data;
    for (uint32_t h = 0; h < 65536; ++h)
        append_le(data, h, 2);
    const std::string header = "{\"all\": " + entry("F16", "[65536]", "[0, 131072]") + "}";
    const std::vector<uint8_t> bytes = st_bytes(header, data);
    const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), "all.safetensors");
    const FloatStore& v = file.tensors.at(0).second.data;
    ASSERT_EQ(v.size(), 65536u);
    int mismatches = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
        const double sign = s ? -1.0 : 1.0;
        if (e == 31) {
            const bool ok = m == 0 ? (std::isinf(v[h]) && std::signbit(v[h]) == (s == 1)) : std::isnan(v[h]);
            if (!ok && ++mismatches < 5) ADD_FAILURE() << "half 0x" << std::hex << h;
            continue;
        }
        const double expect = e == 0 ? sign * std::ldexp(m / 1024.0, -14) : sign * std::ldexp(1.0 + m / 1024.0, e - 15);
        if ((static_cast<double>(v[h]) != expect || std::signbit(v[h]) != (s == 1)) && ++mismatches < 5)
            ADD_FAILURE() << "half 0x" << std::hex << h << ": got " << v[h] << ", want " << expect;
    }
    EXPECT_EQ(mismatches, 0);
}

// ---------------------------------------------------------------------------------------------
// What a reader must allow

TEST(SafetensorsRead, GapsUnknownFieldsAndDataOrder) {
    // "second" is listed first in the header but its data comes later; the header has an
    // unknown field with nested values, and 4 unused bytes sit between the tensors.
    const std::string header =
        "{\"second\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12], "
        "\"extra\": {\"deep\": [[[1, {\"x\": null}]]]}}, "
        "\"first\": " +
        entry("F32", "[1]", "[0, 4]") +
        ", "
        "\"zero\": " +
        entry("F32", "[0]", "[4, 4]") + "}";
    std::vector<uint8_t> data;
    for (float f : {1.0f, 99.0f, 2.0f}) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        append_le(data, bits, 4);
    }
    const std::vector<uint8_t> bytes = st_bytes(header, data);
    const SafetensorsFile file = parse_safetensors(bytes.data(), bytes.size(), kName);
    ASSERT_EQ(file.tensors.size(), 3u);
    EXPECT_EQ(file.tensors[0].first, "first");
    EXPECT_EQ(file.tensors[0].second.data, (FloatStore{1.0f}));
    EXPECT_EQ(file.tensors[1].first, "zero");
    EXPECT_EQ(file.tensors[2].first, "second");
    EXPECT_EQ(file.tensors[2].second.data, (FloatStore{2.0f}));
}

// ---------------------------------------------------------------------------------------------
// Bad input

TEST(SafetensorsBad, ShorterThanTheLengthField) {
    expect_parse_error({1, 2, 3, 4, 5}, {"5 bytes", "8-byte header length"});
    expect_parse_error({}, {"0 bytes"});
}

TEST(SafetensorsBad, HeaderLengthPastTheEnd) {
    expect_parse_error(st_bytes(100, "{\"a\": 1}", {}), {"header length 100", "past the end", "8 bytes follow"});
}

TEST(SafetensorsBad, HeaderLengthAbsurd) {
    expect_parse_error(st_bytes(uint64_t(1) << 62, "{}", {}), {"header length 4611686018427387904", "absurd"});
    expect_parse_error(st_bytes(~uint64_t(0), "{}", {}), {"absurd"});
}

TEST(SafetensorsBad, HeaderNotJson) {
    expect_parse_error(st_bytes("{\"a\": ", {}), {"not valid JSON"});
    expect_parse_error(st_bytes("", {}), {"not valid JSON"});
    expect_parse_error(st_bytes("{} x", {}), {"not valid JSON"});
    expect_parse_error(st_bytes("{\"a\xff\": 1}", {}), {"not valid JSON"});  // not UTF-8
    expect_parse_error(st_bytes(std::string("{\"a\0", 4), {}), {"not valid JSON"});
}

TEST(SafetensorsBad, HeaderNotAnObject) {
    expect_parse_error(st_bytes("[1, 2]", {}), {"header is an array", "expected a JSON object"});
    expect_parse_error(st_bytes("42", {}), {"header is a number"});
    expect_parse_error(st_bytes("\"F32\"", {}), {"header is a string"});
}

TEST(SafetensorsBad, EntryNotAnObject) {
    expect_parse_error(st_bytes("{\"Wq.weight\": [1, 2]}", {}),
                       {"tensor \"Wq.weight\"", "entry is an array", "\"dtype\""});
    expect_parse_error(st_bytes("{\"Wq.weight\": \"F32\"}", {}), {"tensor \"Wq.weight\"", "entry is a string"});
}

TEST(SafetensorsBad, EntryMissingAField) {
    expect_parse_error(st_bytes("{\"Wq.weight\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", std::vector<uint8_t>(4)),
                       {"tensor \"Wq.weight\"", "no \"dtype\""});
    expect_parse_error(
        st_bytes("{\"Wq.weight\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", std::vector<uint8_t>(4)),
        {"tensor \"Wq.weight\"", "no \"shape\""});
    expect_parse_error(st_bytes("{\"Wq.weight\": {\"dtype\": \"F32\", \"shape\": [1]}}", std::vector<uint8_t>(4)),
                       {"tensor \"Wq.weight\"", "no \"data_offsets\""});
}

TEST(SafetensorsBad, FieldsOfTheWrongKind) {
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "4", "[0, 16]") + "}", {}),
                       {"tensor \"w\"", "\"shape\" is a number"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[2, -2]", "[0, 16]") + "}", {}),
                       {"tensor \"w\"", "\"shape\"", "negative"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[2.5]", "[0, 16]") + "}", {}),
                       {"tensor \"w\"", "not an integer"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[[2]]", "[0, 16]") + "}", {}),
                       {"tensor \"w\"", "element of \"shape\" is an array"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[\"2\"]", "[0, 16]") + "}", {}),
                       {"tensor \"w\"", "element of \"shape\" is a string"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[4]", "[0, 16, 32]") + "}", {}),
                       {"tensor \"w\"", "more than 2 numbers"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[4]", "[16]") + "}", {}),
                       {"tensor \"w\"", "\"data_offsets\" has 1 numbers"});
    expect_parse_error(st_bytes("{\"w\": {\"dtype\": 32, \"shape\": [4], \"data_offsets\": [0, 16]}}", {}),
                       {"tensor \"w\"", "\"dtype\" is a number"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[4]", "[0, 18446744073709551616]") + "}", {}),
                       {"tensor \"w\"", "not an integer"});
}

TEST(Safetensors, ReadsInt64Exactly) {
    // attention_mask and input_ids as transformers saves them: int64, little-endian.
    std::vector<uint8_t> data;
    for (int64_t v : {int64_t{1}, int64_t{0}, int64_t{-7}, int64_t{1} << 24})
        append_le(data, static_cast<uint64_t>(v), 8);
    const std::vector<uint8_t> bytes = st_bytes("{\"m\": " + entry("I64", "[2, 2]", "[0, 32]") + "}", data);
    const SafetensorsFile f = parse_safetensors(bytes.data(), bytes.size(), "ints.safetensors");
    ASSERT_EQ(f.tensors.size(), 1u);
    const Tensor& t = f.tensors[0].second;
    EXPECT_EQ(t.dtype, DType::Int64);
    EXPECT_EQ(t.shape, (Shape{2, 2}));
    EXPECT_EQ(t.data[0], 1.0f);
    EXPECT_EQ(t.data[1], 0.0f);
    EXPECT_EQ(t.data[2], -7.0f);
    EXPECT_EQ(t.data[3], 16777216.0f);
}

TEST(SafetensorsBad, Int64BeyondFloatIsRefused) {
    std::vector<uint8_t> data;
    append_le(data, 0, 8);
    append_le(data, (uint64_t{1} << 24) + 1, 8);
    expect_parse_error(st_bytes("{\"ids\": " + entry("I64", "[2]", "[0, 16]") + "}", data),
                       {"tensor \"ids\"", "16777217", "element 1", "16777216"});
}

TEST(SafetensorsBad, UnknownDtypeIsNamed) {
    expect_parse_error(st_bytes("{\"ids\": " + entry("I32", "[2]", "[0, 8]") + "}", std::vector<uint8_t>(8)),
                       {"tensor \"ids\"", "dtype \"I32\" is not supported", "F32, F16, BF16, F64, I64"});
    expect_parse_error(st_bytes("{\"q\": " + entry("Q4_K", "[2]", "[0, 1]") + "}", std::vector<uint8_t>(1)),
                       {"tensor \"q\"", "\"Q4_K\""});
}

TEST(SafetensorsBad, OffsetsOutsideTheData) {
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[4, 4]", "[0, 64]") + "}", std::vector<uint8_t>(32)),
                       {"tensor \"w\"", "data_offsets [0, 64]", "data buffer of 32 bytes"});
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[1]", "[18446744073709551611, 18446744073709551615]") + "}",
                                std::vector<uint8_t>(32)),
                       {"tensor \"w\"", "data buffer of 32 bytes"});
}

TEST(SafetensorsBad, BeginAfterEnd) {
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[1]", "[8, 4]") + "}", std::vector<uint8_t>(16)),
                       {"tensor \"w\"", "data_offsets [8, 4]", "end before they begin"});
}

TEST(SafetensorsBad, SpanDoesNotMatchDtypeAndShape) {
    expect_parse_error(
        st_bytes("{\"Wq.weight\": " + entry("F32", "[4, 4]", "[0, 100]") + "}", std::vector<uint8_t>(100)),
        {"tensor \"Wq.weight\": data_offsets [0, 100] need 64 bytes for F32 [4, 4] "
         "but span 100"});
    expect_parse_error(st_bytes("{\"h\": " + entry("BF16", "[3]", "[0, 4]") + "}", std::vector<uint8_t>(4)),
                       {"tensor \"h\"", "need 6 bytes for BF16 [3]", "span 4"});
}

TEST(SafetensorsBad, AbsurdShape) {
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", "[4294967296, 4294967296, 4294967296]", "[0, 4]") + "}",
                                std::vector<uint8_t>(4)),
                       {"tensor \"w\"", "absurd", "overflows"});
    std::string deep = "[";
    for (int i = 0; i < 65; ++i)
        deep += i ? ", 1" : "1";
    expect_parse_error(st_bytes("{\"w\": " + entry("F32", deep + "]", "[0, 4]") + "}", std::vector<uint8_t>(4)),
                       {"tensor \"w\"", "more than 64 dimensions"});
}

TEST(SafetensorsBad, OverlappingTensors) {
    const std::string header =
        "{\"a\": " + entry("F32", "[4]", "[0, 16]") + ", \"b\": " + entry("F32", "[4]", "[8, 24]") + "}";
    expect_parse_error(st_bytes(header, std::vector<uint8_t>(24)),
                       {"\"a\" data_offsets [0, 16]", "\"b\" data_offsets [8, 24]", "overlap"});
    // A small tensor inside a big one, with a third after both: found against the big one.
    const std::string nested = "{\"big\": " + entry("F32", "[8]", "[0, 32]") +
                               ", \"c\": " + entry("F32", "[1]", "[28, 32]") +
                               ", \"in\": " + entry("F32", "[1]", "[4, 8]") + "}";
    expect_parse_error(st_bytes(nested, std::vector<uint8_t>(32)), {"\"big\"", "\"in\"", "overlap"});
    // The same range twice.
    const std::string same =
        "{\"a\": " + entry("F32", "[1]", "[0, 4]") + ", \"b\": " + entry("F32", "[1]", "[0, 4]") + "}";
    expect_parse_error(st_bytes(same, std::vector<uint8_t>(4)), {"\"a\"", "\"b\"", "overlap"});
}

TEST(SafetensorsBad, DuplicateNames) {
    // JSON parsers differ on which duplicate wins, so a file that relies on it is refused.
    const std::string header =
        "{\"w\": " + entry("F32", "[1]", "[0, 4]") + ", \"w\": " + entry("F32", "[1]", "[4, 8]") + "}";
    expect_parse_error(st_bytes(header, std::vector<uint8_t>(8)), {"tensor name \"w\" appears twice"});
    expect_parse_error(st_bytes("{\"w\": {\"dtype\": \"F32\", \"dtype\": \"F16\", \"shape\": [1], "
                                "\"data_offsets\": [0, 4]}}",
                                std::vector<uint8_t>(4)),
                       {"tensor \"w\"", "key \"dtype\" appears twice"});
    expect_parse_error(st_bytes("{\"__metadata__\": {\"k\": \"1\", \"k\": \"2\"}}", {}),
                       {"\"__metadata__\" key \"k\" appears twice"});
    expect_parse_error(st_bytes("{\"__metadata__\": {}, \"__metadata__\": {}}", {}),
                       {"\"__metadata__\" appears twice"});
}

TEST(SafetensorsBad, MetadataNotStringToString) {
    expect_parse_error(st_bytes("{\"__metadata__\": \"pt\"}", {}),
                       {"\"__metadata__\" is a string", "expected an object of strings"});
    expect_parse_error(st_bytes("{\"__metadata__\": {\"step\": 3}}", {}),
                       {"\"__metadata__\" value of \"step\" is a number", "expected a string"});
    expect_parse_error(st_bytes("{\"__metadata__\": {\"cfg\": {\"a\": \"b\"}}}", {}),
                       {"\"__metadata__\" value of \"cfg\" is an object"});
    expect_parse_error(st_bytes("{\"__metadata__\": {\"tags\": [\"a\"]}}", {}),
                       {"\"__metadata__\" value of \"tags\" is an array"});
}

TEST(SafetensorsBad, NamesInMessagesStayOnOneLine) {
    expect_parse_error(st_bytes("{\"bad\\nname\": 3}", {}), {"tensor \"bad\\x0aname\""});
}

TEST(SafetensorsBad, DeepNestingFailsFastWithoutRecursion) {
    const std::string deep(200000, '[');
    expect_parse_error(st_bytes(deep, {}), {"header is an array"});
    const std::string deep_entry = "{\"w\": " + std::string(200000, '[');
    expect_parse_error(st_bytes(deep_entry, {}), {"tensor \"w\"", "entry is an array"});
}

TEST(SafetensorsBad, EveryTruncationThrowsFileError) {
    const std::vector<uint8_t> good = encode_safetensors(
        {{"a", counting_tensor({2, 3}, 1.0f, 0.5f)}, {"b", counting_tensor({2}, 0.0f, 0.5f)}}, {{"format", "pt"}});
    for (size_t n = 0; n < good.size(); ++n) {
        SCOPED_TRACE(n);
        expect_parse_error(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(n)), {});
    }
}

TEST(SafetensorsBad, CorruptedBytesNeverEscapeAsAnythingButFileError) {
    const std::vector<uint8_t> good = encode_safetensors(
        {{"a", counting_tensor({2, 3}, 1.0f, 0.5f)}, {"b", counting_tensor({2}, 0.0f, 0.5f)}}, {{"format", "pt"}});
    uint32_t state = 987654321;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<uint8_t> bad = good;
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int k = 0; k < flips; ++k)
            bad[(next() >> 8) % bad.size()] = static_cast<uint8_t>(next() >> 24);
        try {
            parse_safetensors(bad.data(), bad.size(), kName);
        } catch (const FileError& e) {
            EXPECT_EQ(std::string(e.what()).rfind(kName + ": ", 0), 0u) << e.what();
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "trial " << trial << ": not a FileError: " << e.what();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files on disk

TEST(SafetensorsWrite, WritesAndReadsBack) {
    TempFolder dir;
    const std::string path = (dir.path / "w.safetensors").string();
    const std::vector<NamedTensor> tensors = {{"Wq.weight", counting_tensor({2, 2}, 3.0f, 0.5f)}};
    write_safetensors(path, tensors, {{"format", "pt"}});
    const SafetensorsFile file = read_safetensors(path);
    ASSERT_EQ(file.tensors.size(), 1u);
    EXPECT_EQ(file.tensors[0].first, "Wq.weight");
    expect_same_tensor(file.tensors[0].second, tensors[0].second, /*compare_dtype=*/false);
    EXPECT_EQ(file.metadata.at("format"), "pt");
}

TEST(SafetensorsWrite, MissingFolderThrowsAndLeavesExistingFileIntact) {
    TempFolder dir;
    const std::string existing = (dir.path / "w.safetensors").string();
    const std::vector<NamedTensor> first = {{"a", counting_tensor({3}, 1.0f, 0.5f)}};
    write_safetensors(existing, first);

    const std::string bad = (dir.path / "no_such_folder" / "w.safetensors").string();
    expect_file_error([&] { write_safetensors(bad, {{"b", counting_tensor({2}, 0.0f, 0.5f)}}); }, {bad});

    const SafetensorsFile file = read_safetensors(existing);
    ASSERT_EQ(file.tensors.size(), 1u);
    expect_same_tensor(file.tensors[0].second, first[0].second, /*compare_dtype=*/false);
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) {
        (void)e;
        ++files;
    }
    EXPECT_EQ(files, 1u);
}

TEST(SafetensorsWrite, ReadingAMissingFileNamesIt) {
    TempFolder dir;
    const std::string path = (dir.path / "missing.safetensors").string();
    expect_file_error([&] { read_safetensors(path); }, {path});
}

}  // namespace
}  // namespace attn
