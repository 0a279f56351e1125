#include "io/zip_reader.h"

#include "errors.h"

#include <array>
#include <cstdio>
#include <cstring>

namespace attn {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;      // "PK\3\4"
constexpr uint32_t kCentralHeader = 0x02014b50;    // "PK\1\2"
constexpr uint32_t kEndOfCentralDir = 0x06054b50;  // "PK\5\6"
constexpr uint32_t kZip64EndRecord = 0x06064b50;   // "PK\6\6"
constexpr uint32_t kZip64EndLocator = 0x07064b50;  // "PK\6\7"
constexpr size_t kEndSize = 22, kLocatorSize = 20, kZip64EndSize = 56, kCentralSize = 46, kLocalSize = 30;

uint64_t le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// An entry name from the file, safe for a one-line message.
std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (size_t i = 0; i < s.size() && i < 120; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            static const char* hex = "0123456789abcdef";
            q += "\\x";
            q += hex[c >> 4];
            q += hex[c & 15];
        } else {
            q += char(c);
        }
    }
    if (s.size() > 120) q += "...";
    return q + "\"";
}

std::string method_name(uint16_t method) {
    switch (method) {
        case 8:
            return "deflate";
        case 9:
            return "deflate64";
        case 12:
            return "bzip2";
        case 14:
            return "lzma";
        case 93:
            return "zstd";
        default:
            return "method " + std::to_string(method);
    }
}

// Slicing-by-8 tables: 8 bytes a step, a few times faster than a byte at a time (a BERT-base
// checkpoint is 440 MB, all of it checked).
struct CrcTables {
    std::array<std::array<uint32_t, 256>, 8> t{};
    CrcTables() {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[0][i] = c;
        }
        for (uint32_t i = 0; i < 256; ++i)
            for (size_t s = 1; s < 8; ++s)
                t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
};

}  // namespace

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
    static const CrcTables tables;
    const auto& t = tables.t;
    uint32_t c = ~crc;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint32_t lo = c ^ uint32_t(le(data + i, 4));
        const uint32_t hi = uint32_t(le(data + i + 4, 4));
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
            t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; i < size; ++i)
        c = t[0][(c ^ data[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string name)
    : data_(data), size_(size), name_(std::move(name)) {
    auto fail = [&](const std::string& what) -> void { throw FileError(name_ + ": " + what); };
    // 1. The end record: the last 22 bytes, or earlier by a comment of up to 64 KiB whose length
    //    it gives (checked, so that comment bytes cannot pass for the record).
    if (size_ < kEndSize) fail("not a zip archive (" + std::to_string(size_) + " bytes, no end record)");
    size_t end = size_t(-1);
    const size_t lowest = size_ - kEndSize > 65535 ? size_ - kEndSize - 65535 : 0;
    for (size_t p = size_ - kEndSize + 1; p-- > lowest;) {
        if (le(data_ + p, 4) == kEndOfCentralDir && p + kEndSize + le(data_ + p + 20, 2) == size_) {
            end = p;
            break;
        }
    }
    if (end == size_t(-1)) fail("not a zip archive (no end-of-central-directory record)");
    const uint8_t* e = data_ + end;
    uint64_t disk = le(e + 4, 2), cd_disk = le(e + 6, 2), count_here = le(e + 8, 2), count = le(e + 10, 2);
    uint64_t cd_size = le(e + 12, 4), cd_offset = le(e + 16, 4);
    uint64_t records_end = end;  // where the central directory must stop

    // 2. ZIP64: a locator just before the end record points at the 64-bit end record.
    if (end >= kLocatorSize && le(data_ + end - kLocatorSize, 4) == kZip64EndLocator) {
        const uint8_t* loc = data_ + end - kLocatorSize;
        const uint64_t rec = le(loc + 8, 8);
        if (le(loc + 4, 4) != 0 || le(loc + 16, 4) > 1) fail("multi-disk zip archives are not supported");
        if (rec > end - kLocatorSize || end - kLocatorSize - rec < kZip64EndSize ||
            le(data_ + rec, 4) != kZip64EndRecord)
            fail("the ZIP64 end locator points at " + std::to_string(rec) + ", where no ZIP64 end record is");
        const uint8_t* z = data_ + rec;
        disk = le(z + 16, 4);
        cd_disk = le(z + 20, 4);
        count_here = le(z + 24, 8);
        count = le(z + 32, 8);
        cd_size = le(z + 40, 8);
        cd_offset = le(z + 48, 8);
        records_end = rec;
    } else if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
        fail("the end record defers to ZIP64 end records, which are missing");
    }
    if (disk != 0 || cd_disk != 0 || count_here != count) fail("multi-disk zip archives are not supported");
    if (cd_offset > records_end || cd_size > records_end - cd_offset)
        fail("the central directory (" + std::to_string(cd_size) + " bytes at " + std::to_string(cd_offset) +
             ") lies outside the archive's " + std::to_string(records_end) + " bytes before its end records");
    // Every record is at least 46 bytes: a count the directory cannot hold is a lie, refused before
    // anything is reserved for it.
    if (count > cd_size / kCentralSize)
        fail("the end record claims " + std::to_string(count) + " entries, more than its " + std::to_string(cd_size) +
             "-byte central directory can hold");
    central_directory_offset_ = cd_offset;

    // 3. The central directory.
    entries_.reserve(size_t(count));
    uint64_t p = cd_offset;
    const uint64_t cd_end = cd_offset + cd_size;
    for (uint64_t i = 0; i < count; ++i) {
        if (cd_end - p < kCentralSize || le(data_ + p, 4) != kCentralHeader)
            fail("central directory record " + std::to_string(i) + " at byte " + std::to_string(p) +
                 " is damaged or cut short");
        const uint8_t* r = data_ + p;
        ZipEntry en;
        en.flags = uint16_t(le(r + 8, 2));
        en.method = uint16_t(le(r + 10, 2));
        en.crc32 = uint32_t(le(r + 16, 4));
        en.compressed_size = le(r + 20, 4);
        en.size = le(r + 24, 4);
        const uint64_t name_len = le(r + 28, 2), extra_len = le(r + 30, 2), comment_len = le(r + 32, 2);
        uint64_t entry_disk = le(r + 34, 2);
        en.local_header_offset = le(r + 42, 4);
        if (cd_end - p - kCentralSize < name_len + extra_len + comment_len)
            fail("central directory record " + std::to_string(i) + " runs past the directory's end");
        en.name.assign(reinterpret_cast<const char*>(r + kCentralSize), size_t(name_len));
        // ZIP64 extra field: the 64-bit values of the fields saturated above, in this order.
        const uint8_t* x = r + kCentralSize + name_len;
        for (uint64_t q = 0; q + 4 <= extra_len;) {
            const uint64_t id = le(x + q, 2), len = le(x + q + 2, 2);
            if (q + 4 + len > extra_len) fail("entry " + quoted(en.name) + ": an extra field runs past its record");
            if (id == 0x0001) {
                const uint8_t* z = x + q + 4;
                uint64_t used = 0;
                auto take = [&](uint64_t& field, int bytes) {
                    if (used + uint64_t(bytes) > len)
                        fail("entry " + quoted(en.name) + ": its ZIP64 extra field is too short");
                    field = le(z + used, bytes);
                    used += uint64_t(bytes);
                };
                if (en.size == 0xffffffff) take(en.size, 8);
                if (en.compressed_size == 0xffffffff) take(en.compressed_size, 8);
                if (en.local_header_offset == 0xffffffff) take(en.local_header_offset, 8);
                if (entry_disk == 0xffff) take(entry_disk, 4);
            }
            q += 4 + len;
        }
        if (entry_disk != 0)
            fail("entry " + quoted(en.name) + " is on another disk (multi-disk archives are not supported)");
        if (!index_.emplace(en.name, entries_.size()).second) fail("entry " + quoted(en.name) + " appears twice");
        entries_.push_back(std::move(en));
        p += kCentralSize + name_len + extra_len + comment_len;
    }
}

const ZipEntry* ZipReader::find(const std::string& entry_name) const {
    const auto it = index_.find(entry_name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

ZipBytes ZipReader::read(const ZipEntry& en) const {
    const std::string who = name_ + ": entry " + quoted(en.name);
    auto fail = [&](const std::string& what) -> void { throw FileError(who + " " + what); };
    if (en.flags & 1) fail("is encrypted");
    if (en.method != 0)
        fail("is compressed (" + method_name(en.method) +
             "); torch.save stores its entries uncompressed, so this archive was rewritten by another tool");
    const uint64_t lh = en.local_header_offset;
    if (lh > central_directory_offset_ || central_directory_offset_ - lh < kLocalSize ||
        le(data_ + lh, 4) != kLocalHeader)
        fail("has no local header at byte " + std::to_string(lh));
    const uint8_t* h = data_ + lh;
    const uint16_t flags = uint16_t(le(h + 6, 2)), method = uint16_t(le(h + 8, 2));
    const uint64_t crc = le(h + 14, 4), csize = le(h + 18, 4), usize = le(h + 22, 4);
    const uint64_t name_len = le(h + 26, 2), extra_len = le(h + 28, 2);
    const uint64_t room = central_directory_offset_ - lh - kLocalSize;  // up to the directory
    if (name_len + extra_len > room) fail("has a local header that runs into the central directory");
    if (std::string(reinterpret_cast<const char*>(h + kLocalSize), size_t(name_len)) != en.name)
        fail("has a local header with another name, " +
             quoted(std::string(reinterpret_cast<const char*>(h + kLocalSize), size_t(name_len))));
    if (method != en.method)
        fail("has a local header that says method " + std::to_string(method) + ", the directory " +
             std::to_string(en.method));
    // Bit 3: CRC and sizes follow the data (PyTorch's writer does this); otherwise they must agree.
    if (!(flags & 8)) {
        if (crc != en.crc32) fail("has a local header whose CRC-32 differs from the central directory's");
        if ((csize != 0xffffffff && csize != en.compressed_size) || (usize != 0xffffffff && usize != en.size))
            fail("has a local header whose sizes differ from the central directory's");
    }
    if (en.compressed_size != en.size)
        fail("is stored but its compressed size " + std::to_string(en.compressed_size) + " differs from its size " +
             std::to_string(en.size));
    const uint64_t start = lh + kLocalSize + name_len + extra_len;
    if (en.size > central_directory_offset_ - start)
        fail("claims " + std::to_string(en.size) + " bytes at byte " + std::to_string(start) +
             ", past the start of the central directory at " + std::to_string(central_directory_offset_));
    ZipBytes out{data_ + start, size_t(en.size)};
    const uint32_t actual = crc32_update(0, out.data, out.size);
    if (actual != en.crc32) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "(CRC-32 %08x, the directory says %08x)", actual, en.crc32);
        fail(std::string("is damaged ") + buf);
    }
    return out;
}

}  // namespace attn
