// libFuzzer target: any bytes through the image loading path the app uses: decode, then
// area-average to a small grid.
#include "errors.h"
#include "image/image.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    attn::Image img;
    try {
        img = attn::decode_image(data, size, "fuzz.img");
    } catch (const attn::FileError&) {
        return 0;
    }
    if (img.rgb.shape != attn::Shape{3, img.height, img.width}) __builtin_trap();
    try {
        attn::Tensor grid = attn::area_average(img, 4, 4);
        for (float v : grid.data)
            if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();
    } catch (const attn::ConfigError&) {  // an image smaller than the grid
    }
    return 0;
}
