#include "image/image.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <stb_image.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <vector>

namespace attn {

namespace {

std::string stb_reason() {
    const char* why = stbi_failure_reason();
    return why ? why : "no reason given";
}

std::string size_text(int64_t width, int64_t height) {
    return std::to_string(width) + " x " + std::to_string(height);
}

bool too_large(int64_t width, int64_t height) {
    return width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels;
}

[[noreturn]] void refuse_size(const std::string& name, int64_t width, int64_t height) {
    throw FileError(name + ": the image header claims " + size_text(width, height) +
                    " pixels (width x height), more than the limit of " + size_text(kMaxImageSide, kMaxImageSide) +
                    " and 2^28 pixels; not decoded");
}

// stb's own header scan already fails on PNGs of more than 2^30 bytes ("too large"), so it never
// tells us the size; read it from the IHDR chunk so the message can say what the file claims.
bool png_header_size(const uint8_t* data, size_t size, int64_t* width, int64_t* height) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (size < 24) return false;
    for (int i = 0; i < 8; ++i)
        if (data[i] != signature[i]) return false;
    if (data[12] != 'I' || data[13] != 'H' || data[14] != 'D' || data[15] != 'R') return false;
    auto be32 = [&](size_t at) {
        return (int64_t{data[at]} << 24) | (int64_t{data[at + 1]} << 16) | (int64_t{data[at + 2]} << 8) |
               int64_t{data[at + 3]};
    };
    *width = be32(16);
    *height = be32(20);
    return true;
}

// stb_image 2.27 (Debian's libstb) trusts the code counts of a JPEG Huffman table: a corrupt
// DHT segment that declares more than 256 codes overruns its tables (stb issues #1289 and #1291,
// fixed in 2.28). Walk the segments the way stb reads them and report such a table, so that the
// file is refused before stb decodes it. Returns "" when nothing is wrong (or it is no JPEG).
std::string jpeg_huffman_problem(const uint8_t* d, size_t n) {
    if (n < 2 || d[0] != 0xFF || d[1] != 0xD8) return "";
    auto byte = [&](size_t at) -> unsigned { return at < n ? d[at] : 0u; };  // 0 past the end, as stb
    size_t p = 2;
    while (p + 1 < n) {
        const unsigned m = d[p + 1];
        // Outside a marker (entropy-coded data), fill bytes, stuffed 0xFF00, RSTn, TEM and SOI.
        if (d[p] != 0xFF || m == 0xFF) {
            ++p;
            continue;
        }
        if (m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) {
            p += 2;
            continue;
        }
        if (m == 0xD9) break;  // EOI
        const size_t len = (byte(p + 2) << 8) | byte(p + 3);
        if (m == 0xC4) {
            int64_t left = static_cast<int64_t>(len) - 2;
            size_t q = p + 4;
            while (left > 0 && q < n) {
                unsigned codes = 0;
                for (size_t i = 1; i <= 16; ++i)
                    codes += byte(q + i);
                if (codes > 256)
                    return "corrupt JPEG: a Huffman table declares " + std::to_string(codes) +
                           " codes, at most 256 exist";
                q += 17 + codes;
                left -= 17 + static_cast<int64_t>(codes);
            }
        }
        p += 2 + std::max<size_t>(len, 2);
    }
    return "";
}

// stb's format probes run in turn and the PNG probe leaves "bad png sig" as the failure reason;
// a JPEG whose data stb cannot finish then fails with that stale reason. Say what is meant.
std::string decode_reason(const uint8_t* data, size_t size) {
    static const uint8_t png[4] = {0x89, 'P', 'N', 'G'};
    const std::string why = stb_reason();
    const bool is_png = size >= 4 && std::equal(png, png + 4, data);
    if (why == "bad png sig" && !is_png) return "truncated or corrupt image data";
    return why;
}

bool may_be_16_bit(const uint8_t* data, size_t size) {
    static const uint8_t png[4] = {0x89, 'P', 'N', 'G'};
    static const uint8_t psd[4] = {'8', 'B', 'P', 'S'};
    if (size < 4) return false;
    return std::equal(png, png + 4, data) || std::equal(psd, psd + 4, data);
}

struct StbFree {
    void operator()(void* p) const { stbi_image_free(p); }
};

// Interleaved [h, w, 3] samples to planar [3, h, w] floats.
template <typename Sample>
Tensor planar_from_interleaved(const Sample* px, int width, int height, float max_value) {
    const int64_t plane = int64_t{width} * height;
    Tensor rgb({3, height, width});
    float* out = rgb.ptr();
    // Divided, not multiplied by 1/max: v / 255 is then bit-identical to other decoders' floats.
    for (int64_t i = 0; i < plane; ++i)
        for (int64_t c = 0; c < 3; ++c)
            out[c * plane + i] = static_cast<float>(px[i * 3 + c]) / max_value;
    return rgb;
}

// The pixels a cell covers along one axis, with the weight of each (covered length / cell length).
struct CellSpan {
    int64_t first = 0;
    std::vector<double> weights;
};

std::vector<CellSpan> box_spans(int64_t cells, int64_t pixels) {
    std::vector<CellSpan> spans(static_cast<size_t>(cells));
    const double cell_len = static_cast<double>(pixels) / static_cast<double>(cells);
    for (int64_t c = 0; c < cells; ++c) {
        // Integer products first, so that shared borders are the same double on both sides.
        const double lo = static_cast<double>(c * pixels) / static_cast<double>(cells);
        const double hi = static_cast<double>((c + 1) * pixels) / static_cast<double>(cells);
        const auto first = static_cast<int64_t>(std::floor(lo));
        const auto last = std::min<int64_t>(static_cast<int64_t>(std::ceil(hi)), pixels);
        CellSpan& span = spans[static_cast<size_t>(c)];
        span.first = first;
        for (int64_t p = first; p < last; ++p) {
            const double overlap = std::min(hi, static_cast<double>(p + 1)) - std::max(lo, static_cast<double>(p));
            span.weights.push_back(overlap / cell_len);
        }
    }
    return spans;
}

// Step 1 of decoding, the header only: refuses what is not an image, or too large, before any
// pixel is decoded. Returns the size the header claims.
ImageSize check_header(const uint8_t* data, size_t size, const std::string& name) {
    if (size == 0) throw FileError(name + ": empty file, not an image");
    if (size > static_cast<size_t>(INT_MAX))
        throw FileError(name + ": " + std::to_string(size) + " bytes is more than stb_image can read (2 GiB)");
    const int len = static_cast<int>(size);
    int width = 0, height = 0, channels = 0;
    if (!stbi_info_from_memory(data, len, &width, &height, &channels)) {
        const std::string why = stb_reason();
        int64_t w = 0, h = 0;
        if (png_header_size(data, size, &w, &h) && too_large(w, h)) refuse_size(name, w, h);
        throw FileError(name + ": not an image stb_image can read (" + why + ")");
    }
    // Defensive: stb's header scan is not meant to succeed without a size, but never trust it.
    if (width <= 0 || height <= 0)
        throw FileError(name + ": the image header is incomplete or corrupt (stb_image reads " +
                        size_text(width, height) + " pixels)");
    if (too_large(width, height)) refuse_size(name, width, height);
    const std::string jpeg_problem = jpeg_huffman_problem(data, size);
    if (!jpeg_problem.empty()) throw FileError(name + ": " + jpeg_problem);
    return {width, height};
}

}  // namespace

ImageSize probe_image(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return check_header(bytes.data(), bytes.size(), path);
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name, const BeforeDecode& before_decode) {
    const ImageSize claimed = check_header(data, size, name);
    if (before_decode) before_decode(claimed);
    const int len = static_cast<int>(size);

    // 2. Decode to 3 channels: stb copies grey to R, G and B and drops alpha.
    // Only PNG and PSD have 16-bit samples. Asking stb about other formats would leave its
    // "bad png sig" as the failure reason of, say, a broken JPEG.
    const bool sixteen = may_be_16_bit(data, size) && stbi_is_16_bit_from_memory(data, len) != 0;
    int w = 0, h = 0, file_channels = 0;
    Tensor rgb;
    if (sixteen) {
        std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(data, len, &w, &h, &file_channels, 3));
        if (!px) throw FileError(name + ": cannot decode the image (" + decode_reason(data, size) + ")");
        if (too_large(w, h)) refuse_size(name, w, h);
        rgb = planar_from_interleaved(px.get(), w, h, 65535.0f);
    } else {
        std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &file_channels, 3));
        if (!px) throw FileError(name + ": cannot decode the image (" + decode_reason(data, size) + ")");
        if (too_large(w, h)) refuse_size(name, w, h);
        rgb = planar_from_interleaved(px.get(), w, h, 255.0f);
    }
    Image image;
    image.width = w;
    image.height = h;
    image.rgb = std::move(rgb);
    image.name = name;
    return image;
}

Image load_image(const std::string& path, const BeforeDecode& before_decode) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return decode_image(bytes.data(), bytes.size(), path, before_decode);
}

Tensor area_average(const Image& image, int64_t grid_h, int64_t grid_w, const std::function<void()>& between_bands) {
    const int64_t H = image.height, W = image.width;
    if (image.rgb.shape != Shape{3, H, W})
        throw ShapeError("image.rgb is " + shape_string(image.rgb.shape) + ", expected [3, " + std::to_string(H) +
                         ", " + std::to_string(W) + "] ([3, height, width])");
    if (grid_h <= 0 || grid_w <= 0)
        throw ConfigError("the grid must be at least 1 x 1 cells, got grid_h x grid_w = " + std::to_string(grid_h) +
                          " x " + std::to_string(grid_w));
    if (grid_h > H || grid_w > W)
        throw ConfigError((image.name.empty() ? "" : image.name + ": ") +
                          "the grid (grid_h x grid_w = " + std::to_string(grid_h) + " x " + std::to_string(grid_w) +
                          ") is larger than the image (height x width = " + std::to_string(H) + " x " +
                          std::to_string(W) + "); area averaging only shrinks");
    if (grid_h == H && grid_w == W) return image.rgb;

    // Separable, one channel at a time: 1. along x, rows stay: [H, grid_w]; 2. along y:
    // [grid_h, grid_w]. Sums are taken in double; the intermediate rows are kept in float, which
    // halves the memory a 2^28-pixel image needs.
    const std::vector<CellSpan> xs = box_spans(grid_w, W);
    const std::vector<CellSpan> ys = box_spans(grid_h, H);
    std::vector<float> rows(static_cast<size_t>(H * grid_w));
    Tensor out({3, grid_h, grid_w});
    // Step 1 reads every pixel and takes nearly all the time: it offers to stop every band.
    const int64_t band_rows = std::max<int64_t>(1, (int64_t{1} << 20) / W);
    for (int64_t c = 0; c < 3; ++c) {
        const float* plane = image.rgb.ptr() + c * H * W;
        for (int64_t y = 0; y < H; ++y) {
            if (between_bands && y % band_rows == 0) between_bands();
            const float* line = plane + y * W;
            for (int64_t gx = 0; gx < grid_w; ++gx) {
                const CellSpan& span = xs[static_cast<size_t>(gx)];
                double acc = 0.0;
                for (size_t k = 0; k < span.weights.size(); ++k)
                    acc += span.weights[k] * line[span.first + static_cast<int64_t>(k)];
                rows[static_cast<size_t>(y * grid_w + gx)] = static_cast<float>(acc);
            }
        }
        float* dst = out.ptr() + c * grid_h * grid_w;
        for (int64_t gy = 0; gy < grid_h; ++gy) {
            const CellSpan& span = ys[static_cast<size_t>(gy)];
            for (int64_t gx = 0; gx < grid_w; ++gx) {
                double acc = 0.0;
                for (size_t k = 0; k < span.weights.size(); ++k) {
                    const int64_t y = span.first + static_cast<int64_t>(k);
                    acc += span.weights[k] * rows[static_cast<size_t>(y * grid_w + gx)];
                }
                dst[gy * grid_w + gx] = static_cast<float>(acc);
            }
        }
    }
    return out;
}

}  // namespace attn
