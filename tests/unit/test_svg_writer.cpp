// core/maps/svg_writer: XML escaping of any label, base64 against RFC 4648's test vectors, and
// numbers and weights written so that they read back as the same values.
#include "maps/svg_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace attn;

TEST(SvgWriter, EscapesMarkupAndKeepsCjkAndEmoji) {
    EXPECT_EQ(xml_escape("a<b & \"c\" 'd' >"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
    EXPECT_EQ(xml_escape("汤姆追逐杰瑞 😀"), "汤姆追逐杰瑞 😀");  // UTF-8 stays as it is
    EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;");                // escaped once more, never taken as markup
}

TEST(SvgWriter, BadBytesAndControlCharactersBecomeTheReplacementCharacter) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(xml_escape(std::string("a\x01"
                                     "b")),
              "a" + fffd + "b");                                             // XML 1.0 has no U+0001
    EXPECT_EQ(xml_escape("tab\tnew\nline"), "tab\tnew\nline");               // these three it has
    EXPECT_EQ(xml_escape(std::string("\xFF")), fffd);                        // never UTF-8
    EXPECT_EQ(xml_escape(std::string("\xE6\xB1")), fffd + fffd);             // cut short: one per byte
    EXPECT_EQ(xml_escape(std::string("\xC0\xAF")), fffd + fffd);             // overlong '/'
    EXPECT_EQ(xml_escape(std::string("\xED\xA0\x80")), fffd + fffd + fffd);  // a UTF-16 surrogate
    EXPECT_EQ(xml_escape(std::string("\xEF\xBF\xBF")), fffd);                // U+FFFF is not an XML character
    EXPECT_EQ(xml_escape(std::string("x\0y", 3)), "x" + fffd + "y");
}

TEST(SvgWriter, Base64MatchesRfc4648) {
    const auto b64 = [](const std::string& s) { return base64(std::vector<uint8_t>(s.begin(), s.end())); };
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("f"), "Zg==");
    EXPECT_EQ(b64("fo"), "Zm8=");
    EXPECT_EQ(b64("foo"), "Zm9v");
    EXPECT_EQ(b64("foob"), "Zm9vYg==");
    EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64({0xFF, 0xFE, 0xFD}), "//79");
}

TEST(SvgWriter, WeightsReadBackAsTheSameFloat) {
    const float values[] = {0.0f, 1.0f, 0.2f, 1.0f / 3.0f, 1e-30f, 3.4e38f, std::nextafter(0.5f, 1.0f), 1.4e-45f};
    for (float v : values) {
        const std::string t = weight_text(v);
        EXPECT_EQ(std::strtof(t.c_str(), nullptr), v) << t;
    }
    EXPECT_EQ(weight_text(std::numeric_limits<float>::quiet_NaN()), "NaN");
    EXPECT_EQ(weight_text(-std::numeric_limits<float>::infinity()), "-inf");
    EXPECT_EQ(svg_number(12.0), "12");
    EXPECT_EQ(svg_number(12.5), "12.5");
    EXPECT_EQ(svg_number(1.0 / 3.0), "0.333");
    EXPECT_EQ(svg_number(-0.0001), "0");
    EXPECT_EQ(svg_colour({255, 0, 26}), "#ff001a");
}

TEST(SvgWriter, ElementsAreNestedAndClosedWithEscapedAttributes) {
    XmlWriter w;
    w.open("svg", {{"xmlns", "http://www.w3.org/2000/svg"}});
    w.open("g", {{"data-label", "a\"<b"}});
    w.element("text", {}, "x & y");
    w.leaf("rect", {{"width", "1"}});
    const std::string doc = w.finish();  // closes g and svg
    EXPECT_EQ(doc.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
    EXPECT_NE(doc.find("<g data-label=\"a&quot;&lt;b\">"), std::string::npos) << doc;
    EXPECT_NE(doc.find("<text>x &amp; y</text>"), std::string::npos) << doc;
    EXPECT_NE(doc.find("<rect width=\"1\"/>"), std::string::npos) << doc;
    EXPECT_LT(doc.find("</g>"), doc.find("</svg>"));
}

TEST(SvgWriter, LabelWidthCountsWideCharactersAsOneEm) {
    EXPECT_DOUBLE_EQ(label_width("ab", 10.0), 12.0);
    EXPECT_DOUBLE_EQ(label_width("汤姆", 10.0), 20.0);
    EXPECT_DOUBLE_EQ(label_width("😀", 10.0), 10.0);
}
