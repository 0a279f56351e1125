// A small writer of SVG (XML) text for the vector export (svg_maps.h): elements and attributes,
// text escaped for XML, colours, numbers and weights written one fixed way, and base64 for the
// PNG pictures an SVG embeds. Whatever the labels hold (tokens with <, & or quotes, CJK, emoji,
// bytes that are not UTF-8), the document it makes is well-formed UTF-8 XML.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attn {

using XmlAttributes = std::vector<std::pair<std::string, std::string>>;

class XmlWriter {
public:
    // <tag a="v" ...> (attribute values escaped); closed by close().
    void open(const std::string& tag, const XmlAttributes& attributes = {});
    // <tag a="v" .../>
    void leaf(const std::string& tag, const XmlAttributes& attributes = {});
    // <tag a="v" ...>text</tag>, the text escaped.
    void element(const std::string& tag, const XmlAttributes& attributes, const std::string& text);
    // </tag> of the innermost open element.
    void close();
    // The XML declaration and everything written, every open element closed.
    std::string finish();

private:
    void start(const std::string& tag, const XmlAttributes& attributes);
    std::string out_;
    std::vector<std::string> open_;
};

// Text as XML character data or an attribute value: & < > " ' escaped; bytes that are not UTF-8
// and characters XML 1.0 does not allow (controls other than tab, newline and carriage return)
// become U+FFFD; everything else, CJK and emoji included, stays as its UTF-8.
std::string xml_escape(const std::string& text);

// "#1a2b3c"
std::string svg_colour(const std::array<uint8_t, 3>& rgb);
// A coordinate or length: integers as such, else up to 3 decimals ("12", "12.5", "0.333").
std::string svg_number(double v);
// A weight so that reading it back (strtof) gives the same float: 9 significant digits; "NaN",
// "inf", "-inf".
std::string weight_text(float v);
// RFC 4648 base64 with padding.
std::string base64(const std::vector<uint8_t>& bytes);

// Width of a label in px at `font_px`, estimated: wide characters (CJK, emoji, full-width forms)
// one em, others 0.6 em. Used to leave room for labels; renderers' fonts differ anyway.
double label_width(const std::string& text, double font_px);

}  // namespace attn
