#include "image/resample.h"

#include "errors.h"

namespace attn {

// Placeholder so that callers link while the implementation lands; replaced in the next commit.
std::string resample_filter_name(ResampleFilter) {
    return "?";
}
Rgb8Image rgb8_from_image(const Image&) {
    throw ConfigError("resampling is not implemented yet");
}
Rgb8Image resize_like_pillow(const Rgb8Image&, int, int, ResampleFilter) {
    throw ConfigError("resampling is not implemented yet");
}

}  // namespace attn
