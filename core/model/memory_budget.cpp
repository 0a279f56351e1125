#include "model/memory_budget.h"

#include "errors.h"

#include <cstdio>
#include <cstdlib>

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

void require_memory(double bytes, const std::string& what, const std::string& advice) {
    const double limit = memory_limit_bytes();
    if (bytes <= limit) return;
    char sizes[128];
    std::snprintf(sizes, sizeof sizes,
                  " would take %.1f GiB, more than the %.1f GiB this machine can spare: ", bytes / (1u << 30),
                  limit / (1u << 30));
    throw ConfigError(what + sizes + advice);
}

void keep_freed_memory_for_reuse() {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace attn
