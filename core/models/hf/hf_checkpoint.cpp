#include "models/hf/hf_checkpoint.h"

#include "errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attn {

namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the format's own limit
constexpr size_t kChunk = 8u << 20;           // bytes read between two progress reports

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string errno_text() {
    return std::strerror(errno);
}

// Opens a regular file (a FIFO is refused without blocking on it); its size in `size`.
int open_regular(const std::string& path, uint64_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw FileError("cannot open " + path + ": " + errno_text());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FileError("cannot read " + path + ": not a regular file");
    }
    size = static_cast<uint64_t>(st.st_size);
    return fd;
}

void read_at(int fd, const std::string& path, uint64_t offset, uint8_t* out, size_t n) {
    size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(offset + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            throw FileError("cannot read " + path + ": " + errno_text());
        }
        if (r == 0) throw FileError("cannot read " + path + ": the file got shorter while it was read");
        got += static_cast<size_t>(r);
    }
}

// Bytes per element of the dtypes the format defines (0: not one of them).
uint64_t dtype_bytes(const std::string& d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
    return 0;
}

bool is_float_dtype(const std::string& d) {
    return d == "F32" || d == "F16" || d == "BF16" || d == "F64";
}

float bits_to_float(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// IEEE half to float, exactly: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0) {
        const float v = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
        return sign ? -v : v;
    }
    if (exponent == 31) return bits_to_float(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
    return bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint64_t load_le(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

void convert(const uint8_t* p, const std::string& dtype, float* out, size_t n) {
    if (dtype == "F32") {
        for (size_t i = 0; i < n; ++i)
            out[i] = bits_to_float(static_cast<uint32_t>(load_le(p + 4 * i, 4)));
    } else if (dtype == "F16") {
        for (size_t i = 0; i < n; ++i)
            out[i] = half_to_float(static_cast<uint16_t>(load_le(p + 2 * i, 2)));
    } else if (dtype == "BF16") {
        for (size_t i = 0; i < n; ++i)
            out[i] = bits_to_float(static_cast<uint32_t>(load_le(p + 2 * i, 2)) << 16);  // the top half of a float
    } else {
        for (size_t i = 0; i < n; ++i) {
            const uint64_t bits = load_le(p + 8 * i, 8);
            double d;
            std::memcpy(&d, &bits, 8);
            out[i] = static_cast<float>(d);
        }
    }
}

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

SafetensorsEntry read_entry(const std::string& path, const std::string& name, const nlohmann::json& v,
                            uint64_t data_size) {
    const std::string where = path + ": tensor \"" + name + "\"";
    if (!v.is_object()) throw FileError(where + " is not an object with dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.name = name;
    auto dtype = v.find("dtype");
    if (dtype == v.end() || !dtype->is_string()) throw FileError(where + " has no dtype string");
    e.dtype = dtype->get<std::string>();
    auto shape = v.find("shape");
    if (shape == v.end() || !shape->is_array()) throw FileError(where + " has no shape list");
    uint64_t numel = 1;
    bool overflow = false;
    for (const nlohmann::json& d : *shape) {
        if (!d.is_number_unsigned()) throw FileError(where + " has a shape entry that is not a size: " + d.dump());
        const uint64_t n = d.get<uint64_t>();
        if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
        if (n != 0 && numel > std::numeric_limits<uint64_t>::max() / n) overflow = true;
        numel *= n;
        e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(n, std::numeric_limits<int64_t>::max())));
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
        throw FileError(where + " has no data_offsets [begin, end]");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
        throw FileError(where + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                        "] outside the " + std::to_string(data_size) + " bytes of data");
    const uint64_t item = dtype_bytes(e.dtype);
    if (item && (overflow || numel > std::numeric_limits<uint64_t>::max() / item || numel * item != e.end - e.begin))
        throw FileError(where + " has " + std::to_string(e.end - e.begin) + " bytes of data; its shape and dtype " +
                        e.dtype + " need " + (overflow ? "more than fit" : std::to_string(numel * item)));
    return e;
}

}  // namespace

SafetensorsIndex parse_safetensors_index(const uint8_t* data, size_t size, uint64_t file_size,
                                         const std::string& path) {
    SafetensorsIndex index;
    index.path = path;
    if (file_size < 8 || size < 8)
        throw FileError(path + " is not a safetensors file: " + std::to_string(file_size) + " bytes, no header");
    const uint64_t n = load_le(data, 8);
    if (n > file_size - 8 || n > kMaxHeader)
        throw FileError(path + " is not a safetensors file: its header claims " + std::to_string(n) +
                        " bytes and the file has " + std::to_string(file_size - 8) + " after the length");
    if (n > size - 8) throw FileError(path + ": header cut short");
    index.data_start = 8 + n;
    index.data_size = file_size - index.data_start;

    std::set<std::string> names;
    nlohmann::json j;
    try {
        // Duplicate names are refused (JSON readers disagree on which wins); nothing deeper than
        // a shape's sizes is kept.
        j = nlohmann::json::parse(
            data + 8, data + 8 + n, [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
                if (event == nlohmann::json::parse_event_t::key && depth == 1 &&
                    !names.insert(parsed.get<std::string>()).second)
                    throw FileError(path + ": tensor \"" + parsed.get<std::string>() + "\" is listed twice");
                return depth <= 3;
            });
    } catch (const nlohmann::json::exception& e) {
        throw FileError(path + " is not a safetensors file: its header is not JSON (" + e.what() + ")");
    }
    if (!j.is_object()) throw FileError(path + " is not a safetensors file: its header is not a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object()) throw FileError(path + ": __metadata__ is not an object");
            continue;
        }
        index.entries.push_back(read_entry(path, it.key(), it.value(), index.data_size));
    }
    return index;
}

SafetensorsIndex index_safetensors(const std::string& path) {
    uint64_t size = 0;
    Fd f{open_regular(path, size)};
    if (size < 8) throw FileError(path + " is not a safetensors file: " + std::to_string(size) + " bytes, no header");
    uint8_t len_bytes[8];
    read_at(f.fd, path, 0, len_bytes, 8);
    const uint64_t n = load_le(len_bytes, 8);
    if (n > size - 8 || n > kMaxHeader)
        throw FileError(path + " is not a safetensors file: its header claims " + std::to_string(n) +
                        " bytes and the file has " + std::to_string(size - 8) + " after the length");
    std::vector<uint8_t> head(static_cast<size_t>(8 + n));
    read_at(f.fd, path, 0, head.data(), head.size());
    return parse_safetensors_index(head.data(), head.size(), size, path);
}

std::vector<NamedTensor> read_safetensors_entries(const SafetensorsIndex& index,
                                                  const std::vector<const SafetensorsEntry*>& which,
                                                  const ForwardControl* control) {
    std::vector<const SafetensorsEntry*> order = which;
    std::sort(order.begin(), order.end(),
              [](const SafetensorsEntry* a, const SafetensorsEntry* b) { return a->begin < b->begin; });
    uint64_t total = 0;
    for (const SafetensorsEntry* e : order) {
        if (!is_float_dtype(e->dtype))
            throw FileError(index.path + ": tensor \"" + e->name + "\" is " + e->dtype +
                            "; attnscope reads F32, F16, BF16 and F64 weights");
        total += e->end - e->begin;
    }
    uint64_t size = 0;
    Fd f{open_regular(index.path, size)};
    if (size != index.data_start + index.data_size)
        throw FileError("cannot read " + index.path + ": the file changed size since its header was read");
    const std::string stage = "reading " + base_name(index.path);
    std::vector<uint8_t> buf;
    std::vector<NamedTensor> out;
    uint64_t done = 0;
    checkpoint(control, stage, 0.0f);
    for (const SafetensorsEntry* e : order) {
        Tensor t = Tensor::uninitialized(e->shape);  // every element converted below
        const uint64_t item = dtype_bytes(e->dtype), bytes = e->end - e->begin;
        const size_t step = kChunk - kChunk % item;
        for (uint64_t at = 0; at < bytes; at += step) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(step, bytes - at));
            buf.resize(n);
            read_at(f.fd, index.path, index.data_start + e->begin + at, buf.data(), n);
            convert(buf.data(), e->dtype, t.ptr() + at / item, n / item);
            done += n;
            checkpoint(control, stage, total ? static_cast<float>(static_cast<double>(done) / total) : 1.0f);
        }
        out.emplace_back(e->name, std::move(t));
    }
    return out;
}

}  // namespace attn
