// libFuzzer target: use-lite's tokenizer on any vocabulary and text. The bytes before the first
// 0x00 are the pieces (one a line, scores made up from their position), the rest is the text.
// Every id must index the vocabulary and no two unknowns (id 0) may follow each other.
#include "errors.h"
#include "text/sentencepiece.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string all(reinterpret_cast<const char*>(data), size);
    const size_t split = all.find('\0');
    const std::string pieces = all.substr(0, split), text = split == std::string::npos ? "" : all.substr(split + 1);
    std::vector<attn::VocabPiece> vocab = {{"\xEF\xBF\xBD", 0}, {"<s>", 0}, {"</s>", 0}, {"a", 0}, {"b", 0}, {"c", 0}};
    size_t start = 0;
    for (size_t i = 0; i <= pieces.size(); ++i)
        if (i == pieces.size() || pieces[i] == '\n') {
            const double score = (i % 5 == 0) ? 0.0 : -static_cast<double>(i % 11) / 3.0 + (i % 13 == 0 ? 30.0 : 0.0);
            vocab.push_back({pieces.substr(start, i - start), score});
            start = i + 1;
        }
    try {
        const attn::SentencePieceTokenizer t(vocab);
        const std::vector<int64_t> ids = t.encode(text, "fuzz");
        for (size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] < 0 || ids[i] >= t.size()) __builtin_trap();
            if (i > 0 && ids[i] == 0 && ids[i - 1] == 0) __builtin_trap();
        }
    } catch (const attn::TextError&) {  // invalid UTF-8 in a piece or the text
    }
    return 0;
}
