// SHA-256 (FIPS 180-4), to check that a fetched package is the one the project was built against.
// Small and dependency-free: core links no crypto library for one digest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    // The digest; the object must not be updated afterwards.
    std::array<uint8_t, 32> finish();

private:
    void compress(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t total_bytes_ = 0;
};

// Lower-case hex of a digest: what sha256sum prints.
std::string to_hex(const std::array<uint8_t, 32>& digest);

std::string sha256_hex(const void* data, size_t size);

// Reads the file in blocks; throws FileError naming `path` when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace attn
