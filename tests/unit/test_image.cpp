// Image loading (stb_image) and area averaging to the feature grid.
#include "errors.h"
#include "image/image.h"
#include "io/atomic_file.h"
#include "test_support.h"

#include <gtest/gtest.h>

#if __has_include(<stb_image.h>)
#include <stb_image.h>
#include <stb_image_write.h>
#else  // Debian's libstb-dev; the test target has no stb include path of its own
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#endif

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace attn {
namespace {

using test::file_error_of;

const std::string kImages = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/";

float at(const Image& img, int c, int y, int x) {
    return img.rgb.data[static_cast<size_t>((c * img.height + y) * img.width + x)];
}

// ---- A tiny PNG writer for fixtures stb_image_write cannot make (16-bit, lying headers). ----

uint32_t crc32(const uint8_t* p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        out.push_back(static_cast<uint8_t>(v >> s));
}

void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
    put32(png, static_cast<uint32_t>(data.size()));
    std::vector<uint8_t> body(type, type + 4);
    body.insert(body.end(), data.begin(), data.end());
    png.insert(png.end(), body.begin(), body.end());
    put32(png, crc32(body.data(), body.size()));
}

std::vector<uint8_t> ihdr(uint32_t w, uint32_t h, uint8_t depth, uint8_t colour_type) {
    std::vector<uint8_t> d;
    put32(d, w);
    put32(d, h);
    d.insert(d.end(), {depth, colour_type, 0, 0, 0});
    return d;
}

// zlib stream with "stored" (uncompressed) deflate blocks.
std::vector<uint8_t> zlib_stored(const std::vector<uint8_t>& raw) {
    std::vector<uint8_t> z = {0x78, 0x01};
    size_t pos = 0;
    do {
        const size_t n = std::min<size_t>(65535, raw.size() - pos);
        const bool last = pos + n == raw.size();
        z.push_back(last ? 1 : 0);
        z.push_back(static_cast<uint8_t>(n & 0xFF));
        z.push_back(static_cast<uint8_t>(n >> 8));
        z.push_back(static_cast<uint8_t>(~n & 0xFF));
        z.push_back(static_cast<uint8_t>((~n >> 8) & 0xFF));
        z.insert(z.end(), raw.begin() + static_cast<long>(pos), raw.begin() + static_cast<long>(pos + n));
        pos += n;
    } while (pos < raw.size());
    uint32_t a = 1, b = 0;
    for (uint8_t v : raw) {
        a = (a + v) % 65521;
        b = (b + a) % 65521;
    }
    put32(z, (b << 16) | a);
    return z;
}

// rows: raw samples of each row, big-endian for 16-bit; filter byte 0 is added here.
std::vector<uint8_t> make_png(uint32_t w, uint32_t h, uint8_t depth, uint8_t colour_type,
                              const std::vector<std::vector<uint8_t>>& rows) {
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    chunk(png, "IHDR", ihdr(w, h, depth, colour_type));
    std::vector<uint8_t> raw;
    for (const auto& r : rows) {
        raw.push_back(0);
        raw.insert(raw.end(), r.begin(), r.end());
    }
    chunk(png, "IDAT", zlib_stored(raw));
    chunk(png, "IEND", {});
    return png;
}

void append_bytes(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

std::vector<uint8_t> stb_png(int w, int h, int comp, const std::vector<uint8_t>& px) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(stbi_write_png_to_func(append_bytes, &out, w, h, comp, px.data(), w * comp));
    return out;
}

Image decode(const std::vector<uint8_t>& bytes, const std::string& name = "test.png") {
    return decode_image(bytes.data(), bytes.size(), name);
}

std::string temp_path(const std::string& leaf) {
    return ::testing::TempDir() + "attnscope_image_" + std::to_string(::getpid()) + "_" + leaf;
}

// ---- Bundled assets ----

TEST(Image, LoadsBundledAssetsWithTheirSizes) {
    struct Case {
        const char* file;
        int w, h;
    };
    for (const Case& c :
         {Case{"chelsea.png", 451, 300}, Case{"coffee.png", 600, 400}, Case{"astronaut.png", 512, 512}}) {
        const Image img = load_image(kImages + c.file);
        EXPECT_EQ(img.width, c.w) << c.file;
        EXPECT_EQ(img.height, c.h) << c.file;
        EXPECT_EQ(img.rgb.shape, (Shape{3, c.h, c.w})) << c.file;
        EXPECT_EQ(img.rgb.dtype, DType::F32);
        float lo = 1.0f, hi = 0.0f;
        for (float v : img.rgb.data)
            lo = std::min(lo, v), hi = std::max(hi, v);
        EXPECT_GE(lo, 0.0f) << c.file;
        EXPECT_LE(hi, 1.0f) << c.file;
        EXPECT_GT(hi, 0.5f) << c.file;  // not all black: something was decoded
    }
}

TEST(Image, KnownPixelsMatchAnIndependentDecoder) {
    // Expected values from matplotlib.image.imread (Pillow's PNG decoder), obtained once with
    //   /usr/bin/python3 -c "import matplotlib.image as mi; a = mi.imread('chelsea.png');
    //                        print((a[y, x] * 255).round())"
    // Both give 8-bit value / 255, so they agree exactly.
    const Image cat = load_image(kImages + "chelsea.png");
    struct Px {
        int y, x, r, g, b;
    };
    for (const Px& p : {Px{0, 0, 143, 120, 104}, Px{150, 225, 190, 150, 124}, Px{299, 450, 162, 138, 128}}) {
        EXPECT_FLOAT_EQ(at(cat, 0, p.y, p.x), p.r / 255.0f) << p.y << "," << p.x;
        EXPECT_FLOAT_EQ(at(cat, 1, p.y, p.x), p.g / 255.0f) << p.y << "," << p.x;
        EXPECT_FLOAT_EQ(at(cat, 2, p.y, p.x), p.b / 255.0f) << p.y << "," << p.x;
    }
    const Image coffee = load_image(kImages + "coffee.png");
    EXPECT_FLOAT_EQ(at(coffee, 0, 200, 300), 248 / 255.0f);
    EXPECT_FLOAT_EQ(at(coffee, 2, 200, 300), 1.0f);
    EXPECT_FLOAT_EQ(at(coffee, 1, 399, 0), 141 / 255.0f);
    const Image astro = load_image(kImages + "astronaut.png");
    EXPECT_FLOAT_EQ(at(astro, 0, 100, 200), 81 / 255.0f);
    EXPECT_FLOAT_EQ(at(astro, 1, 100, 200), 57 / 255.0f);
    EXPECT_FLOAT_EQ(at(astro, 2, 100, 200), 17 / 255.0f);

    // Channel means of chelsea.png from the same imread, summed in float64:
    //   a.astype(np.float64).reshape(-1, 3).mean(0)
    const double expected[3] = {0.57911017, 0.43703718, 0.34038376};
    const size_t plane = static_cast<size_t>(cat.width) * cat.height;
    for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (size_t i = 0; i < plane; ++i)
            sum += cat.rgb.data[c * plane + i];
        EXPECT_NEAR(sum / plane, expected[c], 1e-6) << c;
    }
}

// ---- Bad inputs: a clean FileError naming the file, never a crash ----

TEST(Image, TruncatedJpegDecodesOrFailsCleanly) {
    const std::string path = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/bad-inputs/truncated.jpg";
    try {
        const Image img = load_image(path);
        EXPECT_EQ(img.rgb.shape, (Shape{3, img.height, img.width}));
        for (float v : img.rgb.data)
            ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
    } catch (const FileError& e) {
        // It is cut inside its Huffman tables (400 bytes of a 100 x 100 picture).
        EXPECT_NE(std::string(e.what()).find("truncated.jpg: "), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("png"), std::string::npos) << e.what();
    }
}

// Every prefix of a small PNG and JPEG (the truncated.jpg case, made here so that the test
// needs no outside file): decoded or refused with a FileError that starts with the name.
TEST(Image, EveryTruncationFailsCleanly) {
    std::vector<uint8_t> px(16 * 12 * 3);
    for (size_t i = 0; i < px.size(); ++i)
        px[i] = static_cast<uint8_t>(i * 7);
    std::vector<uint8_t> jpg;
    ASSERT_TRUE(stbi_write_jpg_to_func(append_bytes, &jpg, 16, 12, 3, px.data(), 90));
    for (const auto& [name, bytes] : {std::make_pair(std::string("cut.png"), stb_png(16, 12, 3, px)),
                                      std::make_pair(std::string("cut.jpg"), jpg)}) {
        int decoded = 0;
        for (size_t n = 1; n < bytes.size(); ++n) {
            try {
                const Image img = decode_image(bytes.data(), n, name);
                EXPECT_EQ(img.rgb.shape, (Shape{3, 12, 16}));
                ++decoded;
            } catch (const FileError& e) {
                const std::string msg = e.what();
                EXPECT_EQ(msg.rfind(name + ": ", 0), 0u) << msg;
                EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
            }
        }
        EXPECT_LT(decoded, static_cast<int>(bytes.size()) - 1) << name;  // most prefixes fail
    }
}

TEST(Image, JpegWithAnOverfullHuffmanTableIsRefusedBeforeStbDecodes) {
    // stb_image 2.27 overruns its tables on such a file (stb issues #1289, #1291).
    std::vector<uint8_t> px(8 * 8 * 3, 100);
    std::vector<uint8_t> jpg;
    ASSERT_TRUE(stbi_write_jpg_to_func(append_bytes, &jpg, 8, 8, 3, px.data(), 90));
    size_t dht = 0;
    for (size_t i = 2; i + 1 < jpg.size(); ++i)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
            dht = i;
            break;
        }
    ASSERT_NE(dht, 0u) << "stb_image_write wrote no DHT segment";
    // Counts of the first table are at dht + 5 .. dht + 20; make them sum to 16 * 200.
    for (size_t k = 0; k < 16; ++k)
        jpg[dht + 5 + k] = 200;
    const std::string msg = file_error_of([&] { decode(jpg, "evil.jpg"); });
    EXPECT_EQ(msg, "evil.jpg: corrupt JPEG: a Huffman table declares 3200 codes, at most 256 exist");
}

TEST(Image, EmptyFileIsRefused) {
    const std::string path = temp_path("empty.png");
    write_file_atomically(path, std::vector<uint8_t>{});
    const std::string msg = file_error_of([&] { load_image(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
    std::remove(path.c_str());
}

TEST(Image, TextFileNamedPngIsRefusedWithStbsReason) {
    const std::string path = temp_path("notes.png");
    const std::string text = "this is not a picture\n";
    write_file_atomically(path, text.data(), text.size());
    const std::string msg = file_error_of([&] { load_image(path); });
    EXPECT_EQ(msg, path + ": not an image stb_image can read (unknown image type)");
    std::remove(path.c_str());
}

TEST(Image, MissingFileIsAFileError) {
    const std::string msg = file_error_of([] { load_image("/nonexistent/cat.png"); });
    EXPECT_NE(msg.find("/nonexistent/cat.png"), std::string::npos) << msg;
}

TEST(Image, HugeHeaderIsRefusedBeforeDecoding) {
    // Signature + IHDR claiming 100000 x 100000 RGB with a correct CRC, and nothing else.
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    chunk(png, "IHDR", ihdr(100000, 100000, 8, 2));
    const std::string msg = file_error_of([&] { decode(png, "huge.png"); });
    EXPECT_NE(msg.find("huge.png"), std::string::npos) << msg;
    EXPECT_NE(msg.find("100000 x 100000"), std::string::npos) << msg;

    // Within stb's own limits but over ours: 20000 x 10 (one side over 16384), and 16384 x 16385.
    std::vector<uint8_t> wide = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    chunk(wide, "IHDR", ihdr(20000, 10, 8, 0));
    const std::string wmsg = file_error_of([&] { decode(wide, "wide.png"); });
    EXPECT_NE(wmsg.find("wide.png: the image header claims 20000 x 10"), std::string::npos) << wmsg;
    std::vector<uint8_t> tall = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    chunk(tall, "IHDR", ihdr(16384, 16385, 8, 0));
    EXPECT_NE(file_error_of([&] { decode(tall, "tall.png"); }).find("16384 x 16385"), std::string::npos);
}

// ---- Channels and bit depths ----

TEST(Image, GreyIsCopiedToThreeChannels) {
    const std::vector<uint8_t> grey = {0, 51, 255, 128, 7, 200};  // 3 x 2
    const Image img = decode(stb_png(3, 2, 1, grey));
    ASSERT_EQ(img.rgb.shape, (Shape{3, 2, 3}));
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            for (int c = 0; c < 3; ++c)
                EXPECT_FLOAT_EQ(at(img, c, y, x), grey[static_cast<size_t>(y * 3 + x)] / 255.0f);
}

TEST(Image, GreyAlphaDropsAlphaWithoutCompositing) {
    // (grey, alpha) pairs; alpha 0 must not darken the grey.
    const std::vector<uint8_t> ga = {200, 0, 100, 255, 50, 128, 255, 1};  // 2 x 2
    const Image img = decode(stb_png(2, 2, 2, ga));
    ASSERT_EQ(img.rgb.shape, (Shape{3, 2, 2}));
    const float expect[4] = {200, 100, 50, 255};
    for (int i = 0; i < 4; ++i)
        for (int c = 0; c < 3; ++c)
            EXPECT_FLOAT_EQ(at(img, c, i / 2, i % 2), expect[i] / 255.0f);
}

TEST(Image, RgbaDropsAlpha) {
    const std::vector<uint8_t> rgba = {10, 20, 30, 0, 40, 50, 60, 255};  // 2 x 1
    const Image img = decode(stb_png(2, 1, 4, rgba));
    EXPECT_FLOAT_EQ(at(img, 0, 0, 0), 10 / 255.0f);
    EXPECT_FLOAT_EQ(at(img, 2, 0, 0), 30 / 255.0f);
    EXPECT_FLOAT_EQ(at(img, 1, 0, 1), 50 / 255.0f);
}

TEST(Image, SixteenBitPngsKeepSixteenBits) {
    // 16-bit grey 2 x 1: 0x0102 and 0xFFFE. At 8 bits both would round to 1/255 and 1 - 1/255
    // of a byte; here they must be v / 65535.
    const Image grey = decode(make_png(2, 1, 16, 0, {{0x01, 0x02, 0xFF, 0xFE}}));
    ASSERT_EQ(grey.rgb.shape, (Shape{3, 1, 2}));
    for (int c = 0; c < 3; ++c) {
        EXPECT_FLOAT_EQ(at(grey, c, 0, 0), 0x0102 / 65535.0f);
        EXPECT_FLOAT_EQ(at(grey, c, 0, 1), 0xFFFE / 65535.0f);
    }
    // 16-bit RGB 1 x 2.
    const Image rgb =
        decode(make_png(1, 2, 16, 2, {{0x00, 0x01, 0x80, 0x00, 0xFF, 0xFF}, {0x12, 0x34, 0x00, 0x00, 0xAB, 0xCD}}));
    ASSERT_EQ(rgb.rgb.shape, (Shape{3, 2, 1}));
    EXPECT_FLOAT_EQ(at(rgb, 0, 0, 0), 1 / 65535.0f);
    EXPECT_FLOAT_EQ(at(rgb, 1, 0, 0), 0x8000 / 65535.0f);
    EXPECT_FLOAT_EQ(at(rgb, 2, 0, 0), 1.0f);
    EXPECT_FLOAT_EQ(at(rgb, 0, 1, 0), 0x1234 / 65535.0f);
    EXPECT_FLOAT_EQ(at(rgb, 2, 1, 0), 0xABCD / 65535.0f);
    // 16-bit grey + alpha: alpha dropped.
    const Image ga = decode(make_png(1, 1, 16, 4, {{0x40, 0x00, 0x00, 0x00}}));
    EXPECT_FLOAT_EQ(at(ga, 1, 0, 0), 0x4000 / 65535.0f);
}

TEST(Image, OurPngWriterMakesWhatStbReadsAt8Bits) {
    // The hand-made PNG writer above is checked once against an 8-bit case stb also writes.
    const Image img = decode(make_png(2, 1, 8, 2, {{255, 0, 10, 20, 30, 40}}));
    EXPECT_FLOAT_EQ(at(img, 0, 0, 0), 1.0f);
    EXPECT_FLOAT_EQ(at(img, 2, 0, 1), 40 / 255.0f);
}

TEST(Image, OnePixelImage) {
    const Image img = decode(stb_png(1, 1, 3, {12, 34, 56}));
    EXPECT_EQ(img.width, 1);
    EXPECT_EQ(img.height, 1);
    EXPECT_EQ(img.rgb.data, (FloatStore{12 / 255.0f, 34 / 255.0f, 56 / 255.0f}));
    const Tensor avg = area_average(img, 1, 1);
    EXPECT_EQ(avg.data, img.rgb.data);
}

TEST(Image, OtherFormatsThroughStb) {
    std::vector<uint8_t> px(4 * 3 * 3);
    for (size_t i = 0; i < px.size(); ++i)
        px[i] = static_cast<uint8_t>(20 * i);
    std::vector<uint8_t> bmp, tga;
    ASSERT_TRUE(stbi_write_bmp_to_func(append_bytes, &bmp, 4, 3, 3, px.data()));
    ASSERT_TRUE(stbi_write_tga_to_func(append_bytes, &tga, 4, 3, 3, px.data()));
    for (const auto* bytes : {&bmp, &tga}) {
        const Image img = decode(*bytes, "x");
        ASSERT_EQ(img.rgb.shape, (Shape{3, 3, 4}));
        EXPECT_FLOAT_EQ(at(img, 1, 2, 3), px[(2 * 4 + 3) * 3 + 1] / 255.0f);
    }
    std::vector<uint8_t> jpg;
    ASSERT_TRUE(stbi_write_jpg_to_func(append_bytes, &jpg, 4, 3, 3, px.data(), 95));
    EXPECT_EQ(decode(jpg, "x.jpg").rgb.shape, (Shape{3, 3, 4}));
}

// ---- area_average ----

Image random_image(int w, int h, unsigned seed) {
    Image img;
    img.width = w;
    img.height = h;
    img.rgb = Tensor({3, h, w});
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (float& v : img.rgb.data)
        v = u(rng);
    return img;
}

double channel_mean(const Tensor& t, int c) {
    const int64_t plane = t.shape[1] * t.shape[2];
    double s = 0;
    for (int64_t i = 0; i < plane; ++i)
        s += t.data[static_cast<size_t>(c * plane + i)];
    return s / static_cast<double>(plane);
}

TEST(Image, AreaAverageKeepsTheMean) {
    const Image cat = load_image(kImages + "chelsea.png");
    const Tensor grid = area_average(cat, 40, 40);  // 451 x 300 -> 11.275 x 7.5 px a cell
    ASSERT_EQ(grid.shape, (Shape{3, 40, 40}));
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(channel_mean(grid, c), channel_mean(cat.rgb, c), 1e-5) << c;
    const Image odd = random_image(97, 61, 3);
    const Tensor g2 = area_average(odd, 13, 7);
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(channel_mean(g2, c), channel_mean(odd.rgb, c), 1e-5);
}

TEST(Image, AreaAverageOfAConstantIsThatConstant) {
    Image img;
    img.width = 451;
    img.height = 300;
    img.rgb = Tensor({3, 300, 451}, 0.3f);
    const Tensor g = area_average(img, 40, 40);
    for (float v : g.data)
        EXPECT_NEAR(v, 0.3f, 1e-6f);
}

TEST(Image, AreaAverageTwoByTwoToOneIsTheExactMean) {
    Image img;
    img.width = 2;
    img.height = 2;
    img.rgb = Tensor({3, 2, 2});
    img.rgb.data = {0.0f, 0.25f, 0.5f, 1.0f, 0.1f, 0.2f, 0.3f, 0.4f, 1.0f, 1.0f, 1.0f, 0.0f};
    const Tensor g = area_average(img, 1, 1);
    ASSERT_EQ(g.shape, (Shape{3, 1, 1}));
    EXPECT_FLOAT_EQ(g.data[0], 0.4375f);
    EXPECT_FLOAT_EQ(g.data[1], 0.25f);
    EXPECT_FLOAT_EQ(g.data[2], 0.75f);
}

TEST(Image, AreaAverageMatchesBruteForceSupersampling) {
    // Non-integer ratios both ways: 11 x 7 pixels into 4 x 3 cells. The reference cuts every
    // pixel into S x S sub-pixels and gives each to the cell its centre falls in; with S a
    // multiple of 4 * 3 every cell border falls on a sub-pixel border, so the result is exact.
    const int W = 11, H = 7, gw = 4, gh = 3, S = 12;
    const Image img = random_image(W, H, 11);
    const Tensor g = area_average(img, gh, gw);
    for (int c = 0; c < 3; ++c)
        for (int cy = 0; cy < gh; ++cy)
            for (int cx = 0; cx < gw; ++cx) {
                double sum = 0;
                int count = 0;
                for (int sy = 0; sy < H * S; ++sy)
                    for (int sx = 0; sx < W * S; ++sx) {
                        const double yc = (sy + 0.5) / S, xc = (sx + 0.5) / S;
                        if (static_cast<int>(yc * gh / H) != cy || static_cast<int>(xc * gw / W) != cx) continue;
                        sum += at(img, c, sy / S, sx / S);
                        ++count;
                    }
                EXPECT_NEAR(g.data[static_cast<size_t>((c * gh + cy) * gw + cx)], sum / count, 1e-6)
                    << c << " " << cy << " " << cx;
            }
}

TEST(Image, AreaAverageIdentityAndRefusals) {
    const Image img = random_image(8, 5, 4);
    EXPECT_EQ(area_average(img, 5, 8).data, img.rgb.data);
    // Only one axis at full size: that axis is copied exactly.
    const Tensor rows = area_average(img, 5, 4);
    EXPECT_FLOAT_EQ(rows.data[0], (at(img, 0, 0, 0) + at(img, 0, 0, 1)) / 2.0f);
    EXPECT_THROW(area_average(img, 0, 4), ConfigError);
    EXPECT_THROW(area_average(img, 4, -1), ConfigError);
    try {
        area_average(img, 6, 8);
        ADD_FAILURE() << "expected ConfigError";
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("6 x 8"), std::string::npos) << msg;
        EXPECT_NE(msg.find("5 x 8"), std::string::npos) << msg;
    }
    Image bad = img;
    bad.rgb = Tensor({3, 4, 8});
    EXPECT_THROW(area_average(bad, 2, 2), ShapeError);
}

}  // namespace
}  // namespace attn
