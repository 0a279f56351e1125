// Bytes built by hand for the zip, pickle and torch-checkpoint tests: zip archives laid out as
// APPNOTE.TXT says (optionally with data descriptors, ZIP64 records or a comment) and pickles
// opcode by opcode, so that each test can lie in exactly one place.
#pragma once

#include "io/zip_reader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::test {

inline void put_le(std::vector<uint8_t>& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(uint8_t(v >> (8 * i)));
}

struct ZipInput {
    std::string name;
    std::string data;
    uint16_t method = 0;  // written as given: the data is not really compressed
    uint16_t flags = 0;
};

struct ZipOptions {
    bool data_descriptor = false;  // bit 3, zero CRC and sizes in the local headers (PyTorch's way)
    bool zip64 = false;            // ZIP64 end records, saturated 32-bit fields, ZIP64 extra fields
    std::string comment;
};

inline std::vector<uint8_t> make_zip(const std::vector<ZipInput>& entries, const ZipOptions& opt = {}) {
    std::vector<uint8_t> out, cd;
    for (const ZipInput& e : entries) {
        const uint64_t offset = out.size();
        const uint32_t crc = crc32_update(0, reinterpret_cast<const uint8_t*>(e.data.data()), e.data.size());
        const uint16_t flags = uint16_t(e.flags | (opt.data_descriptor ? 8 : 0));
        put_le(out, 0x04034b50, 4);
        put_le(out, 20, 2);
        put_le(out, flags, 2);
        put_le(out, e.method, 2);
        put_le(out, 0, 4);  // time, date
        put_le(out, opt.data_descriptor ? 0 : crc, 4);
        put_le(out, opt.data_descriptor ? 0 : e.data.size(), 4);
        put_le(out, opt.data_descriptor ? 0 : e.data.size(), 4);
        put_le(out, e.name.size(), 2);
        put_le(out, 0, 2);
        out.insert(out.end(), e.name.begin(), e.name.end());
        out.insert(out.end(), e.data.begin(), e.data.end());
        if (opt.data_descriptor) {
            put_le(out, 0x08074b50, 4);
            put_le(out, crc, 4);
            put_le(out, e.data.size(), 4);
            put_le(out, e.data.size(), 4);
        }
        put_le(cd, 0x02014b50, 4);
        put_le(cd, 20, 2);
        put_le(cd, 20, 2);
        put_le(cd, flags, 2);
        put_le(cd, e.method, 2);
        put_le(cd, 0, 4);
        put_le(cd, crc, 4);
        put_le(cd, opt.zip64 ? 0xffffffff : e.data.size(), 4);
        put_le(cd, opt.zip64 ? 0xffffffff : e.data.size(), 4);
        put_le(cd, e.name.size(), 2);
        put_le(cd, opt.zip64 ? 4 + 24 : 0, 2);
        put_le(cd, 0, 2);  // comment
        put_le(cd, 0, 2);  // disk
        put_le(cd, 0, 2);
        put_le(cd, 0, 4);
        put_le(cd, opt.zip64 ? 0xffffffff : offset, 4);
        cd.insert(cd.end(), e.name.begin(), e.name.end());
        if (opt.zip64) {
            put_le(cd, 0x0001, 2);
            put_le(cd, 24, 2);
            put_le(cd, e.data.size(), 8);
            put_le(cd, e.data.size(), 8);
            put_le(cd, offset, 8);
        }
    }
    const uint64_t cd_offset = out.size();
    out.insert(out.end(), cd.begin(), cd.end());
    if (opt.zip64) {
        const uint64_t rec = out.size();
        put_le(out, 0x06064b50, 4);
        put_le(out, 44, 8);
        put_le(out, 45, 2);
        put_le(out, 45, 2);
        put_le(out, 0, 4);
        put_le(out, 0, 4);
        put_le(out, entries.size(), 8);
        put_le(out, entries.size(), 8);
        put_le(out, cd.size(), 8);
        put_le(out, cd_offset, 8);
        put_le(out, 0x07064b50, 4);
        put_le(out, 0, 4);
        put_le(out, rec, 8);
        put_le(out, 1, 4);
    }
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, opt.zip64 ? 0xffff : entries.size(), 2);
    put_le(out, opt.zip64 ? 0xffff : entries.size(), 2);
    put_le(out, opt.zip64 ? 0xffffffff : cd.size(), 4);
    put_le(out, opt.zip64 ? 0xffffffff : cd_offset, 4);
    put_le(out, opt.comment.size(), 2);
    out.insert(out.end(), opt.comment.begin(), opt.comment.end());
    return out;
}

// A pickle, opcode by opcode (the byte values are pickletools.py's).
struct PickleBytes {
    std::string b;
    PickleBytes& op(uint8_t o) {
        b += char(o);
        return *this;
    }
    PickleBytes& proto(int v = 2) { return op(0x80).op(uint8_t(v)); }
    PickleBytes& global(const std::string& module, const std::string& name) {
        b += "c" + module + "\n" + name + "\n";
        return *this;
    }
    PickleBytes& str(const std::string& s) {
        op('X');
        for (int i = 0; i < 4; ++i)
            b += char(uint8_t(s.size() >> (8 * i)));
        b += s;
        return *this;
    }
    PickleBytes& int1(int v) { return op('K').op(uint8_t(v)); }
    PickleBytes& int4(int32_t v) {
        op('J');
        for (int i = 0; i < 4; ++i)
            b += char(uint8_t(uint32_t(v) >> (8 * i)));
        return *this;
    }
    PickleBytes& mark() { return op('('); }
    PickleBytes& tuple() { return op('t'); }
    PickleBytes& empty_tuple() { return op(')'); }
    PickleBytes& empty_dict() { return op('}'); }
    PickleBytes& empty_list() { return op(']'); }
    PickleBytes& reduce() { return op('R'); }
    PickleBytes& persid() { return op('Q'); }
    PickleBytes& setitems() { return op('u'); }
    PickleBytes& stop() { return op('.'); }
    PickleBytes& no() { return op(0x89); }
    PickleBytes& none() { return op('N'); }
    PickleBytes& put(int i) { return op('q').op(uint8_t(i)); }
    PickleBytes& get(int i) { return op('h').op(uint8_t(i)); }
    PickleBytes& ints(const std::vector<int64_t>& v) {
        mark();
        for (int64_t x : v)
            int4(int32_t(x));
        return tuple();
    }
    // OrderedDict() then MARK, as torch.save starts a state_dict.
    PickleBytes& begin_state_dict() {
        return proto().global("collections", "OrderedDict").empty_tuple().reduce().mark();
    }
    PickleBytes& end_state_dict() { return setitems().stop(); }
    // name: _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False,
    // OrderedDict()). `legacy` adds the sixth persistent-id item (None: no view).
    PickleBytes& tensor(const std::string& name, const std::string& type, const std::string& key, int64_t numel,
                        int64_t offset, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                        bool legacy = false) {
        str(name).global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().str("storage").global("torch", type).str(key).str("cpu").int4(int32_t(numel));
        if (legacy) none();
        tuple().persid().int4(int32_t(offset)).ints(size).ints(stride).no();
        global("collections", "OrderedDict").empty_tuple().reduce();
        return tuple().reduce();
    }
};

inline std::string f32_bytes(const std::vector<float>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

}  // namespace attn::test
