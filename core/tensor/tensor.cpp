#include "tensor/tensor.h"

#include "errors.h"

#include <limits>

namespace attn {

const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "float32";
        case DType::Bool: return "bool";
        case DType::Int64: return "int64";
    }
    return "?";
}

int64_t shape_numel(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        ATTN_CHECK(d >= 0, "negative dimension in shape " + shape_string(shape));
        ATTN_CHECK(d == 0 || n <= std::numeric_limits<int64_t>::max() / d,
                   "shape " + shape_string(shape) + " has too many elements");
        n *= d;
    }
    return n;
}

Tensor::Tensor(Shape s, float fill, DType t) : shape(std::move(s)), dtype(t) {
    data.assign(static_cast<size_t>(shape_numel(shape)), fill);
}

Tensor Tensor::uninitialized(Shape s, DType t) {
    Tensor x;
    x.shape = std::move(s);
    x.dtype = t;
    x.data.resize(static_cast<size_t>(shape_numel(x.shape)));
    return x;
}

int64_t Tensor::dim(int i) const {
    int r = rank();
    if (i < 0) i += r;
    ATTN_CHECK(i >= 0 && i < r, "dimension index out of range for shape " + shape_string(shape));
    return shape[static_cast<size_t>(i)];
}

MapRM Tensor::matrix(int64_t offset, int64_t rows, int64_t cols) {
    ATTN_CHECK(offset >= 0 && offset + rows * cols <= numel(), "matrix view outside tensor");
    return MapRM(data.data() + offset, rows, cols);
}

ConstMapRM Tensor::matrix(int64_t offset, int64_t rows, int64_t cols) const {
    ATTN_CHECK(offset >= 0 && offset + rows * cols <= numel(), "matrix view outside tensor");
    return ConstMapRM(data.data() + offset, rows, cols);
}

std::string shape_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::string NamedShape::to_string() const {
    std::string s = "[";
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) s += ", ";
        s += names[i];
    }
    return s + "] = " + shape_string(sizes);
}

}  // namespace attn
