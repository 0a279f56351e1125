// Hugging Face's safetensors format: an 8-byte little-endian header length N, N bytes of JSON,
// then the data buffer. The header maps each tensor name to
//   {"dtype": "F32", "shape": [4, 4], "data_offsets": [begin, end]}
// with offsets relative to the start of the data buffer, plus an optional "__metadata__" object
// of string -> string. Spec: https://github.com/huggingface/safetensors ("Format").
//
// Every problem in a file is a FileError that names the file, the tensor where there is one, and
// what was expected against what was found; no input can make the reader crash, read past the
// buffer, allocate more than the file's own size or loop for long.
#pragma once

#include "model/weights.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attn {

struct SafetensorsFile {
    std::vector<NamedTensor> tensors;  // in the order of their data in the file
    std::map<std::string, std::string> metadata;
};

// Reads F32, F16, BF16 and F64 tensors into float (F16 and BF16 exactly, subnormals, inf and NaN
// included; F64 rounded), and I64 into a DType::Int64 tensor (attention_mask, input_ids), each
// value exact: one beyond +-2^24 is refused with its index. Other dtypes are refused by name. A name that appears twice
// in the header is an error (JSON parsers disagree on which one wins). Unused bytes between tensors are allowed;
// overlapping tensors are not.
SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& name);
SafetensorsFile read_safetensors(const std::string& path);

// Writes every tensor as F32 (Bool and Int64 tensors too), in the given order and packed without
// gaps, the header JSON padded with spaces to a multiple of 8 bytes so the data is 8-aligned.
std::vector<uint8_t> encode_safetensors(const std::vector<NamedTensor>& tensors,
                                        const std::map<std::string, std::string>& metadata = {});
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace attn
