// libFuzzer target: any bytes through the .safetensors reader, then the accepted tensors through
// the weights mapping of a small module (as the CLI and the app do with a user's file).
#include "errors.h"
#include "io/safetensors.h"
#include "model/weights.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    attn::SafetensorsFile file;
    try {
        file = attn::parse_safetensors(data, size, "fuzz.safetensors");
    } catch (const attn::FileError&) {
        return 0;
    }
    for (const auto& [name, t] : file.tensors)
        if (attn::shape_numel(t.shape) != t.numel()) __builtin_trap();
    attn::ModuleConfig config;
    config.kind = attn::ModuleKind::Self;
    config.emb_dim = 4;
    try {
        std::vector<std::string> warnings;
        attn::weights_from_tensors(config, file.tensors, "fuzz.safetensors", &warnings);
    } catch (const attn::ShapeError&) {
    }
    return 0;
}
