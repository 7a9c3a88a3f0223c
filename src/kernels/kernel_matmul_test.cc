// Every kernel table against the scalar references.
//
//  * SIMD vs scalar on the same 8-bit activations: bit for bit. Both compute ggml's x86
//    arithmetic (exact int32 lane sums, the same fma / add sequence; see ggml_order.h), for
//    decode and for every prefill path MatMul dispatches to.
//  * The scalar and x86 quantized dots against ggml's vec_dot recomputed here from the raw
//    block bytes: bit for bit.
//  * Quantized path vs the f32 MatMulReference (dequantize + f32 dot): activations are rounded
//    to d/2 per element (d = max|x|/127 of the 32-block), so
//    |diff| <= sum_k |w_k| * d_{k/32} / 2  +  float rounding of both sides.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/matmul_dispatch.h"
#include "kernels/quantized_acts.h"
#include "kernels/scratch.h"
#include "kernels/thread_pool.h"
#include "kernels/weight_blocks.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw::kernels {
namespace {

using testing::RandomFloats;
using testing::RandomWeights;

const GgmlType kQuantTypes[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                GgmlType::Q8_0, GgmlType::IQ4_NL, GgmlType::Q2_K, GgmlType::Q3_K,
                                GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
const GgmlType kFloatTypes[] = {GgmlType::F32, GgmlType::F16, GgmlType::BF16};

std::vector<const KernelTable*> SimdTables() {
  std::vector<const KernelTable*> out;
  for (const char* isa : {"avx2", "avxvnni", "avx512", "neon"}) {
    if (const KernelTable* t = KernelsFor(isa)) out.push_back(t);
  }
  return out;
}

struct Acts {
  std::vector<uint8_t> storage;
  QuantizedActs view;
};

Acts Quantize(const KernelTable& kt, const std::vector<float>& x, int64_t n, int64_t cols,
              ActsKind kind = ActsKind::kQ8_0) {
  Acts a;
  a.storage.resize(QuantizedActsBytes(n, cols) + 64);
  void* base = a.storage.data() + (64 - reinterpret_cast<uintptr_t>(a.storage.data()) % 64) % 64;
  a.view = LayoutQuantizedActs(base, n, cols, kind);
  for (int64_t t = 0; t < n; ++t) kt.quantize_acts(x.data() + t * cols, a.view, t);
  return a;
}

// Shapes for the SIMD == scalar comparisons: fixed ones (cols multiples of 256, rows ragged and
// multiples of 8) and random ones (1..45 rows, 1..12 blocks), all valid for `block`.
struct Shape {
  int64_t rows, cols;
};
std::vector<Shape> ComparisonShapes(int block, uint32_t seed) {
  std::vector<Shape> out = {{1, block}, {13, 256}, {8, 512}, {45, 2048}, {40, 768}};
  std::mt19937 rng(seed);
  for (int i = 0; i < 4; ++i)
    out.push_back({1 + static_cast<int64_t>(rng() % 45), block * (1 + static_cast<int64_t>(rng() % 12))});
  return out;
}

const ActsKind kActsKinds[] = {ActsKind::kQ8_0, ActsKind::kQ8_1, ActsKind::kQ8_K};

// |x - d*q| per element: half a step, plus (Q8_0/Q8_1) the f16 rounding of d, which moves
// d*q by at most 127 * |d| * 2^-11 (q comes from the unrounded scale): 0.5 + 0.062 < 0.57.
TEST(KernelQuantizeActs, SimdIsBitIdenticalToScalarAndWithinHalfStep) {
  for (ActsKind kind : kActsKinds) {
    for (int64_t cols : {32, 64, 96, 256, 2048}) {
      if (kind == ActsKind::kQ8_K && cols % 256 != 0) continue;
      std::vector<float> x = RandomFloats(3 * cols, 7 + static_cast<uint32_t>(cols));
      x[5] = 0.0f;
      if (kind != ActsKind::kQ8_K) {
        for (int i = 32; i < 64 && i < cols; ++i) x[i] = 0.0f;  // an all-zero block
      } else if (cols >= 512) {
        for (int i = 256; i < 512; ++i) x[i] = 0.0f;
      }
      Acts ref = Quantize(ScalarKernels(), x, 3, cols, kind);
      for (int64_t t = 0; t < 3; ++t) {
        const QuantizedRow r = ref.view.Row(t);
        for (int64_t k = 0; k < cols; ++k) {
          ASSERT_LE(std::fabs(x[t * cols + k] - r.d[k / 32] * r.q[k]), std::fabs(r.d[k / 32]) * 0.57f + 1e-30f);
          ASSERT_GE(r.q[k], -127);
        }
        for (int64_t g = 0; g < cols / 16; ++g) {
          int s = 0;
          for (int i = 0; i < 16; ++i) s += r.q[g * 16 + i];
          ASSERT_EQ(r.sum16[g], static_cast<float>(s));
          ASSERT_EQ(r.bsum16[g], s);
        }
      }
      for (const KernelTable* kt : SimdTables()) {
        Acts got = Quantize(*kt, x, 3, cols, kind);
        const auto* a = reinterpret_cast<const uint8_t*>(ref.view.q);
        const auto* b = reinterpret_cast<const uint8_t*>(got.view.q);
        // Compare the used sections only (padding is untouched and may differ).
        ASSERT_EQ(0, std::memcmp(a, b, static_cast<size_t>(3 * cols))) << kt->name;
        for (int64_t i = 0; i < 3 * cols / 32; ++i) {
          ASSERT_EQ(ref.view.d[i], got.view.d[i]) << kt->name;
          ASSERT_EQ(ref.view.sum32[i], got.view.sum32[i]) << kt->name;
          ASSERT_EQ(ref.view.ds32[i], got.view.ds32[i]) << kt->name;
        }
        for (int64_t i = 0; i < 3 * cols / 16; ++i) {
          ASSERT_EQ(ref.view.sum16[i], got.view.sum16[i]) << kt->name;
          ASSERT_EQ(ref.view.ds16[i], got.view.ds16[i]) << kt->name;
          ASSERT_EQ(ref.view.bsum16[i], got.view.bsum16[i]) << kt->name;
        }
      }
    }
  }
}

// Values worked out by hand from ggml's quantize_row_q8_0 / _q8_1 (AVX2) and
// quantize_row_q8_K_ref, on every table.
TEST(KernelQuantizeActs, MatchesGgmlOnHandComputedBlocks) {
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  // Block 0: amax = 127/64, so id = 64 exactly and x * id hits exact ties: 2.5 -> 2 and
  // -2.5 -> -2 (half to even, where roundf would give +-3), 3.5 -> 4, 0.5 -> 0; d = 2^-6.
  // Block 1: amax = 1: d = 1/127 = 0.0078740157 in f32, stored as f16 0.00787353515625;
  // q from id = 127: 0.5 -> 63.5 -> 64, 0.25 -> 31.75 -> 32; sum = 223. Q8_1's
  // s = fp16(0.0078740157 * 223) = 1.755859375 (not d_f16 * 223 = 1.75579833984375).
  std::vector<float> x(64, 0.0f);
  x[0] = 127.0f / 64;
  x[1] = 2.5f / 64;
  x[2] = -2.5f / 64;
  x[3] = 3.5f / 64;
  x[4] = 0.5f / 64;
  x[32] = 1.0f;
  x[33] = 0.5f;
  x[34] = 0.25f;
  for (const KernelTable* kt : tables) {
    for (ActsKind kind : {ActsKind::kQ8_0, ActsKind::kQ8_1}) {
      Acts a = Quantize(*kt, x, 1, 64, kind);
      const QuantizedRow r = a.view.Row(0);
      EXPECT_EQ(r.q[0], 127) << kt->name;
      EXPECT_EQ(r.q[1], 2) << kt->name;
      EXPECT_EQ(r.q[2], -2) << kt->name;
      EXPECT_EQ(r.q[3], 4) << kt->name;
      EXPECT_EQ(r.q[4], 0) << kt->name;
      EXPECT_EQ(r.d[0], 0.015625f) << kt->name;
      EXPECT_EQ(r.q[32], 127) << kt->name;
      EXPECT_EQ(r.q[33], 64) << kt->name;
      EXPECT_EQ(r.q[34], 32) << kt->name;
      EXPECT_EQ(r.d[1], 0.00787353515625f) << kt->name;
      EXPECT_EQ(r.sum32[1], 223.0f) << kt->name;
      EXPECT_EQ(r.ds32[1], kind == ActsKind::kQ8_1 ? 1.755859375f : 1.75579833984375f) << kt->name;
    }
  }
  // Q8_K, two blocks of 256. Block 0: the first largest |x| is x[3] = -127/64 (x[10] = +127/64
  // comes later), so iscale = -127/max = 64 and d = 1/64; q keeps x's sign; ties to even.
  // Block 1: the largest is +127/64: iscale = -64, d = -1/64, q = -round(64 x).
  std::vector<float> xk(512, 0.0f);
  xk[3] = -127.0f / 64;
  xk[10] = 127.0f / 64;
  xk[20] = 2.5f / 64;
  xk[21] = -0.5f / 64;
  xk[22] = 1.5f / 64;
  xk[256 + 7] = 127.0f / 64;
  xk[256 + 8] = 2.5f / 64;
  xk[256 + 40] = -3.5f / 64;
  for (const KernelTable* kt : tables) {
    Acts a = Quantize(*kt, xk, 1, 512, ActsKind::kQ8_K);
    const QuantizedRow r = a.view.Row(0);
    EXPECT_EQ(r.q[3], -127) << kt->name;
    EXPECT_EQ(r.q[10], 127) << kt->name;
    EXPECT_EQ(r.q[20], 2) << kt->name;
    EXPECT_EQ(r.q[21], 0) << kt->name;
    EXPECT_EQ(r.q[22], 2) << kt->name;
    for (int c = 0; c < 8; ++c) EXPECT_EQ(r.d[c], 0.015625f) << kt->name;
    EXPECT_EQ(r.sum16[0], 0.0f) << kt->name;  // -127 + 127
    EXPECT_EQ(r.sum16[1], 4.0f) << kt->name;  // q[20..22] = 2, 0, 2
    EXPECT_EQ(r.q[256 + 7], -127) << kt->name;
    EXPECT_EQ(r.q[256 + 8], -2) << kt->name;
    EXPECT_EQ(r.q[256 + 40], 4) << kt->name;
    for (int c = 8; c < 16; ++c) EXPECT_EQ(r.d[c], -0.015625f) << kt->name;
    EXPECT_EQ(r.sum16[16], -129.0f) << kt->name;
    EXPECT_EQ(r.ds16[16], -129.0f * -0.015625f) << kt->name;
  }
}

// x * id is rounded to f32 before ggml adds 1.5 * 2^23 (its nearest_int, and the AVX2 mul
// then round): a fused multiply-add would round the exact product instead and move q by one
// where the f32 product is a tie. Inputs where the two differ, with amax = 1 (id = 127, or
// Q8_K's iscale = -127): q must be the half-even rounding of the rounded product.
TEST(KernelQuantizeActs, RoundsTheProductBeforeTheTie) {
  std::vector<float> x(256, 0.0f);  // the ties in x[1..31]: one 32-block (Q8_0 / Q8_1), one 256-block (Q8_K)
  x[0] = 1.0f;
  int ties = 0;
  for (int k = 0; k < 126 && ties < 31; k += 2) {  // even k: the tie rounds down, fused goes up
    float v = static_cast<float>((k + 0.5) / 127.0);
    for (int step = 0; step < 8; ++step, v = std::nextafter(v, 1.0f)) {
      const double exact = static_cast<double>(v) * 127.0;
      if (static_cast<float>(exact) == k + 0.5f && exact > k + 0.5) {
        x[1 + ties++] = v;
        break;
      }
    }
  }
  ASSERT_GE(ties, 8);
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  for (const KernelTable* kt : tables) {
    for (ActsKind kind : kActsKinds) {
      Acts a = Quantize(*kt, x, 1, 256, kind);
      const float sign = kind == ActsKind::kQ8_K ? -1.0f : 1.0f;  // Q8_K: iscale = -127 / max
      for (int i = 1; i <= ties; ++i) {
        const float product = static_cast<float>(static_cast<double>(x[i]) * 127.0);
        ASSERT_EQ(static_cast<int>(a.view.Row(0).q[i]), static_cast<int>(sign * std::nearbyint(product)))
            << kt->name << " x=" << x[i];
      }
    }
  }
}

TEST(KernelDot, EverySimdDotEqualsScalarDotBitForBit) {
  const auto tables = SimdTables();
  if (tables.empty()) GTEST_SKIP() << "no SIMD kernel table on this CPU";
  for (GgmlType type : kQuantTypes) {
    const BlockFormat& f = *FormatOf(type);
    for (const Shape& sh : ComparisonShapes(f.block, 100 + static_cast<uint32_t>(type))) {
      const auto w = RandomWeights(type, sh.rows, sh.cols, static_cast<uint32_t>(sh.rows * 7 + sh.cols));
      const auto x = RandomFloats(sh.cols, static_cast<uint32_t>(sh.cols + 3));
      const size_t stride = RowBytes(type, sh.cols);
      Acts a = Quantize(ScalarKernels(), x, 1, sh.cols, f.acts);
      std::vector<float> want(sh.rows);
      ScalarKernels().dot_q[static_cast<int>(type)](w.data(), stride, sh.rows, sh.cols, a.view.Row(0), want.data());
      for (const KernelTable* kt : tables) {
        std::vector<float> got(sh.rows);
        kt->dot_q[static_cast<int>(type)](w.data(), stride, sh.rows, sh.cols, a.view.Row(0), got.data());
        for (int64_t r = 0; r < sh.rows; ++r)
          ASSERT_EQ(got[r], want[r]) << kt->name << " " << TypeName(type) << " rows=" << sh.rows << " cols=" << sh.cols
                                     << " row " << r;
      }
    }
  }
}

// The quantized-activation path of every table (scalar included) against the f32 reference
// that dequantizes with tensor/quants.h: checks the block decoding independently.
TEST(KernelMatMul, QuantizedPathsMatchF32ReferenceWithinActivationRounding) {
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  ThreadPool pool(2);
  for (GgmlType type : kQuantTypes) {
    if (!CanDequantize(type)) {
      ADD_FAILURE() << "tensor/quants.h cannot dequantize " << TypeName(type) << " yet";
      continue;
    }
    const BlockFormat& f = *FormatOf(type);
    const int64_t cols = f.block * 3, rows = 11, n = 5;
    const auto w = RandomWeights(type, rows, cols, 300);
    const auto x = RandomFloats(n * cols, 301);
    WeightView wv{type, w.data(), rows, cols, RowBytes(type, cols)};
    std::vector<float> want(n * rows);
    MatMulReference(wv, x.data(), n, want.data());
    // Bound: sum_k |w_k| d_k / 2 with the dequantized weights.
    std::vector<float> deq(cols);
    Acts a = Quantize(ScalarKernels(), x, n, cols, f.acts);
    for (const KernelTable* kt : tables) {
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        std::vector<float> got(n * rows);
        MatMulWith(*kt, wv, x.data(), n, got.data(), p);
        for (int64_t r = 0; r < rows; ++r) {
          DequantizeRow(type, w.data() + r * wv.row_stride, deq.data(), cols);
          for (int64_t t = 0; t < n; ++t) {
            const QuantizedRow q = a.view.Row(t);
            double bound = 0, mag = 0;
            for (int64_t k = 0; k < cols; ++k) {
              bound += std::fabs(deq[k]) * std::fabs(q.d[k / 32]) * 0.57;  // see the first test
              mag += std::fabs(deq[k] * x[t * cols + k]);
            }
            const double tol = bound + 1e-5 * mag + 1e-30;
            ASSERT_NEAR(got[t * rows + r], want[t * rows + r], tol)
                << kt->name << " " << TypeName(type) << " t=" << t << " r=" << r;
          }
        }
      }
    }
  }
}

// MatMul of every table against the scalar table bit for bit, through the dispatch for
// decode (1 token: dot_q, Q4_0's repacked order) and prefill (2+ tokens: dot_q per token,
// the panel GEMM, dot_q_tokens and its token tiles, 40 tokens reaching the AMX kernels).
TEST(KernelMatMul, EveryTableEqualsScalarBitForBitForDecodeAndPrefill) {
  const auto tables = SimdTables();
  if (tables.empty()) GTEST_SKIP() << "no SIMD kernel table on this CPU";
  ThreadPool pool(3);
  for (GgmlType type : kQuantTypes) {
    const BlockFormat& f = *FormatOf(type);
    for (const Shape& sh : ComparisonShapes(f.block, 200 + static_cast<uint32_t>(type))) {
      const auto w = RandomWeights(type, sh.rows, sh.cols, static_cast<uint32_t>(sh.rows * 31 + sh.cols));
      WeightView wv{type, w.data(), sh.rows, sh.cols, RowBytes(type, sh.cols)};
      for (int64_t n : {1, 2, 3, 4, 5, 9, 17, 40}) {
        const auto x = RandomFloats(n * sh.cols, static_cast<uint32_t>(n + 1000));
        std::vector<float> want(n * sh.rows);
        MatMulWith(ScalarKernels(), wv, x.data(), n, want.data(), nullptr);
        for (const KernelTable* kt : tables) {
          std::vector<float> got(n * sh.rows, -12345.0f);
          MatMulWith(*kt, wv, x.data(), n, got.data(), &pool);
          for (int64_t i = 0; i < n * sh.rows; ++i)
            ASSERT_EQ(got[i], want[i]) << kt->name << " " << TypeName(type) << " rows=" << sh.rows
                                       << " cols=" << sh.cols << " n=" << n << " t=" << i / sh.rows
                                       << " r=" << i % sh.rows;
        }
      }
    }
  }
}

// x rounded as ggml converts it for float weights (round to nearest even).
std::vector<float> RoundedActs(GgmlType type, std::vector<float> x) {
  for (float& v : x) {
    if (type == GgmlType::F16) v = Fp16ToFp32(Fp32ToFp16(v));
    if (type == GgmlType::BF16) v = Bf16ToFp32(Fp32ToBf16(v));
  }
  return x;
}

// F16 / BF16 weights take x rounded to their own type, ties to even, on every table and
// every column position (SIMD body and scalar tail): weight 1 at column c, x[c] on a tie.
TEST(KernelMatMul, FloatWeightsRoundActivationsLikeGgml) {
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  struct Case {
    GgmlType type;
    float x, want;
  };
  const Case cases[] = {
      {GgmlType::F16, 1.0f + 0x1p-11f, 1.0f},                    // tie, even is 1
      {GgmlType::F16, 1.0f + 3 * 0x1p-11f, 1.0f + 0x1p-9f},      // tie, even is 1 + 2^-9
      {GgmlType::F16, 1.0f + 0x1p-11f + 0x1p-20f, 1.0f + 0x1p-10f},
      {GgmlType::BF16, 1.0f + 0x1p-8f, 1.0f},
      {GgmlType::BF16, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-6f},
      {GgmlType::F32, 1.0f + 0x1p-11f, 1.0f + 0x1p-11f},
  };
  const int64_t cols = 19;
  for (const Case& c : cases) {
    std::vector<float> src(cols * cols, 0.0f);
    for (int64_t r = 0; r < cols; ++r) src[r * cols + r] = 1.0f;  // identity rows
    std::vector<uint8_t> w(RowBytes(c.type, cols) * cols);
    for (int64_t r = 0; r < cols; ++r)
      QuantizeRow(c.type, src.data() + r * cols, w.data() + r * RowBytes(c.type, cols), cols);
    WeightView wv{c.type, w.data(), cols, cols, RowBytes(c.type, cols)};
    const std::vector<float> x(cols, c.x);
    for (const KernelTable* kt : tables) {
      std::vector<float> y(cols);
      MatMulWith(*kt, wv, x.data(), 1, y.data(), nullptr);
      for (int64_t r = 0; r < cols; ++r) EXPECT_EQ(y[r], c.want) << kt->name << " " << TypeName(c.type) << " row " << r;
    }
  }
}

TEST(KernelMatMul, FloatWeightsMatchReferenceForOddSizes) {
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  ThreadPool pool(2);
  for (GgmlType type : kFloatTypes) {
    for (int64_t cols : {1, 3, 8, 17, 31, 32, 33, 67, 256}) {
      const int64_t rows = 19;
      std::vector<uint8_t> w(RowBytes(type, cols) * rows);
      const auto src = RandomFloats(cols * rows, static_cast<uint32_t>(cols));
      for (int64_t r = 0; r < rows; ++r)
        QuantizeRow(type, src.data() + r * cols, w.data() + r * RowBytes(type, cols), cols);
      WeightView wv{type, w.data(), rows, cols, RowBytes(type, cols)};
      for (int64_t n : {1, 2, 5}) {
        const auto x = RandomFloats(n * cols, 77);
        std::vector<float> want(n * rows), deq(cols);
        // ggml's vec_dot_type: F16 / BF16 weights see x rounded to f16 / bf16.
        MatMulReference(wv, RoundedActs(type, x).data(), n, want.data());
        for (const KernelTable* kt : tables) {
          std::vector<float> got(n * rows);
          MatMulWith(*kt, wv, x.data(), n, got.data(), &pool);
          for (int64_t r = 0; r < rows; ++r) {
            DequantizeRow(type, w.data() + r * wv.row_stride, deq.data(), cols);
            for (int64_t t = 0; t < n; ++t) {
              double mag = 0;
              for (int64_t k = 0; k < cols; ++k) mag += std::fabs(deq[k] * x[t * cols + k]);
              // Two f32 summations of `cols` terms in different orders.
              const double tol = 2.0 * (cols + 8) * 6e-8 * mag + 1e-30;
              ASSERT_NEAR(got[t * rows + r], want[t * rows + r], tol)
                  << kt->name << " " << TypeName(type) << " cols=" << cols;
            }
          }
        }
      }
    }
  }
}

// MatMulMulti must equal separate MatMul calls exactly (same kernels, same activations).
TEST(KernelMatMul, MultiEqualsSeparateCalls) {
  ThreadPool pool(2);
  const int64_t cols = 512;
  const GgmlType types[] = {GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q8_0, GgmlType::F16};
  const int64_t rows[] = {40, 9, 17, 5};
  std::vector<std::vector<uint8_t>> store;
  std::vector<WeightView> ws;
  for (int i = 0; i < 4; ++i) {
    if (types[i] == GgmlType::F16) {
      std::vector<uint8_t> w(RowBytes(types[i], cols) * rows[i]);
      const auto src = RandomFloats(cols * rows[i], 9);
      for (int64_t r = 0; r < rows[i]; ++r)
        QuantizeRow(types[i], src.data() + r * cols, w.data() + r * RowBytes(types[i], cols), cols);
      store.push_back(std::move(w));
    } else {
      store.push_back(RandomWeights(types[i], rows[i], cols, 50 + i));
    }
  }
  for (int i = 0; i < 4; ++i) ws.push_back({types[i], store[i].data(), rows[i], cols, RowBytes(types[i], cols)});
  for (int64_t n : {1, 3, 9}) {
    const auto x = RandomFloats(n * cols, 11);
    std::vector<std::vector<float>> want(4), got(4);
    std::vector<float*> ys;
    for (int i = 0; i < 4; ++i) {
      want[i].resize(n * rows[i]);
      got[i].assign(n * rows[i], -1.0f);
      MatMul(ws[i], x.data(), n, want[i].data(), &pool);
      ys.push_back(got[i].data());
    }
    MatMulMulti(ws.data(), ys.data(), 4, x.data(), n, &pool);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(want[i], got[i]) << "weight " << i << " n=" << n;
  }
}

// Q4_0 weights (rows % 8 == 0) follow ggml's repacked Q4_0 kernels for any batch size: per
// 32-block an exact integer dot sumi of (nibble - 8) and the Q8_0 activations, then
// acc = fma(sumi, d_w * d_x, acc) in block order. Recomputed here from the raw bytes, every
// table must give exactly that float.
TEST(KernelMatMul, Q4_0MatchesGgmlRepackedBlockOrder) {
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  const int64_t rows = 16, cols = 32 * 7;
  const auto w = RandomWeights(GgmlType::Q4_0, rows, cols, 77);
  WeightView wv{GgmlType::Q4_0, w.data(), rows, cols, RowBytes(GgmlType::Q4_0, cols)};
  for (int64_t n : {1, 2, 5}) {
    const auto x = RandomFloats(n * cols, 78);
    Acts a = Quantize(ScalarKernels(), x, n, cols, ActsKind::kQ8_0);
    std::vector<float> want(n * rows);
    for (int64_t t = 0; t < n; ++t) {
      const QuantizedRow q = a.view.Row(t);
      for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* row = w.data() + r * wv.row_stride;
        float acc = 0.0f;
        for (int64_t b = 0; b < cols / 32; ++b) {
          const uint8_t* blk = row + b * 18;
          uint16_t dh;
          std::memcpy(&dh, blk, 2);
          int sumi = 0;
          for (int j = 0; j < 16; ++j) {
            sumi += ((blk[2 + j] & 0xF) - 8) * q.q[b * 32 + j];
            sumi += ((blk[2 + j] >> 4) - 8) * q.q[b * 32 + j + 16];
          }
          acc = std::fma(static_cast<float>(sumi), Fp16ToFp32(dh) * q.d[b], acc);
        }
        want[t * rows + r] = acc;
      }
    }
    for (const KernelTable* kt : tables) {
      std::vector<float> got(n * rows);
      MatMulWith(*kt, wv, x.data(), n, got.data(), nullptr);
      for (int64_t i = 0; i < n * rows; ++i) ASSERT_EQ(got[i], want[i]) << kt->name << " n=" << n << " i=" << i;
    }
  }
}

// ggml's x86 vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K arithmetic, recomputed from the raw block
// bytes: per 256-block 8 int32 lanes (lane i takes bytes 4i..4i+3 of every 32-chunk, times
// the scale of its group), acc[i] = fma(d_x * d_w, float(lane i), acc[i]), Q4_K mins in 4
// lanes (pairs of 32-groups) with their own accumulator, then the AVX horizontal sums.
float HorizontalSum8(const float* a) {
  const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
  return (s0 + s2) + (s1 + s3);
}

// Q4_K (q5 false) or Q5_K (q5 true: 32 high bits qh before qs; ggml sums the Q5_K mins into a
// scalar, contracted to an fma as GCC builds it with FMA enabled).
float GgmlDotQ45K(const uint8_t* row, int64_t cols, const QuantizedRow& x, bool q5) {
  float acc[8] = {}, acc_m[4] = {}, summs = 0.0f;
  for (int64_t b = 0; b < cols / 256; ++b) {
    const uint8_t* blk = row + b * (q5 ? 176 : 144);
    const uint8_t* qh = blk + 16;
    const uint8_t* qs = blk + (q5 ? 48 : 16);
    uint16_t h[2];
    std::memcpy(h, blk, 4);
    const float dx = x.d[b * 8];
    const float d = dx * Fp16ToFp32(h[0]), dmin = -dx * Fp16ToFp32(h[1]);
    const uint8_t* s = blk + 4;
    int sc[8], m[8];
    for (int j = 0; j < 8; ++j) {  // get_scale_min_k4
      if (j < 4) {
        sc[j] = s[j] & 63;
        m[j] = s[j + 4] & 63;
      } else {
        sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        m[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
      }
    }
    const int8_t* q = x.q + b * 256;
    int lanes[8] = {};
    for (int c = 0; c < 8; ++c)
      for (int i = 0; i < 8; ++i)
        for (int k = 0; k < 4; ++k) {
          const uint8_t byte = qs[32 * (c / 2) + 4 * i + k];
          int u = c % 2 == 0 ? (byte & 0xF) : (byte >> 4);
          if (q5) u |= ((qh[4 * i + k] >> c) & 1) << 4;
          lanes[i] += sc[c] * u * q[32 * c + 4 * i + k];
        }
    for (int i = 0; i < 8; ++i) acc[i] = std::fma(d, static_cast<float>(lanes[i]), acc[i]);
    int total = 0;
    for (int j = 0; j < 4; ++j) {
      int bsum[2] = {0, 0};
      for (int e = 0; e < 64; ++e) bsum[e / 32] += q[64 * j + e];
      const int mins = m[2 * j] * bsum[0] + m[2 * j + 1] * bsum[1];
      acc_m[j] = std::fma(dmin, static_cast<float>(mins), acc_m[j]);
      total += mins;
    }
    summs = std::fma(dmin, static_cast<float>(total), summs);
  }
  if (q5) return HorizontalSum8(acc) + summs;
  return HorizontalSum8(acc) + ((acc_m[0] + acc_m[2]) + (acc_m[1] + acc_m[3]));
}

float GgmlDotQ6K(const uint8_t* row, int64_t cols, const QuantizedRow& x) {
  float acc[8] = {};
  for (int64_t b = 0; b < cols / 256; ++b) {
    const uint8_t* blk = row + b * 210;
    const uint8_t* ql = blk;
    const uint8_t* qh = blk + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
    uint16_t dh;
    std::memcpy(&dh, blk + 208, 2);
    const float d = x.d[b * 8] * Fp16ToFp32(dh);
    int u[256];
    for (int n = 0; n < 2; ++n)
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = ql[64 * n + l], lo2 = ql[64 * n + l + 32], hi = qh[32 * n + l];
        u[128 * n + l] = (lo & 0xF) | ((hi & 3) << 4);
        u[128 * n + l + 32] = (lo2 & 0xF) | (((hi >> 2) & 3) << 4);
        u[128 * n + l + 64] = (lo >> 4) | (((hi >> 4) & 3) << 4);
        u[128 * n + l + 96] = (lo2 >> 4) | ((hi >> 6) << 4);
      }
    const int8_t* q = x.q + b * 256;
    int lanes[8] = {};
    for (int c = 0; c < 8; ++c)
      for (int i = 0; i < 8; ++i)
        for (int k = 0; k < 4; ++k) {
          const int e = 32 * c + 4 * i + k;
          lanes[i] += sc[e / 16] * (u[e] - 32) * q[e];  // build 4748: the offset per element pair
        }
    for (int i = 0; i < 8; ++i) acc[i] = std::fma(d, static_cast<float>(lanes[i]), acc[i]);
  }
  return HorizontalSum8(acc);
}

// Q2_K / Q3_K: 16-element groups like Q6_K (lane i of chunk c in group 2c + i/4). Q2_K adds
// its mins (4-bit, times the 16-element bsums, 8 lanes) into the same accumulator first.
float GgmlDotQ23K(const uint8_t* row, int64_t cols, const QuantizedRow& x, bool q3) {
  float acc[8] = {};
  for (int64_t b = 0; b < cols / 256; ++b) {
    const uint8_t* blk = row + b * (q3 ? 110 : 84);
    const int8_t* q = x.q + b * 256;
    int v[256], sc[16];
    uint16_t h[2];
    if (q3) {
      const uint8_t* s = blk + 96;
      for (int g = 0; g < 16; ++g) {
        const int lo = g < 8 ? (s[g] & 0xF) : (s[g - 8] >> 4);
        const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
        sc[g] = (lo | (hi << 4)) - 32;
      }
      for (int e = 0; e < 256; ++e) {
        const int c = e / 32, l = e % 32;
        const int low = (blk[32 + 32 * (c / 4) + l] >> (2 * (c % 4))) & 3;
        const int high = (blk[l] >> c) & 1;
        v[e] = low - (high ? 0 : 4);
      }
      std::memcpy(h, blk + 108, 2);
    } else {
      for (int g = 0; g < 16; ++g) sc[g] = blk[g] & 0xF;
      for (int e = 0; e < 256; ++e) {
        const int c = e / 32, l = e % 32;
        v[e] = (blk[16 + 32 * (c / 4) + l] >> (2 * (c % 4))) & 3;
      }
      std::memcpy(h, blk + 80, 4);
      const float dmin = -x.d[b * 8] * Fp16ToFp32(h[1]);
      for (int k = 0; k < 8; ++k) {
        int bsum[2] = {0, 0};
        for (int e = 0; e < 32; ++e) bsum[e / 16] += q[32 * k + e];
        const int mins = (blk[2 * k] >> 4) * bsum[0] + (blk[2 * k + 1] >> 4) * bsum[1];
        acc[k] = std::fma(dmin, static_cast<float>(mins), acc[k]);
      }
    }
    const float d = x.d[b * 8] * Fp16ToFp32(h[0]);
    int lanes[8] = {};
    for (int c = 0; c < 8; ++c)
      for (int i = 0; i < 8; ++i)
        for (int k = 0; k < 4; ++k) {
          const int e = 32 * c + 4 * i + k;
          lanes[i] += sc[e / 16] * v[e] * q[e];
        }
    for (int i = 0; i < 8; ++i) acc[i] = std::fma(d, static_cast<float>(lanes[i]), acc[i]);
  }
  return HorizontalSum8(acc);
}

// ggml's AVX2 vec_dot_q4_0_q8_0 / q4_1_q8_1 / q5_0_q8_0 / q5_1_q8_1 / q8_0_q8_0 /
// iq4_nl_q8_0, recomputed from the raw block bytes: per 32-block 8 int32 lanes (lane i: bytes
// 4i..4i+3 of weight value times activation), acc[i] = fma(float(lane i), d_w * d_x, acc[i]),
// the Q4_1 / Q5_1 mins m_w * s_x fused into a scalar in block order, then the AVX horizontal
// sum plus that scalar.
float GgmlDotBlock32(GgmlType type, const uint8_t* row, int64_t cols, const QuantizedRow& x) {
  static const int kIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  const bool has_m = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
  const bool five = type == GgmlType::Q5_0 || type == GgmlType::Q5_1;
  const size_t bytes = TypeTraits(type).type_size;
  float acc[8] = {}, summs = 0.0f;
  for (int64_t b = 0; b < cols / 32; ++b) {
    const uint8_t* blk = row + b * bytes;
    uint16_t h[2];
    std::memcpy(h, blk, 4);
    const uint8_t* qs = blk + 2 + (has_m ? 2 : 0) + (five ? 4 : 0);
    uint32_t qh = 0;
    if (five) std::memcpy(&qh, blk + 2 + (has_m ? 2 : 0), 4);
    int v[32];
    for (int j = 0; j < 32; ++j) {
      if (type == GgmlType::Q8_0) {
        v[j] = static_cast<int8_t>(qs[j]);
        continue;
      }
      int nib = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
      if (type == GgmlType::IQ4_NL) {
        v[j] = kIq4nl[nib];
        continue;
      }
      if (five) nib |= static_cast<int>((qh >> j) & 1) << 4;
      v[j] = nib - (type == GgmlType::Q4_0 ? 8 : type == GgmlType::Q5_0 ? 16 : 0);
    }
    int lanes[8] = {};
    for (int j = 0; j < 32; ++j) lanes[j / 4] += v[j] * x.q[b * 32 + j];
    const float d = Fp16ToFp32(h[0]) * x.d[b];
    for (int i = 0; i < 8; ++i) acc[i] = std::fma(static_cast<float>(lanes[i]), d, acc[i]);
    if (has_m) summs = std::fma(Fp16ToFp32(h[1]), x.ds32[b], summs);
  }
  return HorizontalSum8(acc) + summs;
}

// The scalar and x86 tables' 32-element block decode dots are exactly ggml's.
TEST(KernelDot, Block32DecodeIsGgmlVecDotExactly) {
  std::vector<const KernelTable*> tables = {&ScalarKernels()};
  for (const char* isa : {"avx2", "avxvnni", "avx512"})
    if (const KernelTable* t = KernelsFor(isa)) tables.push_back(t);
  for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                        GgmlType::IQ4_NL}) {
    for (int nblocks : {1, 3, 8, 64}) {
      const int64_t rows = 13, cols = 32 * nblocks;
      const auto w = RandomWeights(type, rows, cols, 900 + nblocks);
      const auto x = RandomFloats(cols, 950 + nblocks);
      const size_t stride = RowBytes(type, cols);
      Acts a = Quantize(ScalarKernels(), x, 1, cols, FormatOf(type)->acts);
      for (const KernelTable* kt : tables) {
        std::vector<float> got(rows);
        kt->dot_q[static_cast<int>(type)](w.data(), stride, rows, cols, a.view.Row(0), got.data());
        for (int64_t r = 0; r < rows; ++r)
          ASSERT_EQ(got[r], GgmlDotBlock32(type, w.data() + r * stride, cols, a.view.Row(0)))
              << kt->name << " " << TypeName(type) << " cols=" << cols << " row " << r;
      }
    }
  }
}

// The scalar and x86 tables' K-quant decode dots are exactly ggml's (the references'
// arithmetic).
TEST(KernelDot, KQuantDecodeIsGgmlVecDotExactly) {
  std::vector<const KernelTable*> tables = {&ScalarKernels()};
  for (const char* isa : {"avx2", "avxvnni", "avx512"})
    if (const KernelTable* t = KernelsFor(isa)) tables.push_back(t);
  for (GgmlType type : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    for (int nblocks : {1, 3, 8}) {
      const int64_t rows = 13, cols = 256 * nblocks;
      const auto w = RandomWeights(type, rows, cols, 500 + nblocks);
      const auto x = RandomFloats(cols, 600 + nblocks);
      const size_t stride = RowBytes(type, cols);
      Acts a = Quantize(ScalarKernels(), x, 1, cols, ActsKind::kQ8_K);
      for (const KernelTable* kt : tables) {
        std::vector<float> got(rows);
        kt->dot_q[static_cast<int>(type)](w.data(), stride, rows, cols, a.view.Row(0), got.data());
        for (int64_t r = 0; r < rows; ++r) {
          const uint8_t* row = w.data() + r * stride;
          const QuantizedRow xr = a.view.Row(0);
          float want;
          if (type == GgmlType::Q6_K) want = GgmlDotQ6K(row, cols, xr);
          else if (type == GgmlType::Q2_K || type == GgmlType::Q3_K) want = GgmlDotQ23K(row, cols, xr, type == GgmlType::Q3_K);
          else want = GgmlDotQ45K(row, cols, xr, type == GgmlType::Q5_K);
          ASSERT_EQ(got[r], want) << kt->name << " " << TypeName(type) << " cols=" << cols << " row " << r;
        }
      }
    }
  }
}

// Prefill of the types with dot_q_tokens: every token bit-identical to the decode dot on
// its own activations, through MatMul (threads, token tiles and their remainders).
TEST(KernelMatMul, TokenTiledPrefillEqualsDecodeDotPerToken) {
  ThreadPool pool(2);
  int checked = 0;
  std::vector<const KernelTable*> tables = SimdTables();
  tables.push_back(&ScalarKernels());
  for (const KernelTable* kt : tables) {
    for (GgmlType type : kQuantTypes) {
      const int slot = static_cast<int>(type);
      if (kt->dot_q_tokens[slot] == nullptr) continue;
      const BlockFormat& f = *FormatOf(type);
      for (int64_t rows : {1, 13, 40}) {
        if (type == GgmlType::Q4_0 && rows % 8 == 0) continue;  // repacked Q4_0: the panel GEMM
        const int64_t cols = f.block * 3;
        const auto w = RandomWeights(type, rows, cols, static_cast<uint32_t>(700 + rows));
        WeightView wv{type, w.data(), rows, cols, RowBytes(type, cols)};
        for (int64_t n : {2, 5, 9, 70, 300}) {  // 300: more than one dot_q_tokens call
          const auto x = RandomFloats(n * cols, static_cast<uint32_t>(800 + n));
          std::vector<float> got(n * rows, -1.0f);
          MatMulWith(*kt, wv, x.data(), n, got.data(), &pool);
          Acts a = Quantize(*kt, x, n, cols, f.acts);
          for (int64_t t = 0; t < n; ++t) {
            std::vector<float> want(rows);
            kt->dot_q[slot](w.data(), wv.row_stride, rows, cols, a.view.Row(t), want.data());
            for (int64_t r = 0; r < rows; ++r)
              ASSERT_EQ(got[t * rows + r], want[r]) << kt->name << " " << TypeName(type) << " rows=" << rows
                                                    << " n=" << n << " t=" << t << " r=" << r;
          }
          ++checked;
        }
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no table with token-tiled prefill on this CPU";
}

TEST(KernelMatMul, ActiveTableIsTheBestTheCpuHas) {
  const KernelTable& active = ActiveKernels();
  if (std::getenv("FLYWHEEL_KERNELS") != nullptr) GTEST_SKIP() << "kernel table forced by FLYWHEEL_KERNELS";
  const auto tables = SimdTables();
  if (tables.empty()) {
    EXPECT_STREQ(active.name, "scalar");
  } else {
    // SimdTables lists the x86 tables from least to most capable; the best present wins.
    const KernelTable* best = KernelsFor("avx512") ? KernelsFor("avx512")
                              : KernelsFor("avxvnni") ? KernelsFor("avxvnni")
                              : KernelsFor("avx2")  ? KernelsFor("avx2")
                                                    : KernelsFor("neon");
    EXPECT_EQ(&active, best);
  }
}

TEST(KernelMatMul, UnsupportedTypeFallsBackToReference) {
  // Q8_1 has no kernel: MatMul must still give the dequantized result.
  if (!CanDequantize(GgmlType::Q8_1)) GTEST_SKIP() << "no Q8_1 dequantizer";
  const int64_t rows = 3, cols = 64;
  std::vector<uint8_t> w(RowBytes(GgmlType::Q8_1, cols) * rows, 0);
  const auto x = RandomFloats(cols, 5);
  WeightView wv{GgmlType::Q8_1, w.data(), rows, cols, RowBytes(GgmlType::Q8_1, cols)};
  std::vector<float> want(rows), got(rows);
  MatMulReference(wv, x.data(), 1, want.data());
  MatMul(wv, x.data(), 1, got.data(), nullptr);
  EXPECT_EQ(want, got);
}

}  // namespace
}  // namespace fw::kernels
