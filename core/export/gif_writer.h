// Animated GIFs (GIF89a), written by us: no library on this system encodes GIF. A teacher puts
// the Pipeline panel's step diagrams on a slide with it.
//
// Each frame carries its own colour table of at most 256 colours (median cut over the frame's
// colours at 5 bits a channel, then every pixel mapped to the nearest entry), so a frame with
// 256 colours or fewer is stored exactly. Only the rectangle that changed since the previous
// frame is stored (disposal "leave in place"), which keeps the long holds of a diagram cheap.
// The pixel indices are LZW-compressed as the GIF89a specification (section 22 and appendix F)
// describes: variable code sizes from the colour table's bit depth + 1 up to 12 bits, a clear
// code when the table is full, and 255-byte sub-blocks. The file loops forever (the NETSCAPE2.0
// application extension) unless told otherwise.
#pragma once

#include "export/png.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// A colour table and the index of each pixel in it.
struct IndexedImage {
    int width = 0, height = 0;
    std::vector<std::array<uint8_t, 3>> palette;  // 1..256 colours
    std::vector<uint8_t> indices;                 // [height, width], top row first
};

// Median cut of the image's colours into at most `max_colours` (1..256) entries. Images with
// that many distinct colours or fewer keep them exactly. ConfigError for an empty image.
IndexedImage quantize(const RgbImage& image, int max_colours = 256);

// LZW codes of `indices` as GIF stores them: the minimum code size first is the caller's (2..8),
// the returned bytes are the packed codes (clear code first, end-of-information code last),
// not yet split into sub-blocks.
std::vector<uint8_t> gif_lzw_encode(const std::vector<uint8_t>& indices, int min_code_size);

class GifWriter {
public:
    // A canvas of width x height (1..65535 each). `loops`: 0 repeats forever, n > 0 plays n + 1
    // times, -1 writes no loop extension (played once). ConfigError for a bad size.
    GifWriter(int width, int height, int loops = 0);

    // Appends a frame of the canvas's size shown for `delay_cs` hundredths of a second (0..65535).
    // ConfigError for a frame of another size or a bad delay.
    void add_frame(const RgbImage& frame, int delay_cs);

    int frames() const { return frames_; }
    // The whole file. The writer takes no more frames after it. ConfigError with no frame.
    std::vector<uint8_t> finish();

private:
    void put_u16(int v);

    int width_, height_;
    int frames_ = 0;
    bool finished_ = false;
    RgbImage previous_;  // the canvas as a viewer shows it after the last frame
    std::vector<uint8_t> bytes_;
};

// GifWriter's file written atomically to `path` (FileError naming it when that fails).
void write_gif(const std::string& path, GifWriter& writer);

}  // namespace attn
