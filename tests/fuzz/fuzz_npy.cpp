// libFuzzer target: any bytes through the .npy reader. A FileError is the reader doing its job;
// anything else (a crash, a sanitizer report, another exception) is a bug.
#include "errors.h"
#include "io/npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        attn::Tensor t = attn::parse_npy(data, size, "fuzz.npy");
        // What it accepted must be consistent: the shape's element count is what it holds.
        if (attn::shape_numel(t.shape) != t.numel()) __builtin_trap();
    } catch (const attn::FileError&) {
    }
    return 0;
}
