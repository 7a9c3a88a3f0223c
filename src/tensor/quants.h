// Scalar reference quantize / dequantize for the ggml types (see ggml_type.h for layouts).
// These are the ground truth every SIMD kernel is tested against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/ggml_type.h"

namespace fw {

// True when DequantizeRow supports the type.
bool CanDequantize(GgmlType t);
// True when QuantizeRow supports the type (llama.cpp's quantizer without importance matrix).
bool CanQuantize(GgmlType t);

// dst[0..n) = the values of n elements stored as blocks of type t at src.
// n must be a multiple of the type's block size.
void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n);

// Encodes n floats as blocks of type t at dst (RowBytes(t, n) bytes), bit-identical to
// ggml's quantize_row_*_ref / quantize_*() without imatrix. Returns bytes written.
size_t QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n);

}  // namespace fw
