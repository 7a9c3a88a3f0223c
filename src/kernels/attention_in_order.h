// ggml's attention arithmetic in scalar form (see attention.h for the order): the reference
// implementation, and the kernel the SIMD tables use for head dims they do not vectorise
// (compiled there with FMA, so std::fma is one instruction; the results are the same bits).
#pragma once

#include <cmath>
#include <cstring>

#include "kernels/attention.h"
#include "kernels/ggml_order.h"
#include "tensor/fp16.h"

namespace fw::kernels {
namespace {  // internal linkage, as ggml_order.h

// An element of a K / V row: f16 through half_to_float, or f32.
template <class HalfToFloat>
inline float KvElem(const void* row, int64_t i, bool f16, HalfToFloat half_to_float) {
  if (f16) {
    uint16_t h;
    std::memcpy(&h, static_cast<const uint8_t*>(row) + 2 * i, 2);
    return half_to_float(h);
  }
  float v;
  std::memcpy(&v, static_cast<const uint8_t*>(row) + 4 * i, 4);
  return v;
}

// half_to_float: any exact f16 -> f32 conversion (software or F16C).
template <class HalfToFloat>
inline void AttendGroupInOrderWith(const AttentionArgs& a, HalfToFloat half_to_float) {
  const int HD = a.head_dim;
  const bool f16 = a.kv.f16;
  const int n = a.n_keys;
  const auto round_f16 = [&](float v) { return half_to_float(Fp32ToFp16(v)); };
  for (int g = 0; g < a.n_group; ++g) {
    float* scores = a.scratch + static_cast<size_t>(g) * n;
    const float* q = a.q + static_cast<size_t>(g) * HD;
    float max_s = -INFINITY;
    for (int p = 0; p < n; ++p) {
      const void* krow = a.kv.k_rows[p];
      const float s = DotLikeGgml(
          HD, a.batched && HD % 8 == 0, f16, [&](int64_t d) { return f16 ? round_f16(q[d]) : q[d]; },
          [&](int64_t d) { return KvElem(krow, a.head_offset + d, f16, half_to_float); });
      scores[p] = s * a.scale;
      max_s = std::fmax(max_s, scores[p]);
    }
    // ggml_vec_soft_max_f32: 8 exps at a time, each group's f32 sum added in double.
    double sum = 0.0;
    for (int p0 = 0; p0 < n; p0 += 8) {
      float e[8] = {};
      for (int i = 0; i < 8 && p0 + i < n; ++i) e[i] = scores[p0 + i] = ExpLikeGgml(scores[p0 + i] - max_s);
      sum += static_cast<double>(ReduceLanes8(e));
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int p = 0; p < n; ++p) scores[p] = f16 ? round_f16(scores[p] * inv) : scores[p] * inv;
    // w.V: DotLikeGgml's vec_dot order over the padded length (n_kv % 32 == 0: no rest), for
    // 8 output elements at a time: position p goes to lane p % 8 of accumulator (p / 8) % 4,
    // i.e. acc[p % 32]. Positions n.. weigh 0 and add nothing.
    float* out = a.out + static_cast<size_t>(g) * HD;
    for (int d0 = 0; d0 < HD; d0 += 8) {
      const int nd = HD - d0 < 8 ? HD - d0 : 8;
      float acc[32][8] = {};
      for (int p = 0; p < n; ++p)
        for (int j = 0; j < nd; ++j)
          acc[p % 32][j] = std::fma(scores[p], KvElem(a.kv.v_rows[p], a.head_offset + d0 + j, f16, half_to_float), acc[p % 32][j]);
      for (int j = 0; j < nd; ++j) {
        float lanes[4][8];
        for (int i = 0; i < 32; ++i) lanes[i / 8][i % 8] = acc[i][j];
        out[d0 + j] = ReduceVecDot8(lanes);
      }
    }
  }
}

inline void AttendGroupInOrder(const AttentionArgs& a) {
  AttendGroupInOrderWith(a, [](uint16_t h) { return Fp16ToFp32(h); });
}

}  // namespace
}  // namespace fw::kernels
