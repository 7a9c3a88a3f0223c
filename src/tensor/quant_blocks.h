// The in-memory block structs of ggml's quantized types, byte-compatible with ggml's block_*
// structs (little-endian, no padding; sizes checked against the type table below).
// f16 fields are raw IEEE half bits (convert with fp16.h). Shared by the scalar reference
// (tensor/quants_*.cc) and the SIMD kernels; these are plain data, no behaviour.
#pragma once

#include <cstdint>

namespace fw::quant {

inline constexpr int kQK4 = 32;   // legacy block size (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL)
inline constexpr int kQKK = 256;  // K-quant / IQ super-block size

// x = d * (q - 8); qs[j] low nibble = element j, high nibble = element j + 16.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4 / 2];
};
// x = d * q + m; nibble order as Q4_0.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK4 / 2];
};
// x = d * (q - 16); q = nibble | (bit j of qh) << 4, nibbles as Q4_0 (qh bit j+16 for elem j+16).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK4 / 2];
};
// x = d * q + m; bits as Q5_0.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK4 / 2];
};
// x = d * qs[j].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK4];
};
// x = d * qs[j]; s = d * sum(qs) (used by the Q4_1/Q5_1 dot products).
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK4];
};

// 16 sub-blocks of 16: x = d * (scales[i] & 15) * q - dmin * (scales[i] >> 4), q 2 bits.
// qs: for each half of 128 elements, 32 bytes; bits 2k..2k+1 of byte l = element 32k + l.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint16_t d;
  uint16_t dmin;
};
// 16 sub-blocks of 16 with signed 6-bit scales (offset 32): x = d * (sc - 32) * (q - 4), where
// q = 2 low bits (qs, packed as Q2_K) | high bit (hmask[l] bit k for element 32k + l) << 2,
// and the bit set means "no -4". scales[12]: low nibbles of sc 0..7 in bytes 0..7, of 8..15
// in their high nibbles; the 2 high bits of sc j in byte 8 + j%4 at bit 2*(j/4).
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint16_t d;
};
// 8 sub-blocks of 32: x = d * sc * q - dmin * m, 6-bit sc/m packed in scales[12] (see
// GetScaleMinK4); qs: per 64 elements 32 bytes, low nibble = elem l, high nibble = elem l + 32.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
// As Q4_K with a 5th bit: qh[l] bit 2k (2k+1) = bit 4 of element 64k + l (64k + 32 + l).
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
// 16 sub-blocks of 16: x = d * scales[i] * (q - 32), q 6 bits. Per 128 elements: ql 64 bytes
// (byte l: low nibble elem l, high nibble elem l + 64; byte 32 + l: elems l + 32, l + 96) and
// qh 32 bytes (byte l bits 2k..2k+1 = high bits of elem l + 32k).
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
// Activations for the K-quant dot products: x = d * qs[j]; bsums[i] = sum of qs[16i..16i+16).
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

// x = d * kIq4nlValues[q]; nibble order as Q4_0.
struct BlockIq4Nl {
  uint16_t d;
  uint8_t qs[kQK4 / 2];
};
// 8 sub-blocks of 32: x = d * (ls - 32) * kIq4nlValues[q], 6-bit ls: low nibble in scales_l[i/2]
// (nibble i%2), high 2 bits in scales_h bits 2i..2i+1; qs per sub-block as IQ4_NL.
struct BlockIq4Xs {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQKK / 64];
  uint8_t qs[kQKK / 2];
};

// ---- i-quants with codebooks (iq_grids.h). Groups of 8 (or 4) elements are one grid entry
// each; "signs" give 7 sign bits per 8 elements (8th from parity, see Iq2Signs).
// IQ2_XXS: per 32 elements 8 bytes = two u32 a0, a1: byte l of a0 = kIq2xxsGrid index of group
// l (8 elements), a1 bits 7l..7l+6 = signs of group l, a1 >> 28 = scale s;
// x = d * (0.5 + s) * 0.25 * grid * sign.
struct BlockIq2Xxs {
  uint16_t d;
  uint16_t qs[kQKK / 8];
};
// IQ2_XS: qs[4*ib + l] = 9-bit kIq2xsGrid index | 7 sign bits << 9; scales[ib]: low nibble for
// groups 0-1, high for 2-3 of the 32; x = d * (0.5 + s) * 0.25 * grid * sign.
struct BlockIq2Xs {
  uint16_t d;
  uint16_t qs[kQKK / 8];
  uint8_t scales[kQKK / 32];
};
// IQ2_S: qs[0..31] low 8 bits of the 10-bit kIq2sGrid index (4 per 32 elements), qh[ib] bits
// 2l..2l+1 its high bits, qs[32..63] one full sign byte per group; scales as IQ2_XS.
struct BlockIq2S {
  uint16_t d;
  uint8_t qs[kQKK / 4];
  uint8_t qh[kQKK / 32];
  uint8_t scales[kQKK / 32];
};
// IQ3_XXS: qs[0..63] kIq3xxsGrid indices (4 elements each, 8 per 32), then per 32 elements a u32
// with 4 x 7 sign bits and the scale s in its top 4 bits; x = d * (0.5 + s) * 0.5 * grid * sign.
struct BlockIq3Xxs {
  uint16_t d;
  uint8_t qs[3 * kQKK / 8];
};
// IQ3_S: qs low 8 bits of the 9-bit kIq3sGrid index (4 elements each), qh[ib] bit k = 9th bit
// of index k of the 32 elements, signs one byte per 8 elements, scales one nibble per 32;
// x = d * (1 + 2 s) * grid * sign.
struct BlockIq3S {
  uint16_t d;
  uint8_t qs[kQKK / 4];
  uint8_t qh[kQKK / 32];
  uint8_t signs[kQKK / 8];
  uint8_t scales[kQKK / 64];
};
// IQ1_S: qs low 8 bits of the 11-bit kIq1sGrid index (8 elements each); qh[ib] (per 32):
// bits 3l..3l+2 high index bits of group l, bits 12..14 scale s, bit 15 sign of the delta;
// x = d * (2 s + 1) * (grid + (bit15 ? -kIq1Delta : kIq1Delta)).
struct BlockIq1S {
  uint16_t d;
  uint8_t qs[kQKK / 8];
  uint16_t qh[kQKK / 32];
};
// IQ1_M: no d field: the f16 d is the top nibbles of the four u16 words of scales
// (word k bits 12..15 = bits 4k..4k+3 of d). Word ib/2 bits 6(ib%2)..+2 and +3..+5 are the
// 3-bit scales of groups 0-1 and 2-3 of 32-block ib; qh[2ib + h]: low nibble = 3 high index
// bits of group 2h + delta sign (bit 3), high nibble the same for group 2h + 1.
struct BlockIq1M {
  uint8_t qs[kQKK / 8];
  uint8_t qh[kQKK / 16];
  uint8_t scales[kQKK / 32];
};

// Ternary: x = d * (t - 1), t in {0, 1, 2}. qs[48]: bytes 0..31 hold 5 trits each for elements
// 32n + m (n = 0..4), bytes 32..47 hold elements 160 + 16n + m; qh[4] holds 4 trits each for
// elements 240 + 4n + j. A byte stores trits as ceil(v * 256 / 243) where v is the base-3
// number with the first trit most significant.
struct BlockTq1_0 {
  uint8_t qs[(kQKK - 4 * kQKK / 64) / 5];
  uint8_t qh[kQKK / 64];
  uint16_t d;
};
// Ternary, 2 bits each: per 128 elements 32 bytes, bits 2n..2n+1 of byte m = element 32n + m.
struct BlockTq2_0 {
  uint8_t qs[kQKK / 4];
  uint16_t d;
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIq4Nl) == 18 && sizeof(BlockIq4Xs) == 136);
static_assert(sizeof(BlockIq2Xxs) == 66 && sizeof(BlockIq2Xs) == 74 && sizeof(BlockIq2S) == 82 &&
              sizeof(BlockIq3Xxs) == 98 && sizeof(BlockIq3S) == 110 && sizeof(BlockIq1S) == 50 &&
              sizeof(BlockIq1M) == 56);
static_assert(sizeof(BlockTq1_0) == 54 && sizeof(BlockTq2_0) == 66);

// The 16 non-linear levels of IQ4_NL / IQ4_XS.
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// Scale and min of sub-block j (0..7) of a Q4_K / Q5_K block: bytes 0..3 hold sc 0..3 (low
// 6 bits), bytes 4..7 m 0..3; sub-blocks 4..7 keep their low nibbles in bytes 8..11 (sc low,
// m high) and their top 2 bits in the top 2 bits of bytes j-4 (sc) and j (m).
inline void GetScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace fw::quant
