// Dispatch for MatMul. For now: the scalar reference split across the pool by rows.
// The kernels work (SIMD paths chosen once per process from CPU features) replaces this.
#include "kernels/matmul.h"

#include <vector>

#include "kernels/thread_pool.h"

namespace fw::kernels {

void MatMul(const WeightView& w, const float* x, int64_t n, float* y, ThreadPool* pool) {
  if (pool == nullptr || pool->size() == 1) {
    MatMulReference(w, x, n, y);
    return;
  }
  // Each thread handles a slice of rows; results land in their own columns of y, so a
  // temporary y per slice is scattered back.
  pool->ParallelFor(w.rows, [&](int64_t r0, int64_t r1) {
    WeightView slice = w;
    slice.data = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r0) * w.row_stride;
    slice.rows = r1 - r0;
    std::vector<float> tmp(static_cast<size_t>(slice.rows * n));
    MatMulReference(slice, x, n, tmp.data());
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = 0; r < slice.rows; ++r) y[t * w.rows + r0 + r] = tmp[t * slice.rows + r];
  });
}

}  // namespace fw::kernels
