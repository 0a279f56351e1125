// UTF-8 in and out. Sentences arrive as bytes (from the GUI's text fields, from argv, from files);
// everything after this point works on code points, so invalid bytes are refused here, once,
// with a message that says which sentence and which byte.
#pragma once

#include <string>
#include <vector>

namespace attn {

// Decodes strict UTF-8 (RFC 3629). Refused, with a TextError naming `where` (e.g. "sentence 2")
// and the byte offset of the bad sequence: stray continuation bytes, bytes 0xC0, 0xC1 and
// 0xF5..0xFF, overlong encodings, UTF-16 surrogates U+D800..U+DFFF, code points above U+10FFFF
// and sequences cut short by the end of the text or by a byte that is not a continuation byte.
// U+0000 is valid UTF-8 and is returned as is.
std::vector<char32_t> decode_utf8(const std::string& text, const std::string& where);

// One code point as 1 to 4 bytes. Surrogates and values above U+10FFFF cannot be encoded and
// throw TextError.
std::string encode_utf8(char32_t cp);

// "U+6770", "U+1F600": how messages name a code point.
std::string code_point_name(char32_t cp);

}  // namespace attn
