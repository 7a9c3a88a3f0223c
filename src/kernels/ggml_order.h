// Scalar forms of the float arithmetic of ggml's CPU kernels that flywheel follows bit for bit.
// The llama.cpp references (build 4748) were made by a build with 256-bit (AVX2/FMA/F16C)
// kernels, so these are the 8-lane forms: tinyBLAS's reduction of one 8-lane accumulator,
// vec_dot's reduction of four, and ggml's vectorised expf. The SIMD tables compute the same
// per-lane operations; tests compare them bit-exactly against these.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace fw::kernels {
// Internal linkage: the ISA translation units (compiled with FMA / AVX flags) and the scalar
// ones each keep their own copy, so the linker can never hand a scalar caller an FMA build.
namespace {

// Four lanes as _mm_movehl_ps then _mm_movehdup_ps reduce them: (v0 + v2) + (v1 + v3).
inline float ReduceLanes4(const float* v) { return (v[0] + v[2]) + (v[1] + v[3]); }

// One 8-lane accumulator as tinyBLAS's hsum, the softmax and the quantized vec_dots reduce
// it: lanes i + i+4 (the 128-bit halves), then ReduceLanes4.
inline float ReduceLanes8(const float* v) {
  float s4[4];
  for (int i = 0; i < 4; ++i) s4[i] = v[i + 4] + v[i];
  return ReduceLanes4(s4);
}

// ggml's 256-bit quantized vec_dots hold the exact integer products of each 32 elements in
// 8 int32 lanes: vpmaddubsw adds adjacent byte products, vpmaddwd adjacent int16 pairs, so
// lane i takes elements 4i..4i+3 of every 32-element chunk.
inline constexpr int DotLaneOf(int k) { return (k % 32) / 4; }

// How those vec_dots add a block's integer lanes into their 8-lane float accumulator:
// acc[i] = fma(float(lanes[i]), scale, acc[i]) (one rounding per lane and block).
inline void FmaLanes8(float* acc, const int32_t* lanes, float scale) {
  for (int i = 0; i < 8; ++i) acc[i] = std::fma(static_cast<float>(lanes[i]), scale, acc[i]);
}

// Four 8-lane accumulators as ggml_vec_dot_f32 / _f16 reduce them: (a0 + a2) + (a1 + a3)
// per lane, then lanes i + i+4, then two horizontal adds: (l0 + l1) + (l2 + l3).
inline float ReduceVecDot8(const float (*a)[8]) {
  float c[8], t[4];
  for (int i = 0; i < 8; ++i) c[i] = (a[0][i] + a[2][i]) + (a[1][i] + a[3][i]);
  for (int i = 0; i < 4; ++i) t[i] = c[i] + c[i + 4];
  return (t[0] + t[1]) + (t[2] + t[3]);
}

// The same four accumulators as ggml_vec_dot_bf16 reduces them: the per-lane and half sums as
// above, then movehl / movehdup: (l0 + l2) + (l1 + l3).
inline float ReduceVecDotBf16(const float (*a)[8]) {
  float c[8], t[4];
  for (int i = 0; i < 8; ++i) c[i] = (a[0][i] + a[2][i]) + (a[1][i] + a[3][i]);
  for (int i = 0; i < 4; ++i) t[i] = c[i + 4] + c[i];
  return (t[0] + t[2]) + (t[1] + t[3]);
}

// a * b rounded on its own: ggml's vec_dot_f32 rest (C, built without fp contraction) adds
// products it does not fuse; the empty asm keeps compilers with FMA from fusing them here.
inline float SeparateProduct(float a, float b) {
  float p = a * b;
#if defined(__x86_64__) || defined(__i386__)
  __asm__("" : "+x"(p));
#elif defined(__aarch64__)
  __asm__("" : "+w"(p));
#endif
  return p;
}

// A dot product of n terms x(i) * y(i) in the order of ggml's matmul kernels: `tiled` is
// tinyBLAS (one 8-lane accumulator, n % 8 == 0), otherwise vec_dot (four 8-lane accumulators
// over n & ~31, reduced as ggml_vec_dot_bf16 does when `bf16_reduce`, then the rest one by
// one: in double when `rest_double` (f16 / bf16 operands, whose products are exact in f32),
// else in f32, each product rounded before the add).
template <class X, class Y>
float DotLikeGgml(int64_t n, bool tiled, bool rest_double, X x, Y y, bool bf16_reduce = false) {
  if (tiled) {
    float lanes[8] = {};
    for (int64_t i = 0; i < n; ++i) lanes[i % 8] = std::fma(x(i), y(i), lanes[i % 8]);
    return ReduceLanes8(lanes);
  }
  const int64_t body = n & ~int64_t{31};
  float lanes[4][8] = {};
  for (int64_t i = 0; i < body; ++i) lanes[(i / 8) % 4][i % 8] = std::fma(x(i), y(i), lanes[(i / 8) % 4][i % 8]);
  const float simd = bf16_reduce ? ReduceVecDotBf16(lanes) : ReduceVecDot8(lanes);
  if (!rest_double) {
    float acc = simd;
    for (int64_t i = body; i < n; ++i) acc += SeparateProduct(x(i), y(i));
    return acc;
  }
  double acc = simd;
  for (int64_t i = body; i < n; ++i) acc += static_cast<double>(x(i) * y(i));
  return static_cast<float>(acc);
}

// e^x as ggml's 256-bit ggml_v_expf computes it (softmax, SiLU): n = round(x / ln2) via the
// 1.5 * 2^23 shift, b = x - n ln2 in two parts, a degree-5 polynomial j(b) - 1 in fma form,
// result k + k * j with k = 2^n from z's bits; |n| > 126 scales in two steps, |n| > 192
// saturates to 0 or infinity.
inline float ExpLikeGgml(float x) {
  const auto bits = [](float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; };
  const auto from = [](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; };
  const float shift = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, shift);
  const float n = z - shift;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const uint32_t e = bits(z) << 23;
  const float k = from(e + bits(1.0f));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, 0x1.ffffecp-1f * b);
  if (!(std::fabs(n) > 126.0f)) return std::fma(k, j, k);
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = from(g + 0x7f000000u);
  const float s2 = from(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return std::fma(s2, j, s2) * s1;
}

// x * sigmoid(x) as ggml's vectorised SiLU: x / (1 + e^-x) with ExpLikeGgml.
inline float SiluLikeGgml(float x) { return x / (1.0f + ExpLikeGgml(0.0f - x)); }

// Positions of the KV cache ggml's non-flash attention covers: the used cells padded to 32.
inline int PaddedKvLength(int n_keys) { return (n_keys + 31) & ~31; }

}  // namespace
}  // namespace fw::kernels
