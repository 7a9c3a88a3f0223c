#include "kernels/attention.h"

#include <cmath>
#include <cstring>

#include "kernels/ggml_order.h"
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
  const bool f16 = a.kv.f16;
  const int n = a.n_keys;
  const int n_kv = PaddedKvLength(n);  // positions n.. weigh 0
  for (int g = 0; g < a.n_group; ++g) {
    float* scores = a.scratch + static_cast<size_t>(g) * n;
    const float* q = a.q + static_cast<size_t>(g) * HD;
    float max_s = -INFINITY;
    for (int p = 0; p < n; ++p) {
      const void* krow = a.kv.k_rows[p];
      const float s = DotLikeGgml(
          HD, a.batched && HD % 8 == 0, f16, [&](int64_t d) { return f16 ? RoundF16(q[d]) : q[d]; },
          [&](int64_t d) { return Elem(krow, a.head_offset + d, f16); });
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
    for (int p = 0; p < n; ++p) scores[p] = f16 ? RoundF16(scores[p] * inv) : scores[p] * inv;
    float* out = a.out + static_cast<size_t>(g) * HD;
    for (int d = 0; d < HD; ++d) {
      out[d] = DotLikeGgml(
          n_kv, false, f16, [&](int64_t p) { return p < n ? scores[p] : 0.0f; },
          [&](int64_t p) { return p < n ? Elem(a.kv.v_rows[p], a.head_offset + d, f16) : 0.0f; });
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
