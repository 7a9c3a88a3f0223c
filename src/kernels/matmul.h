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

// y_i = W_i x for `count` weights that share the input x (all with the same cols; types may
// differ, e.g. Q4_K and Q6_K in a Q4_K_M file): Q/K/V or gate/up in one call. x is quantized
// once and the pool is dispatched once, so decode pays one synchronisation instead of count.
// ys[i] is n x ws[i].rows. Same results as count separate MatMul calls.
void MatMulMulti(const WeightView* ws, float* const* ys, int count, const float* x, int64_t n,
                 ThreadPool* pool);

// Scalar reference: dequantizes each row to f32 and accumulates in plain f32, in index order.
// The ground truth for every SIMD path's tests. Single-threaded.
void MatMulReference(const WeightView& w, const float* x, int64_t n, float* y);

}  // namespace fw::kernels
