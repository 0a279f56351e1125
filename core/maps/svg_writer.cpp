#include "maps/svg_writer.h"

#include "errors.h"

#include <cmath>
#include <cstdio>

namespace attn {

namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The code point of the UTF-8 sequence at text[i] and its length; 0 when the bytes there are not
// strict UTF-8 (stray or missing continuation bytes, overlong forms, surrogates, past U+10FFFF).
size_t utf8_sequence(const std::string& text, size_t i, char32_t& cp) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    size_t n = 0;
    char32_t least = 0;
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
        cp = b0 & 0x1Fu;
        least = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        cp = b0 & 0x0Fu;
        least = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        cp = b0 & 0x07u;
        least = 0x10000;
    } else {
        return 0;
    }
    if (i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        const unsigned char c = byte(i + k);
        if ((c & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// What XML 1.0 allows as a character (its production Char), apart from the escaped ones.
bool xml_char(char32_t cp) {
    if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    return cp != 0xFFFE && cp != 0xFFFF;
}

bool wide(char32_t cp) {
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

}  // namespace

std::string xml_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const size_t n = utf8_sequence(text, i, cp);
        if (n == 0) {  // one bad byte, one replacement character
            out += kReplacement;
            ++i;
            continue;
        }
        switch (cp) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                if (xml_char(cp))
                    out.append(text, i, n);
                else
                    out += kReplacement;
        }
        i += n;
    }
    return out;
}

void XmlWriter::start(const std::string& tag, const XmlAttributes& attributes) {
    out_ += std::string(open_.size(), ' ') + "<" + tag;
    for (const auto& [name, value] : attributes)
        out_ += " " + name + "=\"" + xml_escape(value) + "\"";
}

void XmlWriter::open(const std::string& tag, const XmlAttributes& attributes) {
    start(tag, attributes);
    out_ += ">\n";
    open_.push_back(tag);
}

void XmlWriter::leaf(const std::string& tag, const XmlAttributes& attributes) {
    start(tag, attributes);
    out_ += "/>\n";
}

void XmlWriter::element(const std::string& tag, const XmlAttributes& attributes, const std::string& text) {
    start(tag, attributes);
    out_ += ">" + xml_escape(text) + "</" + tag + ">\n";
}

void XmlWriter::close() {
    ATTN_CHECK(!open_.empty(), "XmlWriter::close without an open element");
    const std::string tag = open_.back();
    open_.pop_back();
    out_ += std::string(open_.size(), ' ') + "</" + tag + ">\n";
}

std::string XmlWriter::finish() {
    while (!open_.empty())
        close();
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + out_;
}

std::string svg_colour(const std::array<uint8_t, 3>& rgb) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
    return buf;
}

std::string svg_number(double v) {
    if (!std::isfinite(v)) v = 0.0;
    const double rounded = std::round(v * 1000.0) / 1000.0;
    char buf[40];
    if (rounded == std::floor(rounded) && std::fabs(rounded) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", rounded);
    else
        std::snprintf(buf, sizeof buf, "%.3f", rounded);
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0')
            s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s == "-0" ? "0" : s;
}

std::string weight_text(float v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

std::string base64(const std::vector<uint8_t>& bytes) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < bytes.size()) {
        const bool two = i + 1 < bytes.size();
        const uint32_t v = (uint32_t{bytes[i]} << 16) | (two ? uint32_t{bytes[i + 1]} << 8 : 0u);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += two ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

double label_width(const std::string& text, double font_px) {
    double em = 0.0;
    for (size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const size_t n = utf8_sequence(text, i, cp);
        em += n == 0 ? 1.0 : wide(cp) ? 1.0 : 0.6;
        i += n == 0 ? 1 : n;
    }
    return em * font_px;
}

}  // namespace attn
