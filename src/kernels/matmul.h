// Matrix multiplication against weights stored in their GGUF encoding.
//
//   y[t * rows + r] = sum_k W[r, k] * x[t * cols + k]     for t < n, r < rows
//
// W is a 2-D GGUF tensor: ne[0] = cols (contiguous), ne[1] = rows, each row RowBytes(type, cols)
// bytes at data + r * row_stride. x is n x cols f32 row-major, y is n x rows f32 row-major.
// n == 1 is the decode (matrix x vector) case, n > 1 prefill (matrix x matrix).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/ggml_type.h"

namespace fw::kernels {

class ThreadPool;

struct WeightView {
  GgmlType type = GgmlType::F32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_stride = 0;  // bytes between rows; RowBytes(type, cols) for a dense tensor
};

// The fastest path this CPU supports (chosen once at run time), split over pool's threads
// when pool is non-null.
void MatMul(const WeightView& w, const float* x, int64_t n, float* y, ThreadPool* pool);

// Scalar reference: dequantizes each row to f32 and accumulates in plain f32, in index order.
// The ground truth for every SIMD path's tests. Single-threaded.
void MatMulReference(const WeightView& w, const float* x, int64_t n, float* y);

}  // namespace fw::kernels
