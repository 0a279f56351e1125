#include "io/atomic_file.h"

#include "errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace attn {

namespace {

std::string errno_text() {
    return std::strerror(errno);
}

// A name beside the destination, so that rename() stays within one file system.
std::string temporary_name_for(const std::string& path) {
    static const char* digits = "0123456789abcdef";
    std::random_device rd;
    std::string suffix;
    for (int i = 0; i < 8; ++i)
        suffix += digits[rd() % 16];
    return path + ".tmp-" + suffix;
}

}  // namespace

void write_file_atomically(const std::string& path, const void* data, size_t size) {
    const std::string tmp = temporary_name_for(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw FileError("cannot write " + path + ": " + errno_text());

    const char* p = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::string why = errno_text();
            ::close(fd);
            ::unlink(tmp.c_str());
            throw FileError("cannot write " + path + ": " + why);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    // fsync before rename: otherwise a crash can leave the new name pointing at empty data.
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw FileError("cannot write " + path + ": " + why);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw FileError("cannot write " + path + ": " + why);
    }
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw FileError("cannot open " + path + ": " + errno_text());
    std::streamoff end = in.tellg();
    if (end < 0) throw FileError("cannot read " + path + ": not a regular file");
    std::vector<uint8_t> bytes(static_cast<size_t>(end));
    in.seekg(0);
    if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), end))
        throw FileError("cannot read " + path + ": read failed");
    return bytes;
}

}  // namespace attn
