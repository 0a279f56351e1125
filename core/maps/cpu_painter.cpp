#include "maps/map_painter.h"

#include "errors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace attn {

namespace {

// The same limit as for loaded images: a picture larger than this is a mistake, not a map.
constexpr int64_t kMaxSide = 16384;

// Where output pixel i of out_n samples an axis of in_n cells: the left cell, the right cell and
// the weight of the right one. Pixel centres, clamped at the borders (align_corners=False).
struct Tap {
    int64_t i0, i1;
    float f;
};

std::vector<Tap> bilinear_taps(int64_t out_n, int64_t in_n) {
    std::vector<Tap> taps(static_cast<size_t>(out_n));
    const double scale = static_cast<double>(in_n) / static_cast<double>(out_n);
    for (int64_t i = 0; i < out_n; ++i) {
        double src = (static_cast<double>(i) + 0.5) * scale - 0.5;
        src = std::clamp(src, 0.0, static_cast<double>(in_n - 1));
        const auto i0 = static_cast<int64_t>(std::floor(src));
        const int64_t i1 = std::min(i0 + 1, in_n - 1);
        taps[static_cast<size_t>(i)] = {i0, i1, static_cast<float>(src - static_cast<double>(i0))};
    }
    return taps;
}

// The cell pixel i of out_n falls in, sampling at its centre (what GL_NEAREST does).
std::vector<int64_t> nearest_cells(int64_t out_n, int64_t in_n) {
    std::vector<int64_t> cells(static_cast<size_t>(out_n));
    for (int64_t i = 0; i < out_n; ++i)
        cells[static_cast<size_t>(i)] =
            std::min<int64_t>(in_n - 1, static_cast<int64_t>((static_cast<double>(i) + 0.5) * in_n / out_n));
    return cells;
}

// v -> t in [0, 1] on the field's range; NaN stays NaN, ±inf go to the ends.
std::vector<float> normalised(const FieldPaint& f) {
    const int64_t n = f.rows * f.cols;
    std::vector<float> t(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        t[static_cast<size_t>(i)] = colour_position(f.values[i], f.lo, f.hi);
    return t;
}

}  // namespace

float colour_position(float v, float lo_f, float hi_f) {
    // In double: lo and hi may be far apart (-1e9 fills) or almost equal.
    const double lo = lo_f, range = static_cast<double>(hi_f) - lo;
    if (std::isnan(v)) return v;
    if (!(range > 0.0)) return 0.5f;  // a constant map: no cell stands out
    return static_cast<float>(std::clamp((v - lo) / range, 0.0, 1.0));
}

std::array<uint8_t, 3> value_colour(float v, float lo, float hi, Colormap colormap) {
    return colormap_rgb(colormap, colour_position(v, lo, hi));
}

void check_field(const FieldPaint& f) {
    if (f.values == nullptr || f.rows < 1 || f.cols < 1 || f.rows > kMaxSide || f.cols > kMaxSide)
        throw ShapeError("map: values [" + std::to_string(f.rows) + ", " + std::to_string(f.cols) + "] must be 1.." +
                         std::to_string(kMaxSide) + " on each side");
    if (f.width < 1 || f.height < 1 || f.width > kMaxSide || f.height > kMaxSide)
        throw ConfigError("map: a picture of " + std::to_string(f.width) + " x " + std::to_string(f.height) +
                          " px cannot be drawn (1.." + std::to_string(kMaxSide) + " px a side)");
    if (!(f.opacity >= 0.0f && f.opacity <= 1.0f))
        throw ConfigError("overlay opacity must be in [0, 1], got " + std::to_string(f.opacity));
    if (f.background) {
        const Tensor& bg = *f.background;
        if (bg.rank() != 3 || bg.shape[0] != 3 || bg.shape[1] < 1 || bg.shape[2] < 1 || bg.dtype != DType::F32 ||
            bg.numel() != shape_numel(bg.shape) || bg.shape[1] > kMaxSide || bg.shape[2] > kMaxSide)
            throw ShapeError("map: the picture under it is " + shape_string(bg.shape) + ", expected F32 [3, H, W] of " +
                             "at most " + std::to_string(kMaxSide) + " px a side");
    }
}

RgbImage CpuPainter::paint(const FieldPaint& f) {
    check_field(f);
    const std::vector<float> t = normalised(f);
    const int64_t W = f.width, H = f.height;
    RgbImage out;
    out.width = f.width;
    out.height = f.height;
    out.pixels.resize(static_cast<size_t>(W * H * 3));

    // 1. t at every pixel centre, 2. its colour.
    std::vector<float> sampled(static_cast<size_t>(W));
    const std::vector<Tap> ys = bilinear_taps(H, f.rows), xs = bilinear_taps(W, f.cols);
    const std::vector<int64_t> ny = nearest_cells(H, f.rows), nx = nearest_cells(W, f.cols);
    // 3. The picture under it, sampled bilinearly at the same centres when it has another size.
    const Tensor* bg = f.background;
    const int64_t bg_h = bg ? bg->shape[1] : 0, bg_w = bg ? bg->shape[2] : 0;
    const bool same_size = bg_h == H && bg_w == W;
    std::vector<Tap> bys, bxs;
    if (bg) {
        bys = bilinear_taps(H, bg_h);
        bxs = bilinear_taps(W, bg_w);
    }
    for (int64_t y = 0; y < H; ++y) {
        if (f.bilinear) {
            const Tap& ty = ys[static_cast<size_t>(y)];
            const float* row0 = t.data() + ty.i0 * f.cols;
            const float* row1 = t.data() + ty.i1 * f.cols;
            for (int64_t x = 0; x < W; ++x) {
                const Tap& tx = xs[static_cast<size_t>(x)];
                const float top = row0[tx.i0] + (row0[tx.i1] - row0[tx.i0]) * tx.f;
                const float bottom = row1[tx.i0] + (row1[tx.i1] - row1[tx.i0]) * tx.f;
                sampled[static_cast<size_t>(x)] = top + (bottom - top) * ty.f;
            }
        } else {
            const float* row = t.data() + ny[static_cast<size_t>(y)] * f.cols;
            for (int64_t x = 0; x < W; ++x)
                sampled[static_cast<size_t>(x)] = row[nx[static_cast<size_t>(x)]];
        }
        for (int64_t x = 0; x < W; ++x) {
            const std::array<uint8_t, 3> colour = colormap_rgb(f.colormap, sampled[static_cast<size_t>(x)]);
            uint8_t* p = out.pixels.data() + (y * W + x) * 3;
            if (!bg) {
                p[0] = colour[0];
                p[1] = colour[1];
                p[2] = colour[2];
                continue;
            }
            const int64_t plane = bg_w * bg_h;
            const Tap& by = bys[static_cast<size_t>(y)];
            const Tap& bx = bxs[static_cast<size_t>(x)];
            for (int64_t c = 0; c < 3; ++c) {
                const float* ch = bg->ptr() + c * plane;
                auto at = [&](int64_t yy, int64_t xx) { return std::clamp(ch[yy * bg_w + xx], 0.0f, 1.0f); };
                float under = 0.0f;
                if (same_size) {
                    under = at(y, x) * 255.0f;
                } else {
                    const float top = at(by.i0, bx.i0) + (at(by.i0, bx.i1) - at(by.i0, bx.i0)) * bx.f;
                    const float bottom = at(by.i1, bx.i0) + (at(by.i1, bx.i1) - at(by.i1, bx.i0)) * bx.f;
                    under = (top + (bottom - top) * by.f) * 255.0f;
                }
                const float v = (1.0f - f.opacity) * under + f.opacity * colour[static_cast<size_t>(c)];
                p[c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
            }
        }
    }
    return out;
}

}  // namespace attn
