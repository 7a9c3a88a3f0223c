// Element-wise activations with ggml's CPU arithmetic (bit for bit, see ggml_order.h).
#pragma once

#include <cstdint>

namespace fw::kernels {

// gate[i] = silu(gate[i]) * up[i] for i < n, one row (ggml_silu then ggml_mul): ggml's
// vectorised SiLU for the first n & ~7 elements, x / (1 + expf(-x)) for the rest.
void SiluMul(float* gate, const float* up, int64_t n);
// Scalar reference of SiluMul.
void SiluMulReference(float* gate, const float* up, int64_t n);

}  // namespace fw::kernels
