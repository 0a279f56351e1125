#include "models/use_lite/small_dense.h"

#include "errors.h"

#include <Eigen/Core>

#include <algorithm>

namespace attn {

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kPacket = Eigen::internal::packet_traits<float>::size;
constexpr int kBlock = 2 * kPacket;
constexpr int kRowTile = 6;  // 6 rows x 2 packets = 12 accumulators: fits AVX2's 16 registers

// Rows [0, R) of a row tile times one column block: acc[r] = sum_k x[r, k] * block[k, :].
template <int R>
void tile(const float* x, int64_t in, const float* block, const float* bias, float* y, int64_t out, int64_t col0) {
    using namespace Eigen::internal;
    Packet acc[R][2];
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = pset1<Packet>(0.0f);
    for (int64_t k = 0; k < in; ++k) {
        const Packet w0 = pload<Packet>(block + k * kBlock), w1 = pload<Packet>(block + k * kBlock + kPacket);
        for (int r = 0; r < R; ++r) {
            const Packet xr = pset1<Packet>(x[r * in + k]);
            acc[r][0] = pmadd(xr, w0, acc[r][0]);
            acc[r][1] = pmadd(xr, w1, acc[r][1]);
        }
    }
    alignas(64) float row[kBlock];
    const int64_t n = std::min<int64_t>(kBlock, out - col0);
    for (int r = 0; r < R; ++r) {
        pstore(row, acc[r][0]);
        pstore(row + kPacket, acc[r][1]);
        float* yr = y + r * out + col0;
        for (int64_t c = 0; c < n; ++c)
            yr[c] = bias ? row[c] + bias[col0 + c] : row[c];
    }
}

template <int R>
void tiles_of(const float* x, int64_t rows, const PackedKernel& k, const float* block, const float* bias, float* y,
              int64_t col0) {
    for (int64_t r = 0; r + R <= rows; r += R)
        tile<R>(x + r * k.in, k.in, block, bias, y + r * k.out, k.out, col0);
}

// The rows in tiles of (nearly) equal size, at most kRowTile: 20 rows are 4 tiles of 5 rather
// than 3 of 6 and a thin one of 2, which would read the block again for little work.
void column_block(const float* x, int64_t rows, const PackedKernel& k, int64_t c, const float* bias, float* y) {
    const float* block = k.blocks.data() + c * k.in * kBlock;
    const int64_t col0 = c * kBlock;
    const int64_t tiles = (rows + kRowTile - 1) / kRowTile;
    const int64_t size = rows / tiles, larger = rows % tiles;  // `larger` tiles get size + 1 rows
    const int64_t split = larger * (size + 1);
    auto run = [&](int64_t r0, int64_t n, int64_t R) {
        const float* xs = x + r0 * k.in;
        float* ys = y + r0 * k.out;
        switch (R) {
            case 6: tiles_of<6>(xs, n, k, block, bias, ys, col0); break;
            case 5: tiles_of<5>(xs, n, k, block, bias, ys, col0); break;
            case 4: tiles_of<4>(xs, n, k, block, bias, ys, col0); break;
            case 3: tiles_of<3>(xs, n, k, block, bias, ys, col0); break;
            case 2: tiles_of<2>(xs, n, k, block, bias, ys, col0); break;
            case 1: tiles_of<1>(xs, n, k, block, bias, ys, col0); break;
            default: break;
        }
    };
    run(0, split, size + 1);
    run(split, rows - split, size);
}

// Below this many multiply-adds (~25 us on one core) a product stays on one thread.
constexpr double kParallelMacs = 1e6;

}  // namespace

int64_t dense_block_width() {
    return kBlock;
}

PackedKernel pack_kernel(const Tensor& kernel) {
    ATTN_CHECK(kernel.rank() == 2, "pack_kernel takes [in, out]");
    PackedKernel p;
    p.in = kernel.dim(0);
    p.out = kernel.dim(1);
    const int64_t blocks = (p.out + kBlock - 1) / kBlock;
    p.blocks.assign(static_cast<size_t>(blocks * p.in * kBlock), 0.0f);
    for (int64_t c = 0; c < blocks; ++c)
        for (int64_t k = 0; k < p.in; ++k)
            for (int64_t j = 0; j < kBlock && c * kBlock + j < p.out; ++j)
                p.blocks[(c * p.in + k) * kBlock + j] = kernel.data[k * p.out + c * kBlock + j];
    return p;
}

void dense_rows(const float* x, int64_t rows, const PackedKernel& k, const float* bias, float* y) {
    if (rows <= 0) return;
    const int64_t blocks = (k.out + kBlock - 1) / kBlock;
    // Dynamic: on a busy machine a thread that is descheduled holds up one block, not half the product.
#pragma omp parallel for schedule(dynamic, \
                                  2) if (blocks > 1 && static_cast <double>(rows) * k.in * k.out > kParallelMacs)
    for (int64_t c = 0; c < blocks; ++c)
        column_block(x, rows, k, c, bias, y);
}

}  // namespace attn
