// From typed sentences to the model's input_ids and pad_mask, the way the seed's main() builds
// them: a batch of sentences, padded with id 0 to a common length, and pad_mask = input_ids.eq(0).
//
// The tokenizer is deliberately simple, so that a user can predict every token it makes: it
// splits on white space, gives each punctuation mark, each CJK character and each emoji a token of
// its own, and lower-cases. There is no sub-word model: the ids only say "same word, same id".
#pragma once

#include "tensor/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// One sentence to tokens (UTF-8 strings). `where` names the sentence in errors ("sentence 2").
//  - Lower-casing covers ASCII, Latin-1, Latin Extended-A, Greek (basic and tonos letters),
//    Cyrillic U+0400..U+042F and the full-width Latin letters; other scripts pass unchanged.
//  - White space splits: ASCII, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
//    U+205F, U+3000 (ideographic space), and also control characters, U+200B and U+FEFF.
//  - Soft hyphen, zero-width (non-)joiners and variation selectors are dropped without splitting,
//    so "👍🏽" stays two emoji tokens and no invisible token appears after "❤️".
//  - One token per code point: ASCII punctuation, Latin-1 and general punctuation, currency,
//    arrows, maths, CJK symbols and punctuation (。，、！？「」《》...), full-width and
//    half-width forms, CJK ideographs (Unified incl. Extensions A..G, compatibility ideographs),
//    Hiragana, Katakana (incl. half-width), Hangul syllables, emoji and symbols
//    (U+1F000..U+1FAFF, U+2600..U+27BF, U+2B00..U+2BFF).
//  - Everything else (letters of any script, digits, combining marks) builds words.
// "Tom chases Jerry!" -> ["tom", "chases", "jerry", "!"]; "汤姆追逐杰瑞" -> 6 tokens.
// Throws TextError on invalid UTF-8, or when the sentence has more than kMaxSentenceTokens tokens.
std::vector<std::string> tokenize(const std::string& sentence, const std::string& where);

// More tokens than this in one sentence is refused: it is not a sentence any more, and the
// attention matrix [seq, seq] would not fit in memory.
constexpr int64_t kMaxSentenceTokens = 100000;

struct TokenBatch {
    std::vector<std::vector<std::string>> tokens;  // per sentence, after truncation to max_len
    std::vector<std::string> vocab;                // vocab[0] = "<pad>", then tokens by first appearance
    Tensor input_ids;                              // DType::Int64 [b, seq]; pad id 0, ids from 1 = vocab index
    Tensor pad_mask;                               // DType::Bool [b, seq]; input_ids.eq(0)
    std::vector<std::string> warnings;             // "sentence 2 has 9 tokens; truncated to max_len 5"
};

// Tokenizes each sentence and pads to the longest one, or to exactly max_len when max_len > 0
// (longer sentences are truncated, with a warning). max_len == 0 means "no limit".
// Sentences are named from 1 in messages: "sentence 1" is sentences[0].
// Ids are given in order of first appearance across the batch (sentence by sentence, left to
// right), counting only the tokens kept after truncation, so the same word has the same id in
// every row. An empty or all-white-space sentence becomes a row of padding (with a warning).
// Throws TextError for an empty batch, a batch whose sentences are all empty, invalid UTF-8 or
// an over-long sentence; ConfigError for a negative max_len.
TokenBatch make_token_batch(const std::vector<std::string>& sentences, int64_t max_len);

}  // namespace attn
