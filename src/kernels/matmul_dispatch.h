// MatMul with an explicit kernel table (tests run every table against the scalar one).
// matmul.h's MatMul is MatMulWith(ActiveKernels(), ...).
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"
#include "kernels/matmul.h"

namespace fw::kernels {

// Same contract as MatMul. Types the table has no kernel for fall back to MatMulReference.
void MatMulWith(const KernelTable& kernels, const WeightView& w, const float* x, int64_t n, float* y,
                ThreadPool* pool);

// True when MatMul has an optimized path for this weight type (others are dequantized
// row by row through tensor/quants.h, correct but slow).
bool HasFastPath(GgmlType type);

}  // namespace fw::kernels
