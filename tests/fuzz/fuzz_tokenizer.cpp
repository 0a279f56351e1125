// libFuzzer target: any bytes as typed text, split into sentences at newlines, through the
// tokenizer and the batch builder (ids, padding, pad mask).
#include "errors.h"
#include "text/tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> sentences;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i)
        if (i == text.size() || text[i] == '\n') {
            sentences.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    try {
        attn::TokenBatch batch = attn::make_token_batch(sentences, size % 7);
        // Every id is a vocabulary index and the mask is exactly input_ids == 0.
        for (int64_t i = 0; i < batch.input_ids.numel(); ++i) {
            const float id = batch.input_ids.data[i];
            if (id < 0 || id >= static_cast<float>(batch.vocab.size())) __builtin_trap();
            if ((id == 0.0f) != (batch.pad_mask.data[i] != 0.0f)) __builtin_trap();
        }
    } catch (const attn::TextError&) {
    } catch (const attn::ConfigError&) {
    }
    return 0;
}
