#include "leak_report.h"

#include <dlfcn.h>

#include <fstream>
#include <string>

namespace attn::gl {

void pin_loaded_libraries() {
#if defined(__SANITIZE_ADDRESS__)
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const size_t slash = line.find('/');
        if (slash == std::string::npos || line.find(".so", slash) == std::string::npos) continue;
        // RTLD_NOLOAD: only what is already loaded; RTLD_NODELETE: never unloaded.
        dlopen(line.c_str() + slash, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
    }
#endif
}

}  // namespace attn::gl
