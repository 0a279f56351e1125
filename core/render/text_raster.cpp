#include "render/text_raster.h"

#include "io/asset_dir.h"

#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace attn {

struct TextRaster::Font {
    std::vector<unsigned char> bytes;
    stbtt_fontinfo info{};
};

namespace {

// Code points of UTF-8 text; a byte that does not start a well-formed sequence becomes '?'.
std::vector<char32_t> code_points(const std::string& text) {
    std::vector<char32_t> out;
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    for (size_t i = 0; i < n;) {
        const unsigned char c = s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        bool good = len > 0 && i + static_cast<size_t>(len) <= n;
        for (int k = 1; good && k < len; ++k) {
            good = (s[i + static_cast<size_t>(k)] >> 6) == 2;
            cp = (cp << 6) | (s[i + static_cast<size_t>(k)] & 0x3F);
        }
        if (!good || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            out.push_back(U'?');
            ++i;
            continue;
        }
        out.push_back(cp);
        i += static_cast<size_t>(len);
    }
    return out;
}

void blend(RgbImage& image, int x, int y, std::array<uint8_t, 3> colour, float alpha) {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height || !(alpha > 0.0f)) return;
    alpha = std::min(alpha, 1.0f);
    uint8_t* p =
        image.pixels.data() + (static_cast<size_t>(y) * static_cast<size_t>(image.width) + static_cast<size_t>(x)) * 3;
    for (size_t c = 0; c < 3; ++c)
        p[c] = static_cast<uint8_t>(
            std::lround(static_cast<float>(p[c]) * (1.0f - alpha) + static_cast<float>(colour[c]) * alpha));
}

}  // namespace

TextRaster::TextRaster(const std::vector<std::string>& font_paths) {
    for (const std::string& path : font_paths) {
        std::ifstream in(path, std::ios::binary);
        if (!in) continue;
        auto font = std::make_unique<Font>();
        font->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (font->bytes.size() < 12) continue;
        const int offset = stbtt_GetFontOffsetForIndex(font->bytes.data(), 0);
        if (offset < 0 || !stbtt_InitFont(&font->info, font->bytes.data(), offset)) continue;
        fonts_.push_back(std::move(font));
    }
}

const TextRaster& TextRaster::shared() {
    static const TextRaster raster(default_fonts());
    return raster;
}

std::vector<std::string> TextRaster::default_fonts() {
    return {(std::filesystem::path(asset_dir()) / "fonts" / "DejaVuSans.ttf").string(), kCjkFallbackFont};
}

TextRaster::~TextRaster() = default;

bool TextRaster::ok() const {
    return !fonts_.empty();
}

float TextRaster::ascent(float px) const {
    if (fonts_.empty()) return px * 0.8f;
    int ascent = 0, descent = 0, gap = 0;
    stbtt_GetFontVMetrics(&fonts_[0]->info, &ascent, &descent, &gap);
    return static_cast<float>(ascent) * stbtt_ScaleForMappingEmToPixels(&fonts_[0]->info, px);
}

float TextRaster::width(const std::string& text, float px) const {
    float w = 0.0f;
    for (char32_t cp : code_points(text)) {
        const auto [font, glyph] = glyph_of(cp);
        if (!font) break;
        int advance = 0, bearing = 0;
        stbtt_GetGlyphHMetrics(&font->info, glyph, &advance, &bearing);
        w += static_cast<float>(advance) * stbtt_ScaleForMappingEmToPixels(&font->info, px);
    }
    return w;
}

std::pair<const TextRaster::Font*, int> TextRaster::glyph_of(char32_t cp) const {
    if (fonts_.empty()) return {nullptr, 0};
    for (const auto& f : fonts_)
        if (const int glyph = stbtt_FindGlyphIndex(&f->info, static_cast<int>(cp)); glyph != 0) return {f.get(), glyph};
    return {fonts_[0].get(), stbtt_FindGlyphIndex(&fonts_[0]->info, '?')};
}

void TextRaster::draw(RgbImage& image, float x, float baseline, const std::string& text, float px,
                      std::array<uint8_t, 3> colour, float opacity) const {
    if (fonts_.empty()) return;
    for (char32_t cp : code_points(text)) {
        const auto [font, glyph] = glyph_of(cp);
        const float scale = stbtt_ScaleForMappingEmToPixels(&font->info, px);
        int w = 0, h = 0, xoff = 0, yoff = 0;
        unsigned char* bitmap = stbtt_GetGlyphBitmap(&font->info, scale, scale, glyph, &w, &h, &xoff, &yoff);
        const int left = static_cast<int>(std::lround(x)) + xoff, top = static_cast<int>(std::lround(baseline)) + yoff;
        for (int r = 0; r < h && bitmap; ++r)
            for (int c = 0; c < w; ++c)
                blend(image, left + c, top + r, colour, opacity * static_cast<float>(bitmap[r * w + c]) / 255.0f);
        stbtt_FreeBitmap(bitmap, nullptr);
        int advance = 0, bearing = 0;
        stbtt_GetGlyphHMetrics(&font->info, glyph, &advance, &bearing);
        x += static_cast<float>(advance) * scale;
    }
}

void draw_line(RgbImage& image, float x0, float y0, float x1, float y1, float thickness, std::array<uint8_t, 3> colour,
               float opacity) {
    const float dx = x1 - x0, dy = y1 - y0, length = std::hypot(dx, dy);
    if (!(length > 0.0f) || !(opacity > 0.0f)) return;
    const float ux = dx / length, uy = dy / length, half = thickness * 0.5f;
    const int xa = std::max(0, static_cast<int>(std::floor(std::min(x0, x1) - half - 1.0f)));
    const int xb = std::min(image.width - 1, static_cast<int>(std::ceil(std::max(x0, x1) + half + 1.0f)));
    const int ya = std::max(0, static_cast<int>(std::floor(std::min(y0, y1) - half - 1.0f)));
    const int yb = std::min(image.height - 1, static_cast<int>(std::ceil(std::max(y0, y1) + half + 1.0f)));
    // Only the pixels whose centre is within half + 0.75 px of the line's axis can have a sample
    // (at most 0.53 px from the centre) inside it: per row, an interval of x (a long head-view line
    // crosses thousands of rows but covers a few pixels of each).
    const float reach = half + 0.75f;
    for (int y = ya; y <= yb; ++y) {
        int x_from = xa, x_to = xb;
        if (std::abs(uy) > 1e-6f) {
            // across(x) = -(x + 0.5 - x0) * uy + (y + 0.5 - y0) * ux, |across| <= reach.
            const float c = (static_cast<float>(y) + 0.5f - y0) * ux;
            const float e0 = x0 - 0.5f + (c - reach) / uy, e1 = x0 - 0.5f + (c + reach) / uy;
            x_from = std::max(xa, static_cast<int>(std::floor(std::min(e0, e1))));
            x_to = std::min(xb, static_cast<int>(std::ceil(std::max(e0, e1))));
        }
        for (int x = x_from; x <= x_to; ++x) {
            int inside = 0;
            for (int sy = 0; sy < 4; ++sy)
                for (int sx = 0; sx < 4; ++sx) {
                    const float px = static_cast<float>(x) + (static_cast<float>(sx) + 0.5f) / 4.0f - x0;
                    const float py = static_cast<float>(y) + (static_cast<float>(sy) + 0.5f) / 4.0f - y0;
                    const float along = px * ux + py * uy, across = -px * uy + py * ux;
                    inside += along >= 0.0f && along <= length && std::abs(across) <= half;
                }
            if (inside > 0) blend(image, x, y, colour, opacity * static_cast<float>(inside) / 16.0f);
        }
    }
}

void fill_rect(RgbImage& image, float x0, float y0, float x1, float y1, std::array<uint8_t, 3> colour, float opacity) {
    const int xa = std::max(0, static_cast<int>(std::lround(x0))),
              xb = std::min(image.width, static_cast<int>(std::lround(x1)));
    const int ya = std::max(0, static_cast<int>(std::lround(y0))),
              yb = std::min(image.height, static_cast<int>(std::lround(y1)));
    for (int y = ya; y < yb; ++y)
        for (int x = xa; x < xb; ++x)
            blend(image, x, y, colour, opacity);
}

}  // namespace attn
