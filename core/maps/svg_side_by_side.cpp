#include "maps/svg_side_by_side.h"

#include <algorithm>
#include <cstdio>

namespace attn {

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

std::string colour(const std::array<uint8_t, 3>& c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
    return buf;
}

// The document without its XML declaration, its ids prefixed, placed at x.
std::string nested(std::string doc, const std::string& prefix, int x) {
    if (doc.compare(0, 5, "<?xml") == 0) {
        const size_t end = doc.find("?>");
        doc = end == std::string::npos ? doc : doc.substr(end + 2);
    }
    replace_all(doc, "id=\"", "id=\"" + prefix);
    replace_all(doc, "url(#", "url(#" + prefix);
    replace_all(doc, "href=\"#", "href=\"#" + prefix);
    const size_t svg = doc.find("<svg ");
    if (svg != std::string::npos) doc.insert(svg + 5, "x=\"" + std::to_string(x) + "\" y=\"0\" ");
    return doc;
}

}  // namespace

std::string svg_side_by_side(const std::vector<SvgPart>& parts, const ExportTheme& theme, int gap) {
    int width = 0, height = 1;
    for (const SvgPart& p : parts) {
        width += (width > 0 ? gap : 0) + p.width;
        height = std::max(height, p.height);
    }
    width = std::max(width, 1);
    const std::string w = std::to_string(width), h = std::to_string(height);
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
        "xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" width=\"" +
        w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\">\n <rect width=\"" + w + "\" height=\"" + h +
        "\" fill=\"" + colour(theme.background) + "\"/>\n";
    int x = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        out += nested(parts[i].text, "p" + std::to_string(i) + "_", x);
        x += parts[i].width + gap;
    }
    return out + "</svg>\n";
}

}  // namespace attn
