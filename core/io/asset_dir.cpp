#include "io/asset_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace attn {

std::string executable_dir() {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec || exe.empty()) return "";
    return exe.parent_path().string();
}

std::string asset_dir() {
    if (const char* env = std::getenv("ATTNSCOPE_ASSETS"); env && *env) return env;
    const std::string dir = executable_dir();
    // Without /proc (a chroot without it mounted): relative to the working folder, as a last try.
    const std::filesystem::path base = dir.empty() ? std::filesystem::path("bin") : std::filesystem::path(dir);
    return (base.parent_path() / "share" / "attnscope").lexically_normal().string();
}

}  // namespace attn
