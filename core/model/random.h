// A seeded random generator that gives the same numbers on every platform and compiler.
// std::uniform_real_distribution and std::normal_distribution are implemented differently by
// each standard library, so weights drawn with them would differ between machines.
#pragma once

#include <cstdint>

namespace attn {

class Random {
public:
    explicit Random(uint64_t seed);
    uint64_t next_u64();                   // splitmix64
    double uniform01();                    // [0, 1) with 53 random bits
    float uniform(float low, float high);  // [low, high)
    float normal();                        // N(0, 1) by Box-Muller
private:
    uint64_t state_;
};

}  // namespace attn
