#include "export/gif_writer.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <algorithm>
#include <unordered_map>

namespace attn {

namespace {

using Colour = std::array<uint8_t, 3>;

uint32_t pack(const uint8_t* p) {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}

// 5 bits a channel: the buckets the median cut works on.
int bucket_of(const uint8_t* p) {
    return ((p[0] >> 3) << 10) | ((p[1] >> 3) << 5) | (p[2] >> 3);
}

struct Bucket {
    int key = 0;
    uint64_t count = 0;
    std::array<uint64_t, 3> sum{};  // of the exact colours that fell in it
    int channel(int c) const { return (key >> (10 - 5 * c)) & 31; }
};

// A box of buckets: split along its widest channel at the median of its pixels.
struct Box {
    std::vector<Bucket> buckets;
    uint64_t count = 0;
    int widest = 0, extent = 0;
    void measure() {
        count = 0;
        std::array<int, 3> lo{31, 31, 31}, hi{0, 0, 0};
        for (const Bucket& b : buckets) {
            count += b.count;
            for (int c = 0; c < 3; ++c) {
                lo[c] = std::min(lo[c], b.channel(c));
                hi[c] = std::max(hi[c], b.channel(c));
            }
        }
        widest = 0;
        for (int c = 1; c < 3; ++c)
            if (hi[c] - lo[c] > hi[widest] - lo[widest]) widest = c;
        extent = hi[widest] - lo[widest];
    }
    Colour mean() const {
        std::array<uint64_t, 3> sum{};
        for (const Bucket& b : buckets)
            for (int c = 0; c < 3; ++c)
                sum[c] += b.sum[c];
        Colour out{};
        for (int c = 0; c < 3; ++c)
            out[c] = static_cast<uint8_t>((sum[c] + count / 2) / std::max<uint64_t>(count, 1));
        return out;
    }
};

IndexedImage median_cut(const RgbImage& image, int max_colours) {
    std::vector<Bucket> all(32768);
    for (size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
        Bucket& b = all[static_cast<size_t>(bucket_of(&image.pixels[i]))];
        ++b.count;
        for (int c = 0; c < 3; ++c)
            b.sum[c] += image.pixels[i + static_cast<size_t>(c)];
    }
    std::vector<Box> boxes(1);
    for (int k = 0; k < 32768; ++k)
        if (all[static_cast<size_t>(k)].count > 0) {
            all[static_cast<size_t>(k)].key = k;
            boxes[0].buckets.push_back(all[static_cast<size_t>(k)]);
        }
    boxes[0].measure();
    while (static_cast<int>(boxes.size()) < max_colours) {
        // The box that most needs splitting: the most pixels times the widest extent.
        int pick = -1;
        uint64_t best = 0;
        for (size_t i = 0; i < boxes.size(); ++i) {
            const uint64_t score = boxes[i].count * static_cast<uint64_t>(boxes[i].extent);
            if (boxes[i].buckets.size() > 1 && score > best) best = score, pick = static_cast<int>(i);
        }
        if (pick < 0) break;  // every box is one bucket
        Box& box = boxes[static_cast<size_t>(pick)];
        const int c = box.widest;
        std::sort(box.buckets.begin(), box.buckets.end(),
                  [c](const Bucket& a, const Bucket& b) { return a.channel(c) < b.channel(c); });
        uint64_t seen = 0;
        size_t cut = 1;
        for (; cut < box.buckets.size(); ++cut) {
            seen += box.buckets[cut - 1].count;
            if (seen * 2 >= box.count) break;
        }
        cut = std::clamp<size_t>(cut, 1, box.buckets.size() - 1);
        Box other;
        other.buckets.assign(box.buckets.begin() + static_cast<std::ptrdiff_t>(cut), box.buckets.end());
        box.buckets.resize(cut);
        box.measure();
        other.measure();
        boxes.push_back(std::move(other));
    }
    IndexedImage out;
    out.width = image.width;
    out.height = image.height;
    for (const Box& box : boxes)
        out.palette.push_back(box.mean());
    // Every bucket to its nearest entry (not merely its box's: a box's mean may sit closer to
    // another box's colours), then every pixel through its bucket.
    std::vector<uint8_t> nearest(32768, 0);
    for (const Box& box : boxes)
        for (const Bucket& b : box.buckets) {
            const int r = b.channel(0) * 8 + 4, g = b.channel(1) * 8 + 4, bl = b.channel(2) * 8 + 4;
            int best = 0, best_d = 1 << 30;
            for (size_t i = 0; i < out.palette.size(); ++i) {
                const int dr = r - out.palette[i][0], dg = g - out.palette[i][1], db = bl - out.palette[i][2];
                const int d = dr * dr + dg * dg + db * db;
                if (d < best_d) best_d = d, best = static_cast<int>(i);
            }
            nearest[static_cast<size_t>(b.key)] = static_cast<uint8_t>(best);
        }
    out.indices.resize(static_cast<size_t>(image.width) * static_cast<size_t>(image.height));
    for (size_t i = 0; i < out.indices.size(); ++i)
        out.indices[i] = nearest[static_cast<size_t>(bucket_of(&image.pixels[i * 3]))];
    return out;
}

int bit_length(int v) {
    int n = 0;
    while (v > 0)
        ++n, v >>= 1;
    return n;
}

// LSB-first bit packing, as GIF stores its codes.
class BitWriter {
public:
    void put(int code, int bits) {
        acc_ |= static_cast<uint32_t>(code) << fill_;
        fill_ += bits;
        while (fill_ >= 8) {
            out.push_back(static_cast<uint8_t>(acc_ & 0xFF));
            acc_ >>= 8;
            fill_ -= 8;
        }
    }
    void flush() {
        if (fill_ > 0) out.push_back(static_cast<uint8_t>(acc_ & 0xFF));
        acc_ = 0;
        fill_ = 0;
    }
    std::vector<uint8_t> out;

private:
    uint32_t acc_ = 0;
    int fill_ = 0;
};

}  // namespace

IndexedImage quantize(const RgbImage& image, int max_colours) {
    const size_t n = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
    if (image.width < 1 || image.height < 1 || image.pixels.size() != n * 3)
        throw ConfigError("GIF frame: an empty or inconsistent image (" + std::to_string(image.width) + " x " +
                          std::to_string(image.height) + ", " + std::to_string(image.pixels.size()) + " bytes)");
    max_colours = std::clamp(max_colours, 1, 256);
    // Few colours (a diagram, before anti-aliasing): kept exactly, in order of appearance.
    std::unordered_map<uint32_t, uint8_t> exact;
    IndexedImage out;
    out.width = image.width;
    out.height = image.height;
    out.indices.resize(n);
    uint32_t last_key = 0xFFFFFFFFu;  // runs of one colour are the rule in a diagram
    uint8_t last_index = 0;
    for (size_t i = 0; i < n; ++i) {
        const uint32_t key = pack(&image.pixels[i * 3]);
        if (key == last_key) {
            out.indices[i] = last_index;
            continue;
        }
        auto it = exact.find(key);
        if (it == exact.end()) {
            if (static_cast<int>(exact.size()) == max_colours) return median_cut(image, max_colours);
            it = exact.emplace(key, static_cast<uint8_t>(exact.size())).first;
            out.palette.push_back({image.pixels[i * 3], image.pixels[i * 3 + 1], image.pixels[i * 3 + 2]});
        }
        out.indices[i] = it->second;
        last_key = key;
        last_index = it->second;
    }
    return out;
}

std::vector<uint8_t> gif_lzw_encode(const std::vector<uint8_t>& indices, int min_code_size) {
    if (min_code_size < 2 || min_code_size > 8) throw InternalError("GIF LZW: minimum code size must be 2..8");
    const int clear = 1 << min_code_size, eoi = clear + 1;
    // The string table: (prefix code, next index) -> code, in an open-addressed hash whose slots
    // are stamped with the table's generation, so a clear code empties it in O(1).
    constexpr size_t kSlots = 8192;
    std::vector<uint32_t> keys(kSlots), stamps(kSlots, 0);
    std::vector<uint16_t> codes(kSlots);
    uint32_t generation = 1;
    int next = eoi + 1;
    BitWriter bits;
    // The decoder reads each code with the bit length of its own next free code, which lags ours
    // by one after the first code since a clear: hence next - 1 for data codes.
    auto emit = [&](int code, int table_next) { bits.put(code, std::min(12, bit_length(table_next))); };

    emit(clear, eoi);
    if (indices.empty()) {
        emit(eoi, next);
        bits.flush();
        return bits.out;
    }
    int current = indices[0];
    for (size_t i = 1; i < indices.size(); ++i) {
        const int k = indices[i];
        const uint32_t key = (static_cast<uint32_t>(current) << 8) | static_cast<uint32_t>(k);
        size_t slot = (key * 2654435761u) & (kSlots - 1);
        bool found = false;
        while (stamps[slot] == generation) {
            if (keys[slot] == key) {
                found = true;
                break;
            }
            slot = (slot + 1) & (kSlots - 1);
        }
        if (found) {
            current = codes[slot];
            continue;
        }
        emit(current, next - 1);
        stamps[slot] = generation;
        keys[slot] = key;
        codes[slot] = static_cast<uint16_t>(next);
        ++next;
        if (next == 4096) {  // the table is full: start a new one
            emit(clear, next - 1);
            ++generation;
            next = eoi + 1;
        }
        current = k;
    }
    emit(current, next - 1);
    // The decoder added an entry for that last code (unless it was the first since a clear).
    emit(eoi, next);
    bits.flush();
    return bits.out;
}

GifWriter::GifWriter(int width, int height, int loops) : width_(width), height_(height) {
    if (width < 1 || height < 1 || width > 65535 || height > 65535)
        throw ConfigError("GIF: a canvas of " + std::to_string(width) + " x " + std::to_string(height) +
                          " px; each side must be 1..65535");
    for (const char c : std::string("GIF89a"))  // (a loop: GCC 12 misreads insert() of chars here)
        bytes_.push_back(static_cast<uint8_t>(c));
    put_u16(width);
    put_u16(height);
    bytes_.push_back(0x00);  // no global colour table: each frame brings its own
    bytes_.push_back(0x00);  // background colour index
    bytes_.push_back(0x00);  // square pixels
    if (loops >= 0) {
        bytes_.push_back(0x21);
        bytes_.push_back(0xFF);
        bytes_.push_back(11);
        for (const char c : std::string("NETSCAPE2.0"))
            bytes_.push_back(static_cast<uint8_t>(c));
        bytes_.push_back(3);
        bytes_.push_back(1);
        put_u16(std::min(loops, 65535));
        bytes_.push_back(0);
    }
}

void GifWriter::put_u16(int v) {
    bytes_.push_back(static_cast<uint8_t>(v & 0xFF));
    bytes_.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}

void GifWriter::add_frame(const RgbImage& frame, int delay_cs) {
    if (finished_) throw InternalError("GifWriter: add_frame after finish");
    if (frame.width != width_ || frame.height != height_ ||
        frame.pixels.size() != static_cast<size_t>(width_) * static_cast<size_t>(height_) * 3)
        throw ConfigError("GIF frame " + std::to_string(frames_) + ": " + std::to_string(frame.width) + " x " +
                          std::to_string(frame.height) + " px, the animation is " + std::to_string(width_) + " x " +
                          std::to_string(height_));
    if (delay_cs < 0 || delay_cs > 65535)
        throw ConfigError("GIF frame delay " + std::to_string(delay_cs) + " cs: must be 0..65535");

    // The rectangle that differs from what the viewer already shows (all of the first frame).
    int x0 = 0, y0 = 0, x1 = width_, y1 = height_;
    if (frames_ > 0) {
        x0 = width_, y0 = height_, x1 = 0, y1 = 0;
        const size_t row = static_cast<size_t>(width_) * 3;
        for (int y = 0; y < height_; ++y) {
            const uint8_t* a = &frame.pixels[static_cast<size_t>(y) * row];
            const uint8_t* b = &previous_.pixels[static_cast<size_t>(y) * row];
            for (int x = 0; x < width_; ++x)
                if (a[x * 3] != b[x * 3] || a[x * 3 + 1] != b[x * 3 + 1] || a[x * 3 + 2] != b[x * 3 + 2]) {
                    x0 = std::min(x0, x), x1 = std::max(x1, x + 1);
                    y0 = std::min(y0, y), y1 = std::max(y1, y + 1);
                }
        }
        if (x1 <= x0) x0 = 0, y0 = 0, x1 = 1, y1 = 1;  // nothing changed: one pixel carries the delay
    }
    RgbImage part;
    part.width = x1 - x0;
    part.height = y1 - y0;
    part.pixels.resize(static_cast<size_t>(part.width) * static_cast<size_t>(part.height) * 3);
    for (int y = 0; y < part.height; ++y)
        std::copy_n(
            &frame.pixels[(static_cast<size_t>(y0 + y) * static_cast<size_t>(width_) + static_cast<size_t>(x0)) * 3],
            static_cast<size_t>(part.width) * 3,
            &part.pixels[static_cast<size_t>(y) * static_cast<size_t>(part.width) * 3]);
    const IndexedImage indexed = quantize(part, 256);

    // What the viewer shows now: the quantised colours, so the next frame's rectangle also covers
    // pixels whose colour the palette moved.
    if (frames_ == 0) previous_ = frame;
    for (int y = 0; y < part.height; ++y)
        for (int x = 0; x < part.width; ++x) {
            const Colour& c = indexed.palette[indexed.indices[static_cast<size_t>(y) * static_cast<size_t>(part.width) +
                                                              static_cast<size_t>(x)]];
            uint8_t* p =
                &previous_
                     .pixels[(static_cast<size_t>(y0 + y) * static_cast<size_t>(width_) + static_cast<size_t>(x0 + x)) *
                             3];
            p[0] = c[0], p[1] = c[1], p[2] = c[2];
        }

    // Graphic control extension: disposal 1 (leave in place), the delay, no transparency.
    bytes_.insert(bytes_.end(), {0x21, 0xF9, 0x04, 0x04});
    put_u16(delay_cs);
    bytes_.insert(bytes_.end(), {0x00, 0x00});
    // Image descriptor with a local colour table of 2^bits entries.
    int bits = 1;
    while ((1 << bits) < static_cast<int>(indexed.palette.size()))
        ++bits;
    bytes_.push_back(0x2C);
    put_u16(x0);
    put_u16(y0);
    put_u16(part.width);
    put_u16(part.height);
    bytes_.push_back(static_cast<uint8_t>(0x80 | (bits - 1)));
    for (int i = 0; i < (1 << bits); ++i) {
        const Colour c =
            i < static_cast<int>(indexed.palette.size()) ? indexed.palette[static_cast<size_t>(i)] : Colour{0, 0, 0};
        bytes_.insert(bytes_.end(), c.begin(), c.end());
    }
    const int min_code_size = std::max(2, bits);
    bytes_.push_back(static_cast<uint8_t>(min_code_size));
    const std::vector<uint8_t> lzw = gif_lzw_encode(indexed.indices, min_code_size);
    for (size_t i = 0; i < lzw.size(); i += 255) {
        const size_t n = std::min<size_t>(255, lzw.size() - i);
        bytes_.push_back(static_cast<uint8_t>(n));
        bytes_.insert(bytes_.end(), lzw.begin() + static_cast<std::ptrdiff_t>(i),
                      lzw.begin() + static_cast<std::ptrdiff_t>(i + n));
    }
    bytes_.push_back(0x00);
    ++frames_;
}

std::vector<uint8_t> GifWriter::finish() {
    if (frames_ == 0) throw ConfigError("GIF: no frame to write");
    if (!finished_) bytes_.push_back(0x3B);
    finished_ = true;
    return bytes_;
}

void write_gif(const std::string& path, GifWriter& writer) {
    const std::vector<uint8_t> bytes = writer.finish();
    write_file_atomically(path, bytes);
}

}  // namespace attn
