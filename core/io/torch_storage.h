// The storages of a torch.save file and the tensors that view them: which storage types exist,
// and how a tensor's elements are read from its storage's raw bytes through its offset and
// strides. Used by io/torch_checkpoint.cpp for both of torch.save's layouts.
#pragma once

#include "tensor/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

enum class TorchElement { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

struct TorchStorageType {
    const char* global;  // as a pickle names it: "torch.FloatStorage"
    TorchElement element;
    int bytes;  // per element
};

// The storage types a state_dict's tensors can have: float, double, half, bfloat16, long, int,
// short, char, byte and bool. Complex and quantized ones are left out (no model family here has
// them), so a pickle that names them is refused by name.
const std::vector<TorchStorageType>& torch_storage_types();

// A tensor's view of a storage: `first` and `count` in elements of the storage (a legacy storage
// view starts inside its root storage; otherwise first is 0 and count the storage's numel).
struct TorchStorageRef {
    std::string key;
    const TorchStorageType* type = nullptr;
    uint64_t numel = 0;  // the whole storage's elements, as its persistent id says
    uint64_t first = 0, count = 0;
};

// What _rebuild_tensor_v2(storage, offset, size, stride, ...) describes.
struct TorchTensorSpec {
    std::string name;
    TorchStorageRef storage;
    int64_t offset = 0;
    Shape size;
    std::vector<int64_t> stride;
};

// The tensor's elements in row-major order, read from `storage_bytes` (the whole storage:
// numel * element bytes, little-endian) as F32, Int64 or Bool (see read_torch_checkpoint). A
// FileError naming `file` and the tensor when its size and strides reach past its storage, or
// when its element count exceeds `budget`, which is then reduced by it: strides can repeat
// elements and names can share a storage, so the caller bounds what all the tensors take.
Tensor gather_torch_tensor(const TorchTensorSpec& t, const uint8_t* storage_bytes, const std::string& file,
                           uint64_t& budget);

}  // namespace attn
