// Pictures out: 8-bit RGB PNGs, written atomically (a reader never sees half a file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct RgbImage {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // RGB8 [height, width, 3], row-major, top row first
};

// The PNG file's bytes, encoded with stb_image_write in memory (an SVG export embeds them as a
// data URI). FileError naming `name` for an empty or inconsistent image or a failed encoding.
std::vector<uint8_t> encode_png(const RgbImage& image, const std::string& name);

// Encodes with stb_image_write into memory, then write_file_atomically. Throws FileError naming
// `path` when the image is empty or inconsistent (pixels.size() != width * height * 3), when
// encoding fails, or when the file cannot be written.
void write_png(const std::string& path, const RgbImage& image);

}  // namespace attn
