// Resizing 8-bit RGB pictures exactly as Pillow's Image.resize does, so that a ViT sees the same
// pixels here as under transformers' ViTImageProcessor (which resizes with Pillow).
//
// Pillow's rules, reproduced bit for bit on uint8 output (libImaging/Resample.c, Geometry.c):
//  - The filters are separable: a horizontal pass, then a vertical pass on the horizontal pass's
//    8-bit result. A pass runs only when that side changes size; the same size is a copy.
//  - Output pixel i along an axis is centred at (i + 0.5) * scale in the input, scale = in / out.
//    Its taps are the input pixels within support * max(scale, 1) of the centre: when shrinking
//    the filter is widened by the scale, which is Pillow's antialiasing.
//  - The taps' weights are normalised to sum 1, then turned into fixed point with 22 fraction
//    bits, rounded half away from zero; sums start at one half and are clipped to [0, 255].
//  - NEAREST is not a filter there but an affine scale: input index = floor of a position that
//    starts at scale / 2 and is stepped by adding scale, in double.
#pragma once

#include "image/image.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// The numbers are PIL's (Image.Resampling), which preprocessor_config.json's "resample" uses.
enum class ResampleFilter : int { Nearest = 0, Lanczos = 1, Bilinear = 2, Bicubic = 3, Box = 4, Hamming = 5 };

// "bilinear", ...
std::string resample_filter_name(ResampleFilter filter);

// An 8-bit RGB picture, interleaved like Pillow's and numpy's: pixels[(y * width + x) * 3 + c].
struct Rgb8Image {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // [height, width, 3]
};

// The 8-bit values of a picture load_image decoded. An 8-bit file's floats are exactly k / 255
// and come back as k. A 16-bit PNG's sample v comes back as v >> 8, the high byte, which is what
// Pillow keeps when it opens a 16-bit RGB(A) PNG. Values are clamped to [0, 1] first.
// ShapeError when image.rgb is not [3, height, width].
Rgb8Image rgb8_from_image(const Image& image);

// The resized picture, [out_height, out_width, 3]. ConfigError for a size under 1 or over
// kMaxImageSide, naming both sizes; ShapeError when the pixels are not [height, width, 3].
Rgb8Image resize_like_pillow(const Rgb8Image& image, int out_width, int out_height, ResampleFilter filter);

}  // namespace attn
