// Helpers of the core/analysis/ unit tests (test_analysis_*.cpp): random softmax attention with
// padding, masks from lengths, and the ShapeError a bad input must become.
#pragma once

#include "errors.h"
#include "model/random.h"
#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace attn::test {

// Int64 [b, L]: 1 for the first lengths[i] positions, then 0 (right padding, as BERT pads).
inline Tensor mask_of_lengths(const std::vector<int64_t>& lengths, int64_t L) {
    Tensor m({static_cast<int64_t>(lengths.size()), L}, 0.0f, DType::Int64);
    for (size_t i = 0; i < lengths.size(); ++i)
        for (int64_t k = 0; k < lengths[i] && k < L; ++k)
            m.data[i * static_cast<size_t>(L) + static_cast<size_t>(k)] = 1.0f;
    return m;
}

// [b, H, Lq, Lk]: each row a softmax of random scores over the keys the mask keeps (padded keys
// exactly 0). Padded query rows (self-attention) get positive garbage that analyses must ignore.
inline Tensor random_attention(int64_t b, int64_t H, int64_t Lq, int64_t Lk, const Tensor* mask, uint64_t seed,
                               float temperature = 2.0f) {
    Random rng(seed);
    Tensor t({b, H, Lq, Lk});
    for (int64_t i = 0; i < b; ++i)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t q = 0; q < Lq; ++q) {
                float* row = t.ptr() + ((i * H + h) * Lq + q) * Lk;
                const bool padded_query = mask && Lq == Lk && mask->data[static_cast<size_t>(i * Lk + q)] == 0.0f;
                double sum = 0;
                for (int64_t k = 0; k < Lk; ++k) {
                    const bool real = !mask || mask->data[static_cast<size_t>(i * Lk + k)] != 0.0f;
                    row[k] =
                        padded_query ? rng.uniform(0.0f, 1.0f) : (real ? std::exp(temperature * rng.normal()) : 0.0f);
                    sum += row[k];
                }
                if (!padded_query && sum > 0)
                    for (int64_t k = 0; k < Lk; ++k)
                        row[k] = static_cast<float>(row[k] / sum);
            }
    return t;
}

inline std::vector<TensorPtr> random_layers(int64_t layers, int64_t b, int64_t H, int64_t L, const Tensor* mask,
                                            uint64_t seed) {
    std::vector<TensorPtr> out;
    for (int64_t l = 0; l < layers; ++l)
        out.push_back(std::make_shared<Tensor>(random_attention(b, H, L, L, mask, seed + static_cast<uint64_t>(l))));
    return out;
}

// The one-line message of the ShapeError `f` throws, checked to hold every one of `parts`.
inline void expect_shape_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    std::string msg;
    try {
        f();
        ADD_FAILURE() << "expected ShapeError, nothing was thrown";
        return;
    } catch (const ShapeError& e) {
        msg = e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected ShapeError, got another exception: " << e.what();
        return;
    }
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    for (const std::string& part : parts)
        EXPECT_NE(msg.find(part), std::string::npos) << "message lacks \"" << part << "\": " << msg;
}

}  // namespace attn::test
