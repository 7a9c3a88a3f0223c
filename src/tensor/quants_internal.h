// Per-type scalar reference kernels behind quants.h (one family per file:
// quants_float.cc, quants_legacy.cc, dequantize_k.cc, quantize_k.cc, quants_iq4.cc,
// dequantize_iq.cc, quantize_iq3.cc, quants_ternary.cc). Each function handles n elements, n a multiple of the block size
// (quants.cc checks that); src and dst must not overlap. Stateless, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fw::quant {

// Plain (non-block) types.
void DequantizeF32(const void* src, float* dst, int64_t n);
void DequantizeF16(const void* src, float* dst, int64_t n);
void DequantizeBf16(const void* src, float* dst, int64_t n);
void DequantizeF64(const void* src, float* dst, int64_t n);
void DequantizeI8(const void* src, float* dst, int64_t n);
void DequantizeI16(const void* src, float* dst, int64_t n);
void DequantizeI32(const void* src, float* dst, int64_t n);
void QuantizeF32(const float* src, void* dst, int64_t n);
void QuantizeF16(const float* src, void* dst, int64_t n);
void QuantizeBf16(const float* src, void* dst, int64_t n);

// Legacy 32-element blocks.
void DequantizeQ4_0(const void* src, float* dst, int64_t n);
void DequantizeQ4_1(const void* src, float* dst, int64_t n);
void DequantizeQ5_0(const void* src, float* dst, int64_t n);
void DequantizeQ5_1(const void* src, float* dst, int64_t n);
void DequantizeQ8_0(const void* src, float* dst, int64_t n);
void DequantizeQ8_1(const void* src, float* dst, int64_t n);
void QuantizeQ4_0(const float* src, void* dst, int64_t n);
void QuantizeQ4_1(const float* src, void* dst, int64_t n);
void QuantizeQ5_0(const float* src, void* dst, int64_t n);
void QuantizeQ5_1(const float* src, void* dst, int64_t n);
void QuantizeQ8_0(const float* src, void* dst, int64_t n);
void QuantizeQ8_1(const float* src, void* dst, int64_t n);

// K-quants, 256-element super-blocks.
void DequantizeQ2_K(const void* src, float* dst, int64_t n);
void DequantizeQ3_K(const void* src, float* dst, int64_t n);
void DequantizeQ4_K(const void* src, float* dst, int64_t n);
void DequantizeQ5_K(const void* src, float* dst, int64_t n);
void DequantizeQ6_K(const void* src, float* dst, int64_t n);
void DequantizeQ8_K(const void* src, float* dst, int64_t n);
void QuantizeQ2_K(const float* src, void* dst, int64_t n);
void QuantizeQ3_K(const float* src, void* dst, int64_t n);
void QuantizeQ4_K(const float* src, void* dst, int64_t n);
void QuantizeQ5_K(const float* src, void* dst, int64_t n);
void QuantizeQ6_K(const float* src, void* dst, int64_t n);
void QuantizeQ8_K(const float* src, void* dst, int64_t n);

// Non-linear 4-bit.
void DequantizeIq4Nl(const void* src, float* dst, int64_t n);
void DequantizeIq4Xs(const void* src, float* dst, int64_t n);
void QuantizeIq4Nl(const float* src, void* dst, int64_t n);
void QuantizeIq4Xs(const float* src, void* dst, int64_t n);

// Codebook i-quants. Only IQ3_XXS and IQ3_S quantize: ggml's quantizers for the others need
// an importance matrix.
void QuantizeIq3Xxs(const float* src, void* dst, int64_t n);
void QuantizeIq3S(const float* src, void* dst, int64_t n);
void DequantizeIq2Xxs(const void* src, float* dst, int64_t n);
void DequantizeIq2Xs(const void* src, float* dst, int64_t n);
void DequantizeIq2S(const void* src, float* dst, int64_t n);
void DequantizeIq3Xxs(const void* src, float* dst, int64_t n);
void DequantizeIq3S(const void* src, float* dst, int64_t n);
void DequantizeIq1S(const void* src, float* dst, int64_t n);
void DequantizeIq1M(const void* src, float* dst, int64_t n);

// Ternary.
void DequantizeTq1_0(const void* src, float* dst, int64_t n);
void DequantizeTq2_0(const void* src, float* dst, int64_t n);
void QuantizeTq1_0(const float* src, void* dst, int64_t n);
void QuantizeTq2_0(const float* src, void* dst, int64_t n);

// ggml's nearest_int: round half to even via the 1.5 * 2^23 trick, valid for |x| <= 2^22.
inline int NearestInt(float x) {
  const float biased = x + 12582912.f;
  uint32_t bits;
  __builtin_memcpy(&bits, &biased, 4);
  return static_cast<int>(bits & 0x007fffff) - 0x00400000;
}

}  // namespace fw::quant
