// libFuzzer target: any bytes as the start of a Hugging Face model.safetensors (the header the
// BERT/ViT loader reads first, models/hf/hf_checkpoint.h), its file size taken from the input's
// last byte so that offsets past the bytes given are tried too. Every entry accepted must lie
// inside the data and, for the float dtypes, span exactly its shape's bytes.
#include "errors.h"
#include "models/hf/hf_checkpoint.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const uint64_t file_size = size + (size ? data[size - 1] % 4 : 0) * 1000;
    try {
        const attn::SafetensorsIndex index = attn::parse_safetensors_index(data, size, file_size, "fuzz.safetensors");
        for (const attn::SafetensorsEntry& e : index.entries) {
            if (e.begin > e.end || e.end > index.data_size) __builtin_trap();
            if (index.data_start + index.data_size != file_size) __builtin_trap();
            if (e.dtype == "F32" || e.dtype == "F16" || e.dtype == "BF16" || e.dtype == "F64") {
                const uint64_t item = e.dtype == "F32" ? 4 : e.dtype == "F64" ? 8 : 2;
                if (static_cast<uint64_t>(attn::shape_numel(e.shape)) * item != e.end - e.begin) __builtin_trap();
            }
        }
    } catch (const attn::FileError&) {
    }
    return 0;
}
