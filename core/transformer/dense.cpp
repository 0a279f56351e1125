#include "transformer/dense.h"

#include "errors.h"

namespace attn {

Dense::Dense(const Tensor& weight, Tensor bias) : packed_(weight), bias_(std::move(bias)) {
    ATTN_CHECK(bias_.numel() == 0 || bias_.numel() == weight.dim(0), "dense bias width");
}

void dense_rows(const float* x, int64_t rows, const Dense& d, Activation act, const float* residual, float* y) {
    Epilogue e;
    e.bias = d.has_bias() ? d.bias().ptr() : nullptr;
    e.act = act;
    e.residual = residual;
    e.residual_stride = d.out_features();
    packed_product(x, rows, d.in_features(), d.packed(), y, d.out_features(), e);
}

Tensor dense(const Tensor& x, const Dense& d, Activation act, const Tensor* residual) {
    ATTN_CHECK(x.dim(-1) == d.in_features(), "dense input width");
    Shape shape = x.shape;
    shape.back() = d.out_features();
    const int64_t rows = d.in_features() ? x.numel() / d.in_features() : 0;
    ATTN_CHECK(!residual || residual->numel() == rows * d.out_features(), "dense residual shape");
    Tensor y = Tensor::uninitialized(shape);  // every row is written
    dense_rows(x.ptr(), rows, d, act, residual ? residual->ptr() : nullptr, y.ptr());
    return y;
}

}  // namespace attn
