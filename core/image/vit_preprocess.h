// A ViT's input, made as transformers' ViTImageProcessor makes it from preprocessor_config.json:
//   1. the picture as 8-bit RGB (grey copied to the three channels, alpha dropped, as Pillow's
//      convert("RGB") does);
//   2. resized to size.height x size.width, ignoring the aspect ratio, with Pillow's filter
//      `resample` (image/resample.h: bit-identical to Pillow on the uint8 result);
//   3. rescaled: float64(x) * rescale_factor, then cast to float32 (image_transforms.rescale);
//   4. normalised per channel in float32: (x - mean) / std (image_transforms.normalize);
//   5. channels first: [3, height, width].
//
// Exactness is promised (and tested against Pillow) for PNG. A JPEG decoded by stb_image
// differs from Pillow's libjpeg decode by a level or two, at most 3, in a few percent of its
// samples (their IDCT and chroma upsampling differ: measured on the bundled photographs saved as
// JPEG at quality 75 and 90), which is up to ~0.05 in pixel_values after normalisation.
#pragma once

#include "image/image.h"
#include "image/resample.h"
#include "tensor/tensor.h"

#include <array>
#include <cstdint>
#include <string>

namespace attn {

// The fields of preprocessor_config.json that ViTImageProcessor uses; a missing field (or null,
// where transformers treats null as "use the default") gets ViTImageProcessor's default.
struct VitPreprocessConfig {
    bool do_resize = true;
    // "size": {"height": h, "width": w}, or one integer s for {s, s}, or a list [h, w].
    // {"shortest_edge": ...} is refused with a ConfigError: ViTImageProcessor refuses it too.
    int64_t height = 224, width = 224;
    ResampleFilter resample = ResampleFilter::Bilinear;
    bool do_rescale = true;
    double rescale_factor = 1.0 / 255.0;
    bool do_normalize = true;
    // One number in the file is used for the three channels. Defaults: IMAGENET_STANDARD_*.
    std::array<double, 3> image_mean{0.5, 0.5, 0.5};
    std::array<double, 3> image_std{0.5, 0.5, 0.5};
    // transformers' default is None (no conversion). attnscope's pictures are always RGB by the
    // time they get here (load_image makes them so), so this changes nothing and is kept for
    // completeness.
    bool do_convert_rgb = false;
};

// Reads a preprocessor_config.json. FileError naming the file (and the field) when it cannot be
// read, is not a JSON object, or a field has the wrong type or an impossible value (a size under
// 1 or over kMaxImageSide, a resample outside 0..5, a mean/std list that is not 3 numbers, a zero
// std); ConfigError for a size that ViTImageProcessor does not accept ({"shortest_edge": ...}).
// Fields ViTImageProcessor does not use (crop_size, image_processor_type...) are ignored.
VitPreprocessConfig parse_preprocessor_config(const std::string& path);
// The same from the file's text; `name` is what messages call it.
VitPreprocessConfig parse_preprocessor_config_text(const std::string& text, const std::string& name);

// pixel_values for one picture: F32 [3, H, W], H x W = the config's size when do_resize, the
// picture's own size otherwise.
Tensor vit_pixel_values(const Image& image, const VitPreprocessConfig& config);
Tensor vit_pixel_values(const Rgb8Image& image, const VitPreprocessConfig& config);

}  // namespace attn
