#include "process_info.h"

#include <Eigen/Core>

#include <dlfcn.h>

#include <fstream>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn::bench {

int64_t peak_rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            try {
                return std::stoll(line.substr(6));  // "VmHWM:   123456 kB"
            } catch (const std::exception&) {
                return -1;
            }
        }
    }
    return -1;
}

std::string ThreadInfo::note() const {
    if (!openmp_runtime) return "core has no OpenMP: Eigen computes on 1 thread whatever --threads says";
    return "OpenMP runtime present: up to " + std::to_string(openmp_max_threads) + " threads";
}

ThreadInfo set_threads(int n) {
    ThreadInfo info;
    info.requested = n;
#ifdef _OPENMP
    info.openmp_compiled = true;
    omp_set_num_threads(n);
#endif
    Eigen::setNbThreads(n);
    info.eigen_threads = Eigen::nbThreads();

    using SetFn = void (*)(int);
    using GetFn = int (*)();
    auto set_fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    auto get_fn = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    if (set_fn && get_fn) {
        info.openmp_runtime = true;
        set_fn(n);
        info.openmp_max_threads = get_fn();
    }
    return info;
}

}  // namespace attn::bench
