#include "kernels/activations.h"

#include <cmath>

#include "kernels/ggml_order.h"
#include "kernels/kernel_table.h"

namespace fw::kernels {

void SiluMulReference(float* gate, const float* up, int64_t n) {
  const int64_t body = n & ~int64_t{7};
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float s = i < body ? SiluLikeGgml(g) : g / (1.0f + std::exp(-g));
    gate[i] = s * up[i];
  }
}

void SiluMul(float* gate, const float* up, int64_t n) { ActiveKernels().silu_mul(gate, up, n); }

}  // namespace fw::kernels
