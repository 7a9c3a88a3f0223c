// Dequantization of the codebook i-quants IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M
// (layouts in quant_blocks.h, codebooks in iq_grids.h), with ggml's element order and float
// arithmetic (scale * grid byte * sign, in that order).
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/iq_grids.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

uint8_t GridByte(uint64_t entry, int j) { return static_cast<uint8_t>(entry >> (8 * j)); }
int8_t GridInt8(uint64_t entry, int j) { return static_cast<int8_t>(entry >> (8 * j)); }
float Sign(uint8_t signs, int j) { return (signs >> j) & 1 ? -1.f : 1.f; }

// 8 elements from a 2-bit grid entry with scale db and sign bits.
void EmitGroup8(uint64_t entry, float db, uint8_t signs, float* y) {
  for (int j = 0; j < 8; ++j) y[j] = db * GridByte(entry, j) * Sign(signs, j);
}

// 8 elements from two 4-element IQ3 grid entries.
void EmitGroup4x2(uint32_t e1, uint32_t e2, float db, uint8_t signs, float* y) {
  for (int j = 0; j < 4; ++j) {
    y[j] = db * GridByte(e1, j) * Sign(signs, j);
    y[j + 4] = db * GridByte(e2, j) * Sign(signs, j + 4);
  }
}

}  // namespace

void DequantizeIq2Xxs(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq2Xxs*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      uint32_t aux[2];
      std::memcpy(aux, b[i].qs + 4 * ib, 8);
      const float db = d * (0.5f + (aux[1] >> 28)) * 0.25f;
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint8_t index = static_cast<uint8_t>(aux[0] >> (8 * l));
        EmitGroup8(kIq2xxsGrid[index], db, Iq2Signs(aux[1] >> (7 * l)), y);
      }
    }
  }
}

void DequantizeIq2Xs(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq2Xs*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      const float db[2] = {d * (0.5f + (b[i].scales[ib] & 0xf)) * 0.25f,
                           d * (0.5f + (b[i].scales[ib] >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint16_t q = b[i].qs[4 * ib + l];
        EmitGroup8(kIq2xsGrid[q & 511], db[l / 2], Iq2Signs(q >> 9), y);
      }
    }
  }
}

void DequantizeIq2S(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq2S*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint8_t* signs = b[i].qs + kQKK / 8;
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      const float db[2] = {d * (0.5f + (b[i].scales[ib] & 0xf)) * 0.25f,
                           d * (0.5f + (b[i].scales[ib] >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, y += 8) {
        const int index = b[i].qs[4 * ib + l] | (((b[i].qh[ib] >> (2 * l)) & 3) << 8);
        EmitGroup8(kIq2sGrid[index], db[l / 2], signs[4 * ib + l], y);
      }
    }
  }
}

void DequantizeIq3Xxs(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq3Xxs*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint8_t* qs = b[i].qs;
    const uint8_t* scales_and_signs = b[i].qs + kQKK / 4;
    for (int ib = 0; ib < kQKK / 32; ++ib, qs += 8) {
      uint32_t aux;
      std::memcpy(&aux, scales_and_signs + 4 * ib, 4);
      const float db = d * (0.5f + (aux >> 28)) * 0.5f;
      for (int l = 0; l < 4; ++l, y += 8) {
        EmitGroup4x2(kIq3xxsGrid[qs[2 * l]], kIq3xxsGrid[qs[2 * l + 1]], db,
                     Iq2Signs(aux >> (7 * l)), y);
      }
    }
  }
}

void DequantizeIq3S(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq3S*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint8_t* qs = b[i].qs;
    const uint8_t* signs = b[i].signs;
    for (int ib = 0; ib < kQKK / 32; ++ib, qs += 8, signs += 4) {
      const int s = (b[i].scales[ib / 2] >> (4 * (ib % 2))) & 0xf;
      const float db = d * (1 + 2 * s);
      const uint8_t qh = b[i].qh[ib];
      for (int l = 0; l < 4; ++l, y += 8) {
        const int i1 = qs[2 * l] | (((qh >> (2 * l)) & 1) << 8);
        const int i2 = qs[2 * l + 1] | (((qh >> (2 * l + 1)) & 1) << 8);
        EmitGroup4x2(kIq3sGrid[i1], kIq3sGrid[i2], db, signs[l], y);
      }
    }
  }
}

void DequantizeIq1S(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq1S*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint8_t* qs = b[i].qs;
    for (int ib = 0; ib < kQKK / 32; ++ib, qs += 4) {
      const uint16_t qh = b[i].qh[ib];
      const float dl = d * (2 * ((qh >> 12) & 7) + 1);
      const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint64_t entry = kIq1sGrid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
        for (int j = 0; j < 8; ++j) y[j] = dl * (GridInt8(entry, j) + delta);
      }
    }
  }
}

void DequantizeIq1M(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockIq1M*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    uint16_t sc[4];
    std::memcpy(sc, b[i].scales, 8);
    const uint16_t d_bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                  ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
    const float d = Fp16ToFp32(d_bits);
    const uint8_t* qs = b[i].qs;
    const uint8_t* qh = b[i].qh;
    for (int ib = 0; ib < kQKK / 32; ++ib, qs += 4, qh += 2) {
      const float dl[2] = {d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1),
                           d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1)};
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint8_t h = static_cast<uint8_t>(qh[l / 2] >> (4 * (l % 2)));  // this group's nibble
        const uint64_t entry = kIq1sGrid[qs[l] | ((h & 7) << 8)];
        const float delta = h & 0x08 ? -kIq1Delta : kIq1Delta;
        for (int j = 0; j < 8; ++j) y[j] = dl[l / 2] * (GridInt8(entry, j) + delta);
      }
    }
  }
}

}  // namespace fw::quant
