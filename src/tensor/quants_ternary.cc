// Ternary formats TQ1_0 (1.6875 bits/weight, 5 trits per byte) and TQ2_0 (2 bits/weight),
// layouts in quant_blocks.h. Values are d * t with t in {-1, 0, 1}, d = max |x| of the block;
// the quantizers follow ggml's quantize_row_tq{1,2}_0_ref.
#include <algorithm>
#include <cmath>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

// Trit n (0 = most significant) of a byte holding ceil(v * 256 / 243): multiplying by 3^n
// shifts the wanted trit into the top of the byte (mod 256), and (q * 3) >> 8 reads it.
int TritAt(uint8_t byte, int n) {
  const uint8_t q = static_cast<uint8_t>(byte * kPow3[n]);
  return ((static_cast<uint16_t>(q) * 3) >> 8) - 1;
}

// Packs base-3 digits (first most significant) so that TritAt can read them back.
uint8_t PackTrits(int v) { return static_cast<uint8_t>((v * 256 + (243 - 1)) / 243); }

float BlockAbsMax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kQKK; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// -1, 0, 1 -> 0, 1, 2 (lround rounds half away from zero, as lroundf).
int ToTrit(float v) { return static_cast<int>(std::lround(v)) + 1; }

}  // namespace

void DequantizeTq1_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockTq1_0*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int t = 0; t < 5; ++t) {
      for (int m = 0; m < 32; ++m) *y++ = static_cast<float>(TritAt(b[i].qs[m], t)) * d;
    }
    for (int t = 0; t < 5; ++t) {
      for (int m = 0; m < 16; ++m) *y++ = static_cast<float>(TritAt(b[i].qs[32 + m], t)) * d;
    }
    for (int t = 0; t < 4; ++t) {
      for (int j = 0; j < 4; ++j) *y++ = static_cast<float>(TritAt(b[i].qh[j], t)) * d;
    }
  }
}

void DequantizeTq2_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockTq2_0*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < 64; j += 32) {
      for (int l = 0; l < 4; ++l) {
        for (int m = 0; m < 32; ++m) {
          const int q = (b[i].qs[j + m] >> (l * 2)) & 3;
          *y++ = static_cast<float>(q - 1) * d;
        }
      }
    }
  }
}

void QuantizeTq1_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockTq1_0*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = BlockAbsMax(x);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    for (int m = 0; m < 32; ++m) {  // elements m + 32 t, t = 0..4
      int v = 0;
      for (int t = 0; t < 5; ++t) v = v * 3 + ToTrit(x[m + t * 32] * id);
      y[i].qs[m] = PackTrits(v);
    }
    x += 160;
    for (int m = 0; m < 16; ++m) {  // elements 160 + m + 16 t
      int v = 0;
      for (int t = 0; t < 5; ++t) v = v * 3 + ToTrit(x[m + t * 16] * id);
      y[i].qs[32 + m] = PackTrits(v);
    }
    x += 80;
    for (int j = 0; j < 4; ++j) {  // elements 240 + j + 4 t, t = 0..3, then a zero trit
      int v = 0;
      for (int t = 0; t < 4; ++t) v = v * 3 + ToTrit(x[j + t * 4] * id);
      y[i].qh[j] = PackTrits(v * 3);
    }
    x += 16;
  }
}

void QuantizeTq2_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockTq2_0*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = BlockAbsMax(x);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = Fp32ToFp16(d);
    for (int j = 0; j < 64; j += 32, x += 128) {
      for (int m = 0; m < 32; ++m) {
        int q = 0;
        for (int l = 0; l < 4; ++l) q += (ToTrit(x[m + l * 32] * id) & 3) << (2 * l);
        y[i].qs[j + m] = static_cast<uint8_t>(q);
      }
    }
  }
}

}  // namespace fw::quant
