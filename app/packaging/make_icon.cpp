// make_icon SVG SIZE OUT.png: renders assets/icons/attnscope.svg to a SIZE x SIZE PNG with an
// alpha channel, at build time, so the hicolor theme gets bitmap sizes without an SVG library.
//
// It reads what that file uses and nothing more: the root's viewBox, <rect x y width height rx
// fill> and <line x1 y1 x2 y2 stroke stroke-width>, colours as #rrggbb, painted in file order.
// Each pixel is the mean of 8 x 8 samples (coverage anti-aliasing). Anything else in the file is
// an error, so a change to the SVG that this renderer would draw wrong fails the build instead.
#include "errors.h"
#include "io/atomic_file.h"

#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Shape {
    bool line = false;
    double x = 0, y = 0, w = 0, h = 0, rx = 0;      // rect
    double x1 = 0, y1 = 0, x2 = 0, y2 = 0, sw = 0;  // line
    std::array<double, 3> rgb{};
};

std::map<std::string, std::string> attributes(const std::string& tag) {
    std::map<std::string, std::string> out;
    static const std::regex kAttr(R"re(([a-zA-Z][a-zA-Z0-9:-]*)="([^"]*)")re");
    for (auto it = std::sregex_iterator(tag.begin(), tag.end(), kAttr); it != std::sregex_iterator(); ++it)
        out[(*it)[1]] = (*it)[2];
    return out;
}

double number(const std::map<std::string, std::string>& a, const char* key, double fallback = NAN) {
    const auto it = a.find(key);
    if (it == a.end()) {
        if (std::isnan(fallback)) throw attn::FileError(std::string("missing attribute ") + key);
        return fallback;
    }
    return std::stod(it->second);
}

std::array<double, 3> colour(const std::map<std::string, std::string>& a, const char* key) {
    const auto it = a.find(key);
    if (it == a.end() || it->second.size() != 7 || it->second[0] != '#')
        throw attn::FileError(std::string("") + key + " must be #rrggbb");
    const unsigned long v = std::stoul(it->second.substr(1), nullptr, 16);
    return {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

bool inside(const Shape& s, double px, double py) {
    if (s.line) {
        // Within half the stroke width of the segment (butt caps: between the end points).
        const double dx = s.x2 - s.x1, dy = s.y2 - s.y1, len2 = dx * dx + dy * dy;
        const double t = ((px - s.x1) * dx + (py - s.y1) * dy) / len2;
        if (t < 0.0 || t > 1.0) return false;
        const double cx = s.x1 + t * dx - px, cy = s.y1 + t * dy - py;
        return cx * cx + cy * cy <= s.sw * s.sw * 0.25;
    }
    if (px < s.x || px > s.x + s.w || py < s.y || py > s.y + s.h) return false;
    // Rounded corners: outside the corner's circle is outside.
    const double r = std::min({s.rx, s.w * 0.5, s.h * 0.5});
    const double cx = std::clamp(px, s.x + r, s.x + s.w - r), cy = std::clamp(py, s.y + r, s.y + s.h - r);
    return (px - cx) * (px - cx) + (py - cy) * (py - cy) <= r * r;
}

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: make_icon ICON.svg SIZE OUT.png\n");
        return 2;
    }
    try {
        std::ifstream in(argv[1]);
        if (!in) throw attn::FileError(std::string(argv[1]) + ": cannot be read");
        const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const int size = std::stoi(argv[2]);
        if (size < 16 || size > 1024) throw attn::ConfigError("SIZE must be 16..1024");

        double view = 0.0;
        std::vector<Shape> shapes;
        static const std::regex kTag(R"re(<([a-zA-Z?!/][^>]*)>)re");
        for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kTag); it != std::sregex_iterator(); ++it) {
            const std::string tag = (*it)[1];
            std::istringstream words(tag);
            std::string name;
            words >> name;
            const auto a = attributes(tag);
            if (name == "?xml" || name == "!--" || name.rfind("!--", 0) == 0 || name == "/svg") continue;
            if (name == "svg") {
                std::istringstream box(a.count("viewBox") ? a.at("viewBox") : "");
                double x0 = 0, y0 = 0, w = 0, h = 0;
                box >> x0 >> y0 >> w >> h;
                if (x0 != 0 || y0 != 0 || w <= 0 || w != h) throw attn::FileError("viewBox must be 0 0 N N");
                view = w;
            } else if (name == "rect") {
                Shape s;
                s.x = number(a, "x");
                s.y = number(a, "y");
                s.w = number(a, "width");
                s.h = number(a, "height");
                s.rx = number(a, "rx", 0.0);
                s.rgb = colour(a, "fill");
                shapes.push_back(s);
            } else if (name == "line") {
                Shape s;
                s.line = true;
                s.x1 = number(a, "x1");
                s.y1 = number(a, "y1");
                s.x2 = number(a, "x2");
                s.y2 = number(a, "y2");
                s.sw = number(a, "stroke-width");
                s.rgb = colour(a, "stroke");
                shapes.push_back(s);
            } else {
                throw attn::FileError(std::string(argv[1]) + ": <" + name + "> is not drawn by make_icon");
            }
        }
        if (view <= 0.0 || shapes.empty()) throw attn::FileError(std::string(argv[1]) + ": no <svg viewBox> or shapes");

        constexpr int kSamples = 8;
        std::vector<uint8_t> rgba(static_cast<size_t>(size) * size * 4);
        const double scale = view / size;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                // Premultiplied sums over the samples; each sample takes the topmost shape's colour.
                double r = 0, g = 0, b = 0, cover = 0;
                for (int sy = 0; sy < kSamples; ++sy)
                    for (int sx = 0; sx < kSamples; ++sx) {
                        const double px = (x + (sx + 0.5) / kSamples) * scale, py = (y + (sy + 0.5) / kSamples) * scale;
                        for (auto s = shapes.rbegin(); s != shapes.rend(); ++s)
                            if (inside(*s, px, py)) {
                                r += s->rgb[0], g += s->rgb[1], b += s->rgb[2], cover += 1;
                                break;
                            }
                    }
                uint8_t* p = &rgba[(static_cast<size_t>(y) * size + x) * 4];
                const double n = kSamples * kSamples;
                if (cover > 0) {
                    p[0] = static_cast<uint8_t>(std::lround(255.0 * r / cover));
                    p[1] = static_cast<uint8_t>(std::lround(255.0 * g / cover));
                    p[2] = static_cast<uint8_t>(std::lround(255.0 * b / cover));
                }
                p[3] = static_cast<uint8_t>(std::lround(255.0 * cover / n));
            }
        std::vector<uint8_t> png;
        if (!stbi_write_png_to_func(append_bytes, &png, size, size, 4, rgba.data(), size * 4))
            throw attn::FileError(std::string(argv[3]) + ": PNG encoding failed");
        attn::write_file_atomically(argv[3], png);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_icon: %s\n", e.what());
        return 2;
    }
    return 0;
}
