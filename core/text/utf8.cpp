#include "text/utf8.h"

#include "errors.h"

#include <cstdio>

namespace attn {

namespace {

std::string hex_byte(unsigned char b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
    return buf;
}

[[noreturn]] void fail(const std::string& where, size_t offset, unsigned char byte, const std::string& why) {
    throw TextError(where + ": invalid UTF-8 at byte " + std::to_string(offset) + " (" + hex_byte(byte) + "): " + why);
}

}  // namespace

std::string code_point_name(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

std::vector<char32_t> decode_utf8(const std::string& text, const std::string& where) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            out.push_back(lead);
            ++i;
            continue;
        }
        // Length and the smallest code point that needs this length (anything below it is an
        // overlong encoding, which is refused because it lets one character hide as another).
        size_t len = 0;
        char32_t cp = 0;
        char32_t min_cp = 0;
        if (lead < 0xC0) {
            fail(where, i, lead, "continuation byte without a lead byte");
        } else if (lead < 0xE0) {
            len = 2, cp = lead & 0x1Fu, min_cp = 0x80;
        } else if (lead < 0xF0) {
            len = 3, cp = lead & 0x0Fu, min_cp = 0x800;
        } else if (lead < 0xF8) {
            len = 4, cp = lead & 0x07u, min_cp = 0x10000;
        } else {
            fail(where, i, lead, "byte never used in UTF-8");
        }
        for (size_t k = 1; k < len; ++k) {
            if (i + k >= n) fail(where, i, lead, "sequence cut short by the end of the text");
            const auto c = static_cast<unsigned char>(text[i + k]);
            if ((c & 0xC0u) != 0x80u)
                fail(where, i, lead,
                     "sequence cut short: byte " + std::to_string(i + k) + " (" + hex_byte(c) +
                         ") is not a continuation byte");
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if (cp < min_cp)
            fail(where, i, lead,
                 "overlong encoding of " + code_point_name(cp) + " in " + std::to_string(len) + " bytes");
        if (cp >= 0xD800 && cp <= 0xDFFF) fail(where, i, lead, "UTF-16 surrogate code point");
        if (cp > 0x10FFFF) fail(where, i, lead, "code point above U+10FFFF");
        out.push_back(cp);
        i += len;
    }
    return out;
}

std::string encode_utf8(char32_t cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        throw TextError("cannot encode " + code_point_name(cp) + " as UTF-8 (surrogate or above U+10FFFF)");
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

}  // namespace attn
