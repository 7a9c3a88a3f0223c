// Helpers for the kernel tests: random but valid weight blocks and error bounds.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/weight_blocks.h"
#include "tensor/fp16.h"
#include "tensor/ggml_type.h"

namespace fw::kernels::testing {

// Byte offsets of the f16 scale fields inside one block of t (see ggml_type.h).
inline std::vector<int> HalfFields(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::IQ4_NL: return {0};
    case GgmlType::Q4_1: case GgmlType::Q5_1: case GgmlType::Q4_K: case GgmlType::Q5_K: return {0, 2};
    case GgmlType::Q2_K: return {80, 82};
    case GgmlType::Q3_K: return {108};
    case GgmlType::Q6_K: return {208};
    default: return {};
  }
}

// rows x cols weights of type t: uniformly random bytes (every bit pattern the format can
// hold, including Q8_0's -128) with finite f16 scales in [-1/16, 1/16].
inline std::vector<uint8_t> RandomWeights(GgmlType t, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto& tr = TypeTraits(t);
  const size_t row_bytes = RowBytes(t, cols);
  std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows) + 64);  // slack: no over-read tolerated past rows, but keeps ASan honest below
  w.resize(row_bytes * static_cast<size_t>(rows));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : w) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(-1.0f / 16, 1.0f / 16);
  const auto fields = HalfFields(t);
  for (size_t blk = 0; blk < w.size() / tr.type_size; ++blk) {
    for (int off : fields) {
      const uint16_t h = Fp32ToFp16(scale(rng));
      std::memcpy(w.data() + blk * tr.type_size + off, &h, 2);
    }
  }
  return w;
}

inline std::vector<float> RandomFloats(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = u(rng);
  // A few outliers, as real activations have.
  for (size_t i = 0; i < v.size(); i += 97) v[i] *= 20.0f;
  return v;
}

}  // namespace fw::kernels::testing
