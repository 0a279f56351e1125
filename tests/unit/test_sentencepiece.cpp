// use-lite's tokenizer on small vocabularies whose results were worked out by hand from the
// JavaScript Tokenizer's rules (see text/sentencepiece.h), one quirk per test. The same
// vocabularies and the real 8,000-piece one also go through the package's own Tokenizer in node
// (tests/tfjs/oracle.js), which must give the same ids.
#include "errors.h"
#include "text/sentencepiece.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attn {
namespace {

using Ids = std::vector<int64_t>;

// Ids 0..5 as in use-lite's vocab.json, then the given pieces from id 6 on.
SentencePieceTokenizer make(const std::vector<VocabPiece>& pieces) {
    std::vector<VocabPiece> v = {
        {"\xEF\xBF\xBD", 0},    {"<s>", 0}, {"</s>", 0}, {"extra_token_id_1", 0}, {"extra_token_id_2", 0},
        {"extra_token_id_3", 0}};
    v.insert(v.end(), pieces.begin(), pieces.end());
    return SentencePieceTokenizer(v);
}

const char* kSep = "\xE2\x96\x81";  // '▁' U+2581

std::string sep(const std::string& s) {
    return kSep + s;
}

TEST(SentencePiece, EmptyTextGivesNoIds) {
    const auto t = make({{sep("a"), -1}});
    EXPECT_EQ(t.encode("", "sentence 1"), Ids{});
}

TEST(SentencePiece, BestPathByScore) {
    // "▁ab": ▁a + b = -1 - 1.5 = -2.5 beats ▁ + ab = -4 - 1 = -5 and ▁ + a + b.
    const auto t = make({{sep("a"), -1}, {"b", -1.5}, {kSep, -4}, {"ab", -1}, {"a", -2}});
    EXPECT_EQ(t.encode("ab", "s"), (Ids{6, 7}));
    EXPECT_EQ(t.piece(6), sep("a"));
}

TEST(SentencePiece, SpacesBecomeSeparators) {
    const auto t = make({{sep("a"), -1}, {sep("b"), -1}, {kSep, -3}});
    EXPECT_EQ(t.encode("a b", "s"), (Ids{6, 7}));
    EXPECT_EQ(t.encode("a  b", "s"), (Ids{6, 8, 7}));  // two spaces: a lone ▁ between
    EXPECT_EQ(t.encode(" ", "s"), (Ids{8, 8}));        // whitespace only: ▁ prefix + ▁
}

TEST(SentencePiece, TiesGoToTheLaterCandidate) {
    // End 2 of "▁x": ▁x (start 0) scores -2; ▁ + x (start 1) scores -1 + -1 = -2 too, and wins.
    const auto t = make({{sep("x"), -2}, {kSep, -1}, {"x", -1}});
    EXPECT_EQ(t.encode("x", "s"), (Ids{7, 8}));
}

TEST(SentencePiece, ZeroCountsAsUnset) {
    // "▁zw": best[3] becomes exactly 0 through ▁ + zw (1 - 1), so the much worse ▁ + z + w
    // (-9 + 0) replaces it: a correct Viterbi would give [▁, zw].
    const auto t = make({{kSep, 1}, {"z", -1}, {"zw", -1}, {"w", -9}});
    EXPECT_EQ(t.encode("zw", "s"), (Ids{6, 7, 9}));
}

TEST(SentencePiece, UnknownSymbolsAreMergedAndEmojiAreTwoSymbols) {
    const auto t = make({{sep("a"), -1}, {"b", -1}, {kSep, -5}});
    // 😀 is two UTF-16 code units, both unknown: one id 0 after merging; so is "😀😀".
    EXPECT_EQ(t.encode("a\xF0\x9F\x98\x80"
                       "b",
                       "s"),
              (Ids{6, 0, 7}));
    EXPECT_EQ(t.encode("a\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
                       "b",
                       "s"),
              (Ids{6, 0, 7}));
    // Unknowns on either side of a known piece stay apart.
    EXPECT_EQ(t.encode("aqbq", "s"), (Ids{6, 0, 7, 0}));
}

TEST(SentencePiece, AnEmojiPieceMatchesItsTwoCodeUnits) {
    const auto t = make({{sep("\xF0\x9F\x98\x80"), -1}, {kSep, -2}});
    EXPECT_EQ(t.encode("\xF0\x9F\x98\x80", "s"), (Ids{6}));
}

TEST(SentencePiece, AnUnknownSymbolScoresZeroAndSoBeatsRealPieces) {
    // "▁bc": no piece starts with 'b' alone, so 'b' stands in as unknown with score 0, and
    // 0 + best[1] (0, unset) beats ▁b's -1 at end 2.
    const auto t = make({{sep("b"), -1}, {"c", -1}});
    EXPECT_EQ(t.encode("bc", "s"), (Ids{0, 7}));
}

TEST(SentencePiece, RepeatedPieceKeepsItsLaterId) {
    const auto t = make({{sep("b"), -1}, {"c", -1}, {sep("b"), -1}, {"b", -5}});
    EXPECT_EQ(t.encode("bc", "s"), (Ids{8, 7}));
}

TEST(SentencePiece, ReservedIdsAreNeverMatched) {
    const auto t = make({{kSep, -1}});
    // "<s>" is id 1 but never matched: each of its three symbols is unknown, merged into one.
    EXPECT_EQ(t.encode("<s>", "s"), (Ids{6, 0}));
}

TEST(SentencePiece, NullScoreCountsAsZero) {
    const auto t = SentencePieceTokenizer::from_vocab_json_text(
        R"([["\uFFFD", 0], ["<s>", 0], ["</s>", 0], ["e1", 0], ["e2", 0], ["e3", 0],
            ["\u2581", -1], [":", null], ["\u2581:", -0.5]])",
        "vocab.json");
    // "▁:" as one piece: -0.5; as ▁ + ':' (null = 0): -1 + 0 = -1. One piece wins.
    EXPECT_EQ(t.encode(":", "s"), (Ids{8}));
    // "::": ▁: then ':' scores -0.5 + 0 = -0.5.
    EXPECT_EQ(t.encode("::", "s"), (Ids{8, 7}));
}

TEST(SentencePiece, TextIsNfkcNormalisedFirst) {
    EXPECT_EQ(nfkc_utf16("\xEF\xAC\x81", "s"), u"fi");   // U+FB01 ligature fi
    EXPECT_EQ(nfkc_utf16("\xEF\xBC\xA1", "s"), u"A");    // U+FF21 full-width A
    EXPECT_EQ(nfkc_utf16("\xE2\x91\xA0", "s"), u"1");    // U+2460 circled 1
    EXPECT_EQ(nfkc_utf16("e\xCC\x81", "s"), u"\u00E9");  // e + combining acute -> é
    EXPECT_EQ(nfkc_utf16("a\xC2\xA0"
                         "b",
                         "s"),
              u"a b");  // no-break space -> space
    EXPECT_EQ(nfkc_utf16("\xF0\x9F\x98\x80", "s"), u"\U0001F600");
    const auto t = make(
        {{sep("fi"), -1}, {sep("a"), -1}, {sep("b"), -1}, {kSep, -10}, {"f", -10}, {"i", -10}, {"a", -10}, {"b", -10}});
    EXPECT_EQ(t.encode("\xEF\xAC\x81", "s"), (Ids{6}));
    EXPECT_EQ(t.encode("a\xE3\x80\x80"
                       "b",
                       "s"),
              (Ids{7, 8}));  // U+3000 ideographic space
}

TEST(SentencePiece, InvalidUtf8IsATextErrorNamingTheSentence) {
    const auto t = make({{kSep, -1}});
    try {
        t.encode("ok \xC3\x28", "sentence 2");
        FAIL() << "no TextError";
    } catch (const TextError& e) {
        EXPECT_NE(std::string(e.what()).find("sentence 2"), std::string::npos) << e.what();
    }
}

TEST(SentencePiece, BadVocabFilesAreFileErrors) {
    for (const char* text : {"{", "{}", "[]", "[[\"a\"]]", "[[\"a\", \"b\"]]", "[[1, 2]]"}) {
        try {
            SentencePieceTokenizer::from_vocab_json_text(text, "dir/vocab.json");
            ADD_FAILURE() << "accepted " << text;
        } catch (const FileError& e) {
            EXPECT_NE(std::string(e.what()).find("dir/vocab.json"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace attn
