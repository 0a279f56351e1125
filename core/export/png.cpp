#include "export/png.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <stb_image_write.h>

#include <climits>

namespace attn {

namespace {

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    const auto* bytes = static_cast<const uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<uint8_t> encode_png(const RgbImage& image, const std::string& path) {
    if (image.width <= 0 || image.height <= 0)
        throw FileError(path + ": cannot write a PNG of " + std::to_string(image.width) + " x " +
                        std::to_string(image.height) + " pixels");
    const int64_t row_bytes = int64_t{image.width} * 3;
    if (row_bytes > INT_MAX)
        throw FileError(path + ": image " + std::to_string(image.width) + " pixels wide is too wide for a PNG row");
    const int64_t expected = row_bytes * image.height;
    if (static_cast<int64_t>(image.pixels.size()) != expected)
        throw FileError(path + ": image of " + std::to_string(image.width) + " x " + std::to_string(image.height) +
                        " pixels needs " + std::to_string(expected) + " bytes of RGB, has " +
                        std::to_string(image.pixels.size()));
    std::vector<uint8_t> encoded;
    const int ok = stbi_write_png_to_func(append_bytes, &encoded, image.width, image.height, 3, image.pixels.data(),
                                          static_cast<int>(row_bytes));
    if (!ok || encoded.empty())
        throw FileError(path + ": stb_image_write could not encode the PNG (" + std::to_string(image.width) + " x " +
                        std::to_string(image.height) + ")");
    return encoded;
}

void write_png(const std::string& path, const RgbImage& image) {
    write_file_atomically(path, encode_png(image, path));
}

}  // namespace attn
