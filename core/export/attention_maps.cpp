#include "export/attention_maps.h"

#include "errors.h"
#include "text/utf8.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attn {

namespace {

// The same limit as for loaded images: a picture larger than this is a mistake, not a map.
constexpr int64_t kMaxSide = 16384;

// Cells of at least this many pixels on the long side when there is no background image.
constexpr int64_t kMinAloneSide = 256;

RgbImage blank_image(int64_t width, int64_t height) {
    RgbImage out;
    out.width = static_cast<int>(width);
    out.height = static_cast<int>(height);
    out.pixels.assign(static_cast<size_t>(width * height * 3), 0);
    return out;
}

void put(RgbImage& img, int64_t x, int64_t y, const std::array<uint8_t, 3>& rgb) {
    uint8_t* p = img.pixels.data() + (y * img.width + x) * 3;
    p[0] = rgb[0];
    p[1] = rgb[1];
    p[2] = rgb[2];
}

// Per-map normalisation of the finite weights to [0, 1]; non-finite weights become NaN.
std::vector<float> normalise(const float* weights, int64_t n) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(weights[i])) {
            lo = std::min(lo, weights[i]);
            hi = std::max(hi, weights[i]);
        }
    std::vector<float> out(static_cast<size_t>(n));
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Subtract in double: min and max may be far apart (-1e9 fills) or almost equal.
    const double range = static_cast<double>(hi) - static_cast<double>(lo);
    for (int64_t i = 0; i < n; ++i) {
        const float w = weights[i];
        if (!std::isfinite(w))
            out[static_cast<size_t>(i)] = nan;
        else if (!(range > 0.0))
            out[static_cast<size_t>(i)] = 0.5f;  // a constant map: no cell stands out
        else
            out[static_cast<size_t>(i)] = static_cast<float>((w - static_cast<double>(lo)) / range);
    }
    return out;
}

// Where output pixel `i` of `out_n` samples an axis of `in_n` cells: the left cell, the right cell
// and the weight of the right one. Pixel centres, clamped at the borders (align_corners=False).
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

std::string hex(unsigned value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x", value);
    return buf;
}

}  // namespace

RgbImage render_cross_map(const float* weights, int64_t grid_h, int64_t grid_w, const Tensor* background, Colormap cmap,
                          float opacity) {
    if (grid_h <= 0 || grid_w <= 0 || grid_h > kMaxSide || grid_w > kMaxSide)
        throw ShapeError("cross-attention map: grid [h, w] = [" + std::to_string(grid_h) + ", " +
                         std::to_string(grid_w) + "] must be 1.." + std::to_string(kMaxSide) + " on each side");
    ATTN_CHECK(weights != nullptr, "render_cross_map: weights is null");
    if (!(opacity >= 0.0f && opacity <= 1.0f))
        throw ConfigError("overlay opacity must be in [0, 1], got " + std::to_string(opacity));
    const std::vector<float> norm = normalise(weights, grid_h * grid_w);

    if (background == nullptr) {
        // The map alone: whole pixels per cell, so every cell is a solid square of its colour.
        const int64_t cell =
            std::max<int64_t>(1, (kMinAloneSide + std::max(grid_h, grid_w) - 1) / std::max(grid_h, grid_w));
        RgbImage out = blank_image(grid_w * cell, grid_h * cell);
        for (int64_t y = 0; y < grid_h * cell; ++y)
            for (int64_t x = 0; x < grid_w * cell; ++x)
                put(out, x, y, colormap_rgb(cmap, norm[static_cast<size_t>((y / cell) * grid_w + x / cell)]));
        return out;
    }

    const Tensor& bg = *background;
    if (bg.rank() != 3 || bg.shape[0] != 3 || bg.shape[1] < 1 || bg.shape[2] < 1 || bg.dtype != DType::F32 ||
        bg.numel() != shape_numel(bg.shape))
        throw ShapeError("cross-attention map: background image is " + shape_string(bg.shape) +
                         ", expected F32 [3, H, W]");
    const int64_t H = bg.shape[1], W = bg.shape[2];
    if (H > kMaxSide || W > kMaxSide)
        throw ShapeError("cross-attention map: background " + shape_string(bg.shape) + " is larger than " +
                         std::to_string(kMaxSide) + " px a side");

    // 1. Normalised weights sampled at every pixel; 2. colour-mapped; 3. blended over the image.
    const std::vector<Tap> ys = bilinear_taps(H, grid_h);
    const std::vector<Tap> xs = bilinear_taps(W, grid_w);
    RgbImage out = blank_image(W, H);
    const int64_t plane = H * W;
    for (int64_t y = 0; y < H; ++y) {
        const Tap& ty = ys[static_cast<size_t>(y)];
        const float* row0 = norm.data() + ty.i0 * grid_w;
        const float* row1 = norm.data() + ty.i1 * grid_w;
        for (int64_t x = 0; x < W; ++x) {
            const Tap& tx = xs[static_cast<size_t>(x)];
            const float top = row0[tx.i0] + (row0[tx.i1] - row0[tx.i0]) * tx.f;
            const float bottom = row1[tx.i0] + (row1[tx.i1] - row1[tx.i0]) * tx.f;
            // A NaN neighbour makes the pixel NaN (NaN * 0 is NaN): a NaN cell is never hidden.
            const std::array<uint8_t, 3> colour = colormap_rgb(cmap, top + (bottom - top) * ty.f);
            uint8_t* p = out.pixels.data() + (y * W + x) * 3;
            for (int64_t c = 0; c < 3; ++c) {
                const float under =
                    std::clamp(bg.data[static_cast<size_t>(c * plane + y * W + x)], 0.0f, 1.0f) * 255.0f;
                const float v = (1.0f - opacity) * under + opacity * colour[static_cast<size_t>(c)];
                p[c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
            }
        }
    }
    return out;
}

RgbImage render_matrix_map(const float* weights, int64_t seq_q, int64_t seq_k, const std::vector<bool>& key_is_pad,
                           Colormap cmap, int cell_px) {
    if (seq_q <= 0 || seq_k <= 0)
        throw ShapeError("attention matrix: [seq_q, seq_k] = [" + std::to_string(seq_q) + ", " + std::to_string(seq_k) +
                         "] must be at least [1, 1]");
    if (!key_is_pad.empty() && static_cast<int64_t>(key_is_pad.size()) != seq_k)
        throw ShapeError("attention matrix: key_is_pad has " + std::to_string(key_is_pad.size()) +
                         " entries, expected seq_k = " + std::to_string(seq_k));
    if (cell_px < 1) throw ConfigError("cell size must be at least 1 px, got " + std::to_string(cell_px));
    ATTN_CHECK(weights != nullptr, "render_matrix_map: weights is null");
    const int64_t pitch = int64_t{cell_px} + 1;  // a cell and the grid line after it
    if (seq_q > (kMaxSide - 1) / pitch || seq_k > (kMaxSide - 1) / pitch)
        throw ConfigError("attention matrix [" + std::to_string(seq_q) + ", " + std::to_string(seq_k) + "] with " +
                          std::to_string(cell_px) + " px cells would be larger than " + std::to_string(kMaxSide) +
                          " px a side; choose smaller cells");
    const int64_t width = seq_k * pitch + 1, height = seq_q * pitch + 1;
    RgbImage out = blank_image(width, height);
    // Grid lines everywhere first; cells are painted inside them.
    for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x)
            put(out, x, y, kGridLineColour);

    // Hatch lines run diagonally through the whole column (in picture coordinates, so they
    // continue from one cell to the next), one every `spacing` px.
    const int64_t spacing = std::max<int64_t>(4, cell_px / 3);
    for (int64_t i = 0; i < seq_q; ++i)
        for (int64_t j = 0; j < seq_k; ++j) {
            const float w = weights[i * seq_k + j];
            const bool nan = std::isnan(w);
            const std::array<uint8_t, 3> fill = colormap_rgb(cmap, w);
            const bool pad = !key_is_pad.empty() && key_is_pad[static_cast<size_t>(j)];
            const int64_t x0 = j * pitch + 1, y0 = i * pitch + 1;
            for (int64_t dy = 0; dy < cell_px; ++dy)
                for (int64_t dx = 0; dx < cell_px; ++dx) {
                    const int64_t x = x0 + dx, y = y0 + dy;
                    if (pad && (x + y) % spacing == 0)
                        put(out, x, y, kPadHatchColour);
                    else if (nan && cell_px >= 3 && (dx == dy || dx == cell_px - 1 - dy))
                        put(out, x, y, kNanCrossColour);
                    else
                        put(out, x, y, fill);
                }
        }
    return out;
}

std::string file_safe_token(const std::string& token) {
    constexpr size_t kMaxChars = 24;
    std::vector<std::string> pieces;
    try {
        for (char32_t cp : decode_utf8(token, "token")) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-' || cp == '_')
                pieces.emplace_back(1, static_cast<char>(cp));
            else if (cp >= 'A' && cp <= 'Z')
                pieces.emplace_back(1, static_cast<char>(cp - 'A' + 'a'));
            else
                pieces.push_back("u" + hex(static_cast<unsigned>(cp)));
        }
    } catch (const TextError&) {
        pieces.clear();
        for (unsigned char byte : token)
            pieces.push_back("x" + hex(byte));
    }
    std::string name;
    for (const std::string& piece : pieces) {
        if (name.size() + piece.size() > kMaxChars) break;
        name += piece;
    }
    return name;
}

}  // namespace attn
