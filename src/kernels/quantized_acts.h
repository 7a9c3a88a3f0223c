// Activations quantized to 8 bits for the integer-dot-product paths.
//
// A row of `cols` floats (cols a multiple of 32) becomes, structure-of-arrays:
//   q[cols]        int8, q = round(x / d) clamped to [-127, 127]
//   d[cols/32]     f32 scale per 32 elements, d = max|x| / 127 (0 for an all-zero block)
//   sum16[cols/16] f32 holding the exact integer sum of q over each 16 elements
//   ds16[cols/16]  f32 d * sum16 (the block's d)
//   sum32, ds32    the same per 32 elements
// Per element |x - d*q| <= d/2, which is the error bound the tests use.
// Storage for n rows is one caller-owned buffer (see QuantizedActsBytes); the views below
// only point into it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fw::kernels {

struct QuantizedRow {
  const int8_t* q;
  const float* d;
  const float* sum16;
  const float* ds16;
  const float* sum32;
  const float* ds32;
};

// n rows of `cols` quantized activations laid out in one buffer.
struct QuantizedActs {
  int64_t n = 0;
  int64_t cols = 0;
  int8_t* q = nullptr;      // [n][cols]
  float* d = nullptr;       // [n][cols/32]
  float* sum16 = nullptr;   // [n][cols/16]
  float* ds16 = nullptr;    // [n][cols/16]
  float* sum32 = nullptr;   // [n][cols/32]
  float* ds32 = nullptr;    // [n][cols/32]

  QuantizedRow Row(int64_t t) const {
    return QuantizedRow{q + t * cols,        d + t * (cols / 32),     sum16 + t * (cols / 16),
                        ds16 + t * (cols / 16), sum32 + t * (cols / 32), ds32 + t * (cols / 32)};
  }
};

// Bytes QuantizedActs needs for n x cols (64-byte aligned sections).
size_t QuantizedActsBytes(int64_t n, int64_t cols);
// Lays out the views over `buffer` (which must hold QuantizedActsBytes(n, cols) bytes and be
// 64-byte aligned).
QuantizedActs LayoutQuantizedActs(void* buffer, int64_t n, int64_t cols);

// Scalar reference: quantizes row t of x (cols floats) into acts.
void QuantizeActsRowReference(const float* x, const QuantizedActs& acts, int64_t t);

}  // namespace fw::kernels
