// A zip archive in memory, read as far as torch.save's archives need: stored (uncompressed)
// entries, ZIP64 records, CRC-32 checked on every read. Spec: PKWARE's APPNOTE.TXT (4.3.7 local
// header, 4.3.12 central directory, 4.3.14-16 ZIP64 end records, 4.5.3 ZIP64 extra field).
//
// The central directory is the truth; each entry's local header must agree with it (name,
// method, and CRC and sizes unless bit 3 defers them to a data descriptor, as PyTorch's writer
// does). Every problem is a FileError naming the archive (and the entry); no input can make the
// reader read outside the buffer or allocate more than the central directory's own size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace attn {

struct ZipEntry {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;  // 0 stored, 8 deflate, ...
    uint32_t crc32 = 0;
    uint64_t compressed_size = 0, size = 0;
    uint64_t local_header_offset = 0;
};

struct ZipBytes {
    const uint8_t* data = nullptr;
    size_t size = 0;
};

class ZipReader {
public:
    // Parses the end records and the central directory; the data is not copied and must outlive
    // the reader. `name` (the file path) starts every message.
    ZipReader(const uint8_t* data, size_t size, std::string name);

    const std::vector<ZipEntry>& entries() const { return entries_; }
    const ZipEntry* find(const std::string& entry_name) const;  // nullptr when absent

    // An entry's bytes: its local header checked against the central directory, refused when
    // compressed or encrypted, its CRC-32 checked.
    ZipBytes read(const ZipEntry& entry) const;

    const std::string& name() const { return name_; }

private:
    const uint8_t* data_;
    size_t size_;
    std::string name_;
    uint64_t central_directory_offset_ = 0;
    std::vector<ZipEntry> entries_;
    std::unordered_map<std::string, size_t> index_;  // name -> entries_ position: a lookup per storage
};

// CRC-32 (ISO-HDLC, zip's and zlib's), continuing from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size);

}  // namespace attn
