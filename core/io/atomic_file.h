// Files are written whole or not at all: the bytes go to a temporary file in the same folder,
// which is flushed and then renamed over the destination. A reader never sees half a file, and
// an existing file survives a failed write (full disk, missing folder, no permission).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// Throws FileError naming `path` and the reason when the write or the rename fails.
void write_file_atomically(const std::string& path, const void* data, size_t size);

inline void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    write_file_atomically(path, bytes.data(), bytes.size());
}

// Reads a whole regular file; throws FileError naming `path` when it cannot, and refuses (without
// blocking) a FIFO, a directory or a device: "cannot read p: it is a FIFO, not a regular file".
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace attn
