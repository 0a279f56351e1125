// The GIF writer (core/export/gif_writer.h) read back by a decoder written here from the GIF89a
// specification (blocks, sub-blocks, LZW with variable code sizes and clear codes), independent of
// the encoder's code: frames, delays, loop count and every pixel as a viewer composes them.
// Pillow reads the app's exported GIFs in tests/gui/anim_test.py.
#include "errors.h"
#include "export/gif_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace attn {
namespace {

struct DecodedGif {
    int width = 0, height = 0;
    int loops = -1;                // -1: no NETSCAPE2.0 extension
    std::vector<RgbImage> frames;  // the canvas after each frame
    std::vector<int> delays;
    std::vector<int> disposals;
};

class Reader {
public:
    explicit Reader(const std::vector<uint8_t>& b) : b_(b) {}
    uint8_t u8() {
        if (pos_ >= b_.size()) throw std::runtime_error("GIF ends early at byte " + std::to_string(pos_));
        return b_[pos_++];
    }
    int u16() {
        const int lo = u8();
        return lo | (u8() << 8);
    }
    std::vector<uint8_t> sub_blocks() {
        std::vector<uint8_t> out;
        for (int n = u8(); n != 0; n = u8())
            for (int i = 0; i < n; ++i)
                out.push_back(u8());
        return out;
    }
    size_t pos() const { return pos_; }
    size_t size() const { return b_.size(); }

private:
    const std::vector<uint8_t>& b_;
    size_t pos_ = 0;
};

// LZW as a decoder does it: the table grows after every code but the first since a clear, and
// the code size grows when the next free code reaches 2^size (at most 12 bits).
std::vector<uint8_t> lzw_decode(const std::vector<uint8_t>& data, int min_code_size, size_t expected) {
    const int clear = 1 << min_code_size, eoi = clear + 1;
    std::vector<std::vector<uint8_t>> table;
    auto reset = [&] {
        table.clear();
        for (int i = 0; i < clear; ++i)
            table.push_back({static_cast<uint8_t>(i)});
        table.push_back({});
        table.push_back({});
    };
    reset();
    int size = min_code_size + 1;
    size_t bit = 0;
    int prev = -1;
    std::vector<uint8_t> out;
    while (true) {
        if ((bit + static_cast<size_t>(size)) > data.size() * 8) throw std::runtime_error("LZW data ends before EOI");
        int code = 0;
        for (int i = 0; i < size; ++i, ++bit)
            code |= ((data[bit / 8] >> (bit % 8)) & 1) << i;
        if (code == clear) {
            reset();
            size = min_code_size + 1;
            prev = -1;
            continue;
        }
        if (code == eoi) break;
        std::vector<uint8_t> entry;
        if (code < static_cast<int>(table.size())) {
            entry = table[static_cast<size_t>(code)];
        } else if (code == static_cast<int>(table.size()) && prev >= 0) {
            entry = table[static_cast<size_t>(prev)];
            entry.push_back(entry[0]);
        } else {
            throw std::runtime_error("LZW code " + std::to_string(code) + " beyond the table");
        }
        if (prev >= 0 && table.size() < 4096) {
            std::vector<uint8_t> added = table[static_cast<size_t>(prev)];
            added.push_back(entry[0]);
            table.push_back(added);
        }
        if (static_cast<int>(table.size()) == (1 << size) && size < 12) ++size;
        out.insert(out.end(), entry.begin(), entry.end());
        prev = code;
    }
    if (out.size() != expected)
        throw std::runtime_error("LZW gave " + std::to_string(out.size()) + " indices, expected " +
                                 std::to_string(expected));
    return out;
}

DecodedGif decode_gif(const std::vector<uint8_t>& bytes) {
    Reader r(bytes);
    std::string magic;
    for (int i = 0; i < 6; ++i)
        magic.push_back(static_cast<char>(r.u8()));
    if (magic != "GIF89a") throw std::runtime_error("not GIF89a: " + magic);
    DecodedGif g;
    g.width = r.u16();
    g.height = r.u16();
    const uint8_t flags = r.u8();
    r.u8();
    r.u8();
    if (flags & 0x80) throw std::runtime_error("unexpected global colour table");
    RgbImage canvas{g.width, g.height, std::vector<uint8_t>(static_cast<size_t>(g.width * g.height) * 3, 0)};
    int delay = -1, disposal = -1;
    while (true) {
        const uint8_t block = r.u8();
        if (block == 0x3B) break;
        if (block == 0x21) {
            const uint8_t label = r.u8();
            if (label == 0xF9) {
                if (r.u8() != 4) throw std::runtime_error("bad graphic control extension");
                disposal = (r.u8() >> 2) & 7;
                delay = r.u16();
                r.u8();
                if (r.u8() != 0) throw std::runtime_error("graphic control extension not terminated");
            } else if (label == 0xFF) {
                const std::vector<uint8_t> app = r.sub_blocks();
                if (std::string(app.begin(), app.begin() + 11) == "NETSCAPE2.0") g.loops = app[12] | (app[13] << 8);
            } else {
                r.sub_blocks();
            }
        } else if (block == 0x2C) {
            const int x = r.u16(), y = r.u16(), w = r.u16(), h = r.u16();
            const uint8_t f = r.u8();
            if (!(f & 0x80)) throw std::runtime_error("frame without a local colour table");
            if (x + w > g.width || y + h > g.height) throw std::runtime_error("frame outside the canvas");
            const int entries = 1 << ((f & 7) + 1);
            std::vector<uint8_t> palette(static_cast<size_t>(entries) * 3);
            for (uint8_t& c : palette)
                c = r.u8();
            const int min_code = r.u8();
            const std::vector<uint8_t> idx =
                lzw_decode(r.sub_blocks(), min_code, static_cast<size_t>(w) * static_cast<size_t>(h));
            for (int yy = 0; yy < h; ++yy)
                for (int xx = 0; xx < w; ++xx) {
                    const uint8_t k = idx[static_cast<size_t>(yy * w + xx)];
                    if (k >= entries) throw std::runtime_error("index beyond the colour table");
                    for (int c = 0; c < 3; ++c)
                        canvas.pixels[(static_cast<size_t>(y + yy) * static_cast<size_t>(g.width) +
                                       static_cast<size_t>(x + xx)) *
                                          3 +
                                      static_cast<size_t>(c)] =
                            palette[static_cast<size_t>(k) * 3 + static_cast<size_t>(c)];
                }
            g.frames.push_back(canvas);
            g.delays.push_back(delay);
            g.disposals.push_back(disposal);
        } else {
            throw std::runtime_error("unknown block " + std::to_string(block));
        }
    }
    if (r.pos() != r.size()) throw std::runtime_error("bytes after the trailer");
    return g;
}

RgbImage solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    RgbImage im{w, h, {}};
    for (int i = 0; i < w * h; ++i)
        im.pixels.insert(im.pixels.end(), {r, g, b});
    return im;
}

TEST(Gif, FramesDelaysAndPixelsOfFewColoursAreExact) {
    GifWriter writer(7, 5);
    RgbImage a = solid(7, 5, 10, 20, 30);
    RgbImage b = a;
    b.pixels[(2 * 7 + 3) * 3] = 255;  // one pixel changes
    RgbImage c = solid(7, 5, 200, 100, 0);
    writer.add_frame(a, 5);
    writer.add_frame(b, 7);
    writer.add_frame(b, 9);  // nothing changes
    writer.add_frame(c, 100);
    const DecodedGif g = decode_gif(writer.finish());
    EXPECT_EQ(g.width, 7);
    EXPECT_EQ(g.height, 5);
    EXPECT_EQ(g.loops, 0);
    ASSERT_EQ(g.frames.size(), 4u);
    EXPECT_EQ(g.delays, (std::vector<int>{5, 7, 9, 100}));
    EXPECT_EQ(g.disposals, (std::vector<int>{1, 1, 1, 1}));
    EXPECT_EQ(g.frames[0].pixels, a.pixels);
    EXPECT_EQ(g.frames[1].pixels, b.pixels);
    EXPECT_EQ(g.frames[2].pixels, b.pixels);
    EXPECT_EQ(g.frames[3].pixels, c.pixels);
}

TEST(Gif, EveryCodeSizeAndClearCodesRoundTrip) {
    // 256 colours of noise over 300 x 200 pixels: the LZW table fills (12-bit codes) and is
    // cleared many times; every colour is kept exactly.
    std::mt19937 rng(7);
    RgbImage im{300, 200, {}};
    for (int i = 0; i < 300 * 200; ++i) {
        const int k = static_cast<int>(rng() % 256);
        im.pixels.insert(im.pixels.end(),
                         {static_cast<uint8_t>(k), static_cast<uint8_t>(255 - k), static_cast<uint8_t>(k * 7)});
    }
    GifWriter writer(300, 200, -1);
    writer.add_frame(im, 10);
    const DecodedGif g = decode_gif(writer.finish());
    EXPECT_EQ(g.loops, -1);
    ASSERT_EQ(g.frames.size(), 1u);
    EXPECT_EQ(g.frames[0].pixels, im.pixels);
}

TEST(Gif, LongRunsAndTinyPalettes) {
    // One colour (a 1-bit table, minimum code size 2) and long runs: the encoder's longest strings.
    for (const int w : {1, 2, 63, 64, 65, 4097}) {
        GifWriter writer(w, 3);
        writer.add_frame(solid(w, 3, 1, 2, 3), 0);
        const DecodedGif g = decode_gif(writer.finish());
        ASSERT_EQ(g.frames.size(), 1u) << w;
        EXPECT_EQ(g.frames[0].pixels, solid(w, 3, 1, 2, 3).pixels) << w;
    }
}

TEST(Gif, ManyColoursAreQuantisedCloseToTheOriginal) {
    // 16,384 colours on a 2-D sheet of the colour cube ((x, 4y, x + y)) cut into 256 boxes: each
    // box holds ~64 of them, an 8 x 8 patch of (x, y), i.e. up to 8 levels of red, 32 of green and
    // 16 of blue around its mean. So a mean error of ~5 levels a channel, at most half a patch.
    RgbImage im{256, 64, {}};
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 256; ++x)
            im.pixels.insert(im.pixels.end(), {static_cast<uint8_t>(x), static_cast<uint8_t>(y * 4),
                                               static_cast<uint8_t>((x + y) & 255)});
    const IndexedImage q = quantize(im);
    EXPECT_LE(q.palette.size(), 256u);
    GifWriter writer(256, 64);
    writer.add_frame(im, 4);
    const DecodedGif g = decode_gif(writer.finish());
    ASSERT_EQ(g.frames.size(), 1u);
    int worst = 0;
    double mean = 0.0;
    for (size_t i = 0; i < im.pixels.size(); ++i) {
        const int d = std::abs(int{g.frames[0].pixels[i]} - int{im.pixels[i]});
        worst = std::max(worst, d);
        mean += d;
    }
    mean /= static_cast<double>(im.pixels.size());
    EXPECT_LE(mean, 6.0);
    EXPECT_LE(worst, 32);
}

TEST(Gif, BadInputIsRefused) {
    EXPECT_THROW(GifWriter(0, 5), ConfigError);
    EXPECT_THROW(GifWriter(70000, 5), ConfigError);
    GifWriter writer(4, 4);
    EXPECT_THROW(writer.finish(), ConfigError);  // no frame
    EXPECT_THROW(writer.add_frame(solid(5, 4, 0, 0, 0), 1), ConfigError);
    EXPECT_THROW(writer.add_frame(solid(4, 4, 0, 0, 0), -1), ConfigError);
    EXPECT_THROW(writer.add_frame(solid(4, 4, 0, 0, 0), 70000), ConfigError);
    RgbImage broken = solid(4, 4, 0, 0, 0);
    broken.pixels.pop_back();
    EXPECT_THROW(writer.add_frame(broken, 1), ConfigError);
    EXPECT_THROW(quantize(RgbImage{}), ConfigError);
}

}  // namespace
}  // namespace attn
