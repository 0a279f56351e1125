#include "model/memory_budget.h"

#include "errors.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <malloc.h>

#include <unistd.h>

namespace attn {

double memory_limit_bytes() {
    if (const char* env = std::getenv("ATTNSCOPE_MEMORY_LIMIT_MB")) {
        char* end = nullptr;
        const double mb = std::strtod(env, &end);
        if (end != env && mb > 0) return mb * 1024.0 * 1024.0;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return 8.0 * (1u << 30);
    return 0.6 * static_cast<double>(pages) * static_cast<double>(page);
}

namespace {

// "12.3 GiB", or "1.6 MiB" under a GiB (a low $ATTNSCOPE_MEMORY_LIMIT_MB would read "0.0 GiB").
std::string size_text(double bytes) {
    char text[32];
    if (bytes >= double(1u << 30))
        std::snprintf(text, sizeof text, "%.1f GiB", bytes / double(1u << 30));
    else
        std::snprintf(text, sizeof text, "%.1f MiB", bytes / double(1u << 20));
    return text;
}

}  // namespace

void require_memory(double bytes, const std::string& what, const std::string& advice) {
    const double limit = memory_limit_bytes();
    if (bytes <= limit) return;
    throw ConfigError(what + " would take " + size_text(bytes) + ", more than the " + size_text(limit) +
                      " this machine can spare: " + advice);
}

void keep_freed_memory_for_reuse() {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace attn
