// Reading a model.safetensors of hundreds of megabytes without holding it twice: the header is
// read first, then only the tensors asked for, a chunk at a time straight into their float
// tensors, with progress and cancellation between chunks. (io/safetensors.h reads a whole file
// into memory and converts every tensor; that suits the seed's small weight files.)
//
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data; offsets count from the
// data's start. Every problem is a FileError naming the file and the tensor; no input makes the
// reader read outside the file or allocate more than the tensors asked for.
#pragma once

#include "model/forward.h"
#include "model/weights.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

struct SafetensorsEntry {
    std::string name;
    std::string dtype;  // "F32", "F16", "BF16", "I64"...
    Shape shape;
    uint64_t begin = 0, end = 0;  // bytes, from the start of the data
};

struct SafetensorsIndex {
    std::string path;
    uint64_t data_start = 0;  // 8 + N
    uint64_t data_size = 0;
    std::vector<SafetensorsEntry> entries;  // in the header's order
};

// Reads and checks the header: a JSON object of entries (duplicate names refused), each with a
// dtype string, a shape of non-negative sizes and offsets inside the data; for the float dtypes,
// offsets that span exactly the shape's bytes.
SafetensorsIndex index_safetensors(const std::string& path);
// The same from the file's first bytes (at least its header) and its whole size; `name` is what
// messages call it.
SafetensorsIndex parse_safetensors_index(const uint8_t* data, size_t size, uint64_t file_size, const std::string& name);

// The entries named in `which` (pointers into index.entries) as float tensors: F32, F16 and BF16
// exactly, F64 rounded; FileError naming the tensor for any other dtype. Reports
// "reading <file>" with the fraction of bytes read through `control`, and throws Cancelled there.
std::vector<NamedTensor> read_safetensors_entries(const SafetensorsIndex& index,
                                                  const std::vector<const SafetensorsEntry*>& which,
                                                  const ForwardControl* control);

}  // namespace attn
