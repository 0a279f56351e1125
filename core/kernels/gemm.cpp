#include "kernels/gemm.h"

#include "errors.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#define ATTN_GEMM_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTN_GEMM_AVX2 1
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace attn {

namespace {

#if defined(ATTN_GEMM_AVX512)
constexpr int64_t kMR = 12, kNR = 32;  // 24 of the 32 zmm registers accumulate
#elif defined(ATTN_GEMM_AVX2)
constexpr int64_t kMR = 6, kNR = 16;  // 12 of the 16 ymm registers accumulate
#else
constexpr int64_t kMR = 4, kNR = 16;
#endif
constexpr int64_t kMaxKc = 1024;         // input features per block: one MR panel of x, 24-48 KB, stays near the core
constexpr int64_t kMaxRows = 1536;       // rows of x packed at a time (a multiple of every MR)
constexpr int64_t kL2Bytes = 384 << 10;  // the panels of W run against all of x's rows at a time

// One MR x NR tile: c[i][j] (+)= sum_p a[p][i] · b[p][j], a packed MR to a step, b NR to a step.
#if defined(ATTN_GEMM_AVX512)
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
    __m512 acc[kMR][2];
#pragma GCC unroll 12
    for (int i = 0; i < kMR; ++i)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < kMR; ++i) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += kMR;
        b += kNR;
    }
#pragma GCC unroll 12
    for (int i = 0; i < kMR; ++i) {
        float* row = c + i * ldc;
        if (accumulate) {
            acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(row));
            acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(row + 16));
        }
        _mm512_storeu_ps(row, acc[i][0]);
        _mm512_storeu_ps(row + 16, acc[i][1]);
    }
}
#elif defined(ATTN_GEMM_AVX2)
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
    // Named accumulators rather than an array: GCC then keeps all twelve in registers.
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 x0 = _mm256_broadcast_ss(a), x1 = _mm256_broadcast_ss(a + 1);
        c00 = _mm256_fmadd_ps(x0, b0, c00);
        c01 = _mm256_fmadd_ps(x0, b1, c01);
        c10 = _mm256_fmadd_ps(x1, b0, c10);
        c11 = _mm256_fmadd_ps(x1, b1, c11);
        x0 = _mm256_broadcast_ss(a + 2);
        x1 = _mm256_broadcast_ss(a + 3);
        c20 = _mm256_fmadd_ps(x0, b0, c20);
        c21 = _mm256_fmadd_ps(x0, b1, c21);
        c30 = _mm256_fmadd_ps(x1, b0, c30);
        c31 = _mm256_fmadd_ps(x1, b1, c31);
        x0 = _mm256_broadcast_ss(a + 4);
        x1 = _mm256_broadcast_ss(a + 5);
        c40 = _mm256_fmadd_ps(x0, b0, c40);
        c41 = _mm256_fmadd_ps(x0, b1, c41);
        c50 = _mm256_fmadd_ps(x1, b0, c50);
        c51 = _mm256_fmadd_ps(x1, b1, c51);
        a += kMR;
        b += kNR;
    }
    const __m256 acc[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < kMR; ++i) {
        float* row = c + i * ldc;
        __m256 lo = acc[i][0], hi = acc[i][1];
        if (accumulate) {
            lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));
            hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));
        }
        _mm256_storeu_ps(row, lo);
        _mm256_storeu_ps(row + 8, hi);
    }
}
#else
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
    float acc[kMR][kNR] = {};
    for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < kMR; ++i)
            for (int64_t j = 0; j < kNR; ++j)
                acc[i][j] += a[i] * b[j];
        a += kMR;
        b += kNR;
    }
    for (int64_t i = 0; i < kMR; ++i)
        for (int64_t j = 0; j < kNR; ++j)
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}
#endif

int64_t kc_for(int64_t in) {
    const int64_t blocks = (in + kMaxKc - 1) / kMaxKc;
    return blocks ? (in + blocks - 1) / blocks : 0;
}

// Rows [r0, r0 + n) x features [p0, p0 + kc) of x into MR-row panels, zero rows past n.
void pack_rows(const float* x, int64_t ldx, int64_t r0, int64_t n, int64_t p0, int64_t kc, float* dst) {
    for (int64_t ir = 0; ir < n; ir += kMR) {
        const int64_t m = std::min(kMR, n - ir);
        float* panel = dst + ir * kc;
        for (int64_t i = 0; i < kMR; ++i) {
            const float* src = i < m ? x + (r0 + ir + i) * ldx + p0 : nullptr;
            for (int64_t p = 0; p < kc; ++p)
                panel[p * kMR + i] = src ? src[p] : 0.0f;
        }
    }
}

void finish_tile(float* y, int64_t ldy, int64_t row0, int64_t col0, int64_t m, int64_t n, const Epilogue& e) {
    for (int64_t i = 0; i < m; ++i) {
        float* row = y + i * ldy;
        if (e.bias)
            for (int64_t j = 0; j < n; ++j)
                row[j] += e.bias[col0 + j];
        if (e.act != Activation::None) apply_activation(e.act, row, n);
        if (e.residual) {
            const float* r = e.residual + (row0 + i) * e.residual_stride + col0;
            for (int64_t j = 0; j < n; ++j)
                row[j] += r[j];
        }
    }
}

// Rows [r0, r1) of the product, on the calling thread. GotoBLAS's order: per block of input
// features, this thread's rows are packed once; then for each group of W's panels that fits in
// L2 (about 384 KB), every MR-row panel of x runs against each panel of the group. W is read
// from memory once per product, and x's panels, packed by this thread, come from L2/L3.
void product_chunk(const float* x, int64_t r0, int64_t r1, int64_t ldx, const PackedView& w, float* y, int64_t ldy,
                   const Epilogue& e) {
    const int64_t in = w.in, out = w.out, kc = w.kc, panels = w.panels, rows = r1 - r0;
    const int64_t blocks = kc ? (in + kc - 1) / kc : 0;
    if (blocks == 0) {  // no input features: y is the epilogue of zeros
        for (int64_t r = r0; r < r1; ++r) {
            std::fill(y + r * ldy, y + r * ldy + out, 0.0f);
            finish_tile(y + r * ldy, ldy, r, 0, 1, out, e);
        }
        return;
    }
    const int64_t row_panels = (rows + kMR - 1) / kMR;
    const int64_t group = std::max<int64_t>(1, kL2Bytes / (kc * kNR * static_cast<int64_t>(sizeof(float))));
    thread_local std::vector<float> packed;  // this thread's panels of x, kept between calls
    packed.resize(static_cast<size_t>(row_panels * kMR * kc));
    float edge[kMR * kNR];
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t p0 = blk * kc, kb = std::min(kc, in - p0);
        const bool first = blk == 0, last = blk == blocks - 1;
        pack_rows(x, ldx, r0, rows, p0, kb, packed.data());
        const float* wb = w.block(blk);
        for (int64_t j0 = 0; j0 < panels; j0 += group) {
            const int64_t j1 = std::min(panels, j0 + group);
            for (int64_t ir = 0; ir < rows; ir += kMR) {
                const int64_t m = std::min(kMR, rows - ir);
                const float* a = packed.data() + ir * kb;
                for (int64_t j = j0; j < j1; ++j) {
                    const int64_t col0 = j * kNR, n = std::min(kNR, out - col0);
                    float* tile = y + (r0 + ir) * ldy + col0;
                    if (m == kMR && n == kNR) {
                        kernel(kb, a, wb + j * kb * kNR, tile, ldy, !first);
                    } else {  // an edge tile goes through a full-size buffer
                        if (!first)
                            for (int64_t i = 0; i < m; ++i)
                                std::memcpy(edge + i * kNR, tile + i * ldy, static_cast<size_t>(n) * sizeof(float));
                        kernel(kb, a, wb + j * kb * kNR, edge, kNR, !first);
                        for (int64_t i = 0; i < m; ++i)
                            std::memcpy(tile + i * ldy, edge + i * kNR, static_cast<size_t>(n) * sizeof(float));
                    }
                    if (last) finish_tile(tile, ldy, r0 + ir, col0, m, n, e);
                }
            }
        }
    }
}

// Rows in chunks, so that the packed rows a thread keeps stay under kMaxRows x kc floats (6 MB).
void product_rows(const float* x, int64_t r0, int64_t r1, int64_t ldx, const PackedView& w, float* y, int64_t ldy,
                  const Epilogue& e) {
    for (int64_t c = r0; c < r1; c += kMaxRows)
        product_chunk(x, c, std::min(r1, c + kMaxRows), ldx, w, y, ldy, e);
}

}  // namespace

int64_t max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

const float* PackedView::block(int64_t b) const {
    return data + b * kc * panels * kNR;
}

int64_t packed_floats(int64_t out, int64_t in) {
    return std::max<int64_t>(((out + kNR - 1) / kNR) * kNR * in, 1);
}

namespace {

// B[k][o] = at(k, o), packed: block of kc rows, then panel, then row, then column.
template <class At>
PackedView pack(int64_t out, int64_t in, float* dst, const At& at) {
    PackedView v;
    v.data = dst;
    v.out = out;
    v.in = in;
    v.kc = kc_for(in);
    v.panels = (out + kNR - 1) / kNR;
    for (int64_t p0 = 0; p0 < in; p0 += v.kc) {
        const int64_t kb = std::min(v.kc, in - p0);
        float* blk = dst + p0 * v.panels * kNR;
        for (int64_t j = 0; j < v.panels; ++j)
            for (int64_t k = 0; k < kb; ++k) {
                float* row = blk + (j * kb + k) * kNR;
                for (int64_t c = 0; c < kNR; ++c) {
                    const int64_t o = j * kNR + c;
                    row[c] = o < out ? at(p0 + k, o) : 0.0f;
                }
            }
    }
    return v;
}

}  // namespace

PackedView pack_transposed(const float* w, int64_t out, int64_t in, int64_t ldw, float* dst) {
    return pack(out, in, dst, [w, ldw](int64_t k, int64_t o) { return w[o * ldw + k]; });
}

PackedView pack_direct(const float* b, int64_t in, int64_t out, int64_t ldb, float* dst) {
    return pack(out, in, dst, [b, ldb](int64_t k, int64_t o) { return b[k * ldb + o]; });
}

void PackedWeight::Free::operator()(float* p) const {
    std::free(p);
}

PackedWeight::PackedWeight(const Tensor& weight)
    : PackedWeight(weight.ptr(), weight.dim(0), weight.dim(1), weight.dim(1)) {
    ATTN_CHECK(weight.rank() == 2, "packed weight must be [out, in]");
}

PackedWeight::PackedWeight(const float* w, int64_t out, int64_t in, int64_t ldw) {
    // 64-byte aligned: a panel row never straddles two cache lines.
    const size_t bytes = (static_cast<size_t>(packed_floats(out, in)) * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    data_.reset(p);
    view_ = pack_transposed(w, out, in, ldw, p);
}

Tensor PackedWeight::unpack() const {
    const PackedView& v = view_;
    Tensor w = Tensor::uninitialized({v.out, v.in});
    for (int64_t p0 = 0; p0 < v.in; p0 += v.kc) {
        const int64_t kb = std::min(v.kc, v.in - p0);
        const float* blk = v.data + p0 * v.panels * kNR;
        for (int64_t o = 0; o < v.out; ++o)
            for (int64_t k = 0; k < kb; ++k)
                w.data[static_cast<size_t>(o * v.in + p0 + k)] = blk[((o / kNR) * kb + k) * kNR + o % kNR];
    }
    return w;
}

void packed_product_serial(const float* x, int64_t rows, int64_t ldx, const PackedView& b, float* y, int64_t ldy,
                           const Epilogue& e) {
    if (rows > 0) product_rows(x, 0, rows, ldx, b, y, ldy, e);
}

void packed_product(const float* x, int64_t rows, int64_t ldx, const PackedWeight& w, float* y, int64_t ldy,
                    const Epilogue& e) {
    if (rows <= 0) return;
    const double flops = 2.0 * static_cast<double>(rows) * w.in_features() * w.out_features();
    const int64_t threads = std::min<int64_t>(max_threads(), (rows + kMR - 1) / kMR);
    if (threads <= 1 || flops < 2e7) {
        product_rows(x, 0, rows, ldx, w.view(), y, ldy, e);
        return;
    }
    // Contiguous row ranges, a whole number of MR panels each: one join per product.
    const int64_t panels = (rows + kMR - 1) / kMR;
#pragma omp parallel for schedule(static) num_threads(static_cast <int>(threads))
    for (int64_t t = 0; t < threads; ++t) {
        const int64_t p0 = panels * t / threads, p1 = panels * (t + 1) / threads;
        const int64_t r0 = p0 * kMR, r1 = std::min(rows, p1 * kMR);
        if (r0 < r1) product_rows(x, r0, r1, ldx, w.view(), y, ldy, e);
    }
}

}  // namespace attn
