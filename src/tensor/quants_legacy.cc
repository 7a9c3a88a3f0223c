// Legacy 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 (layouts in quant_blocks.h).
// The quantizers reproduce ggml's quantize_row_*_ref arithmetic operation by operation (these
// are also what llama-quantize uses without an importance matrix), so their output is
// bit-identical; keep the order of float operations when editing.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

// The element of largest magnitude (the first one on ties), with its sign.
float SignedAbsMax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float v = x[j];
    if (amax < std::fabs(v)) {
      amax = std::fabs(v);
      max = v;
    }
  }
  return max;
}

void MinMax(const float* x, int n, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

// The 5th bits of a Q5 block as the little-endian u32 stored in qh.
uint32_t LoadQh(const uint8_t qh[4]) {
  uint32_t v;
  std::memcpy(&v, qh, 4);
  return v;
}

}  // namespace

// ---- dequantize -------------------------------------------------------------------------

void DequantizeQ4_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const int x0 = (b[i].qs[j] & 0x0F) - 8;
      const int x1 = (b[i].qs[j] >> 4) - 8;
      dst[j] = x0 * d;
      dst[j + kQK4 / 2] = x1 * d;
    }
  }
}

void DequantizeQ4_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    const float m = Fp16ToFp32(b[i].m);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const int x0 = b[i].qs[j] & 0x0F;
      const int x1 = b[i].qs[j] >> 4;
      dst[j] = x0 * d + m;
      dst[j + kQK4 / 2] = x1 * d + m;
    }
  }
}

void DequantizeQ5_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    const uint32_t qh = LoadQh(b[i].qh);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const int h0 = ((qh >> j) << 4) & 0x10;
      const int h1 = (qh >> (j + 12)) & 0x10;
      const int x0 = ((b[i].qs[j] & 0x0F) | h0) - 16;
      const int x1 = ((b[i].qs[j] >> 4) | h1) - 16;
      dst[j] = x0 * d;
      dst[j + kQK4 / 2] = x1 * d;
    }
  }
}

void DequantizeQ5_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    const float m = Fp16ToFp32(b[i].m);
    const uint32_t qh = LoadQh(b[i].qh);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const int h0 = ((qh >> j) << 4) & 0x10;
      const int h1 = (qh >> (j + 12)) & 0x10;
      const int x0 = (b[i].qs[j] & 0x0F) | h0;
      const int x1 = (b[i].qs[j] >> 4) | h1;
      dst[j] = x0 * d + m;
      dst[j + kQK4 / 2] = x1 * d + m;
    }
  }
}

void DequantizeQ8_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK4; ++j) dst[j] = b[i].qs[j] * d;
  }
}

void DequantizeQ8_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_1*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, dst += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK4; ++j) dst[j] = b[i].qs[j] * d;
  }
}

// ---- quantize ---------------------------------------------------------------------------

// Symmetric 16 levels: d = max / -8 so the extreme element maps to level 0 (q - 8 = -8).
void QuantizeQ4_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    const float max = SignedAbsMax(x, kQK4);
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK4 / 2 + j] * id;
      // The int8 conversion truncates toward zero: x + 8.5 rounds to nearest, ties up.
      const uint8_t xi0 = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>(x0 + 8.5f)));
      const uint8_t xi1 = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>(x1 + 8.5f)));
      y[i].qs[j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

void QuantizeQ4_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    float min, max;
    MinMax(x, kQK4, &min, &max);
    const float d = (max - min) / ((1 << 4) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    y[i].m = Fp32ToFp16(min);
    for (int j = 0; j < kQK4 / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK4 / 2 + j] - min) * id;
      const uint8_t xi0 = std::min<int8_t>(15, static_cast<int8_t>(x0 + 0.5f));
      const uint8_t xi1 = std::min<int8_t>(15, static_cast<int8_t>(x1 + 0.5f));
      y[i].qs[j] = static_cast<uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

void QuantizeQ5_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    const float max = SignedAbsMax(x, kQK4);
    const float d = max / -16;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK4 / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK4 / 2 + j] * id;
      const uint8_t xi0 = static_cast<uint8_t>(std::min<int8_t>(31, static_cast<int8_t>(x0 + 16.5f)));
      const uint8_t xi1 = static_cast<uint8_t>(std::min<int8_t>(31, static_cast<int8_t>(x1 + 16.5f)));
      y[i].qs[j] = static_cast<uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << j;
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK4 / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void QuantizeQ5_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ5_1*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    float min, max;
    MinMax(x, kQK4, &min, &max);
    const float d = (max - min) / ((1 << 5) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    y[i].m = Fp32ToFp16(min);
    uint32_t qh = 0;
    for (int j = 0; j < kQK4 / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK4 / 2 + j] - min) * id;
      // No clamp here (as in ggml): x0 <= 31 + rounding, so x0 + 0.5 stays below 32.
      const uint8_t xi0 = static_cast<uint8_t>(x0 + 0.5f);
      const uint8_t xi1 = static_cast<uint8_t>(x1 + 0.5f);
      y[i].qs[j] = static_cast<uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << j;
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK4 / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void QuantizeQ8_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    float amax = 0.0f;
    for (int j = 0; j < kQK4; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / ((1 << 7) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK4; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void QuantizeQ8_1(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    float amax = 0.0f;
    for (int j = 0; j < kQK4; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / ((1 << 7) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    int sum = 0;
    for (int j = 0; j < kQK4 / 2; ++j) {
      const float v0 = x[j] * id;
      const float v1 = x[kQK4 / 2 + j] * id;
      y[i].qs[j] = static_cast<int8_t>(std::round(v0));
      y[i].qs[kQK4 / 2 + j] = static_cast<int8_t>(std::round(v1));
      sum += y[i].qs[j] + y[i].qs[kQK4 / 2 + j];
    }
    y[i].s = Fp32ToFp16(sum * d);
  }
}

}  // namespace fw::quant
