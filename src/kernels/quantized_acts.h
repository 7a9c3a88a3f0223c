// Activations quantized to 8 bits for the integer-dot-product paths, exactly as ggml's CPU
// backend converts them to the weight type's vec_dot_type (the references were made with
// its x86 AVX2 code, so ties round to even as _mm256_round_ps does):
//
//   kQ8_0 (Q4_0, Q5_0, Q8_0, IQ4_NL weights), per block of 32:
//     amax = max|x|, d = fp16(amax / 127) (stored rounded to f16, kept here as f32),
//     id = amax != 0 ? 127 / amax : 0 (from the f32 amax, not the rounded d),
//     q = round_half_even(x * id)
//   kQ8_1 (Q4_1, Q5_1 weights): as kQ8_0, plus s = fp16((amax / 127) * sum(q)) per block
//     (the unrounded d times the integer sum, then rounded to f16); ds32 holds s
//   kQ8_K (Q2_K..Q6_K weights), per block of 256: max = the first element of largest |x|
//     (with its sign), iscale = -127 / max, q = min(127, round_half_even(iscale * x)),
//     d = 1 / iscale as f32 (so q and d carry the opposite sign of x / max); an all-zero
//     block has d = 0, q = 0. d[] below repeats the block's d for each of its 32-chunks.
//
// A row of `cols` floats (cols a multiple of 32, of 256 for kQ8_K) becomes, structure-of-arrays:
//   q[cols]        int8 in [-127, 127]
//   d[cols/32]     f32 scale per 32 elements (see above)
//   sum16[cols/16] f32 holding the exact integer sum of q over each 16 elements (ggml's bsums)
//   ds16[cols/16]  f32 d * sum16
//   sum32, ds32    the same per 32 elements (kQ8_1: ds32 = s, the f16-rounded one)
//   bsum16[cols/16] int16 copy of sum16 (|sum| <= 16 * 127), ggml's block_q8_K bsums, for
//                  the integer-domain corrections of the K-quant decode dots
// Per element |x - d*q| <= |d|/2 * (1 + 2^-10) (the f16 rounding of d adds the last factor).
// Storage for n rows is one caller-owned buffer (see QuantizedActsBytes); the views below
// only point into it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fw::kernels {

enum class ActsKind : uint8_t { kQ8_0, kQ8_1, kQ8_K };

struct QuantizedRow {
  const int8_t* q;
  const float* d;
  const float* sum16;
  const float* ds16;
  const float* sum32;
  const float* ds32;
  const int16_t* bsum16;
};

// n rows of `cols` quantized activations laid out in one buffer.
struct QuantizedActs {
  int64_t n = 0;
  int64_t cols = 0;
  ActsKind kind = ActsKind::kQ8_0;
  int8_t* q = nullptr;      // [n][cols]
  float* d = nullptr;       // [n][cols/32]
  float* sum16 = nullptr;   // [n][cols/16]
  float* ds16 = nullptr;    // [n][cols/16]
  float* sum32 = nullptr;   // [n][cols/32]
  float* ds32 = nullptr;    // [n][cols/32]
  int16_t* bsum16 = nullptr;  // [n][cols/16]

  QuantizedRow Row(int64_t t) const {
    return QuantizedRow{q + t * cols,           d + t * (cols / 32),     sum16 + t * (cols / 16),
                        ds16 + t * (cols / 16), sum32 + t * (cols / 32), ds32 + t * (cols / 32),
                        bsum16 + t * (cols / 16)};
  }
};

// Bytes QuantizedActs needs for n x cols (64-byte aligned sections).
size_t QuantizedActsBytes(int64_t n, int64_t cols);
// Lays out the views over `buffer` (which must hold QuantizedActsBytes(n, cols) bytes and be
// 64-byte aligned).
QuantizedActs LayoutQuantizedActs(void* buffer, int64_t n, int64_t cols, ActsKind kind);

// Scalar reference: quantizes row t of x (cols floats) into acts, as acts.kind says.
void QuantizeActsRowReference(const float* x, const QuantizedActs& acts, int64_t t);

// ggml's nearest_int: round half to even for |v| < 2^22 (the float-add trick), the rounding
// of both the AVX2 Q8_0/Q8_1 path and the Q8_K reference.
int NearestInt(float v);

}  // namespace fw::kernels
