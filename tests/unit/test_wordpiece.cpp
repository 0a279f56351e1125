// BERT's tokenizer (core/text/wordpiece.h) and the Unicode operations under it. Expected values are
// what Python 3.11 and transformers' BertTokenizer give (unicodedata.normalize, str.lower, the
// BasicTokenizer + WordPiece rules); the live comparison over many sentences is
// tests/torch/hf_compare.py against tests/torch/wordpiece_reference.py.
#include "errors.h"
#include "text/wordpiece.h"
#include "text/wordpiece_unicode.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <fstream>

namespace attn {
namespace {

using Pieces = std::vector<std::string>;

// A vocabulary with [PAD] at id 3, not 0.
std::vector<std::string> small_vocab() {
    return {"[unused0]", "[UNK]", "[CLS]", "[PAD]", "[SEP]", "[MASK]", "un",  "##aff", "##able", "the",
            "cat",       "##s",   "a",     ",",     "!",     ".",      "我",  "爱",    "cafe",   "café",
            "hello",     "world", "Hello", "e",     "##e",   "x",      "##x", "οδοσ",  "i",      "istanbul",
            "ᄒ",        "##ᅡ",  "##ᆫ",  "[",     "]",     "mask",   "—"};
}

WordPieceTokenizer make(WordPieceSettings s = {}) {
    return WordPieceTokenizer(small_vocab(), s, "vocab.txt");
}

TEST(WordpieceUnicode, NormalisesAsPython) {
    EXPECT_EQ(nfd(U"é"), U"e\u0301");
    EXPECT_EQ(nfc(U"e\u0301"), U"é");
    EXPECT_EQ(nfd(U"한"), U"\u1112\u1161\u11ab");  // Hangul by arithmetic
    EXPECT_EQ(nfc(U"\u1112\u1161\u11ab"), U"한");
    EXPECT_EQ(nfd(U"ậ"), U"a\u0323\u0302");  // canonical order: dot below (220) before circumflex (230)
    EXPECT_EQ(nfc(U"a\u0302\u0323"), U"\u1ead");
    EXPECT_EQ(nfc(U"\u212b"), U"\u00c5");                // the Angstrom sign is a singleton: NFC makes it Å
    EXPECT_EQ(nfc(U"\ufb01"), U"\ufb01");                // compatibility ligature: unchanged
    EXPECT_EQ(nfc(U"\u0344"), U"\u0308\u0301");          // excluded from composition
    EXPECT_EQ(nfc(U"\u1e33\u0301"), U"\u1e33\u0301");    // ḳ́: k + dot below composes, the acute stays
    EXPECT_EQ(nfc(U"q\u0307\u0323"), U"q\u0323\u0307");  // reordered, nothing composes with q
}

TEST(WordpieceUnicode, LowersAsPython) {
    EXPECT_EQ(python_lower(U"İ"), U"i\u0307");
    EXPECT_EQ(python_lower(U"ΟΔΟΣ"), U"οδος");  // final sigma
    EXPECT_EQ(python_lower(U"Σ"), U"σ");
    EXPECT_EQ(python_lower(U"ΑΣ."), U"ας.");
    EXPECT_EQ(python_lower(U"ΑΣ\u0301"), U"ας\u0301");  // the accent is case-ignorable
    EXPECT_EQ(python_lower(U"ΑΣΑ"), U"ασα");
    EXPECT_EQ(python_lower(U"ÀÉÎ ＡＢ"), U"àéî ａｂ");
}

TEST(WordpieceUnicode, ClassifiesAsUnicodedata) {
    EXPECT_EQ(char_class(0x200B), CharClass::Control);  // Cf
    EXPECT_EQ(char_class(0x00AD), CharClass::Control);  // soft hyphen, Cf
    EXPECT_EQ(char_class(0x0378), CharClass::Control);  // unassigned, Cn
    EXPECT_EQ(char_class(0xE000), CharClass::Control);  // private use, Co
    EXPECT_EQ(char_class(0x3000), CharClass::SpaceSeparator);
    EXPECT_EQ(char_class(0x2028), CharClass::Other);  // Zl: not Zs, yet str.split splits on it
    EXPECT_TRUE(python_isspace(0x2028));
    EXPECT_EQ(char_class(0x3002), CharClass::Punctuation);  // 。
    EXPECT_EQ(char_class(U'$'), CharClass::Other);          // Sc: BERT counts it as punctuation anyway
    EXPECT_EQ(char_class(0x0301), CharClass::NonspacingMark);
    EXPECT_EQ(char_class(0x110000), CharClass::Control);
}

TEST(Wordpiece, GreedyLongestMatchFirst) {
    const WordPieceTokenizer t = make();
    EXPECT_EQ(t.tokenize("unaffable cats", "s"), (Pieces{"un", "##aff", "##able", "cat", "##s"}));
    EXPECT_EQ(t.tokenize("unknownword", "s"), (Pieces{"[UNK]"}));          // no piece covers it: the whole word
    EXPECT_EQ(t.tokenize("catz", "s"), (Pieces{"[UNK]"}));                 // a prefix matched, the rest did not
    EXPECT_EQ(t.tokenize(std::string(100, 'x'), "s").size(), 100u);        // x ##x ##x ...
    EXPECT_EQ(t.tokenize(std::string(101, 'x'), "s"), (Pieces{"[UNK]"}));  // over 100 characters
}

TEST(Wordpiece, BasicTokenizerSteps) {
    const WordPieceTokenizer t = make();
    EXPECT_EQ(t.tokenize("Hello, World!", "s"), (Pieces{"hello", ",", "world", "!"}));
    EXPECT_EQ(t.tokenize("Café", "s"), (Pieces{"cafe"}));                      // lower + strip accents
    EXPECT_EQ(t.tokenize("我爱cat", "s"), (Pieces{"我", "爱", "cat"}));        // CJK spaced apart
    EXPECT_EQ(t.tokenize(std::string("c\0a\x07t", 5), "s"), (Pieces{"cat"}));  // controls dropped
    EXPECT_EQ(t.tokenize("ca\u200bt the\u3000cat", "s"), (Pieces{"cat", "the", "cat"}));
    EXPECT_EQ(t.tokenize("ΟΔΟΣ", "s"), (Pieces{"οδοσ"}));  // lowered a character at a time: no final sigma
    EXPECT_EQ(t.tokenize("İstanbul", "s"), (Pieces{"istanbul"}));
    EXPECT_EQ(t.tokenize("한", "s"), (Pieces{"ᄒ", "##ᅡ", "##ᆫ"}));  // NFD splits the syllable into jamo
    EXPECT_EQ(t.tokenize("the [MASK] [mask] cat", "s"), (Pieces{"the", "[MASK]", "[", "mask", "]", "cat"}));
    EXPECT_EQ(t.tokenize(" \t\n ", "s"), Pieces{});
}

TEST(Wordpiece, CasedAndAccentSettings) {
    WordPieceSettings cased;
    cased.do_lower_case = false;
    EXPECT_EQ(make(cased).tokenize("Hello café", "s"), (Pieces{"Hello", "café"}));
    EXPECT_EQ(make(cased).tokenize("cafe\u0301", "s"), (Pieces{"café"}));  // NFC composes it
    cased.strip_accents = true;
    EXPECT_EQ(make(cased).tokenize("café", "s"), (Pieces{"cafe"}));
    WordPieceSettings keep_accents;
    keep_accents.strip_accents = false;
    EXPECT_EQ(make(keep_accents).tokenize("CAFÉ", "s"), (Pieces{"café"}));
    WordPieceSettings no_cjk;
    no_cjk.tokenize_chinese_chars = false;
    EXPECT_EQ(make(no_cjk).tokenize("我爱", "s"), (Pieces{"[UNK]"}));
}

TEST(Wordpiece, BatchPadsWithThePadIdAndTruncatesKeepingSep) {
    const WordPieceTokenizer t = make();
    WordPieceBatch b = encode_wordpiece_batch(t, {"the cat", "a"}, 0);
    ASSERT_EQ(b.input_ids.shape, (Shape{2, 4}));
    EXPECT_EQ(b.input_ids.dtype, DType::Int64);
    const std::vector<float> ids(b.input_ids.data.begin(), b.input_ids.data.end());
    EXPECT_EQ(ids, (std::vector<float>{2, 9, 10, 4, 2, 12, 4, 3}));  // [PAD] is id 3 in this vocabulary
    const std::vector<float> mask(b.attention_mask.data.begin(), b.attention_mask.data.end());
    EXPECT_EQ(mask, (std::vector<float>{1, 1, 1, 1, 1, 1, 1, 0}));
    EXPECT_EQ(b.tokens[1], (Pieces{"[CLS]", "a", "[SEP]", "[PAD]"}));
    EXPECT_TRUE(b.warnings.empty());

    WordPieceBatch cut = encode_wordpiece_batch(t, {"the cat the cat the", "a"}, 5);
    EXPECT_EQ(cut.tokens[0], (Pieces{"[CLS]", "the", "cat", "the", "[SEP]"}));
    ASSERT_EQ(cut.warnings.size(), 1u);
    EXPECT_NE(cut.warnings[0].find("sentence 1 has 7 tokens"), std::string::npos) << cut.warnings[0];
    EXPECT_NE(cut.warnings[0].find("[SEP] kept"), std::string::npos);

    WordPieceBatch empty = encode_wordpiece_batch(t, {""}, 0);
    EXPECT_EQ(empty.tokens[0], (Pieces{"[CLS]", "[SEP]"}));
    EXPECT_THROW(encode_wordpiece_batch(t, {}, 0), TextError);
    EXPECT_THROW(encode_wordpiece_batch(t, {"ok", "bad \xff byte"}, 0), TextError);
}

TEST(Wordpiece, VocabFileAsLoadVocabReadsIt) {
    test::TempFolder dir;
    const std::string path = (dir.path / "vocab.txt").string();
    std::ofstream(path, std::ios::binary) << "[PAD]\r\n[UNK]\n[CLS]\r[SEP]\nthe\nthe\n\ncat";
    const std::vector<std::string> v = WordPieceTokenizer::read_vocab(path);
    EXPECT_EQ(v, (std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "the", "", "cat"}));
    const WordPieceTokenizer t(v, {}, path);
    EXPECT_EQ(t.id_of("the"), 5);  // listed twice: the last line wins, as in load_vocab's dict
    EXPECT_EQ(t.pad_id(), 0);
    EXPECT_EQ(t.id_of("dog"), t.unk_id());

    test::expect_file_error([&] { WordPieceTokenizer({"[CLS]", "[SEP]", "[PAD]"}, {}, "v.txt"); }, {"v.txt", "[UNK]"});
    std::ofstream(path, std::ios::binary) << "ok\nbad\xc3(\n";
    test::expect_file_error([&] { WordPieceTokenizer::read_vocab(path); }, {"vocab.txt line 2", "UTF-8"});
}

TEST(Wordpiece, TokenizerConfig) {
    test::TempFolder dir;
    const std::string path = (dir.path / "tokenizer_config.json").string();
    std::ofstream(path)
        << R"({"do_lower_case": false, "strip_accents": null, "model_max_length": 1000000000000000019884624838656,
        "unk_token": {"content": "<unk>", "lstrip": false}, "cls_token": "<s>", "tokenizer_class": "BertTokenizer"})";
    const WordPieceSettings s = read_wordpiece_settings(path);
    EXPECT_FALSE(s.do_lower_case);
    EXPECT_FALSE(s.strip_accents.has_value());
    EXPECT_EQ(s.model_max_length, 0);  // "no limit"
    EXPECT_EQ(s.unk_token, "<unk>");
    EXPECT_EQ(s.cls_token, "<s>");
    std::ofstream(path) << R"({"do_lower_case": "yes"})";
    test::expect_file_error([&] { read_wordpiece_settings(path); },
                            {"tokenizer_config.json", "do_lower_case", "\"yes\""});
    std::ofstream(path) << "[1, 2";
    test::expect_file_error([&] { read_wordpiece_settings(path); }, {"tokenizer_config.json", "not JSON"});
}

}  // namespace
}  // namespace attn
