// Pillow's 8-bit resampling, reproduced operation for operation. The double arithmetic below is
// written in Pillow's order on purpose (core/CMakeLists.txt compiles this file with
// -ffp-contract=off, so that no a * b + c becomes an FMA, which rounds differently): a weight
// that rounds to another fixed-point integer moves an output pixel by one level.
#include "image/resample.h"

#include "errors.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace attn {

namespace {

constexpr double kPi = 3.14159265358979323846;  // M_PI

// The filter kernels of libImaging/Resample.c, each with its support (half-width, in pixels).
double box_filter(double x) {
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * kPi;
    // Pillow writes the window's constants as floats (0.54f, 0.46f); they are widened to double.
    return std::sin(x) / x * (double(0.54f) + double(0.46f) * std::cos(x));
}

double bicubic_filter(double x) {
    constexpr double a = -0.5;  // Keys' cubic convolution, as Pillow
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

double sinc_filter(double x) {
    if (x == 0.0) return 1.0;
    x = x * kPi;
    return std::sin(x) / x;
}

double lanczos_filter(double x) {
    if (-3.0 <= x && x < 3.0) return sinc_filter(x) * sinc_filter(x / 3);  // sinc windowed by sinc
    return 0.0;
}

struct Kernel {
    double (*weight)(double);
    double support;
};

Kernel kernel_of(ResampleFilter filter) {
    switch (filter) {
        case ResampleFilter::Box:
            return {box_filter, 0.5};
        case ResampleFilter::Bilinear:
            return {bilinear_filter, 1.0};
        case ResampleFilter::Hamming:
            return {hamming_filter, 1.0};
        case ResampleFilter::Bicubic:
            return {bicubic_filter, 2.0};
        case ResampleFilter::Lanczos:
            return {lanczos_filter, 3.0};
        case ResampleFilter::Nearest:
            break;
    }
    throw InternalError("kernel_of: nearest has no kernel");
}

// 8 bits of result, 2 for the overflow of negative lobes, the rest fraction (PRECISION_BITS).
constexpr int kPrecisionBits = 32 - 8 - 2;

// For each output pixel along one axis: the first input pixel it reads, how many, and their
// fixed-point weights (row `i` of `weights`, `taps` wide; unused entries are 0).
struct Taps {
    int taps = 0;
    std::vector<int> first, count;
    std::vector<int32_t> weights;  // [out, taps]
};

Taps precompute_taps(int in_size, int out_size, const Kernel& kernel) {
    // Pillow's box is float; (double)(in1 - in0) with in0 = 0.
    const double scale = double(float(in_size) - 0.0f) / out_size;
    const double filter_scale = std::max(scale, 1.0);  // widened when shrinking: the antialiasing
    const double support = kernel.support * filter_scale;
    Taps t;
    t.taps = int(std::ceil(support)) * 2 + 1;
    t.first.resize(out_size);
    t.count.resize(out_size);
    t.weights.assign(size_t(out_size) * size_t(t.taps), 0);
    std::vector<double> w(size_t(t.taps));
    for (int i = 0; i < out_size; ++i) {
        const double center = 0.0 + (i + 0.5) * scale;
        const double inv = 1.0 / filter_scale;
        // Truncation, as Pillow's (int) casts: these are its rounding of the window's ends.
        int lo = int(center - support + 0.5);
        if (lo < 0) lo = 0;
        int hi = int(center + support + 0.5);
        if (hi > in_size) hi = in_size;
        const int n = hi - lo;
        ATTN_CHECK(n >= 0 && n <= t.taps, "resample window fits its taps");
        double total = 0.0;
        for (int k = 0; k < n; ++k) {
            w[size_t(k)] = kernel.weight((double(k + lo) - center + 0.5) * inv);
            total += w[size_t(k)];
        }
        int32_t* out = &t.weights[size_t(i) * size_t(t.taps)];
        for (int k = 0; k < n; ++k) {
            const double v = total != 0.0 ? w[size_t(k)] / total : w[size_t(k)];
            // Rounded half away from zero into fixed point (normalize_coeffs_8bpc).
            out[k] = v < 0 ? int32_t(-0.5 + v * (1 << kPrecisionBits)) : int32_t(0.5 + v * (1 << kPrecisionBits));
        }
        t.first[size_t(i)] = lo;
        t.count[size_t(i)] = n;
    }
    return t;
}

// A fixed-point sum (started at one half, so the shift rounds) back to 0..255.
uint8_t clip8(int64_t sum) {
    const int64_t v = sum >> kPrecisionBits;
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// in: [h, in_w, 3] -> [h, out_w, 3]
Rgb8Image horizontal_pass(const Rgb8Image& in, int out_w, const Kernel& kernel) {
    const Taps t = precompute_taps(in.width, out_w, kernel);
    Rgb8Image out;
    out.width = out_w;
    out.height = in.height;
    out.pixels.resize(size_t(out_w) * size_t(in.height) * 3);
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* row = &in.pixels[size_t(y) * size_t(in.width) * 3];
        uint8_t* dst = &out.pixels[size_t(y) * size_t(out_w) * 3];
        for (int x = 0; x < out_w; ++x) {
            const int32_t* k = &t.weights[size_t(x) * size_t(t.taps)];
            const uint8_t* src = row + size_t(t.first[size_t(x)]) * 3;
            int64_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
            for (int j = 0; j < t.count[size_t(x)]; ++j) {
                s0 += int64_t(src[j * 3 + 0]) * k[j];
                s1 += int64_t(src[j * 3 + 1]) * k[j];
                s2 += int64_t(src[j * 3 + 2]) * k[j];
            }
            dst[x * 3 + 0] = clip8(s0);
            dst[x * 3 + 1] = clip8(s1);
            dst[x * 3 + 2] = clip8(s2);
        }
    }
    return out;
}

// in: [in_h, w, 3] -> [out_h, w, 3]
Rgb8Image vertical_pass(const Rgb8Image& in, int out_h, const Kernel& kernel) {
    const Taps t = precompute_taps(in.height, out_h, kernel);
    Rgb8Image out;
    out.width = in.width;
    out.height = out_h;
    out.pixels.resize(size_t(in.width) * size_t(out_h) * 3);
    const size_t stride = size_t(in.width) * 3;
    for (int y = 0; y < out_h; ++y) {
        const int32_t* k = &t.weights[size_t(y) * size_t(t.taps)];
        const uint8_t* src = &in.pixels[size_t(t.first[size_t(y)]) * stride];
        uint8_t* dst = &out.pixels[size_t(y) * stride];
        for (size_t i = 0; i < stride; ++i) {
            int64_t s = 1 << (kPrecisionBits - 1);
            for (int j = 0; j < t.count[size_t(y)]; ++j)
                s += int64_t(src[size_t(j) * stride + i]) * k[j];
            dst[i] = clip8(s);
        }
    }
    return out;
}

// Geometry.c's COORD: floor for the non-negative positions that occur, -1 for negative ones.
int coord(double v) {
    return v < 0.0 ? -1 : int(v);
}

// NEAREST (ImagingScaleAffine): positions start at half a step and are stepped by repeated
// addition, so the rounding of the sum decides which pixel an output takes, as in Pillow.
Rgb8Image nearest(const Rgb8Image& in, int out_w, int out_h) {
    const double ax = double(float(in.width) - 0.0f) / out_w;
    const double ay = double(float(in.height) - 0.0f) / out_h;
    std::vector<int> src_x(size_t(out_w), -1);
    double xo = 0.0 + ax * 0.5;
    for (int x = 0; x < out_w; ++x) {
        const int xin = coord(xo);
        if (xin >= 0 && xin < in.width) src_x[size_t(x)] = xin;
        xo += ax;
    }
    Rgb8Image out;
    out.width = out_w;
    out.height = out_h;
    out.pixels.assign(size_t(out_w) * size_t(out_h) * 3, 0);  // Pillow fills what maps outside with 0
    double yo = 0.0 + ay * 0.5;
    for (int y = 0; y < out_h; ++y) {
        const int yin = coord(yo);
        if (yin >= 0 && yin < in.height) {
            const uint8_t* row = &in.pixels[size_t(yin) * size_t(in.width) * 3];
            uint8_t* dst = &out.pixels[size_t(y) * size_t(out_w) * 3];
            for (int x = 0; x < out_w; ++x) {
                if (src_x[size_t(x)] < 0) continue;
                std::copy_n(row + size_t(src_x[size_t(x)]) * 3, 3, dst + size_t(x) * 3);
            }
        }
        yo += ay;
    }
    return out;
}

}  // namespace

std::string resample_filter_name(ResampleFilter filter) {
    switch (filter) {
        case ResampleFilter::Nearest:
            return "nearest";
        case ResampleFilter::Lanczos:
            return "lanczos";
        case ResampleFilter::Bilinear:
            return "bilinear";
        case ResampleFilter::Bicubic:
            return "bicubic";
        case ResampleFilter::Box:
            return "box";
        case ResampleFilter::Hamming:
            return "hamming";
    }
    return "resample filter " + std::to_string(int(filter));
}

Rgb8Image rgb8_from_image(const Image& image) {
    const int64_t w = image.width, h = image.height;
    if (w < 1 || h < 1 || image.rgb.shape != Shape{3, h, w})
        throw ShapeError(image.name + ": picture pixels are " + shape_string(image.rgb.shape) + ", expected [3, " +
                         std::to_string(h) + ", " + std::to_string(w) + "]");
    const int64_t plane = w * h;
    Rgb8Image out;
    out.width = int(w);
    out.height = int(h);
    out.pixels.resize(size_t(plane) * 3);
    const float* px = image.rgb.ptr();
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < plane; ++i) {
            double v = px[c * plane + i];
            if (!(v > 0.0)) v = 0.0;  // NaN too
            if (v > 1.0) v = 1.0;
            // k / 255 is 257 k / 65535: one rule gives k for 8-bit files and the high byte for
            // 16-bit ones. float32 keeps v * 65535 well within 0.5 of the integer it came from.
            const long sample16 = std::lround(v * 65535.0);
            out.pixels[size_t(i * 3 + c)] = uint8_t(sample16 >> 8);
        }
    return out;
}

Rgb8Image resize_like_pillow(const Rgb8Image& image, int out_width, int out_height, ResampleFilter filter) {
    if (image.width < 1 || image.height < 1 || image.pixels.size() != size_t(image.width) * size_t(image.height) * 3)
        throw ShapeError("resize: picture of " + std::to_string(image.width) + " x " + std::to_string(image.height) +
                         " has " + std::to_string(image.pixels.size()) + " bytes, expected width * height * 3");
    if (out_width < 1 || out_height < 1 || out_width > kMaxImageSide || out_height > kMaxImageSide)
        throw ConfigError("resize: cannot resize " + std::to_string(image.width) + " x " +
                          std::to_string(image.height) + " to " + std::to_string(out_width) + " x " +
                          std::to_string(out_height) + " (each side must be 1.." + std::to_string(kMaxImageSide) + ")");
    const int f = int(filter);
    if (f < 0 || f > 5) throw ConfigError("resize: unknown resample filter " + std::to_string(f) + " (PIL's are 0..5)");
    // Image.resize returns a copy when the size does not change, whatever the filter.
    if (out_width == image.width && out_height == image.height) return image;
    if (filter == ResampleFilter::Nearest) return nearest(image, out_width, out_height);
    const Kernel kernel = kernel_of(filter);
    // Horizontal first, then vertical on the 8-bit intermediate; a side that keeps its size is
    // not filtered at all (Pillow's need_horizontal / need_vertical).
    if (out_width == image.width) return vertical_pass(image, out_height, kernel);
    Rgb8Image across = horizontal_pass(image, out_width, kernel);
    if (out_height == image.height) return across;
    return vertical_pass(across, out_height, kernel);
}

}  // namespace attn
