// IQ4_NL and IQ4_XS: 4-bit indices into the fixed non-linear level table kIq4nlValues
// (layouts in quant_blocks.h). The quantizer re-derives ggml's quantize_row_iq4_nl_impl without
// importance matrix (weights x^2, 7 trial scales on each side), with its float operation order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

constexpr float kGroupMaxEps = 1e-15f;
constexpr int kTrials = 7;

// Index of the level nearest to x in the sorted table values[0..n) (upper one on exact ties).
int BestIndex(int n, const int8_t* values, float x) {
  if (x <= values[0]) return 0;
  if (x >= values[n - 1]) return n - 1;
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < values[mid]) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return x - values[hi - 1] < values[hi] - x ? hi - 1 : hi;
}

// Quantizes one super-block of `super` elements made of sub-blocks of 32. For super == 32
// (IQ4_NL) the fitted scale is stored as is in *dh; otherwise (IQ4_XS) the sub-block scales
// become 6-bit multiples of a common d, in scales_h / scales_l. Writes the nibbles to q4.
void QuantizeIq4Block(int super, const float* x, uint16_t* dh, uint8_t* q4, uint16_t* scales_h,
                      uint8_t* scales_l) {
  constexpr int kBlock = 32;
  const int8_t* values = kIq4nlValues;
  uint8_t L[kQKK];
  float scales[kQKK / kBlock];
  float weight[kBlock];
  std::memset(q4, 0, super / 2);
  *dh = Fp32ToFp16(0.f);
  float max_scale = 0, amax_scale = 0;
  for (int ib = 0; ib < super / kBlock; ++ib) {
    const float* xb = x + ib * kBlock;
    uint8_t* Lb = L + ib * kBlock;
    for (int j = 0; j < kBlock; ++j) weight[j] = xb[j] * xb[j];
    float amax = 0, max = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax < kGroupMaxEps) {
      scales[ib] = 0;
      for (int j = 0; j < kBlock; ++j) Lb[j] = static_cast<uint8_t>(BestIndex(16, values, 0.f));
      continue;
    }
    float d = -max / values[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float al = id * xb[j];
      const int l = BestIndex(16, values, al);
      Lb[j] = static_cast<uint8_t>(l);
      const float q = values[l];
      const float w = weight[j];
      sumqx += w * q * xb[j];
      sumq2 += w * q * q;
    }
    d = sumqx / sumq2;
    float best = d * sumqx;
    for (int itry = -kTrials; itry <= kTrials; ++itry) {
      id = (itry + values[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kBlock; ++j) {
        const float al = id * xb[j];
        const int l = BestIndex(16, values, al);
        const float q = values[l];
        const float w = weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    const float abs_d = std::fabs(d);
    if (abs_d > amax_scale) {
      amax_scale = abs_d;
      max_scale = d;
    }
  }
  if (super / kBlock > 1) {
    *scales_h = 0;
    const float d = -max_scale / 32;
    *dh = Fp32ToFp16(d);
    const float id = d ? 1 / d : 0.f;
    for (int ib = 0; ib < super / kBlock; ++ib) {
      int l = NearestInt(id * scales[ib]);
      l = std::max(-32, std::min(31, l));
      const float dl = d * l;
      const float idl = dl ? 1 / dl : 0.f;
      uint8_t* Lb = L + ib * kBlock;
      const float* xb = x + ib * kBlock;
      for (int j = 0; j < kBlock; ++j) Lb[j] = static_cast<uint8_t>(BestIndex(16, values, idl * xb[j]));
      l += 32;
      const uint8_t l_l = static_cast<uint8_t>(l & 0xf);
      const uint8_t l_h = static_cast<uint8_t>(l >> 4);
      if (ib % 2 == 0) {
        scales_l[ib / 2] = l_l;
      } else {
        scales_l[ib / 2] |= static_cast<uint8_t>(l_l << 4);
      }
      *scales_h |= static_cast<uint16_t>(l_h << (2 * (ib % 8)));
    }
  } else {
    *dh = Fp32ToFp16(scales[0]);
    const float id = scales[0] ? 1 / scales[0] : 0;
    for (int j = 0; j < super; ++j) L[j] = static_cast<uint8_t>(BestIndex(16, values, id * x[j]));
  }
  for (int i = 0; i < super / 32; ++i) {
    for (int j = 0; j < 16; ++j) {
      q4[16 * i + j] = static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
    }
  }
}

}  // namespace

void DequantizeIq4Nl(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq4Nl*>(src);
  for (int64_t i = 0; i < n / kQK4; ++i, y += kQK4) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK4 / 2; ++j) {
      y[j] = d * kIq4nlValues[b[i].qs[j] & 0xf];
      y[j + kQK4 / 2] = d * kIq4nlValues[b[i].qs[j] >> 4];
    }
  }
}

void DequantizeIq4Xs(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq4Xs*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint8_t* qs = b[i].qs;
    for (int ib = 0; ib < kQKK / 32; ++ib, y += 32, qs += 16) {
      const int ls = ((b[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) |
                     (((b[i].scales_h >> 2 * ib) & 3) << 4);
      const float dl = d * (ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * kIq4nlValues[qs[j] & 0xf];
        y[j + 16] = dl * kIq4nlValues[qs[j] >> 4];
      }
    }
  }
}

void QuantizeIq4Nl(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockIq4Nl*>(dst);
  for (int64_t i = 0; i < n / kQK4; ++i, x += kQK4) {
    QuantizeIq4Block(kQK4, x, &y[i].d, y[i].qs, nullptr, nullptr);
  }
}

void QuantizeIq4Xs(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockIq4Xs*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    QuantizeIq4Block(kQKK, x, &y[i].d, y[i].qs, &y[i].scales_h, y[i].scales_l);
  }
}

}  // namespace fw::quant
