#include "diagram_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

namespace attn::gui::anim {

namespace {

// The painter draws text with its top at y - ay * size and its cap height about 0.72 of the
// size; an SVG <text> is placed at its baseline, which sits about 0.8 of the size below the top.
constexpr float kBaselineOfSize = 0.8f;
constexpr float kHatchSpacing = 6.0f;  // canvas units between stripes, as the GL painter's

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string num(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(v));
    std::string s = buf;
    while (!s.empty() && s.back() == '0')
        s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

int channel(float v) {
    return static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
}

std::string colour(const Rgba& c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", channel(c.r), channel(c.g), channel(c.b));
    return buf;
}

using ColourKey = std::tuple<int, int, int>;

ColourKey key_of(const Rgba& c) {
    return {channel(c.r), channel(c.g), channel(c.b)};
}

}  // namespace

std::string picture_svg(const Picture& picture, const std::string& title) {
    // One hatch pattern per stripe colour; each masked box fills a second rect with it.
    struct Hatch {
        std::string id;
        Rgba colour;
    };
    std::map<ColourKey, Hatch> patterns;
    for (const Box& b : picture.boxes)
        if (b.hatch.a > 0.0f && b.alpha > 0.0f && !patterns.count(key_of(b.hatch)))
            patterns.emplace(key_of(b.hatch), Hatch{"hatch" + std::to_string(patterns.size()), b.hatch});

    std::ostringstream svg;
    svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(kCanvasW) << "\" height=\"" << num(kCanvasH)
        << "\" viewBox=\"0 0 " << num(kCanvasW) << ' ' << num(kCanvasH) << "\">\n"
        << "<title>" << escape(title) << "</title>\n";
    if (!patterns.empty()) {
        svg << "<defs>\n";
        for (const auto& [key, hatch] : patterns)
            svg << "<pattern id=\"" << hatch.id << "\" width=\"" << num(kHatchSpacing) << "\" height=\""
                << num(kHatchSpacing) << "\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                << "<rect width=\"" << num(kHatchSpacing / 2) << "\" height=\"" << num(kHatchSpacing) << "\" fill=\""
                << colour(hatch.colour) << "\"/></pattern>\n";
        svg << "</defs>\n";
    }
    svg << "<rect width=\"100%\" height=\"100%\" fill=\"" << colour(kCanvasBackground) << "\"/>\n";
    for (const Box& b : picture.boxes) {
        if (b.alpha <= 0.0f || (b.fill.a <= 0.0f && b.edge.a <= 0.0f && b.hatch.a <= 0.0f)) continue;
        const std::string geometry = "x=\"" + num(b.x) + "\" y=\"" + num(b.y) + "\" width=\"" + num(b.w) +
                                     "\" height=\"" + num(b.h) + "\" rx=\"" + num(b.radius) + "\"";
        svg << "<rect data-id=\"" << escape(b.id) << "\" " << geometry;
        if (b.fill.a > 0.0f)
            svg << " fill=\"" << colour(b.fill) << "\" fill-opacity=\"" << num(b.fill.a * b.alpha) << "\"";
        else
            svg << " fill=\"none\"";
        if (b.edge.a > 0.0f && b.edge_width > 0.0f)
            svg << " stroke=\"" << colour(b.edge) << "\" stroke-opacity=\"" << num(b.edge.a * b.alpha)
                << "\" stroke-width=\"" << num(b.edge_width) << "\"";
        svg << "/>\n";
        if (b.hatch.a > 0.0f) {
            svg << "<rect " << geometry << " fill=\"url(#" << patterns.at(key_of(b.hatch)).id << ")\" fill-opacity=\""
                << num(b.hatch.a * b.alpha) << "\"/>\n";
        }
    }
    for (const Label& l : picture.labels) {
        if (l.alpha <= 0.0f || l.colour.a <= 0.0f || l.text.empty()) continue;
        const char* anchor = l.ax < 0.25f ? "start" : (l.ax > 0.75f ? "end" : "middle");
        const float baseline = l.y - l.ay * l.size + kBaselineOfSize * l.size;
        svg << "<text data-id=\"" << escape(l.id) << "\" x=\"" << num(l.x) << "\" y=\"" << num(baseline)
            << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"" << num(l.size) << "\" text-anchor=\"" << anchor
            << "\" fill=\"" << colour(l.colour) << "\" fill-opacity=\"" << num(l.colour.a * l.alpha) << "\">"
            << escape(l.text) << "</text>\n";
    }
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace attn::gui::anim
