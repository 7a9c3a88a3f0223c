// The ggml tensor type table: ids, names and block geometry, bit-compatible with ggml.
// This file is a leaf (no dependencies) so that gguf/ can validate tensor sizes with it;
// quantize/dequantize live in tensor/quants*.
//
// A row of n elements of type T occupies (n / block_size) * type_size bytes, and n must be a
// multiple of block_size. Block layouts (little-endian, packed, as in ggml's block_* structs):
//   F32      1 elem : float
//   F16      1 elem : IEEE half
//   BF16     1 elem : bfloat16 (upper 16 bits of a float)
//   Q4_0    32 elems: d:f16, qs[16] (low nibble = elem j, high nibble = elem j+16); x = d*(q-8)
//   Q4_1    32 elems: d:f16, m:f16, qs[16]; x = d*q + m
//   Q5_0    32 elems: d:f16, qh[4] (bit j = 5th bit of elem j), qs[16]; x = d*(q-16)
//   Q5_1    32 elems: d:f16, m:f16, qh[4], qs[16]; x = d*q + m
//   Q8_0    32 elems: d:f16, qs[32] int8; x = d*q
//   Q8_1    32 elems: d:f16, s:f16 (= d*sum(qs)), qs[32] int8
//   Q2_K   256 elems: scales[16] (lo nibble scale, hi nibble min, per 16), qs[64] (2 bits),
//                     d:f16, dmin:f16
//   Q3_K   256 elems: hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16 x 6-bit), d:f16
//   Q4_K   256 elems: d:f16, dmin:f16, scales[12] (8 x 6-bit scale + 8 x 6-bit min), qs[128]
//   Q5_K   256 elems: d:f16, dmin:f16, scales[12], qh[32], qs[128]
//   Q6_K   256 elems: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8, d:f16
//   Q8_K   256 elems: d:f32, qs[256] int8, bsums[16] int16 (sums of 16-element groups)
//   IQ2_XXS 256: d:f16, qs[32] u16          IQ2_XS 256: d:f16, qs[32] u16, scales[8]
//   IQ2_S  256: d:f16, qs[64], qh[8], scales[8]
//   IQ3_XXS 256: d:f16, qs[96]              IQ3_S 256: d:f16, qs[64], qh[8], signs[32], scales[4]
//   IQ1_S  256: d:f16, qs[32], qh[8] u16    IQ1_M 256: qs[32], qh[16], scales[8] (d inside scales)
//   IQ4_NL  32 elems: d:f16, qs[16]; x = d*kvalues_iq4nl[q]
//   IQ4_XS 256 elems: d:f16, scales_h:u16, scales_l[4], qs[128]; 8 sub-blocks of 32 with 6-bit scales
//   TQ1_0  256: qs[48], qh[4], d:f16        TQ2_0 256: qs[64], d:f16
//   I8/I16/I32/I64/F64: plain integers / doubles
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fw {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3,
  // 4 and 5 (Q4_2, Q4_3) were removed from ggml.
  Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  // 31..33 (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8) were removed from ggml.
  TQ1_0 = 34, TQ2_0 = 35,
};

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;   // as ggml spells it: "f32", "q4_0", "q4_K", ...
  uint32_t block_size;     // elements per block
  uint32_t type_size;      // bytes per block
  bool quantized;
};

// Traits of a type id read from a file; nullopt for ids ggml does not define.
std::optional<GgmlTypeTraits> LookupGgmlType(uint32_t id);
// Traits of a known type (asserts that it is known).
const GgmlTypeTraits& TypeTraits(GgmlType t);
std::string_view TypeName(GgmlType t);
// Parses "Q4_0", "q4_0", "Q4_K", "f16", ... (case-insensitive).
std::optional<GgmlType> ParseGgmlType(std::string_view name);

// Bytes of one row of n elements; n must be a multiple of the block size.
inline size_t RowBytes(GgmlType t, int64_t n) {
  const GgmlTypeTraits& tr = TypeTraits(t);
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

}  // namespace fw
