// Pictures in: the image that cross-attention looks at, decoded with stb_image, and its
// reduction to the grid of the image features (the seed's stage 3 is 40 x 40).
#pragma once

#include "tensor/tensor.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace attn {

struct Image {
    int width = 0, height = 0;
    Tensor rgb;        // F32 [3, height, width], values in [0, 1]; channels first, like a torch image
    std::string name;  // the file it came from, for messages; may be empty
};

// Images larger than this are refused from their header, before any pixel is decoded.
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// The size a picture's header claims, after the checks load_image makes before decoding (not an
// image, too large, a corrupt JPEG table): cheap enough to run when a user picks a file. A file
// whose pixel data is cut short passes this and fails in load_image.
struct ImageSize {
    int width = 0, height = 0;
};
ImageSize probe_image(const std::string& path);

// Called with the header's size once the header is checked, before any pixel is decoded: the
// decoded picture takes 12 bytes a pixel (3 floats), so a caller can refuse one that would not
// fit, or stop there (the app's Cancel), by throwing.
using BeforeDecode = std::function<void(const ImageSize&)>;

// Reads PNG, JPEG, BMP, GIF (first frame), TGA, PSD and the other formats stb_image knows.
//  - Grey and grey+alpha become RGB with the grey copied to the three channels; alpha is
//    dropped (not composited over anything).
//  - 16-bit PNGs are read at 16 bits and divided by 65535; 8-bit images are divided by 255.
//  - Row 0 is the top row. stb's flip-on-load must stay off (its default): GL code flips its
//    texture coordinates instead.
// Every failure is a FileError with one line naming the file, e.g.
// "photo.png: not an image stb_image can read (unknown image type)".
Image load_image(const std::string& path, const BeforeDecode& before_decode = nullptr);

// The same from bytes in memory; `name` is what messages call them.
Image decode_image(const uint8_t* data, size_t size, const std::string& name,
                   const BeforeDecode& before_decode = nullptr);

// Box filter to the grid: each grid cell is the exact area average of the pixels it covers,
// pixels cut by a cell border counting with the covered fraction (451 columns into 40 cells is
// 11.275 columns a cell). Returns F32 [3, grid_h, grid_w]. The mean over the whole image is kept.
// grid_h == height and grid_w == width returns the pixels unchanged.
// Throws ConfigError for a zero or negative grid, or a grid larger than the image in either
// direction (naming image.name, the grid and the image's size); ShapeError when image.rgb is not
// [3, height, width]. `between_bands`, when given, is called before each band of rows (about a
// million pixels): a 2^28-pixel picture takes seconds, and the callback may throw to stop it.
Tensor area_average(const Image& image, int64_t grid_h, int64_t grid_w,
                    const std::function<void()>& between_bands = nullptr);

}  // namespace attn
