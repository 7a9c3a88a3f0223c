// Dispatch from a GgmlType to its scalar reference kernel (see quants_internal.h).
#include "tensor/quants.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "tensor/quants_internal.h"

namespace fw {
namespace {

using DequantizeFn = void (*)(const void*, float*, int64_t);
using QuantizeFn = void (*)(const float*, void*, int64_t);

struct Kernels {
  DequantizeFn dequantize = nullptr;
  QuantizeFn quantize = nullptr;
};

Kernels KernelsFor(GgmlType t) {
  using namespace quant;
  switch (t) {
    case GgmlType::F32: return {DequantizeF32, QuantizeF32};
    case GgmlType::F16: return {DequantizeF16, QuantizeF16};
    case GgmlType::BF16: return {DequantizeBf16, QuantizeBf16};
    case GgmlType::F64: return {DequantizeF64, nullptr};
    case GgmlType::I8: return {DequantizeI8, nullptr};
    case GgmlType::I16: return {DequantizeI16, nullptr};
    case GgmlType::I32: return {DequantizeI32, nullptr};
    case GgmlType::Q4_0: return {DequantizeQ4_0, QuantizeQ4_0};
    case GgmlType::Q4_1: return {DequantizeQ4_1, QuantizeQ4_1};
    case GgmlType::Q5_0: return {DequantizeQ5_0, QuantizeQ5_0};
    case GgmlType::Q5_1: return {DequantizeQ5_1, QuantizeQ5_1};
    case GgmlType::Q8_0: return {DequantizeQ8_0, QuantizeQ8_0};
    case GgmlType::Q8_1: return {DequantizeQ8_1, QuantizeQ8_1};
    case GgmlType::Q2_K: return {DequantizeQ2_K, QuantizeQ2_K};
    case GgmlType::Q3_K: return {DequantizeQ3_K, QuantizeQ3_K};
    case GgmlType::Q4_K: return {DequantizeQ4_K, QuantizeQ4_K};
    case GgmlType::Q5_K: return {DequantizeQ5_K, QuantizeQ5_K};
    case GgmlType::Q6_K: return {DequantizeQ6_K, QuantizeQ6_K};
    case GgmlType::Q8_K: return {DequantizeQ8_K, QuantizeQ8_K};
    case GgmlType::IQ4_NL: return {DequantizeIq4Nl, QuantizeIq4Nl};
    case GgmlType::IQ4_XS: return {DequantizeIq4Xs, QuantizeIq4Xs};
    case GgmlType::IQ2_XXS: return {DequantizeIq2Xxs, nullptr};
    case GgmlType::IQ2_XS: return {DequantizeIq2Xs, nullptr};
    case GgmlType::IQ2_S: return {DequantizeIq2S, nullptr};
    case GgmlType::IQ3_XXS: return {DequantizeIq3Xxs, QuantizeIq3Xxs};
    case GgmlType::IQ3_S: return {DequantizeIq3S, QuantizeIq3S};
    case GgmlType::IQ1_S: return {DequantizeIq1S, nullptr};
    case GgmlType::IQ1_M: return {DequantizeIq1M, nullptr};
    case GgmlType::TQ1_0: return {DequantizeTq1_0, QuantizeTq1_0};
    case GgmlType::TQ2_0: return {DequantizeTq2_0, QuantizeTq2_0};
    default: return {};
  }
}

}  // namespace

bool CanDequantize(GgmlType t) { return KernelsFor(t).dequantize != nullptr; }
bool CanQuantize(GgmlType t) { return KernelsFor(t).quantize != nullptr; }

void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n) {
  const Kernels k = KernelsFor(t);
  assert(k.dequantize != nullptr && "DequantizeRow: unsupported type (check CanDequantize)");
  assert(n >= 0 && n % TypeTraits(t).block_size == 0 && "DequantizeRow: n not a block multiple");
  if (n <= 0) return;
  if (k.dequantize == nullptr) {  // misuse in a release build: make it visible, stay in bounds
    std::fill(dst, dst + n, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  const int64_t whole = n - n % TypeTraits(t).block_size;
  k.dequantize(src, dst, whole);
  std::fill(dst + whole, dst + n, std::numeric_limits<float>::quiet_NaN());
}

size_t QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n) {
  const Kernels k = KernelsFor(t);
  assert(k.quantize != nullptr && "QuantizeRow: unsupported type (check CanQuantize)");
  assert(n >= 0 && n % TypeTraits(t).block_size == 0 && "QuantizeRow: n not a block multiple");
  if (k.quantize == nullptr || n <= 0) return 0;
  const int64_t whole = n - n % TypeTraits(t).block_size;
  k.quantize(src, dst, whole);
  return RowBytes(t, whole);
}

}  // namespace fw
