#include "image/vit_preprocess.h"

#include "errors.h"

namespace attn {

// Placeholder so that callers link while the implementation lands; replaced in the next commits.
VitPreprocessConfig parse_preprocessor_config(const std::string& path) {
    throw ConfigError(path + ": ViT preprocessing is not implemented yet");
}
VitPreprocessConfig parse_preprocessor_config_text(const std::string&, const std::string& name) {
    throw ConfigError(name + ": ViT preprocessing is not implemented yet");
}
Tensor vit_pixel_values(const Image& image, const VitPreprocessConfig&) {
    throw ConfigError(image.name + ": ViT preprocessing is not implemented yet");
}
Tensor vit_pixel_values(const Rgb8Image&, const VitPreprocessConfig&) {
    throw ConfigError("ViT preprocessing is not implemented yet");
}

}  // namespace attn
