#include "text/tokenizer.h"

#include "errors.h"
#include "text/utf8.h"

#include <algorithm>
#include <unordered_map>

namespace attn {

namespace {

enum class CharKind {
    Space,    // ends the current word
    Ignored,  // invisible joiner or selector: dropped, the word goes on
    Single,   // punctuation, symbol, CJK character, emoji: a token of its own
    Word,     // part of a word
};

bool in(char32_t cp, char32_t lo, char32_t hi) {
    return cp >= lo && cp <= hi;
}

CharKind classify(char32_t cp) {
    if (cp < 0x80) {
        if (cp <= 0x20 || cp == 0x7F) return CharKind::Space;  // space, tab, newlines, controls
        if (in(cp, 0x21, 0x2F) || in(cp, 0x3A, 0x40) || in(cp, 0x5B, 0x60) || in(cp, 0x7B, 0x7E))
            return CharKind::Single;
        return CharKind::Word;
    }
    // White space (Unicode White_Space), C1 controls, and the zero-width space and BOM, which
    // pasted text often carries and which only ever separate.
    if (in(cp, 0x80, 0xA0) || cp == 0x1680 || in(cp, 0x2000, 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return CharKind::Space;
    // Soft hyphen, Mongolian vowel separator, ZWNJ, ZWJ, word joiner, variation selectors, tags.
    if (cp == 0xAD || cp == 0x180E || cp == 0x200C || cp == 0x200D || cp == 0x2060 || in(cp, 0xFE00, 0xFE0F) ||
        in(cp, 0xE0000, 0xE007F) || in(cp, 0xE0100, 0xE01EF))
        return CharKind::Ignored;
    // Latin-1 punctuation and symbols: ¡¢£¤¥¦§¨© « ¬ ®¯°± ´ ¶·¸ » ¿ × ÷
    if (in(cp, 0xA1, 0xA9) || cp == 0xAB || cp == 0xAC || in(cp, 0xAE, 0xB1) || cp == 0xB4 || in(cp, 0xB6, 0xB8) ||
        cp == 0xBB || cp == 0xBF || cp == 0xD7 || cp == 0xF7)
        return CharKind::Single;
    if (in(cp, 0x2010, 0x2027) ||  // dashes, quotes, bullets, ellipsis
        in(cp, 0x2030, 0x205E) ||  // per mille, primes, ‹›, ※, ‼, ⁇ ...
        in(cp, 0x20A0, 0x20CF) ||  // currency signs (€)
        in(cp, 0x2190, 0x2BFF) ||  // arrows, maths, technical, shapes, symbols, dingbats, ⭐
        in(cp, 0x2E00, 0x2E7F))    // supplemental punctuation
        return CharKind::Single;
    // CJK: radicals, symbols and punctuation (、。〈〉《》「」『』【】〜), Hiragana, Katakana,
    // Bopomofo, compatibility Jamo, strokes, enclosed and compatibility signs, ideographs
    // (Extension A, Unified).
    if (in(cp, 0x2E80, 0x2FDF) || in(cp, 0x3001, 0x4DBF) || in(cp, 0x4E00, 0x9FFF)) return CharKind::Single;
    if (in(cp, 0xAC00, 0xD7AF) ||  // Hangul syllables
        in(cp, 0xF900, 0xFAFF) ||  // CJK compatibility ideographs
        in(cp, 0xFE10, 0xFE1F) ||  // vertical forms
        in(cp, 0xFE30, 0xFE6F))    // CJK compatibility forms, small form variants
        return CharKind::Single;
    // Full-width punctuation (！＂＃...，．／：；＜＝＞？＠［＼］＾＿｀｛｜｝～), half-width CJK
    // punctuation and Katakana, full-width symbols (￥). Full-width letters and digits are words.
    if (in(cp, 0xFF01, 0xFF0F) || in(cp, 0xFF1A, 0xFF20) || in(cp, 0xFF3B, 0xFF40) || in(cp, 0xFF5B, 0xFF9F) ||
        in(cp, 0xFFE0, 0xFFEE))
        return CharKind::Single;
    if (in(cp, 0x1F000, 0x1FAFF)) return CharKind::Single;  // emoji, mahjong, cards, pictographs
    // Ideographs in the supplementary planes: Extensions B..F, compatibility supplement, G, H.
    if (in(cp, 0x20000, 0x2FA1F) || in(cp, 0x30000, 0x323AF)) return CharKind::Single;
    return CharKind::Word;
}

// Simple (one to one) lower-casing of the scripts named in tokenizer.h.
char32_t to_lower(char32_t cp) {
    if (in(cp, 'A', 'Z')) return cp + 0x20;
    if (cp < 0xC0) return cp;
    if (in(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 0x20;  // À..Þ except ×
    if (in(cp, 0x100, 0x17F)) {                              // Latin Extended-A
        if (cp == 0x130) return 'i';                         // İ (Turkish dotted capital I)
        if (cp == 0x178) return 0xFF;                        // Ÿ
        // Pairs (upper, lower) start on even code points here, on odd ones in the other runs.
        const bool even_pairs = in(cp, 0x100, 0x137) || in(cp, 0x14A, 0x177);
        const bool odd_pairs = in(cp, 0x139, 0x148) || in(cp, 0x179, 0x17E);
        if (even_pairs && cp % 2 == 0) return cp + 1;
        if (odd_pairs && cp % 2 == 1) return cp + 1;
        return cp;
    }
    // Greek
    if (in(cp, 0x391, 0x3AB) && cp != 0x3A2) return cp + 0x20;  // Α..Ϋ
    if (cp == 0x386) return 0x3AC;                              // Ά
    if (in(cp, 0x388, 0x38A)) return cp + 0x25;                 // Έ Ή Ί
    if (cp == 0x38C) return 0x3CC;                              // Ό
    if (in(cp, 0x38E, 0x38F)) return cp + 0x3F;                 // Ύ Ώ
    // Cyrillic
    if (in(cp, 0x400, 0x40F)) return cp + 0x50;  // Ѐ..Џ
    if (in(cp, 0x410, 0x42F)) return cp + 0x20;  // А..Я
    // Full-width Ａ..Ｚ
    if (in(cp, 0xFF21, 0xFF3A)) return cp + 0x20;
    return cp;
}

std::string sentence_name(size_t index) {
    return "sentence " + std::to_string(index + 1);
}

}  // namespace

std::vector<std::string> tokenize(const std::string& sentence, const std::string& where) {
    const std::vector<char32_t> cps = decode_utf8(sentence, where);
    std::vector<std::string> tokens;
    std::string word;

    auto push = [&](std::string token) {
        if (static_cast<int64_t>(tokens.size()) >= kMaxSentenceTokens)
            throw TextError(where + " has more than " + std::to_string(kMaxSentenceTokens) +
                            " tokens; split it into shorter sentences");
        tokens.push_back(std::move(token));
    };
    auto end_word = [&]() {
        if (!word.empty()) push(std::move(word));
        word.clear();
    };

    for (char32_t cp : cps) {
        switch (classify(cp)) {
            case CharKind::Space:
                end_word();
                break;
            case CharKind::Ignored:
                break;
            case CharKind::Single:
                end_word();
                push(encode_utf8(to_lower(cp)));
                break;
            case CharKind::Word:
                word += encode_utf8(to_lower(cp));
                break;
        }
    }
    end_word();
    return tokens;
}

TokenBatch make_token_batch(const std::vector<std::string>& sentences, int64_t max_len) {
    if (sentences.empty()) throw TextError("no sentences: type at least one sentence");
    if (max_len < 0)
        throw ConfigError("max_len must be 0 (pad to the longest sentence) or positive, not " +
                          std::to_string(max_len));

    TokenBatch batch;
    batch.tokens.reserve(sentences.size());
    bool any_tokens = false;
    for (size_t i = 0; i < sentences.size(); ++i) {
        const std::string where = sentence_name(i);
        std::vector<std::string> toks = tokenize(sentences[i], where);
        const auto count = static_cast<int64_t>(toks.size());
        if (count == 0) {
            batch.warnings.push_back(where + " is empty; its row is all padding");
        } else if (max_len > 0 && count > max_len) {
            batch.warnings.push_back(where + " has " + std::to_string(count) + " tokens; truncated to max_len " +
                                     std::to_string(max_len));
            toks.resize(static_cast<size_t>(max_len));
        }
        any_tokens = any_tokens || count > 0;
        batch.tokens.push_back(std::move(toks));
    }
    if (!any_tokens)
        throw TextError("all " + std::to_string(sentences.size()) + " sentences are empty: type at least one word");

    int64_t seq = max_len;
    if (seq == 0)
        for (const auto& toks : batch.tokens)
            seq = std::max<int64_t>(seq, toks.size());

    // Ids live in float storage (Tensor keeps float data); integers are exact up to 2^24.
    constexpr size_t kMaxExactId = size_t{1} << 24;
    const auto b = static_cast<int64_t>(sentences.size());
    batch.vocab.push_back("<pad>");
    batch.input_ids = Tensor({b, seq}, 0.0f, DType::Int64);
    batch.pad_mask = Tensor({b, seq}, 1.0f, DType::Bool);
    std::unordered_map<std::string, size_t> id_of;
    for (int64_t r = 0; r < b; ++r) {
        const auto& toks = batch.tokens[static_cast<size_t>(r)];
        for (size_t j = 0; j < toks.size(); ++j) {
            auto [it, is_new] = id_of.emplace(toks[j], batch.vocab.size());
            if (is_new) {
                if (batch.vocab.size() >= kMaxExactId)
                    throw TextError("the batch has more than " + std::to_string(kMaxExactId - 1) + " different tokens");
                batch.vocab.push_back(toks[j]);
            }
            const size_t at = static_cast<size_t>(r * seq) + j;
            batch.input_ids.data[at] = static_cast<float>(it->second);
            batch.pad_mask.data[at] = 0.0f;
        }
    }
    return batch;
}

}  // namespace attn
