// The machine's fp32 peak, measured rather than assumed: every thread runs a loop of independent
// fused multiply-adds on 8-float vectors (AVX2 + FMA) for a fixed time. The rate it reaches is what
// the cores really sustain under load, boost and hypervisor included, and rate / 32 FLOP per cycle
// (two 256-bit FMA pipes x 8 lanes x 2) is the clock they ran at. A nominal clock from lscpu says
// nothing of either on a virtual machine.
#pragma once

namespace attn::bench {

struct FmaPeak {
    bool available = false;   // built without FMA (-march lacking it): nothing measured
    int threads = 0;          // threads that ran the loop at the same time
    double gflops_total = 0;  // all threads together
    double gflops_per_thread = 0;
};

// Runs `threads` threads of the FMA loop for about `seconds` each, and keeps the best of `rounds`.
FmaPeak measure_fma_peak(int threads, double seconds, int rounds);

}  // namespace attn::bench
