// Text drawn into an RGB picture on the CPU, for exported pictures that carry words (the head
// view's tokens): stb_truetype's glyphs, anti-aliased and blended over the picture. Fonts: the
// bundled DejaVu Sans (<assets>/fonts/DejaVuSans.ttf) first, then Debian's Droid Sans Fallback for
// what it lacks (CJK), as the app's fonts.cpp merges them. A code point no font has is drawn as
// '?'; without any font the text is left out and ok() says so.
#pragma once

#include "export/png.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn {

constexpr const char* kCjkFallbackFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

class TextRaster {
public:
    // The fonts to try, in order; files that are missing or not TrueType are skipped.
    explicit TextRaster(const std::vector<std::string>& font_paths);
    // The bundled font of asset_dir() and the CJK fallback.
    static std::vector<std::string> default_fonts();
    // One TextRaster of the default fonts, loaded at the first call (a few MB of font files: an
    // export of 144 head views reads them once). Drawing keeps no state, so threads may share it.
    static const TextRaster& shared();
    ~TextRaster();
    TextRaster(const TextRaster&) = delete;
    TextRaster& operator=(const TextRaster&) = delete;

    bool ok() const;
    // The width of `text` at `px` pixels high (the em height), in pixels.
    float width(const std::string& text, float px) const;
    // `text` with its left end at x and its baseline at y, blended in `colour` at `opacity`.
    // Text that is not UTF-8 is drawn with '?' for the bad bytes. Clipped to the picture.
    void draw(RgbImage& image, float x, float baseline, const std::string& text, float px,
              std::array<uint8_t, 3> colour, float opacity = 1.0f) const;
    // The distance from the top of a line to its baseline at `px`.
    float ascent(float px) const;

private:
    struct Font;
    // The first font that has the code point's glyph; else '?' of the first font.
    std::pair<const Font*, int> glyph_of(char32_t cp) const;
    std::vector<std::unique_ptr<Font>> fonts_;
};

// A line from (x0, y0) to (x1, y1), `thickness` px wide, anti-aliased (coverage of each pixel by
// the line's rectangle, sampled 4 x 4), blended in `colour` at `opacity`. Clipped to the picture.
void draw_line(RgbImage& image, float x0, float y0, float x1, float y1, float thickness, std::array<uint8_t, 3> colour,
               float opacity);

// A filled rectangle [x0, x1) x [y0, y1), blended at `opacity`.
void fill_rect(RgbImage& image, float x0, float y0, float x1, float y1, std::array<uint8_t, 3> colour,
               float opacity = 1.0f);

}  // namespace attn
