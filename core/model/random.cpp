#include "model/random.h"

#include <cmath>

namespace attn {

Random::Random(uint64_t seed) : state_(seed) {}

uint64_t Random::next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Random::uniform01() {
    return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

float Random::uniform(float low, float high) {
    return static_cast<float>(low + (static_cast<double>(high) - low) * uniform01());
}

float Random::normal() {
    // 1 - u keeps the logarithm's argument in (0, 1].
    double u1 = 1.0 - uniform01();
    double u2 = uniform01();
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

}  // namespace attn
