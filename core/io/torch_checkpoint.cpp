#include "io/torch_checkpoint.h"

#include "errors.h"

namespace attn {

// Placeholder so that callers link while the implementation lands; replaced in later commits.
SafetensorsFile read_torch_checkpoint(const std::string& path) {
    throw FileError(path + ": pytorch_model.bin is not supported yet");
}
SafetensorsFile parse_torch_checkpoint(const uint8_t*, size_t, const std::string& name) {
    throw FileError(name + ": pytorch_model.bin is not supported yet");
}

}  // namespace attn
