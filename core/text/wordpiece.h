// BERT's tokenizer as transformers' (slow) BertTokenizer runs it, from a model folder's vocab.txt
// and tokenizer_config.json:
//   1. special tokens in the text ([CLS], [SEP], [PAD], [UNK], [MASK]) are kept whole;
//   2. with do_lower_case, the rest is lower-cased one character at a time (what
//      PreTrainedTokenizer.tokenize's regex does, so a capital sigma always becomes σ);
//   3. BasicTokenizer: control characters, U+0000 and U+FFFD dropped, white space made spaces;
//      CJK ideographs spaced apart; NFC; split on white space; each word lower-cased (and its
//      accents stripped: NFD, marks Mn dropped) when do_lower_case, or accents stripped alone
//      when strip_accents is true; split before and after each punctuation character (ASCII
//      symbols count as punctuation);
//   4. WordPiece: greedy longest-match-first against the vocabulary, pieces after the first
//      prefixed "##"; a word longer than 100 characters or with no match becomes [UNK].
// Unicode data: Python 3.11's (Unicode 14), see text/wordpiece_unicode.h.
#pragma once

#include "tensor/tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace attn {

// tokenizer_config.json's settings, with BertTokenizer's defaults.
struct WordPieceSettings {
    bool do_lower_case = true;
    std::optional<bool> strip_accents;  // unset: strip when lower-casing (as the original BERT)
    bool tokenize_chinese_chars = true;
    bool do_basic_tokenize = true;
    bool do_split_on_punc = true;
    std::string unk_token = "[UNK]", sep_token = "[SEP]", pad_token = "[PAD]", cls_token = "[CLS]",
                mask_token = "[MASK]";
    std::vector<std::string> additional_special_tokens;
    int64_t max_input_chars_per_word = 100;
    int64_t model_max_length = 0;  // 0: not given (or too large to mean anything)
};

// Reads tokenizer_config.json; FileError naming the file when it is not JSON or a setting has
// the wrong type. Unknown keys are ignored, as transformers ignores what it does not use.
WordPieceSettings read_wordpiece_settings(const std::string& path);

class WordPieceTokenizer {
public:
    // `vocab`: vocab.txt's lines, the id of each its line number. `source` names the file in
    // messages. Throws FileError when [UNK], [CLS], [SEP] or [PAD] is not in the vocabulary.
    WordPieceTokenizer(std::vector<std::string> vocab, WordPieceSettings settings, std::string source);

    // vocab.txt read as transformers' load_vocab does: UTF-8, lines split at \n, \r\n or \r.
    static std::vector<std::string> read_vocab(const std::string& path);

    // tokenizer.tokenize(text): the pieces, special tokens included, without [CLS]/[SEP].
    // TextError naming `where` for text that is not UTF-8.
    std::vector<std::string> tokenize(const std::string& text, const std::string& where) const;

    int64_t id_of(const std::string& token) const;  // the [UNK] id for a token not in vocab.txt
    const std::string& token_of(int64_t id) const;  // "[UNK]" for an id past vocab.txt
    int64_t vocab_size() const { return static_cast<int64_t>(vocab_.size()); }
    const WordPieceSettings& settings() const { return settings_; }
    int64_t cls_id() const { return cls_id_; }
    int64_t sep_id() const { return sep_id_; }
    int64_t pad_id() const { return pad_id_; }
    int64_t unk_id() const { return unk_id_; }

private:
    std::vector<std::string> basic_tokenize(const std::u32string& text) const;
    void wordpiece(const std::u32string& word, std::vector<std::string>& out) const;
    int64_t required_id(const std::string& token, const char* role) const;

    std::vector<std::string> vocab_;
    std::unordered_map<std::string, int64_t> ids_;
    std::vector<std::string> special_tokens_;  // kept whole in the text, longest first
    WordPieceSettings settings_;
    std::string source_;
    int64_t cls_id_ = 0, sep_id_ = 0, pad_id_ = 0, unk_id_ = 0;
};

// What BertTokenizer(sentences, padding=True, truncation=True, max_length=max_length) returns:
// [CLS] pieces [SEP], padded on the right with [PAD] to the longest sentence. A sentence with
// more than max_length tokens (special ones included) loses its last pieces, keeping [SEP], with
// a warning. max_length 0: no limit.
struct WordPieceBatch {
    Tensor input_ids;                              // Int64 [b, L]
    Tensor attention_mask;                         // Int64 [b, L]: 1 = token, 0 = padding
    std::vector<std::vector<std::string>> tokens;  // [b][L], "[PAD]" included
    std::vector<std::string> warnings;
};

// TextError for an empty batch or text that is not UTF-8 (naming "sentence N", from 1).
WordPieceBatch encode_wordpiece_batch(const WordPieceTokenizer& tokenizer, const std::vector<std::string>& sentences,
                                      int64_t max_length);

}  // namespace attn
