#include "io/safetensors.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace attn {

namespace {

// The reference implementation's limit (MAX_HEADER_SIZE in safetensors' Rust crate). Real headers
// are a few kilobytes to a few megabytes; a larger length is a corrupt or hostile file.
constexpr uint64_t kMaxHeaderSize = 100'000'000;
constexpr size_t kMaxRank = 64;
const char* const kSupported = "supported: F32, F16, BF16, F64, I64";
// Whole numbers a float holds exactly: beyond 2^24 two ids could silently become one (as io/npy).
constexpr int64_t kMaxExactInt = int64_t(1) << 24;

[[noreturn]] void fail(const std::string& name, const std::string& what) {
    throw FileError(name + ": " + what);
}

// A name from the file, quoted and safe to put in a one-line message: control bytes escaped,
// very long names cut.
std::string quote_name(const std::string& s) {
    static const char* hex = "0123456789abcdef";
    constexpr size_t kLimit = 120;
    std::string q = "\"";
    for (size_t i = 0; i < s.size() && i < kLimit; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            q += "\\x";
            q += hex[c >> 4];
            q += hex[c & 15];
        } else {
            q += static_cast<char>(c);
        }
    }
    if (s.size() > kLimit) q += "...";
    return q + "\"";
}

std::string tensor_prefix(const std::string& tensor) {
    return "tensor " + quote_name(tensor) + ": ";
}

size_t dtype_size(const std::string& dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "F16" || dtype == "BF16") return 2;
    if (dtype == "F64" || dtype == "I64") return 8;
    return 0;
}

// One header entry as read, before its data is looked at.
struct Entry {
    std::string name;
    std::string dtype;
    Shape shape;
    uint64_t begin = 0, end = 0;
    bool has_dtype = false, has_shape = false, has_offsets = false;
};

// Walks the header JSON as a stream of events and keeps only what a safetensors header may hold,
// so that the memory used follows the number of valid-looking entries, never the nesting or
// size of whatever else the header contains. Every deviation throws at once.
//
// Depths: 0 = outside, 1 = in the top object, 2 = in an entry or "__metadata__",
// 3 = in an entry's "shape" or "data_offsets" array. An unknown field of an entry is skipped,
// as the reference reader does.
class HeaderReader : public nlohmann::json::json_sax_t {
public:
    explicit HeaderReader(const std::string& name) : name_(name) {}

    std::vector<Entry> entries;
    std::map<std::string, std::string> metadata;

    bool null() override { return scalar("null"); }
    bool boolean(bool) override { return scalar("a boolean"); }
    bool number_integer(number_integer_t v) override { return number(v < 0, false, 0); }
    bool number_unsigned(number_unsigned_t v) override { return number(false, false, v); }
    bool number_float(number_float_t, const string_t&) override { return number(false, true, 0); }
    bool binary(binary_t&) override { return scalar("binary"); }

    bool string(string_t& s) override {
        if (skip_ > 0) return true;
        if (depth_ == 2 && in_metadata_) {
            metadata[key_] = s;
            return true;
        }
        if (depth_ == 2 && field_ == Field::Dtype) {
            entries.back().dtype = s;
            entries.back().has_dtype = true;
            return true;
        }
        return scalar("a string");
    }

    bool start_object(std::size_t) override {
        if (skip_ > 0) return skip_more();
        if (depth_ == 0) {
            depth_ = 1;
            return true;
        }
        if (depth_ == 1) {
            depth_ = 2;
            in_metadata_ = key_ == "__metadata__";
            entry_keys_.clear();
            field_ = Field::Unknown;
            if (!in_metadata_) {
                entries.emplace_back();
                entries.back().name = key_;
            }
            return true;
        }
        if (depth_ == 2 && !in_metadata_ && field_ == Field::Unknown) return skip_more();
        return nested("an object");
    }

    bool end_object() override {
        if (skip_ > 0) return skip_less();
        if (depth_ == 2 && !in_metadata_) {
            const Entry& e = entries.back();
            const char* missing = !e.has_dtype     ? "dtype"
                                  : !e.has_shape   ? "shape"
                                  : !e.has_offsets ? "data_offsets"
                                                   : nullptr;
            if (missing)
                fail(name_, tensor_prefix(e.name) + "entry has no \"" + missing +
                                "\" (it needs \"dtype\", \"shape\" and \"data_offsets\")");
        }
        --depth_;
        in_metadata_ = false;
        return true;
    }

    bool key(string_t& k) override {
        if (skip_ > 0) return true;
        if (depth_ == 1) {
            if (!top_keys_.insert(k).second)
                fail(name_, k == "__metadata__" ? std::string("\"__metadata__\" appears twice in the header")
                                                : "tensor name " + quote_name(k) + " appears twice in the header");
            key_ = k;
            return true;
        }
        // depth 2
        if (!entry_keys_.insert(k).second)
            fail(name_, in_metadata_ ? "\"__metadata__\" key " + quote_name(k) + " appears twice"
                                     : tensor_prefix(entries.back().name) + "key " + quote_name(k) + " appears twice");
        if (in_metadata_) {
            key_ = k;
        } else {
            field_ = k == "dtype"          ? Field::Dtype
                     : k == "shape"        ? Field::Shape
                     : k == "data_offsets" ? Field::Offsets
                                           : Field::Unknown;
        }
        return true;
    }

    bool start_array(std::size_t) override {
        if (skip_ > 0) return skip_more();
        if (depth_ == 2 && !in_metadata_) {
            if (field_ == Field::Unknown) return skip_more();
            if (field_ == Field::Shape || field_ == Field::Offsets) {
                depth_ = 3;
                array_count_ = 0;
                return true;
            }
        }
        return nested("an array");
    }

    bool end_array() override {
        if (skip_ > 0) return skip_less();
        // depth 3: the only arrays we enter.
        Entry& e = entries.back();
        if (field_ == Field::Shape) {
            e.has_shape = true;
        } else {
            if (array_count_ != 2)
                fail(name_, tensor_prefix(e.name) + "\"data_offsets\" has " + std::to_string(array_count_) +
                                " numbers, expected 2 [begin, end]");
            e.has_offsets = true;
        }
        depth_ = 2;
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& ex) override {
        // nlohmann's text starts with "[json.exception.parse_error.101] "; keep what follows.
        std::string what = ex.what();
        const size_t cut = what.find("] ");
        if (cut != std::string::npos) what = what.substr(cut + 2);
        std::replace(what.begin(), what.end(), '\n', ' ');
        fail(name_, "header is not valid JSON: " + what);
    }

private:
    enum class Field { Dtype, Shape, Offsets, Unknown };

    const std::string& name_;
    int depth_ = 0;
    int skip_ = 0;  // > 0 while inside an unknown field's value: how many levels deep
    bool in_metadata_ = false;
    std::string key_;  // the current top-level key, or the current "__metadata__" key
    Field field_ = Field::Unknown;
    size_t array_count_ = 0;
    std::set<std::string> top_keys_;
    std::set<std::string> entry_keys_;

    // Where the value that arrives now sits, for messages.
    std::string context() const {
        if (depth_ == 0) return "the header";
        if (depth_ == 1) {
            return key_ == "__metadata__" ? std::string("\"__metadata__\"") : tensor_prefix(key_) + "entry";
        }
        if (in_metadata_) return "\"__metadata__\" value of " + quote_name(key_);
        const char* field = field_ == Field::Dtype ? "dtype" : field_ == Field::Shape ? "shape" : "data_offsets";
        return tensor_prefix(entries.back().name) + (depth_ == 3 ? "an element of \"" : "\"") + field + "\"";
    }

    std::string expected() const {
        if (depth_ == 0) return "a JSON object";
        if (depth_ == 1)
            return key_ == "__metadata__" ? "an object of strings"
                                          : "an object with \"dtype\", \"shape\" and "
                                            "\"data_offsets\"";
        if (in_metadata_) return "a string";
        if (field_ == Field::Dtype) return "a string such as \"F32\"";
        if (depth_ == 3) return "a non-negative integer";
        return "an array of non-negative integers";
    }

    [[noreturn]] void wrong(const std::string& found) const {
        const std::string where = context();
        fail(name_, where + " is " + found + ", expected " + expected());
    }

    bool scalar(const char* found) {
        if (skip_ > 0 || (depth_ == 2 && !in_metadata_ && field_ == Field::Unknown)) return true;
        wrong(found);
    }

    bool nested(const char* found) { wrong(found); }

    // Inside an unknown field: count levels only, keep nothing.
    bool skip_more() {
        ++skip_;
        return true;
    }
    bool skip_less() {
        --skip_;
        return true;
    }

    bool number(bool negative, bool fractional, uint64_t v) {
        if (skip_ > 0 || (depth_ == 2 && !in_metadata_ && field_ == Field::Unknown)) return true;
        if (depth_ != 3) wrong("a number");
        Entry& e = entries.back();
        const char* field = field_ == Field::Shape ? "\"shape\"" : "\"data_offsets\"";
        if (negative || fractional)
            fail(name_, tensor_prefix(e.name) + field + " holds " +
                            (negative ? "a negative number" : "a number that is not an integer") +
                            ", expected non-negative integers");
        if (field_ == Field::Shape) {
            if (e.shape.size() == kMaxRank)
                fail(name_,
                     tensor_prefix(e.name) + "\"shape\" has more than " + std::to_string(kMaxRank) + " dimensions");
            if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                fail(name_, tensor_prefix(e.name) + "dimension " + std::to_string(v) +
                                " in \"shape\" does not fit in 64 bits");
            e.shape.push_back(static_cast<int64_t>(v));
        } else {
            if (array_count_ == 0) e.begin = v;
            if (array_count_ == 1) e.end = v;
            if (array_count_ >= 2)
                fail(name_, tensor_prefix(e.name) + "\"data_offsets\" has more than 2 numbers, expected [begin, end]");
        }
        ++array_count_;
        return true;
    }
};

// Byte count of a tensor, or a FileError when the shape is too large for any file. Zero
// dimensions are left out of the overflow check so that [0, 2^40, 2^40] is refused too.
uint64_t checked_bytes(const Entry& e, size_t itemsize, const std::string& name) {
    const uint64_t limit = std::numeric_limits<int64_t>::max() / itemsize;
    uint64_t product = 1;
    bool has_zero = false;
    for (int64_t d : e.shape) {
        if (d == 0) {
            has_zero = true;
            continue;
        }
        if (product > limit / static_cast<uint64_t>(d))
            fail(name, tensor_prefix(e.name) + "shape " + shape_string(e.shape) +
                           " is absurd: its element count overflows 64 bits");
        product *= static_cast<uint64_t>(d);
    }
    return has_zero ? 0 : product * itemsize;
}

uint64_t load_le(const uint8_t* p, size_t nbytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < nbytes; ++i)
        v |= uint64_t(p[i]) << (8 * i);
    return v;
}

void store_le(std::vector<uint8_t>& out, uint64_t v, size_t nbytes) {
    for (size_t i = 0; i < nbytes; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

float float_from_bits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits. Every half is exactly a float.
float f16_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31;
    const uint32_t exponent = (h >> 10) & 0x1f;
    const uint32_t mantissa = h & 0x3ff;
    if (exponent == 0) {
        // Zero and subnormals: mantissa * 2^-24, which float holds exactly.
        const float v = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -v : v;
    }
    if (exponent == 31) return float_from_bits(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
    // Rebias the exponent from 15 to 127.
    return float_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// bfloat16 is the top half of a float.
float bf16_to_float(uint16_t h) {
    return float_from_bits(uint32_t(h) << 16);
}

void convert(const uint8_t* p, const std::string& dtype, float* out, size_t n, const std::string& name,
             const std::string& tensor) {
    if (dtype == "I64") {
        for (size_t i = 0; i < n; ++i) {
            const auto v = static_cast<int64_t>(load_le(p + 8 * i, 8));
            if (v > kMaxExactInt || v < -kMaxExactInt)
                fail(name, tensor_prefix(tensor) + "integer " + std::to_string(v) + " at element " + std::to_string(i) +
                               " is beyond what the engine holds exactly (|v| <= 16777216)");
            out[i] = static_cast<float>(v);
        }
    } else if (dtype == "F32") {
        for (size_t i = 0; i < n; ++i)
            out[i] = float_from_bits(uint32_t(load_le(p + 4 * i, 4)));
    } else if (dtype == "F16") {
        for (size_t i = 0; i < n; ++i)
            out[i] = f16_to_float(uint16_t(load_le(p + 2 * i, 2)));
    } else if (dtype == "BF16") {
        for (size_t i = 0; i < n; ++i)
            out[i] = bf16_to_float(uint16_t(load_le(p + 2 * i, 2)));
    } else {
        ATTN_CHECK(dtype == "F64", "unexpected safetensors dtype " + dtype);
        for (size_t i = 0; i < n; ++i) {
            const uint64_t bits = load_le(p + 8 * i, 8);
            double d;
            std::memcpy(&d, &bits, 8);
            out[i] = static_cast<float>(d);
        }
    }
}

}  // namespace

SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& name) {
    // 1. Header length, checked before anything is read or allocated.
    if (size < 8)
        fail(name, "file is " + std::to_string(size) +
                       " bytes, too short for the 8-byte header length of a safetensors file");
    const uint64_t header_size = load_le(data, 8);
    if (header_size > kMaxHeaderSize)
        fail(name, "header length " + std::to_string(header_size) + " is absurd (limit " +
                       std::to_string(kMaxHeaderSize) + " bytes; the file has " + std::to_string(size) +
                       "); not a safetensors file?");
    if (header_size > size - 8)
        fail(name, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                       std::to_string(size - 8) + " bytes follow the length)");

    // 2. Header entries.
    HeaderReader reader(name);
    const char* json_begin = reinterpret_cast<const char*>(data + 8);
    nlohmann::json::sax_parse(json_begin, json_begin + header_size, &reader);

    // 3. Every entry's dtype, shape and byte range.
    const uint8_t* buffer = data + 8 + header_size;
    const uint64_t buffer_size = size - 8 - header_size;
    for (const Entry& e : reader.entries) {
        const size_t itemsize = dtype_size(e.dtype);
        if (itemsize == 0)
            fail(name,
                 tensor_prefix(e.name) + "dtype " + quote_name(e.dtype) + " is not supported (" + kSupported + ")");
        const std::string offsets = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
        if (e.begin > e.end) fail(name, tensor_prefix(e.name) + offsets + " end before they begin");
        if (e.end > buffer_size)
            fail(name, tensor_prefix(e.name) + offsets + " reach past the data buffer of " +
                           std::to_string(buffer_size) + " bytes (truncated file?)");
        const uint64_t need = checked_bytes(e, itemsize, name);
        if (e.end - e.begin != need)
            fail(name, tensor_prefix(e.name) + offsets + " need " + std::to_string(need) + " bytes for " + e.dtype +
                           " " + shape_string(e.shape) + " but span " + std::to_string(e.end - e.begin));
    }

    // 4. No two tensors may share bytes. Sorted by start, each non-empty range must begin at or
    //    after the furthest end seen so far. The sort is stable, so header order breaks ties.
    std::vector<const Entry*> order;
    order.reserve(reader.entries.size());
    for (const Entry& e : reader.entries)
        order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
    const Entry* furthest = nullptr;
    for (const Entry* e : order) {
        if (e->begin == e->end) continue;
        if (furthest && e->begin < furthest->end)
            fail(name, "tensors " + quote_name(furthest->name) + " data_offsets [" + std::to_string(furthest->begin) +
                           ", " + std::to_string(furthest->end) + "] and " + quote_name(e->name) + " data_offsets [" +
                           std::to_string(e->begin) + ", " + std::to_string(e->end) + "] overlap");
        if (!furthest || e->end > furthest->end) furthest = e;
    }

    // 5. Data. Spans are disjoint and inside the file, so these allocations add up to at most
    //    the file size.
    SafetensorsFile file;
    file.metadata = std::move(reader.metadata);
    file.tensors.reserve(order.size());
    for (const Entry* e : order) {
        Tensor t;
        t.shape = e->shape;
        const size_t n = static_cast<size_t>((e->end - e->begin) / dtype_size(e->dtype));
        t.data.resize(n);
        if (e->dtype == "I64") t.dtype = DType::Int64;
        convert(buffer + e->begin, e->dtype, t.data.data(), n, name, e->name);
        file.tensors.emplace_back(e->name, std::move(t));
    }
    return file;
}

SafetensorsFile read_safetensors(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return parse_safetensors(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> encode_safetensors(const std::vector<NamedTensor>& tensors,
                                        const std::map<std::string, std::string>& metadata) {
    // ordered_json keeps the given order in the header, so the file reads in the order written.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto& [key, value] : metadata)
            meta[key] = value;
        header["__metadata__"] = std::move(meta);
    }
    std::set<std::string> names;
    uint64_t offset = 0;
    for (const auto& [tensor_name, t] : tensors) {
        ATTN_CHECK(tensor_name != "__metadata__", "a tensor cannot be named __metadata__");
        ATTN_CHECK(names.insert(tensor_name).second, "tensor name " + quote_name(tensor_name) + " given twice");
        ATTN_CHECK(static_cast<int64_t>(t.data.size()) == shape_numel(t.shape),
                   "tensor " + quote_name(tensor_name) + " data does not match its shape " + shape_string(t.shape));
        const uint64_t bytes = uint64_t(t.data.size()) * 4;
        header[tensor_name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }

    std::string text;
    try {
        text = header.dump();
    } catch (const nlohmann::ordered_json::exception& e) {
        // The only way dump() fails: a name or metadata string that is not UTF-8.
        throw FileError(std::string("cannot write safetensors header: ") + e.what());
    }
    // Spaces are JSON whitespace; padding keeps the data 8-byte aligned for memory mapping.
    text.append((8 - text.size() % 8) % 8, ' ');

    std::vector<uint8_t> out;
    out.reserve(8 + text.size() + offset);
    store_le(out, text.size(), 8);
    out.insert(out.end(), text.begin(), text.end());
    for (const auto& named : tensors) {
        for (float v : named.second.data) {
            uint32_t bits;
            std::memcpy(&bits, &v, 4);
            store_le(out, bits, 4);
        }
    }
    return out;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    write_file_atomically(path, encode_safetensors(tensors, metadata));
}

}  // namespace attn
