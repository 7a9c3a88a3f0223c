// The SIMD attention against the scalar reference, and the reference against a direct
// double-precision softmax (so the reference itself is checked).
//
// Both follow ggml's float order (attention.h, ggml_order.h) with the same per-lane
// operations, so the SIMD tables must match the reference bit for bit, in both orders
// (single token and batched).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/kernel_table.h"
#include "tensor/fp16.h"

namespace fw::kernels {
namespace {

struct Cache {
  std::vector<uint8_t> k, v;
  std::vector<const void*> kp, vp;
};

Cache MakeCache(int n_keys, int row_elems, bool f16, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Cache c;
  const size_t es = f16 ? 2 : 4;
  c.k.resize(static_cast<size_t>(n_keys) * row_elems * es);
  c.v.resize(c.k.size());
  for (size_t i = 0; i < static_cast<size_t>(n_keys) * row_elems; ++i) {
    const float kv[2] = {nd(rng), nd(rng)};
    for (int w = 0; w < 2; ++w) {
      uint8_t* dst = (w == 0 ? c.k.data() : c.v.data()) + i * es;
      if (f16) {
        const uint16_t h = Fp32ToFp16(kv[w]);
        std::memcpy(dst, &h, 2);
      } else {
        std::memcpy(dst, &kv[w], 4);
      }
    }
  }
  // Rows in reverse order in memory, as a paged cache may place them anywhere.
  for (int p = 0; p < n_keys; ++p) {
    c.kp.push_back(c.k.data() + static_cast<size_t>(n_keys - 1 - p) * row_elems * es);
    c.vp.push_back(c.v.data() + static_cast<size_t>(n_keys - 1 - p) * row_elems * es);
  }
  return c;
}

TEST(KernelAttention, ReferenceMatchesDirectSoftmax) {
  const int HD = 16, G = 3, n = 37, kvh = 2;
  Cache c = MakeCache(n, HD * kvh, false, 1);
  std::vector<float> q(G * HD), out(G * HD), scratch(G * n);
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& x : q) x = nd(rng);
  AttentionArgs a;
  a.q = q.data(), a.n_group = G, a.head_dim = HD, a.head_offset = HD, a.kv = {c.kp.data(), c.vp.data(), false};
  a.n_keys = n, a.scale = 0.25f, a.out = out.data(), a.scratch = scratch.data();
  AttendGroupReference(a);
  for (int g = 0; g < G; ++g) {
    std::vector<double> s(n);
    double m = -1e300, sum = 0;
    for (int p = 0; p < n; ++p) {
      const float* k = static_cast<const float*>(c.kp[p]) + HD;
      double d = 0;
      for (int i = 0; i < HD; ++i) d += static_cast<double>(q[g * HD + i]) * k[i];
      s[p] = d * 0.25;
      m = std::max(m, s[p]);
    }
    for (int p = 0; p < n; ++p) sum += (s[p] = std::exp(s[p] - m));
    for (int i = 0; i < HD; ++i) {
      double o = 0;
      for (int p = 0; p < n; ++p) o += s[p] / sum * static_cast<const float*>(c.vp[p])[HD + i];
      ASSERT_NEAR(out[g * HD + i], o, 1e-4);
    }
  }
}

TEST(KernelAttention, SimdMatchesReference) {
  std::vector<const KernelTable*> tables;
  for (const char* isa : {"avx2", "avxvnni", "avx512", "neon"})
    if (const KernelTable* t = KernelsFor(isa)) tables.push_back(t);
  if (tables.empty()) GTEST_SKIP() << "no SIMD kernel table on this CPU";
  for (bool f16 : {true, false}) {
    for (int HD : {4, 8, 12, 24, 64, 128}) {
      for (int G : {1, 2, 7, 9}) {
        for (int n : {1, 2, 7, 8, 9, 33, 300}) {
          const int kvh = 2;
          Cache c = MakeCache(n, HD * kvh, f16, static_cast<uint32_t>(HD * 1000 + G * 10 + n));
          std::vector<float> q(G * HD), want(G * HD), got(G * HD), scratch(G * n);
          std::mt19937 rng(n);
          std::normal_distribution<float> nd(0.0f, 1.5f);
          for (auto& x : q) x = nd(rng);
          for (bool batched : {false, true}) {
            AttentionArgs a;
            a.q = q.data(), a.n_group = G, a.head_dim = HD, a.head_offset = HD;
            a.kv = {c.kp.data(), c.vp.data(), f16};
            a.n_keys = n, a.scale = 1.0f / std::sqrt(static_cast<float>(HD)), a.scratch = scratch.data();
            a.batched = batched;
            a.out = want.data();
            AttendGroupReference(a);
            for (const KernelTable* kt : tables) {
              a.out = got.data();
              kt->attend_group(a);
              for (int i = 0; i < G * HD; ++i)
                ASSERT_EQ(got[i], want[i]) << kt->name << " f16=" << f16 << " HD=" << HD << " G=" << G << " n=" << n
                                           << " batched=" << batched << " i=" << i;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace fw::kernels
