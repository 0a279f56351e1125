// The tokenizer and the batch the modules get: tokens, ids by first appearance, pad id 0,
// pad_mask == input_ids.eq(0), max_len truncation and padding, and refusals of bad text.
#include "errors.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attn {
namespace {

using Tokens = std::vector<std::string>;

// Expects a TextError whose message contains every piece.
template <typename F>
void expect_text_error(F&& f, const std::vector<std::string>& pieces) {
    try {
        f();
        ADD_FAILURE() << "expected a TextError";
    } catch (const TextError& e) {
        const std::string msg = e.what();
        for (const auto& p : pieces)
            EXPECT_NE(msg.find(p), std::string::npos) << msg;
    }
}

TEST(Utf8, DecodesOneToFourByteSequences) {
    const std::vector<char32_t> cps = decode_utf8("a\xC3\xA9\xE6\x9D\xB0\xF0\x9F\x98\x80", "t");
    EXPECT_EQ(cps, (std::vector<char32_t>{U'a', U'é', U'杰', U'\U0001F600'}));
}

TEST(Utf8, EncodeRoundTripsEveryLength) {
    for (char32_t cp : {U'\0', U'a', U'\x7F', U'\x80', U'é', U'\x7FF', U'\x800', U'杰', U'\xFFFF', U'\U00010000',
                        U'\U0001F600', U'\U0010FFFF'}) {
        const std::string s = encode_utf8(cp);
        EXPECT_EQ(decode_utf8(s, "t"), std::vector<char32_t>{cp}) << static_cast<uint32_t>(cp);
    }
    EXPECT_EQ(encode_utf8(U'杰'), "\xE6\x9D\xB0");
    EXPECT_THROW(encode_utf8(0xD800), TextError);
    EXPECT_THROW(encode_utf8(0x110000), TextError);
}

TEST(Utf8, RefusesInvalidBytesNamingWhereAndOffset) {
    // Lone continuation byte at offset 3.
    expect_text_error([] { decode_utf8("abc\x80", "sentence 2"); }, {"sentence 2", "byte 3", "continuation"});
    // Overlong '/' (0xC0 0xAF) and overlong NUL (0xE0 0x80 0x80).
    expect_text_error([] { decode_utf8("x\xC0\xAF", "s"); }, {"byte 1", "overlong"});
    expect_text_error([] { decode_utf8(std::string("\xE0\x80\x80", 3), "s"); }, {"overlong"});
    expect_text_error([] { decode_utf8("\xF0\x82\x82\xAC", "s"); }, {"overlong"});
    // Surrogate U+D800 encoded directly.
    expect_text_error([] { decode_utf8("\xED\xA0\x80", "s"); }, {"byte 0", "surrogate"});
    // Above U+10FFFF: F4 90 80 80 is U+110000; F5..FF never occur.
    expect_text_error([] { decode_utf8("\xF4\x90\x80\x80", "s"); }, {"10FFFF"});
    expect_text_error([] { decode_utf8("\xF8\x88\x80\x80\x80", "s"); }, {"byte 0"});
    expect_text_error([] { decode_utf8("ok \xFF", "s"); }, {"byte 3"});
    // Truncated by the end of the text, and by an ASCII byte in the middle of a sequence.
    expect_text_error([] { decode_utf8("ab\xE6\x9D", "s"); }, {"byte 2", "end of the text"});
    expect_text_error(
        [] {
            decode_utf8(
                "\xE6"
                "a\xB0",
                "s");
        },
        {"byte 0", "not a continuation"});
}

TEST(Utf8, AcceptsBoundaries) {
    EXPECT_EQ(decode_utf8("\xED\x9F\xBF", "s"), std::vector<char32_t>{0xD7FF});
    EXPECT_EQ(decode_utf8("\xEE\x80\x80", "s"), std::vector<char32_t>{0xE000});
    EXPECT_EQ(decode_utf8("\xF4\x8F\xBF\xBF", "s"), std::vector<char32_t>{0x10FFFF});
    EXPECT_EQ(decode_utf8(std::string("a\0b", 3), "s"), (std::vector<char32_t>{'a', 0, 'b'}));
    EXPECT_TRUE(decode_utf8("", "s").empty());
}

TEST(Tokenizer, EnglishLowerCasedWithPunctuationApart) {
    EXPECT_EQ(tokenize("Tom chases Jerry!", "s"), (Tokens{"tom", "chases", "jerry", "!"}));
    EXPECT_EQ(tokenize("  Hello,world...  (ok)\t\n", "s"),
              (Tokens{"hello", ",", "world", ".", ".", ".", "(", "ok", ")"}));
    EXPECT_EQ(tokenize("don't-stop", "s"), (Tokens{"don", "'", "t", "-", "stop"}));
    EXPECT_EQ(tokenize("3.14", "s"), (Tokens{"3", ".", "14"}));
}

TEST(Tokenizer, SeedChineseSentenceIsOneTokenPerCharacter) {
    EXPECT_EQ(tokenize("汤姆追逐杰瑞", "s"), (Tokens{"汤", "姆", "追", "逐", "杰", "瑞"}));
}

TEST(Tokenizer, MixedScriptsSplitAtEveryCjkCharacter) {
    EXPECT_EQ(tokenize("Tom追Jerry!", "s"), (Tokens{"tom", "追", "jerry", "!"}));
    EXPECT_EQ(tokenize("我爱Python3和C++", "s"), (Tokens{"我", "爱", "python3", "和", "c", "+", "+"}));
}

TEST(Tokenizer, CjkPunctuationAndFullWidthForms) {
    EXPECT_EQ(
        tokenize("汤姆，你好！「是」《书》、对吗？。", "s"),
        (Tokens{"汤", "姆", "，", "你", "好", "！", "「", "是", "」", "《", "书", "》", "、", "对", "吗", "？", "。"}));
    // Ideographic space U+3000 separates; full-width letters are a word, lower-cased.
    EXPECT_EQ(tokenize("ＡＢ\u3000ｃ（ｘ）", "s"), (Tokens{"ａｂ", "ｃ", "（", "ｘ", "）"}));
}

TEST(Tokenizer, KanaHangulAndExtensionIdeographs) {
    EXPECT_EQ(tokenize("ひらカナ", "s"), (Tokens{"ひ", "ら", "カ", "ナ"}));
    EXPECT_EQ(tokenize("한국어 ok", "s"), (Tokens{"한", "국", "어", "ok"}));
    // Extension A U+3400, Extension B U+20000, compatibility ideograph U+F900.
    EXPECT_EQ(tokenize("a\u3400\U00020000\uF900b", "s"), (Tokens{"a", "\u3400", "\U00020000", "\uF900", "b"}));
}

TEST(Tokenizer, UnicodeSpacesAndPunctuation) {
    EXPECT_EQ(tokenize("a\u00A0b\u2003c\u202Fd\u3000e", "s"), (Tokens{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(tokenize("«wait…» — «¿sí?»", "s"), (Tokens{"«", "wait", "…", "»", "—", "«", "¿", "sí", "?", "»"}));
    EXPECT_EQ(tokenize("“quoted”", "s"), (Tokens{"“", "quoted", "”"}));
}

TEST(Tokenizer, LowerCasesLatinGreekCyrillic) {
    EXPECT_EQ(tokenize("ÉCOLE Łódź", "s"), (Tokens{"école", "łódź"}));
    EXPECT_EQ(tokenize("ΑΘΗΝΑ Άρης", "s"), (Tokens{"αθηνα", "άρης"}));
    EXPECT_EQ(tokenize("МОСКВА Ёлка", "s"), (Tokens{"москва", "ёлка"}));
    // Other scripts pass unchanged.
    EXPECT_EQ(tokenize("שלום", "s"), (Tokens{"שלום"}));
}

TEST(Tokenizer, EmojiAreTokensOfTheirOwn) {
    EXPECT_EQ(tokenize("I ❤ cats🐱🐱!", "s"), (Tokens{"i", "❤", "cats", "🐱", "🐱", "!"}));
    // Variation selector U+FE0F and zero-width joiner vanish instead of making invisible tokens.
    EXPECT_EQ(tokenize("ok\u2764\uFE0F", "s"), (Tokens{"ok", "\u2764"}));
    EXPECT_EQ(tokenize("\U0001F468\u200D\U0001F469", "s"), (Tokens{"\U0001F468", "\U0001F469"}));
    EXPECT_EQ(tokenize("sun\u2600moon", "s"), (Tokens{"sun", "\u2600", "moon"}));
}

TEST(Tokenizer, EmptyAndWhiteSpaceOnly) {
    EXPECT_TRUE(tokenize("", "s").empty());
    EXPECT_TRUE(tokenize(" \t\n\u3000\u00A0", "s").empty());
}

TEST(Tokenizer, InvalidUtf8NamesTheSentence) {
    expect_text_error([] { tokenize("caf\xC3", "sentence 3"); }, {"sentence 3", "byte 3"});
    expect_text_error([] { make_token_batch({"fine", "bad \xC0\x80"}, 0); }, {"sentence 2", "byte 4", "overlong"});
}

TEST(Tokenizer, RefusesMoreThanTheTokenLimit) {
    std::string many;
    for (int64_t i = 0; i < kMaxSentenceTokens; ++i)
        many += "! ";
    EXPECT_EQ(static_cast<int64_t>(tokenize(many, "s").size()), kMaxSentenceTokens);
    many += "!";
    expect_text_error([&] { tokenize(many, "sentence 1"); }, {"sentence 1", "100000 tokens"});
}

TEST(Tokenizer, BatchIdsByFirstAppearanceAcrossSentences) {
    const TokenBatch batch = make_token_batch({"Tom chases Jerry", "Jerry runs", "tom"}, 0);
    EXPECT_EQ(batch.vocab, (Tokens{"<pad>", "tom", "chases", "jerry", "runs"}));
    EXPECT_EQ(batch.input_ids.dtype, DType::Int64);
    EXPECT_EQ(batch.input_ids.shape, (Shape{3, 3}));
    EXPECT_EQ(batch.input_ids.data, (FloatStore{1, 2, 3, 3, 4, 0, 1, 0, 0}));
    EXPECT_EQ(batch.tokens[1], (Tokens{"jerry", "runs"}));
    EXPECT_TRUE(batch.warnings.empty());
}

TEST(Tokenizer, PadMaskIsInputIdsEqZero) {
    const TokenBatch batch = make_token_batch({"a b c d", "", "e f", "  "}, 0);
    EXPECT_EQ(batch.pad_mask.dtype, DType::Bool);
    ASSERT_EQ(batch.pad_mask.shape, batch.input_ids.shape);
    EXPECT_EQ(batch.input_ids.shape, (Shape{4, 4}));
    for (size_t i = 0; i < batch.input_ids.data.size(); ++i)
        EXPECT_EQ(batch.pad_mask.data[i], batch.input_ids.data[i] == 0.0f ? 1.0f : 0.0f) << i;
    // The empty and white-space rows are padding throughout, each with a warning.
    for (int64_t j = 0; j < 4; ++j) {
        EXPECT_EQ(batch.pad_mask.data[static_cast<size_t>(4 + j)], 1.0f);
        EXPECT_EQ(batch.pad_mask.data[static_cast<size_t>(12 + j)], 1.0f);
    }
    ASSERT_EQ(batch.warnings.size(), 2u);
    EXPECT_NE(batch.warnings[0].find("sentence 2 is empty"), std::string::npos);
    EXPECT_NE(batch.warnings[1].find("sentence 4 is empty"), std::string::npos);
}

TEST(Tokenizer, MaxLenTruncatesAndPads) {
    // Like the seed's main(): 3 sentences padded to length 5.
    const TokenBatch batch = make_token_batch({"one two three four five six seven eight nine", "two", "a b c d e"}, 5);
    EXPECT_EQ(batch.input_ids.shape, (Shape{3, 5}));
    EXPECT_EQ(batch.tokens[0], (Tokens{"one", "two", "three", "four", "five"}));
    ASSERT_EQ(batch.warnings.size(), 1u);
    EXPECT_EQ(batch.warnings[0], "sentence 1 has 9 tokens; truncated to max_len 5");
    // Truncated tokens get no id; "two" keeps its id in row 2.
    EXPECT_EQ(batch.vocab.size(), 1u + 5u + 5u);
    EXPECT_EQ(batch.input_ids.data[5], 2.0f);
    EXPECT_EQ(batch.input_ids.data[6], 0.0f);
    // A sentence exactly max_len long is not truncated, and no warning.
    EXPECT_EQ(batch.tokens[2].size(), 5u);

    // max_len larger than every sentence pads to max_len.
    const TokenBatch wide = make_token_batch({"a b"}, 7);
    EXPECT_EQ(wide.input_ids.shape, (Shape{1, 7}));
    EXPECT_EQ(wide.input_ids.data, (FloatStore{1, 2, 0, 0, 0, 0, 0}));
}

TEST(Tokenizer, BatchRefusals) {
    EXPECT_THROW(make_token_batch({}, 0), TextError);
    expect_text_error([] { make_token_batch({"", "  ", "\u3000"}, 5); }, {"empty"});
    EXPECT_THROW(make_token_batch({"a"}, -1), ConfigError);
}

}  // namespace
}  // namespace attn
