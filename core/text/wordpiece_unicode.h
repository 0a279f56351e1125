// The Unicode operations BERT's tokenizer applies, as the Python that transformers runs on does
// them: the character classes transformers' BasicTokenizer tests (unicodedata.category), Python's
// str.lower (full mapping, final sigma included) and str.split's white space, and the NFC and NFD
// normalisations (unicodedata.normalize). The data comes from generated tables
// (wordpiece_unicode_tables.cpp, made by make_wordpiece_unicode.py from Python 3.11, Unicode 14).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {

// The categories BasicTokenizer asks about, each code point in exactly one.
enum class CharClass : uint8_t {
    Other = 0,
    Control = 1,         // category C*: Cc, Cf, Cs, Co, Cn (transformers' _is_control, bar \t \n \r)
    SpaceSeparator = 2,  // Zs
    Punctuation = 3,     // P*
    NonspacingMark = 4,  // Mn: what accent stripping drops after NFD
};

CharClass char_class(char32_t cp);

// str.isspace: what str.split() splits on.
bool python_isspace(char32_t cp);

// str.lower(): the full lower-case mapping (U+0130 becomes "i" + U+0307) and the final-sigma rule
// (capital sigma becomes U+03C2 after a cased letter and not before one).
std::u32string python_lower(const std::u32string& s);

// unicodedata.normalize("NFD", s) and ("NFC", s).
std::u32string nfd(const std::u32string& s);
std::u32string nfc(const std::u32string& s);

// The Unicode version of the tables ("14.0.0").
const char* wordpiece_unicode_version();

namespace wordpiece_tables {
// Generated data; see make_wordpiece_unicode.py for the layout of each.
extern const char unicode_version[];
extern const uint32_t class_runs[];  // start << 3 | class
extern const size_t class_runs_size;
extern const uint32_t lower_map[];  // pairs (code point, lower case), sorted
extern const size_t lower_map_size;
extern const uint32_t sigma_runs[];  // start << 2 | case_ignorable << 1 | cased
extern const size_t sigma_runs_size;
extern const uint32_t decomp_index[];  // triples (code point, offset in decomp_pool, length), sorted
extern const size_t decomp_index_size;
extern const uint32_t decomp_pool[];
extern const size_t decomp_pool_size;
extern const uint32_t ccc_runs[];  // start << 8 | canonical combining class
extern const size_t ccc_runs_size;
extern const uint32_t compose_map[];  // triples (first, second, composite), sorted by (first, second)
extern const size_t compose_map_size;
}  // namespace wordpiece_tables

}  // namespace attn
