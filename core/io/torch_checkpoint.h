// pytorch_model.bin: what torch.save(model.state_dict(), f) writes, read without running it.
//
// A torch.save file is a pickle, and unpickling a file runs whatever callables it names: a model
// folder is untrusted input, so this reader never unpickles. It walks the pickle with a
// restricted interpreter (io/pickle_reader.h) that knows only the opcodes and the globals a
// state_dict uses (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and friends, the
// storage types) and calls nothing; anything else is refused by name.
//
// Both layouts torch.save has written:
//  - the zip archive (torch >= 1.6): <archive>/data.pkl, <archive>/data/<key> (each storage's raw
//    little-endian bytes), <archive>/version; entries stored, not compressed;
//  - the legacy stream (torch < 1.6, many older Hub checkpoints): a magic-number pickle, the
//    protocol version, sys_info, the state_dict pickle, the pickled list of storage keys, then
//    each storage as an 8-byte little-endian element count and its raw bytes.
#pragma once

#include "io/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {

// The state_dict's tensors, in the pickle's order, with the same conventions as
// read_safetensors: float32, float16, bfloat16 and float64 tensors become DType::F32 floats (F64
// rounded); int64, int32, int16, int8 and uint8 tensors become DType::Int64 (whole numbers stored
// as floats, exact up to 2^24); bool tensors become DType::Bool. Views are gathered through their
// storage offset and strides (a transposed weight comes back dense, in its logical order), and
// tensors sharing a storage (tied weights) each get their own copy. `metadata` is empty.
//
// Every problem is a FileError naming the file and what was wrong: a global or opcode outside a
// state_dict's ("a pickle can run code and a model folder is untrusted input"), a compressed or
// damaged zip entry (CRC-32 checked), a storage too short for its tensor, a value that is not a
// state_dict. No input can make the reader allocate much more than the file's size, recurse
// without limit or loop for long.
SafetensorsFile read_torch_checkpoint(const std::string& path);
SafetensorsFile parse_torch_checkpoint(const uint8_t* data, size_t size, const std::string& name);

}  // namespace attn
