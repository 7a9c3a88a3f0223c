// NEON kernels (AArch64): float dots and the 8-bit activation quantizer; the quantized
// dots use the scalar reference for now. Only compiled to a table when __ARM_NEON is set.
#include "kernels/kernel_table.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>

#include <cmath>
#include <cstring>

#include "tensor/fp16.h"

namespace fw::kernels {
namespace {

void DotRowsF32(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = reinterpret_cast<const float*>(w + static_cast<size_t>(r) * stride);
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int64_t k = 0;
    for (; k + 8 <= cols; k += 8) {
      a0 = vfmaq_f32(a0, vld1q_f32(row + k), vld1q_f32(x + k));
      a1 = vfmaq_f32(a1, vld1q_f32(row + k + 4), vld1q_f32(x + k + 4));
    }
    float acc = vaddvq_f32(vaddq_f32(a0, a1));
    for (; k < cols; ++k) acc += row[k] * x[k];
    y[r] = acc;
  }
}

KernelTable MakeTable() {
  KernelTable t = ScalarKernels();
  t.name = "neon";
  t.dot_f[static_cast<int>(GgmlType::F32)] = &DotRowsF32;
  return t;
}

}  // namespace

const KernelTable* NeonKernelTable() {
  static const KernelTable table = MakeTable();
  return &table;
}

}  // namespace fw::kernels
#else
namespace fw::kernels {
const KernelTable* NeonKernelTable() { return nullptr; }
}  // namespace fw::kernels
#endif
