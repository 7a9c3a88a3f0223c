#include "kernels/quantized_acts.h"

#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/no_fp_contract.h"  // last: x * id is rounded before the 1.5 * 2^23 add, as in ggml

namespace fw::kernels {
namespace {
size_t Align64(size_t v) { return (v + 63) & ~size_t{63}; }

float RoundToFp16(float v) { return Fp16ToFp32(Fp32ToFp16(v)); }

// Writes the per-16 and per-32 integer sums of q and their d-products for chunks
// [c0, c0 + chunks) of 32 elements that share the scale d (ds32 left to the caller).
void StoreSums(const int8_t* q, int64_t c0, int64_t chunks, float d, float* s16, float* ds16, float* s32,
               int16_t* b16) {
  for (int64_t c = c0; c < c0 + chunks; ++c) {
    int sums[2] = {0, 0};
    for (int i = 0; i < 32; ++i) sums[i / 16] += q[c * 32 + i];
    s16[2 * c] = static_cast<float>(sums[0]);
    s16[2 * c + 1] = static_cast<float>(sums[1]);
    b16[2 * c] = static_cast<int16_t>(sums[0]);
    b16[2 * c + 1] = static_cast<int16_t>(sums[1]);
    ds16[2 * c] = d * static_cast<float>(sums[0]);
    ds16[2 * c + 1] = d * static_cast<float>(sums[1]);
    s32[c] = static_cast<float>(sums[0] + sums[1]);
  }
}

// Q8_0 / Q8_1: blocks of 32 with an f16 scale.
void QuantizeQ8_0Row(const float* x, const QuantizedActs& acts, int64_t t, bool with_s) {
  const int64_t cols = acts.cols;
  int8_t* q = acts.q + t * cols;
  float* d = acts.d + t * (cols / 32);
  float* s16 = acts.sum16 + t * (cols / 16);
  float* ds16 = acts.ds16 + t * (cols / 16);
  float* s32 = acts.sum32 + t * (cols / 32);
  float* ds32 = acts.ds32 + t * (cols / 32);
  int16_t* b16 = acts.bsum16 + t * (cols / 16);
  for (int64_t b = 0; b < cols / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d_exact = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      const int qi = NearestInt(xb[i] * id);
      q[b * 32 + i] = static_cast<int8_t>(qi);
      sum += qi;
    }
    d[b] = RoundToFp16(d_exact);
    StoreSums(q, b, 1, d[b], s16, ds16, s32, b16);
    // Q8_0: d * sum is exact in f32 (11-bit d times a 13-bit integer).
    ds32[b] = with_s ? RoundToFp16(d_exact * static_cast<float>(sum)) : d[b] * static_cast<float>(sum);
  }
}

// Q8_K: blocks of 256 with an f32 scale (ggml's quantize_row_q8_K_ref, which x86 uses).
void QuantizeQ8_KRow(const float* x, const QuantizedActs& acts, int64_t t) {
  const int64_t cols = acts.cols;
  int8_t* q = acts.q + t * cols;
  float* d = acts.d + t * (cols / 32);
  float* s16 = acts.sum16 + t * (cols / 16);
  float* ds16 = acts.ds16 + t * (cols / 16);
  float* s32 = acts.sum32 + t * (cols / 32);
  float* ds32 = acts.ds32 + t * (cols / 32);
  int16_t* b16 = acts.bsum16 + t * (cols / 16);
  for (int64_t b = 0; b < cols / 256; ++b) {
    const float* xb = x + b * 256;
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < 256; ++i) {
      const float ax = std::fabs(xb[i]);
      if (ax > amax) {
        amax = ax;
        max = xb[i];
      }
    }
    float db = 0.0f;
    if (amax == 0.0f) {
      std::memset(q + b * 256, 0, 256);
    } else {
      const float iscale = -127.0f / max;
      for (int i = 0; i < 256; ++i) {
        const int v = NearestInt(iscale * xb[i]);
        q[b * 256 + i] = static_cast<int8_t>(v < 127 ? v : 127);
      }
      db = 1.0f / iscale;
    }
    for (int c = 0; c < 8; ++c) d[b * 8 + c] = db;
    StoreSums(q, b * 8, 8, db, s16, ds16, s32, b16);
    for (int c = 0; c < 8; ++c) ds32[b * 8 + c] = db * s32[b * 8 + c];
  }
}

}  // namespace

int NearestInt(float v) {
  const float biased = v + 12582912.0f;  // 1.5 * 2^23: the integer lands in the low mantissa bits
  int32_t i;
  std::memcpy(&i, &biased, 4);
  return (i & 0x007fffff) - 0x00400000;
}

size_t QuantizedActsBytes(int64_t n, int64_t cols) {
  const size_t nn = static_cast<size_t>(n), c = static_cast<size_t>(cols);
  return Align64(nn * c) + 3 * Align64(nn * (c / 32) * 4) + 2 * Align64(nn * (c / 16) * 4) +
         Align64(nn * (c / 16) * 2);
}

QuantizedActs LayoutQuantizedActs(void* buffer, int64_t n, int64_t cols, ActsKind kind) {
  const size_t nn = static_cast<size_t>(n), c = static_cast<size_t>(cols);
  auto* p = static_cast<uint8_t*>(buffer);
  QuantizedActs a;
  a.n = n;
  a.cols = cols;
  a.kind = kind;
  a.q = reinterpret_cast<int8_t*>(p);
  p += Align64(nn * c);
  a.d = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.sum32 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.ds32 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.sum16 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 16) * 4);
  a.ds16 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 16) * 4);
  a.bsum16 = reinterpret_cast<int16_t*>(p);
  return a;
}

void QuantizeActsRowReference(const float* x, const QuantizedActs& acts, int64_t t) {
  switch (acts.kind) {
    case ActsKind::kQ8_0: QuantizeQ8_0Row(x, acts, t, false); return;
    case ActsKind::kQ8_1: QuantizeQ8_0Row(x, acts, t, true); return;
    case ActsKind::kQ8_K: QuantizeQ8_KRow(x, acts, t); return;
  }
}

}  // namespace fw::kernels
