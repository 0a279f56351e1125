// libFuzzer target: any bytes through the pytorch_model.bin reader (zip archive or legacy stream,
// the restricted unpickler, the tensor rebuild). A FileError is the reader doing its job; anything
// else (a crash, a sanitizer report, a leak, another exception) is a bug. What it accepts must be
// consistent, and within the reader's promise to allocate no more than the file's size allows.
#include "errors.h"
#include "io/torch_checkpoint.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const attn::SafetensorsFile file = attn::parse_torch_checkpoint(data, size, "fuzz.bin");
        uint64_t elements = 0;
        for (const auto& [name, t] : file.tensors) {
            if (attn::shape_numel(t.shape) != t.numel()) __builtin_trap();
            elements += uint64_t(t.numel());
        }
        if (elements > 2 * uint64_t(size) + 4096) __builtin_trap();
        if (!file.metadata.empty()) __builtin_trap();
    } catch (const attn::FileError&) {
    }
    return 0;
}
