// The encoder building blocks (core/transformer): activations, LayerNorm, the fused dense and the
// per-head attention kernel, each against its definition computed directly in double.
#include "errors.h"
#include "model/ops.h"
#include "kernels/activation.h"
#include "transformer/dense.h"
#include "transformer/encoder_attention.h"
#include "kernels/gemm.h"
#include "transformer/layer_norm.h"

#include "test_bert_folders.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace attn {
namespace {

TEST(BertBlocks, Activations) {
    std::vector<float> x;
    for (int i = -800; i <= 800; ++i)
        x.push_back(static_cast<float>(i) / 100.0f);
    auto check = [&](Activation a, const std::function<double(double)>& f, double tol) {
        std::vector<float> y = x;
        apply_activation(a, y.data(), static_cast<int64_t>(y.size()));
        for (size_t i = 0; i < x.size(); ++i)
            EXPECT_NEAR(y[i], f(x[i]), tol) << activation_name(a) << " at " << x[i];
    };
    check(
        Activation::Gelu, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }, 2e-6);
    check(
        Activation::GeluTanh,
        [](double v) { return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))); }, 2e-6);
    check(
        Activation::QuickGelu, [](double v) { return v / (1.0 + std::exp(-1.702 * v)); }, 2e-6);
    check(
        Activation::Relu, [](double v) { return v > 0 ? v : 0.0; }, 0.0);
    check(
        Activation::Silu, [](double v) { return v / (1.0 + std::exp(-v)); }, 2e-6);
    EXPECT_EQ(parse_activation("gelu_pytorch_tanh", "c"), Activation::GeluTanh);
    EXPECT_THROW(parse_activation("tanh", "c"), ConfigError);
}

TEST(BertBlocks, LayerNormAgainstItsDefinition) {
    const int64_t rows = 5, H = 37;
    Tensor x = test::filled({rows, H}, 3, 2.0f, 100.0f);  // a large mean: the two-pass variance matters
    LayerNormWeights ln{test::filled({H}, 4, 0.2f, 1.0f), test::filled({H}, 5, 0.2f), 1e-5};
    const Tensor y = layer_norm(x, ln);
    for (int64_t r = 0; r < rows; ++r) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < H; ++i)
            mean += x.data[static_cast<size_t>(r * H + i)];
        mean /= H;
        for (int64_t i = 0; i < H; ++i)
            var += std::pow(x.data[static_cast<size_t>(r * H + i)] - mean, 2);
        var /= H;
        for (int64_t i = 0; i < H; ++i) {
            const double want = (x.data[static_cast<size_t>(r * H + i)] - mean) / std::sqrt(var + 1e-5) *
                                    ln.weight.data[static_cast<size_t>(i)] +
                                ln.bias.data[static_cast<size_t>(i)];
            EXPECT_NEAR(y.data[static_cast<size_t>(r * H + i)], want, 2e-5);
        }
    }
}

TEST(BertBlocks, DenseWithBiasActivationAndResidual) {
    const int64_t rows = 70, in = 13, out = 9;  // more rows than one block of a thread
    const Tensor x = test::filled({rows, in}, 6, 1.0f);
    const Tensor W = test::filled({out, in}, 7, 0.5f), B = test::filled({out}, 8, 0.5f);
    const Dense d(W, B);
    const Tensor r = test::filled({rows, out}, 9, 1.0f);
    const Tensor y = dense(x, d, Activation::Relu, &r);
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t o = 0; o < out; ++o) {
            double acc = B.data[static_cast<size_t>(o)];
            for (int64_t k = 0; k < in; ++k)
                acc += static_cast<double>(x.data[static_cast<size_t>(i * in + k)]) *
                       W.data[static_cast<size_t>(o * in + k)];
            EXPECT_NEAR(y.data[static_cast<size_t>(i * out + o)],
                        std::max(acc, 0.0) + r.data[static_cast<size_t>(i * out + o)], 1e-5);
        }
}

TEST(BertBlocks, PackedProductAtEdgesAndBlocks) {
    // Sizes around the kernel's tile (MR x NR), partial tiles, several blocks of input features
    // (1025 > 1024), strided x and y, every part of the epilogue, rows split between threads
    // (200 x 300 x 200) and rows in two chunks of packing (1600 > 1536).
    const int64_t shapes[][3] = {{1, 1, 1}, {5, 3, 17}, {7, 16, 16}, {13, 33, 31}, {37, 1025, 40}, {64, 70, 96}, {200, 300, 200}, {1600, 20, 17}};
    for (const auto& sh : shapes) {
        const int64_t rows = sh[0], in = sh[1], out = sh[2], ldx = in + 3, ldy = out + 5;
        const Tensor x = test::filled({rows, ldx}, 20, 1.0f), W = test::filled({out, in}, 21, 0.5f);
        const Tensor bias = test::filled({out}, 22, 0.5f), res = test::filled({rows, out}, 23, 1.0f);
        const PackedWeight pw(W);
        test::expect_same_tensor(pw.unpack(), W);
        Tensor y({rows, ldy}, -7.0f);
        Epilogue e;
        e.bias = bias.ptr();
        e.act = Activation::GeluTanh;
        e.residual = res.ptr();
        e.residual_stride = out;
        packed_product(x.ptr(), rows, ldx, pw, y.ptr(), ldy, e);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t o = 0; o < ldy; ++o) {
                const float got = y.data[static_cast<size_t>(r * ldy + o)];
                if (o >= out) {
                    EXPECT_EQ(got, -7.0f);  // past the product: untouched
                    continue;
                }
                double acc = bias.data[static_cast<size_t>(o)];
                for (int64_t k = 0; k < in; ++k)
                    acc += static_cast<double>(x.data[static_cast<size_t>(r * ldx + k)]) *
                           W.data[static_cast<size_t>(o * in + k)];
                const double g =
                    0.5 * acc * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (acc + 0.044715 * acc * acc * acc)));
                EXPECT_NEAR(got, g + res.data[static_cast<size_t>(r * out + o)], 1e-4 * (1.0 + std::abs(g)))
                    << rows << "x" << in << "x" << out << " at " << r << "," << o;
            }
    }
}

TEST(BertBlocks, SelfAttentionAgainstItsDefinition) {
    const int64_t b = 2, L = 5, H = 3, D = 4, E = H * D;
    const Tensor qkv = test::filled({b, L, 3 * E}, 10, 1.5f);
    Tensor mask({b, L}, 1.0f, DType::Int64);
    mask.data[static_cast<size_t>(L + 3)] = mask.data[static_cast<size_t>(L + 4)] = 0.0f;  // item 2: 3 tokens
    const Tensor add = extended_attention_mask(mask);
    EXPECT_EQ(add.data[static_cast<size_t>(L + 3)], std::numeric_limits<float>::lowest());
    EXPECT_EQ(add.data[0], 0.0f);
    Tensor probs({b, H, L, L}), ctx({b, L, E});
    const float scale = 0.5f;
    self_attention({qkv.ptr(), qkv.ptr() + E, qkv.ptr() + 2 * E, 3 * E}, b, L, H, D, scale, add.ptr(), probs.ptr(),
                   ctx.ptr());
    auto at = [&](int64_t i, int64_t t, int64_t col) {
        return static_cast<double>(qkv.data[static_cast<size_t>((i * L + t) * 3 * E + col)]);
    };
    for (int64_t i = 0; i < b; ++i)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t q = 0; q < L; ++q) {
                std::vector<double> s(L);
                double mx = -1e300, z = 0;
                for (int64_t k = 0; k < L; ++k) {
                    double dot = 0;
                    for (int64_t d = 0; d < D; ++d)
                        dot += at(i, q, h * D + d) * at(i, k, E + h * D + d);
                    s[static_cast<size_t>(k)] = mask.data[static_cast<size_t>(i * L + k)] ? dot * scale : -1e300;
                    mx = std::max(mx, s[static_cast<size_t>(k)]);
                }
                for (double& v : s)
                    z += (v = v < -1e299 ? 0.0 : std::exp(v - mx));
                for (int64_t k = 0; k < L; ++k) {
                    const float got = probs.data[static_cast<size_t>(((i * H + h) * L + q) * L + k)];
                    EXPECT_NEAR(got, s[static_cast<size_t>(k)] / z, 1e-6);
                    if (!mask.data[static_cast<size_t>(i * L + k)]) {
                        EXPECT_EQ(got, 0.0f);
                    }
                }
                for (int64_t d = 0; d < D; ++d) {
                    double c = 0;
                    for (int64_t k = 0; k < L; ++k)
                        c += s[static_cast<size_t>(k)] / z * at(i, k, 2 * E + h * D + d);
                    EXPECT_NEAR(ctx.data[static_cast<size_t>((i * L + q) * E + h * D + d)], c, 1e-5);
                }
            }
}

TEST(BertBlocks, AFullyPaddedRowIsUniformAsInTorch) {
    // (1 - 0) * finfo.min on every key: all scores equal finfo.min, softmax gives 1/L, not NaN.
    const int64_t L = 4, E = 2;
    const Tensor qkv = test::filled({1, L, 3 * E}, 11, 1.0f);
    const Tensor add = extended_attention_mask(Tensor({1, L}, 0.0f, DType::Int64));
    Tensor probs({1, 1, L, L}), ctx({1, L, E});
    self_attention({qkv.ptr(), qkv.ptr() + E, qkv.ptr() + 2 * E, 3 * E}, 1, L, 1, E, 1.0f, add.ptr(), probs.ptr(),
                   ctx.ptr());
    for (float p : probs.data)
        EXPECT_FLOAT_EQ(p, 0.25f);
}

TEST(BertBlocks, ValueNorms) {
    const int64_t b = 1, L = 3, H = 2, D = 2, E = 4, hidden = 4;
    const Tensor v = test::filled({b, L, E}, 12, 1.0f);
    const Tensor W = test::filled({hidden, E}, 13, 1.0f);
    const Dense out(W, Tensor());
    const Tensor n = value_norms(v.ptr(), E, b, L, H, D, out);
    ASSERT_EQ(n.shape, (Shape{1, 2, 3}));
    for (int64_t h = 0; h < H; ++h)
        for (int64_t j = 0; j < L; ++j) {
            double sq = 0;
            for (int64_t o = 0; o < hidden; ++o) {
                double f = 0;
                for (int64_t d = 0; d < D; ++d)
                    f += static_cast<double>(v.data[static_cast<size_t>(j * E + h * D + d)]) *
                         W.data[static_cast<size_t>(o * E + h * D + d)];
                sq += f * f;
            }
            EXPECT_NEAR(n.data[static_cast<size_t>(h * L + j)], std::sqrt(sq), 1e-5);
        }
}

}  // namespace
}  // namespace attn
