// libFuzzer target: any bytes as sentences (split at newlines) through BERT's tokenizer
// (text/wordpiece.h) and BertTokenizer's batching, in the four settings of do_lower_case and
// strip_accents the input's first byte picks. Every id is in the vocabulary, the mask is 1 then
// 0, and every row starts with [CLS] and has [SEP] after its last token.
#include "errors.h"
#include "text/wordpiece.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a",   "##a", "b",
                                                   "##b",   "the",   "##s",   "é",     "e",      "##é", "我",  "ᄒ",
                                                   "##ᅡ",  "σ",     "ς",     "ab",    ".",      ",",   "!",   "x"};
    attn::WordPieceSettings s;
    const uint8_t mode = size ? data[0] : 0;
    s.do_lower_case = mode & 1;
    if (mode & 2) s.strip_accents = (mode & 4) != 0;
    s.tokenize_chinese_chars = (mode & 8) == 0;
    const attn::WordPieceTokenizer tok(vocab, s, "vocab.txt");
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> sentences;
    size_t start = size ? 1 : 0;
    for (size_t i = start; i <= text.size(); ++i)
        if (i == text.size() || text[i] == '\n') {
            sentences.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    try {
        const attn::WordPieceBatch b = attn::encode_wordpiece_batch(tok, sentences, 1 + mode % 40);
        const int64_t rows = b.input_ids.dim(0), L = b.input_ids.dim(1);
        for (int64_t r = 0; r < rows; ++r) {
            if (b.input_ids.data[static_cast<size_t>(r * L)] != static_cast<float>(tok.cls_id()) && L > 1)
                __builtin_trap();
            int64_t n = 0;
            for (int64_t t = 0; t < L; ++t) {
                const float id = b.input_ids.data[static_cast<size_t>(r * L + t)];
                if (id < 0 || id >= static_cast<float>(vocab.size())) __builtin_trap();
                const float m = b.attention_mask.data[static_cast<size_t>(r * L + t)];
                if (m == 1.0f) {
                    if (n != t) __builtin_trap();  // ones, then zeros
                    ++n;
                }
            }
            if (L > 1 && n >= 2 &&
                b.input_ids.data[static_cast<size_t>(r * L + n - 1)] != static_cast<float>(tok.sep_id()))
                __builtin_trap();
        }
    } catch (const attn::TextError&) {
    }
    return 0;
}
