// What the benchmark reports about its own process: its peak memory and the threads it computes on.
#pragma once

#include <cstdint>
#include <string>

namespace attn::bench {

// Peak resident set size of this process so far (VmHWM in /proc/self/status), in KiB; -1 where the
// kernel does not say.
int64_t peak_rss_kib();

// The threads the engine's matrix products may use, after set_threads.
struct ThreadInfo {
    int requested = 1;
    bool openmp_compiled = false;  // _OPENMP in this translation unit (core linked OpenMP PUBLIC)
    bool openmp_runtime = false;   // an OpenMP runtime is in the process (found with dlsym)
    int openmp_max_threads = 1;    // omp_get_max_threads() after setting, 1 without a runtime
    int eigen_threads = 1;         // Eigen::nbThreads() as this translation unit sees it
    // What the numbers mean: Eigen parallelises its products only when core is compiled with
    // OpenMP; otherwise every --threads value computes on one thread, and the report says so.
    std::string note() const;
};

// Eigen::setNbThreads(n) and the OpenMP runtime's omp_set_num_threads(n), where there is one.
// The runtime is looked up with dlsym rather than only behind #ifdef _OPENMP, because core may link
// OpenMP PRIVATE: then this file is compiled without -fopenmp but the products in core still run
// on the runtime's threads. The driver also sets OMP_NUM_THREADS, which covers the rest.
ThreadInfo set_threads(int n);

}  // namespace attn::bench
