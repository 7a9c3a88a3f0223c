// Plain element types: F32, F16 (IEEE half), BF16, F64 and the integer types.
// F16 and BF16 encode with round-to-nearest-even, as ggml_fp32_to_fp16_row and
// ggml_fp32_to_bf16_row_ref do (see fp16.h).
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

// Reads element i of an unaligned little-endian array of T.
template <typename T>
T Load(const void* src, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const uint8_t*>(src) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

template <typename T>
void DequantizePlain(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(Load<T>(src, i));
}

}  // namespace

void DequantizeF32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void DequantizeF16(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFp32(Load<uint16_t>(src, i));
}
void DequantizeBf16(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFp32(Load<uint16_t>(src, i));
}
void DequantizeF64(const void* src, float* dst, int64_t n) { DequantizePlain<double>(src, dst, n); }
void DequantizeI8(const void* src, float* dst, int64_t n) { DequantizePlain<int8_t>(src, dst, n); }
void DequantizeI16(const void* src, float* dst, int64_t n) { DequantizePlain<int16_t>(src, dst, n); }
void DequantizeI32(const void* src, float* dst, int64_t n) { DequantizePlain<int32_t>(src, dst, n); }

void QuantizeF32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void QuantizeF16(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = Fp32ToFp16(src[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}
void QuantizeBf16(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = Fp32ToBf16(src[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}

}  // namespace fw::quant
