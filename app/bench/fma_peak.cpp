#include "fma_peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__FMA__) && defined(__AVX2__)
#include <immintrin.h>
#endif

namespace attn::bench {

namespace {

#if defined(__FMA__) && defined(__AVX2__)
// Twelve independent accumulators: an FMA's latency is 4-5 cycles and two pipes issue one each per
// cycle, so fewer than ~10 chains would measure the latency instead of the throughput.
constexpr int kChains = 12;
constexpr long kInnerSteps = 1 << 14;
constexpr double kFlopsPerStep = kChains * 8.0 * 2.0;  // 8 lanes, multiply + add

// FLOP/s of one thread running FMAs for `seconds`. The result is folded into `sink` so that the
// compiler cannot drop the loop.
double fma_rate(double seconds, std::atomic<float>* sink) {
    __m256 acc[kChains];
    for (int i = 0; i < kChains; ++i)
        acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
    // |a| < 1 and a small b: the accumulators settle at b / (1 - a) and never overflow or go subnormal.
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    long steps = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
        for (long s = 0; s < kInnerSteps; ++s)
            for (int i = 0; i < kChains; ++i)
                acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        steps += kInnerSteps;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < seconds);
    __m256 total = acc[0];
    for (int i = 1; i < kChains; ++i)
        total = _mm256_add_ps(total, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    sink->store(lanes[0], std::memory_order_relaxed);
    return static_cast<double>(steps) * kFlopsPerStep / elapsed;
}
#endif

}  // namespace

FmaPeak measure_fma_peak(int threads, double seconds, int rounds) {
    FmaPeak peak;
    peak.threads = std::max(1, threads);
#if defined(__FMA__) && defined(__AVX2__)
    peak.available = true;
    std::atomic<float> sink{0};
    for (int r = 0; r < std::max(1, rounds); ++r) {
        std::vector<double> rates(static_cast<size_t>(peak.threads), 0.0);
        std::vector<std::thread> pool;
        for (int t = 0; t < peak.threads; ++t)
            pool.emplace_back([&, t] { rates[static_cast<size_t>(t)] = fma_rate(seconds, &sink); });
        for (auto& th : pool)
            th.join();
        double total = 0;
        for (double v : rates)
            total += v;
        peak.gflops_total = std::max(peak.gflops_total, total / 1e9);
    }
    peak.gflops_per_thread = peak.gflops_total / peak.threads;
#else
    (void)seconds;
    (void)rounds;
#endif
    return peak;
}

}  // namespace attn::bench
