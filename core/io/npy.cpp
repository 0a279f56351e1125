#include "io/npy.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace attn {

namespace {

// "\x93NUMPY", then one byte each for the major and minor version.
constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMagicSize = sizeof(kMagic);
// numpy aligns the data to 64 bytes so that it can be memory-mapped with any alignment need.
constexpr size_t kAlign = 64;
// numpy's own limit (NPY_MAXDIMS in numpy 2); anything deeper is not a real array.
constexpr size_t kMaxRank = 64;
// Whole numbers float holds exactly: beyond 2^24 two ids could silently become one.
constexpr int64_t kMaxExactInt = int64_t(1) << 24;

const char* const kSupported = "supported: '<f4', '<f8', '|b1', '|u1', '<i4', '<i8'";

[[noreturn]] void fail(const std::string& name, const std::string& what) {
    throw FileError(name + ": " + what);
}

// Bytes as they may appear in a one-line message: printable ASCII as is, the rest as \xNN, and
// at most `limit` bytes followed by "..." so that a huge header cannot flood the message.
std::string printable(const uint8_t* p, size_t n, size_t limit = 80) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n && i < limit; ++i) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            s += static_cast<char>(c);
        } else if (c == '\n') {
            s += "\\n";
        } else {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 15];
        }
    }
    if (n > limit) s += "...";
    return s;
}

uint64_t load_le(const uint8_t* p, size_t nbytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < nbytes; ++i)
        v |= uint64_t(p[i]) << (8 * i);
    return v;
}

void store_le(uint8_t* p, uint64_t v, size_t nbytes) {
    for (size_t i = 0; i < nbytes; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

enum class Kind { F32, F64, Bool, U8, I32, I64 };

struct NpyType {
    Kind kind;
    size_t itemsize;
};

// Maps a descr string to what we can read, or explains why not.
NpyType npy_type(const std::string& descr, const std::string& name) {
    if (descr.size() == 3) {
        const char order = descr[0];
        const std::string code = descr.substr(1);
        // Byte order is meaningless for single bytes; numpy writes '|' but '<', '>', '=' are
        // equally valid.
        const bool any_order = order == '|' || order == '<' || order == '>' || order == '=';
        if (any_order && code == "b1") return {Kind::Bool, 1};
        if (any_order && code == "u1") return {Kind::U8, 1};
        if (order == '<') {
            if (code == "f4") return {Kind::F32, 4};
            if (code == "f8") return {Kind::F64, 8};
            if (code == "i4") return {Kind::I32, 4};
            if (code == "i8") return {Kind::I64, 8};
        }
        if (order == '>' && (code == "f4" || code == "f8" || code == "i4" || code == "i8"))
            fail(name, "dtype '" + descr + "' is big-endian, which is not supported (" + kSupported +
                           "; convert with a.astype('<" + code + "'))");
    }
    fail(name, "unsupported dtype '" + descr + "' (" + kSupported + ")");
}

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
};

// Reads the header, which numpy writes with repr() and reads with ast.literal_eval:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// Only the literals such a header can hold are understood: quoted strings without escapes,
// True/False, and tuples of non-negative integers.
class HeaderParser {
public:
    HeaderParser(const uint8_t* text, size_t size, const std::string& name) : text_(text), size_(size), name_(name) {}

    NpyHeader parse() {
        NpyHeader header;
        bool seen_descr = false, seen_fortran = false, seen_shape = false;

        skip_space();
        if (peek() != '{') error("header is not a Python dict literal (it should start with '{')");
        ++pos_;
        for (;;) {
            skip_space();
            if (peek() == '}') {
                ++pos_;
                break;
            }
            const std::string key = parse_string("a quoted key or '}'");
            skip_space();
            expect(':', "':' after key '" + key + "'");
            skip_space();
            if (key == "descr") {
                if (seen_descr) error("key 'descr' appears twice");
                seen_descr = true;
                if (peek() == '[')
                    fail(name_,
                         "structured dtypes (a list as 'descr') are not supported (" + std::string(kSupported) + ")");
                header.descr = parse_string("a quoted dtype string as 'descr'");
            } else if (key == "fortran_order") {
                if (seen_fortran) error("key 'fortran_order' appears twice");
                seen_fortran = true;
                header.fortran_order = parse_bool("True or False as 'fortran_order'");
            } else if (key == "shape") {
                if (seen_shape) error("key 'shape' appears twice");
                seen_shape = true;
                header.shape = parse_shape();
            } else {
                error("unexpected key '" + key + "' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
            }
            skip_space();
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != '}') {
                error("expected ',' or '}' after the value of '" + key + "'");
            }
        }
        skip_space();
        if (pos_ != size_) error("unexpected text after the closing '}'");

        if (!seen_descr) error("header has no 'descr' key");
        if (!seen_fortran) error("header has no 'fortran_order' key");
        if (!seen_shape) error("header has no 'shape' key");
        return header;
    }

private:
    const uint8_t* text_;
    size_t size_;
    const std::string& name_;
    size_t pos_ = 0;

    // 0 past the end, so that every check below fails cleanly there.
    char peek() const { return pos_ < size_ ? static_cast<char>(text_[pos_]) : '\0'; }

    void skip_space() {
        while (pos_ < size_ &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    [[noreturn]] void error(const std::string& what) const {
        fail(name_,
             ".npy header: " + what + " at byte " + std::to_string(pos_) + " of \"" + printable(text_, size_) + "\"");
    }

    void expect(char c, const std::string& what) {
        if (peek() != c) error("expected " + what);
        ++pos_;
    }

    std::string parse_string(const std::string& what) {
        const char quote = peek();
        if (quote != '\'' && quote != '"') error("expected " + what);
        ++pos_;
        std::string s;
        while (pos_ < size_ && peek() != quote) {
            if (peek() == '\\') error("escape sequences in strings are not supported");
            s += peek();
            ++pos_;
        }
        if (pos_ >= size_) error("unterminated string");
        ++pos_;
        return s;
    }

    bool parse_bool(const std::string& what) {
        if (size_ - pos_ >= 4 && std::memcmp(text_ + pos_, "True", 4) == 0) {
            pos_ += 4;
            return true;
        }
        if (size_ - pos_ >= 5 && std::memcmp(text_ + pos_, "False", 5) == 0) {
            pos_ += 5;
            return false;
        }
        error("expected " + what);
    }

    int64_t parse_dim() {
        if (peek() == '-') error("negative dimension in 'shape'");
        if (peek() < '0' || peek() > '9') error("expected an integer in 'shape'");
        int64_t v = 0;
        while (peek() >= '0' && peek() <= '9') {
            const int digit = peek() - '0';
            if (v > (std::numeric_limits<int64_t>::max() - digit) / 10)
                error("dimension in 'shape' does not fit in 64 bits");
            v = v * 10 + digit;
            ++pos_;
        }
        if (peek() == 'L') ++pos_;  // Python 2 wrote long integers as 3L
        return v;
    }

    // "()", "(3,)", "(2, 3)", "(2, 3,)".
    Shape parse_shape() {
        expect('(', "a tuple as 'shape'");
        Shape shape;
        for (;;) {
            skip_space();
            if (peek() == ')') {
                ++pos_;
                return shape;
            }
            if (shape.size() == kMaxRank) error("'shape' has more than " + std::to_string(kMaxRank) + " dimensions");
            shape.push_back(parse_dim());
            skip_space();
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != ')') {
                error("expected ',' or ')' in 'shape'");
            }
        }
    }
};

// Element count of a shape read from a file, or a FileError when no file could hold it. Zero
// dimensions are left out of the overflow check so that [0, 2^40, 2^40] is refused too: later
// code computes strides from the other dimensions.
int64_t checked_numel(const Shape& shape, size_t itemsize, const std::string& name) {
    const int64_t limit = std::numeric_limits<int64_t>::max() / static_cast<int64_t>(itemsize);
    int64_t product = 1;
    bool has_zero = false;
    for (int64_t d : shape) {
        if (d == 0) {
            has_zero = true;
            continue;
        }
        if (product > limit / d)
            fail(name, "shape " + shape_string(shape) + " is absurd: its element count overflows 64 bits");
        product *= d;
    }
    return has_zero ? 0 : product;
}

float load_f32(const uint8_t* p) {
    const uint32_t bits = static_cast<uint32_t>(load_le(p, 4));
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

double load_f64(const uint8_t* p) {
    const uint64_t bits = load_le(p, 8);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
}

}  // namespace

Tensor parse_npy(const uint8_t* data, size_t size, const std::string& name, std::string* numpy_dtype) {
    // 1. Preamble: magic, version, header length.
    if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
        fail(name, "not a .npy file: it starts with \"" + printable(data, std::min<size_t>(size, 8)) +
                       "\" instead of \"\\x93NUMPY\"");
    if (size < kMagicSize + 2)
        fail(name, "truncated .npy file: " + std::to_string(size) + " bytes, not even a version after the magic");
    const int major = data[6], minor = data[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        fail(name, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                       " (supported: 1.0, 2.0, 3.0)");
    // Version 1.0 has a 2-byte header length; 2.0 and 3.0 (UTF-8 header) have 4 bytes.
    const size_t length_bytes = major == 1 ? 2 : 4;
    const size_t preamble = kMagicSize + 2 + length_bytes;
    if (size < preamble)
        fail(name, "truncated .npy file: " + std::to_string(size) + " bytes, the version " + std::to_string(major) +
                       ".0 preamble alone needs " + std::to_string(preamble));
    const uint64_t header_len = load_le(data + kMagicSize + 2, length_bytes);
    if (header_len > size - preamble)
        fail(name, "truncated .npy header: it says " + std::to_string(header_len) + " bytes but only " +
                       std::to_string(size - preamble) + " follow the preamble");

    // 2. Header: dtype, layout, shape.
    const uint8_t* header_text = data + preamble;
    const NpyHeader header = HeaderParser(header_text, static_cast<size_t>(header_len), name).parse();
    const NpyType type = npy_type(header.descr, name);
    if (numpy_dtype) {
        static constexpr const char* kNames[] = {"float32", "float64", "bool", "uint8", "int32", "int64"};
        *numpy_dtype = kNames[static_cast<int>(type.kind)];
    }

    // Column-major data has the same byte order as row-major when at most one dimension is
    // larger than 1 (a vector, a scalar, [1, n, 1]); anything else would need a transpose.
    if (header.fortran_order) {
        int big_dims = 0;
        for (int64_t d : header.shape)
            big_dims += d > 1 ? 1 : 0;
        if (big_dims > 1)
            fail(name, "array of shape " + shape_string(header.shape) +
                           " is stored in Fortran (column-major) order, which is not supported;"
                           " save it with np.save(path, np.ascontiguousarray(a))");
    }

    // 3. The data must be exactly what the shape says: shorter is a truncated file, longer a
    //    shape that does not describe the data.
    const int64_t numel = checked_numel(header.shape, type.itemsize, name);
    const uint64_t need = static_cast<uint64_t>(numel) * type.itemsize;
    const uint64_t have = size - preamble - header_len;
    if (have != need)
        fail(name, "shape " + shape_string(header.shape) + " of '" + header.descr + "' needs " + std::to_string(need) +
                       " data bytes but " + std::to_string(have) + " follow the header" +
                       (have < need ? " (truncated file)" : ""));

    // 4. Elements, converted to the engine's float storage.
    const uint8_t* p = data + preamble + header_len;
    Tensor t;
    t.shape = header.shape;
    t.data.resize(static_cast<size_t>(numel));
    float* out = t.data.data();
    const size_t n = static_cast<size_t>(numel);
    switch (type.kind) {
        case Kind::F32:
            for (size_t i = 0; i < n; ++i)
                out[i] = load_f32(p + 4 * i);
            break;
        case Kind::F64:
            for (size_t i = 0; i < n; ++i)
                out[i] = static_cast<float>(load_f64(p + 8 * i));
            break;
        case Kind::Bool:
        case Kind::U8:
            t.dtype = DType::Bool;
            for (size_t i = 0; i < n; ++i)
                out[i] = p[i] != 0 ? 1.0f : 0.0f;
            break;
        case Kind::I32:
        case Kind::I64: {
            t.dtype = DType::Int64;
            for (size_t i = 0; i < n; ++i) {
                const uint64_t bits = load_le(p + type.itemsize * i, type.itemsize);
                const int64_t v = type.kind == Kind::I32 ? static_cast<int64_t>(static_cast<int32_t>(bits))
                                                         : static_cast<int64_t>(bits);
                if (v > kMaxExactInt || v < -kMaxExactInt)
                    fail(name, "integer " + std::to_string(v) + " at element " + std::to_string(i) +
                                   " is beyond what the engine holds exactly"
                                   " (|v| <= 16777216)");
                out[i] = static_cast<float>(v);
            }
            break;
        }
    }
    return t;
}

Tensor read_npy(const std::string& path, std::string* numpy_dtype) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return parse_npy(bytes.data(), bytes.size(), path, numpy_dtype);
}

std::vector<uint8_t> encode_npy(const Tensor& t) {
    ATTN_CHECK(static_cast<int64_t>(t.data.size()) == shape_numel(t.shape),
               "tensor data does not match its shape " + shape_string(t.shape));

    const char* descr = t.dtype == DType::Bool ? "|b1" : t.dtype == DType::Int64 ? "<i8" : "<f4";
    // Python's repr of a tuple: "()", "(3,)", "(2, 3)".
    std::string shape = "(";
    for (size_t i = 0; i < t.shape.size(); ++i) {
        if (i) shape += ", ";
        shape += std::to_string(t.shape[i]);
    }
    if (t.shape.size() == 1) shape += ",";
    shape += ")";

    std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Spaces, then '\n', so that magic + version + length + header is a multiple of 64.
    const size_t preamble = kMagicSize + 2 + 2;
    const size_t unpadded = preamble + header.size() + 1;
    header.append((kAlign - unpadded % kAlign) % kAlign, ' ');
    header += '\n';
    ATTN_CHECK(header.size() <= 0xffff, "npy header too long for version 1.0");

    const size_t itemsize = t.dtype == DType::Bool ? 1 : t.dtype == DType::Int64 ? 8 : 4;
    std::vector<uint8_t> out(preamble + header.size() + t.data.size() * itemsize);
    uint8_t* p = out.data();
    std::memcpy(p, kMagic, kMagicSize);
    p[kMagicSize] = 1;  // version 1.0
    p[kMagicSize + 1] = 0;
    store_le(p + kMagicSize + 2, header.size(), 2);
    std::memcpy(p + preamble, header.data(), header.size());
    p += preamble + header.size();

    for (float v : t.data) {
        if (t.dtype == DType::Bool) {
            *p = v != 0.0f ? 1 : 0;
        } else if (t.dtype == DType::Int64) {
            // The float range check keeps the cast defined; whole numbers are the Int64 contract.
            ATTN_CHECK(std::nearbyint(v) == v && std::fabs(v) < 9.2e18f,
                       "Int64 tensor holds a value that is not a whole number");
            store_le(p, static_cast<uint64_t>(static_cast<int64_t>(v)), 8);
        } else {
            uint32_t bits;
            std::memcpy(&bits, &v, 4);
            store_le(p, bits, 4);
        }
        p += itemsize;
    }
    return out;
}

void write_npy(const std::string& path, const Tensor& t) {
    write_file_atomically(path, encode_npy(t));
}

}  // namespace attn
