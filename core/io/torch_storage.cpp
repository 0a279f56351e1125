#include "io/torch_storage.h"

#include "errors.h"

#include <cmath>
#include <cstring>

namespace attn {

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& what) {
    throw FileError(file + ": " + what);
}

std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (size_t i = 0; i < s.size() && i < 120; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        q += (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : char(c);
    }
    return q + (s.size() > 120 ? "...\"" : "\"");
}

float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 31, mant = h & 1023;
    float f;
    if (exp == 0) {
        f = std::ldexp(float(mant), -24);  // zero and subnormals, exactly
        return sign ? -f : f;
    }
    const uint32_t bits = exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
    std::memcpy(&f, &bits, 4);
    return f;
}

template <typename T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);  // little-endian, as both layouts store it (checked) and x86 is
    return v;
}

float element_value(const uint8_t* p, TorchElement e) {
    switch (e) {
        case TorchElement::F32:
            return load<float>(p);
        case TorchElement::F64:
            return float(load<double>(p));
        case TorchElement::F16:
            return half_to_float(load<uint16_t>(p));
        case TorchElement::BF16: {
            const uint32_t bits = uint32_t(load<uint16_t>(p)) << 16;
            float f;
            std::memcpy(&f, &bits, 4);
            return f;
        }
        case TorchElement::I64:
            return float(load<int64_t>(p));
        case TorchElement::I32:
            return float(load<int32_t>(p));
        case TorchElement::I16:
            return float(load<int16_t>(p));
        case TorchElement::I8:
            return float(load<int8_t>(p));
        case TorchElement::U8:
            return float(*p);
        case TorchElement::Bool:
            return *p ? 1.0f : 0.0f;
    }
    return 0;
}

DType dtype_of(TorchElement e) {
    if (e == TorchElement::F32 || e == TorchElement::F64 || e == TorchElement::F16 || e == TorchElement::BF16)
        return DType::F32;
    return e == TorchElement::Bool ? DType::Bool : DType::Int64;
}

}  // namespace

const std::vector<TorchStorageType>& torch_storage_types() {
    static const std::vector<TorchStorageType> types = {
        {"torch.FloatStorage", TorchElement::F32, 4}, {"torch.DoubleStorage", TorchElement::F64, 8},
        {"torch.HalfStorage", TorchElement::F16, 2},  {"torch.BFloat16Storage", TorchElement::BF16, 2},
        {"torch.LongStorage", TorchElement::I64, 8},  {"torch.IntStorage", TorchElement::I32, 4},
        {"torch.ShortStorage", TorchElement::I16, 2}, {"torch.CharStorage", TorchElement::I8, 1},
        {"torch.ByteStorage", TorchElement::U8, 1},   {"torch.BoolStorage", TorchElement::Bool, 1},
    };
    return types;
}

Tensor gather_torch_tensor(const TorchTensorSpec& t, const uint8_t* bytes, const std::string& file, uint64_t& budget) {
    const std::string who = "tensor " + quoted(t.name);
    uint64_t numel = 1, last = uint64_t(t.offset);  // `last`: the highest element index read
    for (size_t d = 0; d < t.size.size(); ++d) {
        const uint64_t n = uint64_t(t.size[d]), s = uint64_t(t.stride[d]);
        if (n != 0 && numel > (uint64_t(1) << 62) / n)
            fail(file, who + " has size " + shape_string(t.size) + ", too many elements");
        numel *= n;
        if (n > 1 && s > ((uint64_t(1) << 62) - last) / (n - 1)) fail(file, who + "'s strides reach past any storage");
        if (n > 1) last += (n - 1) * s;
    }
    if (numel > 0 && last >= t.storage.count)
        fail(file, who + " of size " + shape_string(t.size) + " (offset " + std::to_string(t.offset) +
                       ") reads element " + std::to_string(last) + " of a storage of " +
                       std::to_string(t.storage.count) + " elements");
    // Strides can repeat elements (an expanded tensor), and tied names share a storage: what the
    // tensors hold in all is bounded by the file's size, not by what their shapes claim.
    if (numel > budget)
        fail(file, who + " of size " + shape_string(t.size) + " would take the tensors past " +
                       "twice the file's size in elements");
    budget -= numel;
    Tensor out = Tensor::uninitialized(t.size, dtype_of(t.storage.type->element));
    const int rank = int(t.size.size());
    const size_t elem = size_t(t.storage.type->bytes);
    const uint8_t* base = bytes + (t.storage.first) * elem;
    float* dst = out.ptr();
    // Row-major strides (every tensor but views): one run, float32 copied as it is.
    bool dense = true;
    int64_t step = 1;
    for (int d = rank - 1; d >= 0; --d) {
        if (t.size[size_t(d)] != 1 && t.stride[size_t(d)] != step) dense = false;
        step *= t.size[size_t(d)];
    }
    if (dense) {
        const uint8_t* run = base + uint64_t(t.offset) * elem;
        if (t.storage.type->element == TorchElement::F32) {
            if (numel) std::memcpy(dst, run, numel * 4);
        } else {
            for (uint64_t i = 0; i < numel; ++i)
                dst[i] = element_value(run + i * elem, t.storage.type->element);
        }
        return out;
    }
    std::vector<int64_t> index(size_t(rank), 0);
    uint64_t src = uint64_t(t.offset);
    for (uint64_t i = 0; i < numel; ++i) {
        dst[i] = element_value(base + src * elem, t.storage.type->element);
        // Odometer over the dims, last fastest; src follows by strides.
        for (int d = rank - 1; d >= 0; --d) {
            if (++index[size_t(d)] < t.size[size_t(d)]) {
                src += uint64_t(t.stride[size_t(d)]);
                break;
            }
            src -= uint64_t(t.stride[size_t(d)]) * uint64_t(t.size[size_t(d)] - 1);
            index[size_t(d)] = 0;
        }
    }
    return out;
}

}  // namespace attn
