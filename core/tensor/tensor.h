// The one tensor type of the engine, and the one place where memory layout is decided.
//
// Layout: every tensor is dense, contiguous and row-major ("C order"), exactly like a
// contiguous torch.Tensor and like .npy files with fortran_order False. Eigen's default is
// column-major, so all matrix views of tensor memory go through the RowMajor aliases below;
// nothing in core/ may use Eigen::MatrixXf directly.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <string>
#include <vector>

namespace attn {

using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapRM = Eigen::Map<MatrixRM>;
using ConstMapRM = Eigen::Map<const MatrixRM>;

using Shape = std::vector<int64_t>;

// What the values mean. Data is always stored as float; Bool tensors hold exactly 0 or 1 and are
// written to .npy as bool, Int64 tensors hold whole numbers (input_ids) and are written as int64.
enum class DType { F32, Bool, Int64 };

// std::allocator, except that resize(n) with no value leaves the new floats unwritten. A tensor
// whose every element is about to be written (Tensor::uninitialized) then costs no pass over its
// memory first: for large results that pass is mostly page faults (0.9 s for the 1.7 GB of
// att_weights of the load test's scene, on this project's VM), all before the first point where
// a pass can be cancelled, and done again when the results are written.
//
// The memory is 64-byte aligned: Eigen's vectorised reductions (a softmax row's sum) start with
// the elements before the first aligned packet, so their order of summation, and the last bit of
// the result, would otherwise depend on where the allocator happened to put a tensor. With it, the
// same computation on the same shapes gives the same bits (a padded batch equals each sentence
// alone, models/use_lite).
constexpr std::size_t kTensorAlignment = 64;

template <class T>
struct UninitializedAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitializedAllocator<U>;
    };
    UninitializedAllocator() = default;
    template <class U>
    UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kTensorAlignment)));
    }
    void deallocate(T* p, std::size_t) noexcept {
        ::operator delete(p, std::align_val_t(kTensorAlignment));  // unsized: clang < 19 declares no sized one
    }
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;  // default-initialised: a float is left as it is
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
using FloatStore = std::vector<float, UninitializedAllocator<float>>;

struct Tensor {
    Shape shape;
    FloatStore data;
    DType dtype = DType::F32;

    Tensor() = default;
    explicit Tensor(Shape s, float fill = 0.0f, DType t = DType::F32);
    // For results whose every element the caller writes before anyone reads it.
    static Tensor uninitialized(Shape s, DType t = DType::F32);

    int64_t numel() const { return static_cast<int64_t>(data.size()); }
    int rank() const { return static_cast<int>(shape.size()); }
    int64_t dim(int i) const;  // negative i counts from the end, like torch

    float* ptr() { return data.data(); }
    const float* ptr() const { return data.data(); }

    // View of a contiguous [rows, cols] block that starts at element `offset`.
    MapRM matrix(int64_t offset, int64_t rows, int64_t cols);
    ConstMapRM matrix(int64_t offset, int64_t rows, int64_t cols) const;
};

// A tensor several owners read and nobody changes (a trace's results and the steps showing them).
using TensorPtr = std::shared_ptr<const Tensor>;

int64_t shape_numel(const Shape& shape);

// "float32", "bool", "int64": numpy's names, for messages and trace.json.
const char* dtype_name(DType t);

// "[3, 8, 5, 64]"
std::string shape_string(const Shape& shape);

// A shape with a name for each dimension, the way the seed writes it in its comments.
struct NamedShape {
    std::vector<std::string> names;  // "b", "heads", "h*w", "depth"
    Shape sizes;

    // "[b, heads, h*w, depth] = [3, 8, 1600, 64]"
    std::string to_string() const;
};

}  // namespace attn
