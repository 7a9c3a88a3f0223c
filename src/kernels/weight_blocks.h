// A uniform "unsigned integer" view of the quantized weight blocks, shared by the scalar
// reference dot products and the GEMM panel packer.
//
// Every supported quantized type decodes a block of `block` elements into
//   u[k]      in 0..255
//   scale[g], min[g] per group of `group` elements (16 or 32)
// so that the element's value is   scale[k/group] * (u[k] - offset) + min[k/group],
// with `offset` a per-type integer constant. A dot product with 8-bit activations
// (d per 32, exact integer sums per 16/32) is then, per group,
//   scale * d_x * (sum u*q - offset * sum q)  +  min * d_x * sum q,
// where both integer sums are exact in int32.
//
//   type    block group offset  u range  min
//   Q4_0      32   32     8      0..15    -
//   Q4_1      32   32     0      0..15    m
//   Q5_0      32   32    16      0..31    -
//   Q5_1      32   32     0      0..31    m
//   Q8_0      32   32   128      1..255   -
//   IQ4_NL    32   32   128      1..241   -   (u = kvalue + 128)
//   Q2_K     256   16     0      0..3     -dmin*m
//   Q3_K     256   16     4      0..7     -
//   Q4_K     256   32     0      0..15    -dmin*m
//   Q5_K     256   32     0      0..31    -dmin*m
//   Q6_K     256   16    32      0..63    -
//
// `acts` is how ggml quantizes the activations for the type (its vec_dot_type): Q8_0 for
// Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants (see quantized_acts.h).
#pragma once

#include <cstdint>

#include "kernels/quantized_acts.h"
#include "tensor/ggml_type.h"

namespace fw::kernels {

struct BlockFormat {
  int block = 0;         // elements per block
  int group = 0;         // elements per scale group
  int offset = 0;        // subtracted from u
  bool has_min = false;  // min[] is non-zero
  int u_max = 0;         // largest u (maddubs-based paths need u_max * 127 * 2 < 32768)
  ActsKind acts = ActsKind::kQ8_0;  // activation quantization ggml pairs with the type
};

// Format of a quantized type with an integer path; nullptr for others (F32, F16, BF16,
// types without a kernel).
const BlockFormat* FormatOf(GgmlType t);

struct DecodedBlock {
  uint8_t u[256];
  float scale[16];
  float min[16];
  // The K-quants' integer scales and mins and the block's f16 factors behind them:
  // scale[g] = d * iscale[g], min[g] = -dmin * imin[g] (ggml's integer-domain form, which
  // its vec_dots multiply into the exact int32 sums). Zero for the 32-element types.
  int16_t iscale[16];
  int16_t imin[16];
  float d;
  float dmin;
};

// Scalar reference decode of one block of type t (FormatOf(t) != nullptr).
void DecodeBlock(GgmlType t, const uint8_t* block, DecodedBlock* out);

// The IQ4_NL code book.
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace fw::kernels
