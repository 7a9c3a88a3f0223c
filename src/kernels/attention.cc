#include "kernels/attention.h"

#include <cmath>
#include <cstring>

#include "kernels/kernel_table.h"
#include "tensor/fp16.h"

namespace fw::kernels {
namespace {
inline float RoundF16(float v) { return Fp16ToFp32(Fp32ToFp16(v)); }
inline float Elem(const void* row, int64_t i, bool f16) {
  if (f16) {
    uint16_t h;
    std::memcpy(&h, static_cast<const uint8_t*>(row) + 2 * i, 2);
    return Fp16ToFp32(h);
  }
  float v;
  std::memcpy(&v, static_cast<const uint8_t*>(row) + 4 * i, 4);
  return v;
}
}  // namespace

void AttendGroupReference(const AttentionArgs& a) {
  const int HD = a.head_dim;
  for (int g = 0; g < a.n_group; ++g) {
    float* scores = a.scratch + static_cast<size_t>(g) * a.n_keys;
    const float* q = a.q + static_cast<size_t>(g) * HD;
    float max_s = -INFINITY;
    for (int p = 0; p < a.n_keys; ++p) {
      float s = 0.0f;
      for (int d = 0; d < HD; ++d) {
        const float qd = a.kv.f16 ? RoundF16(q[d]) : q[d];
        s += qd * Elem(a.kv.k_rows[p], a.head_offset + d, a.kv.f16);
      }
      s *= a.scale;
      scores[p] = s;
      max_s = std::fmax(max_s, s);
    }
    double sum = 0.0;
    for (int p = 0; p < a.n_keys; ++p) {
      scores[p] = std::exp(scores[p] - max_s);
      sum += scores[p];
    }
    const float inv = static_cast<float>(1.0 / sum);
    float* out = a.out + static_cast<size_t>(g) * HD;
    for (int d = 0; d < HD; ++d) out[d] = 0.0f;
    for (int p = 0; p < a.n_keys; ++p) {
      float w = scores[p] * inv;
      if (a.kv.f16) w = RoundF16(w);
      for (int d = 0; d < HD; ++d) out[d] += w * Elem(a.kv.v_rows[p], a.head_offset + d, a.kv.f16);
    }
  }
}

void AttendGroup(const AttentionArgs& a) {
  if (a.n_keys <= 0) {
    for (int i = 0; i < a.n_group * a.head_dim; ++i) a.out[i] = 0.0f;
    return;
  }
  ActiveKernels().attend_group(a);
}

}  // namespace fw::kernels
