// Files are written whole or not at all: the bytes go to a temporary file in the same folder,
// which is flushed and then renamed over the destination. A reader never sees half a file, and
// an existing file survives a failed write (full disk, missing folder, no permission).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// How far a write goes before the rename.
//   Synced: the bytes are on the disk first (fsync), so that after a crash or a power cut the
//     path holds the old file or the new one. What users keep: sessions, exports, caches.
//   ForReaders: no fsync. Other processes reading the path still never see half a file, but
//     after a power cut it may be empty. For a file rewritten many times a second that only
//     readers of this run need (the test layout): an fsync waits for the disk, and while another
//     process writes a lot that is seconds, which a window's UI thread must not spend.
enum class Durability { Synced, ForReaders };

// Throws FileError naming `path` and the reason when the write or the rename fails.
void write_file_atomically(const std::string& path, const void* data, size_t size,
                           Durability durability = Durability::Synced);

inline void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    write_file_atomically(path, bytes.data(), bytes.size());
}

// Reads a whole regular file; throws FileError naming `path` when it cannot, and refuses (without
// blocking) a FIFO, a directory or a device: "cannot read p: it is a FIFO, not a regular file".
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace attn
