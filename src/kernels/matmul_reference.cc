#include <vector>

#include "kernels/matmul.h"
#include "tensor/quants.h"

namespace fw::kernels {

void MatMulReference(const WeightView& w, const float* x, int64_t n, float* y) {
  std::vector<float> row(static_cast<size_t>(w.cols));
  const auto* base = static_cast<const uint8_t*>(w.data);
  for (int64_t r = 0; r < w.rows; ++r) {
    DequantizeRow(w.type, base + static_cast<size_t>(r) * w.row_stride, row.data(), w.cols);
    for (int64_t t = 0; t < n; ++t) {
      const float* xt = x + t * w.cols;
      float acc = 0.0f;
      for (int64_t k = 0; k < w.cols; ++k) acc += row[k] * xt[k];
      y[t * w.rows + r] = acc;
    }
  }
}

}  // namespace fw::kernels
