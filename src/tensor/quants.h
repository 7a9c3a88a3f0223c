// Scalar reference quantize / dequantize for the ggml types (see ggml_type.h for an overview,
// tensor/quant_blocks.h for the exact block layouts). These are the ground truth every SIMD
// kernel is tested against. Stateless and thread-safe; src and dst must not overlap.
//
// Coverage: DequantizeRow handles every type of the table except I64; QuantizeRow handles
// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K..Q6_K, Q8_K, IQ4_NL, IQ4_XS, IQ3_XXS,
// IQ3_S, TQ1_0 and TQ2_0 (IQ2_*, IQ1_* need an importance matrix in ggml: not quantized here).
// Misuse (an unsupported type, n not a multiple of the block size) asserts in debug builds;
// in release builds nothing past RowBytes / n is touched and undecodable outputs are NaN.
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
