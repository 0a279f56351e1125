// NumPy's .npy format: a magic string, a version, a Python-literal header that gives dtype, layout
// and shape, then the raw elements. Spec: numpy/lib/format.py ("NPY format").
//
// Only what the engine needs is understood: little-endian, C order (fortran_order False), and the
// dtypes listed below. Everything else is refused with a FileError that says what was found and
// what is supported; no input can make the reader crash, read past the buffer or allocate more
// than the bytes the file actually holds.
#pragma once

#include "tensor/tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// Parses .npy bytes (format versions 1.0, 2.0 and 3.0).
//   '<f4'          -> F32
//   '<f8'          -> F32 (values rounded to float)
//   '|b1', '|u1'   -> Bool holding 0/1 (any non-zero byte is true)
//   '<i4', '<i8'   -> Int64 (input_ids); a value float cannot hold exactly (|v| > 2^24) is refused
// fortran_order True is refused unless the layout is the same as C order (at most one dimension
// larger than 1). `name` (the file path) starts every error message. With `numpy_dtype`, the
// file's dtype as numpy names it ("float32", "float64", "int32", "int64", "bool", "uint8") is
// stored there, so a caller can say what was converted.
Tensor parse_npy(const uint8_t* data, size_t size, const std::string& name, std::string* numpy_dtype = nullptr);

// read_file_bytes + parse_npy.
Tensor read_npy(const std::string& path, std::string* numpy_dtype = nullptr);

// F32 -> '<f4', Bool -> '|b1', Int64 -> '<i8'. Version 1.0, C order; the header is padded with
// spaces and ends in '\n' so that the data starts at a multiple of 64 bytes, as numpy writes it.
std::vector<uint8_t> encode_npy(const Tensor& t);

// encode_npy + write_file_atomically: an existing file survives a failed write.
void write_npy(const std::string& path, const Tensor& t);

}  // namespace attn
