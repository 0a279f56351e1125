#include "io/atomic_file.h"

#include "errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
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

// What a path that is not a regular file is, for the message that refuses it.
std::string kind_of(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

}  // namespace

void write_file_atomically(const std::string& path, const void* data, size_t size, Durability durability) {
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
    // The descriptor is closed whatever fsync says; the first failure is the one reported.
    int failure = 0;
    if (durability == Durability::Synced && ::fsync(fd) != 0) failure = errno;
    if (::close(fd) != 0 && failure == 0) failure = errno;
    if (failure != 0) {
        ::unlink(tmp.c_str());
        throw FileError("cannot write " + path + ": " + std::strerror(failure));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw FileError("cannot write " + path + ": " + why);
    }
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever if none comes
    // (a GUI worker stuck there could not even be cancelled). Regular files ignore the flag.
    // fstat on what was opened, not stat before opening: the path cannot change in between.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw FileError("cannot open " + path + ": " + errno_text());
    FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw FileError("cannot read " + path + ": " + errno_text());
    // A directory, a device or a pipe has no size to read up to, and may never end.
    if (!S_ISREG(st.st_mode))
        throw FileError("cannot read " + path + ": it is " + kind_of(st.st_mode) + ", not a regular file");
    std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw FileError("cannot read " + path + ": " + errno_text());
        }
        if (n == 0) throw FileError("cannot read " + path + ": the file got shorter while it was read");
        got += static_cast<size_t>(n);
    }
    return bytes;
}

}  // namespace attn
