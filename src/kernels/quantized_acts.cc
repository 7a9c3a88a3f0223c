#include "kernels/quantized_acts.h"

#include <cmath>

namespace fw::kernels {
namespace {
size_t Align64(size_t v) { return (v + 63) & ~size_t{63}; }
}  // namespace

size_t QuantizedActsBytes(int64_t n, int64_t cols) {
  const size_t nn = static_cast<size_t>(n), c = static_cast<size_t>(cols);
  return Align64(nn * c) + 3 * Align64(nn * (c / 32) * 4) + 2 * Align64(nn * (c / 16) * 4);
}

QuantizedActs LayoutQuantizedActs(void* buffer, int64_t n, int64_t cols) {
  const size_t nn = static_cast<size_t>(n), c = static_cast<size_t>(cols);
  auto* p = static_cast<uint8_t*>(buffer);
  QuantizedActs a;
  a.n = n;
  a.cols = cols;
  a.q = reinterpret_cast<int8_t*>(p);
  p += Align64(nn * c);
  a.d = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.sum32 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.ds32 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 32) * 4);
  a.sum16 = reinterpret_cast<float*>(p);
  p += Align64(nn * (c / 16) * 4);
  a.ds16 = reinterpret_cast<float*>(p);
  return a;
}

void QuantizeActsRowReference(const float* x, const QuantizedActs& acts, int64_t t) {
  const int64_t cols = acts.cols;
  int8_t* q = acts.q + t * cols;
  float* d = acts.d + t * (cols / 32);
  float* s16 = acts.sum16 + t * (cols / 16);
  float* ds16 = acts.ds16 + t * (cols / 16);
  float* s32 = acts.sum32 + t * (cols / 32);
  float* ds32 = acts.ds32 + t * (cols / 32);
  for (int64_t b = 0; b < cols / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float db = amax / 127.0f;
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int sums[2] = {0, 0};
    for (int i = 0; i < 32; ++i) {
      float v = std::nearbyint(xb[i] * inv);
      v = std::fmin(127.0f, std::fmax(-127.0f, v));
      const int qi = static_cast<int>(v);
      q[b * 32 + i] = static_cast<int8_t>(qi);
      sums[i / 16] += qi;
    }
    d[b] = db;
    s16[2 * b] = static_cast<float>(sums[0]);
    s16[2 * b + 1] = static_cast<float>(sums[1]);
    ds16[2 * b] = db * static_cast<float>(sums[0]);
    ds16[2 * b + 1] = db * static_cast<float>(sums[1]);
    s32[b] = static_cast<float>(sums[0] + sums[1]);
    ds32[b] = db * static_cast<float>(sums[0] + sums[1]);
  }
}

}  // namespace fw::kernels
