// ggml's float order (ggml_order.h): the scalar forms against independent references, and
// every SIMD table against the scalar forms bit for bit (float matmul in both orders, SiLU).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/activations.h"
#include "kernels/ggml_order.h"
#include "kernels/kernel_table.h"
#include "kernels/kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/matmul_dispatch.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw::kernels {
namespace {

using testing::RandomFloats;

std::vector<const KernelTable*> SimdTablesHere() {
  std::vector<const KernelTable*> t;
  for (const char* isa : {"avx2", "avxvnni", "avx512", "neon"})
    if (const KernelTable* k = KernelsFor(isa)) t.push_back(k);
  return t;
}

// Distance in units in the last place of want (a positive normal float).
double Ulps(float got, double want) {
  int e;
  std::frexp(want, &e);
  return std::fabs(got - want) / std::ldexp(1.0, e - 24);
}

// ggml's expf is within 2 ulp of e^x over the normal range (its authors state 1.45 + 0.5),
// saturates to 0 and infinity, and passes NaN.
TEST(GgmlOrder, ExpIsAccurateAndSaturates) {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.00937f) worst = std::max(worst, Ulps(ExpLikeGgml(x), std::exp(static_cast<double>(x))));
  EXPECT_LT(worst, 2.0);
  EXPECT_EQ(ExpLikeGgml(0.0f), 1.0f);
  EXPECT_EQ(ExpLikeGgml(-INFINITY), 0.0f);
  EXPECT_EQ(ExpLikeGgml(-200.0f), 0.0f);
  EXPECT_EQ(ExpLikeGgml(200.0f), INFINITY);
  EXPECT_TRUE(std::isnan(ExpLikeGgml(std::numeric_limits<float>::quiet_NaN())));
  // Below e^-87.3 the result is subnormal (two-step scaling), still close to e^x.
  const float sub = ExpLikeGgml(-95.0f);
  EXPECT_GT(sub, 0.0f);
  EXPECT_NEAR(sub / std::exp(-95.0), 1.0, 1e-3);
}

TEST(GgmlOrder, ReductionTrees) {
  // Values whose sums depend on the order: the tree is checked, not just the total.
  const float v[8] = {1.0f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f, 0x1p-24f};
  // tinyBLAS: (v0 + v4) + (v2 + v6) + ...: 1 + 2^-24 rounds to 1, the pairs of small ones survive.
  EXPECT_EQ(ReduceLanes8(v), ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])));
  float a[4][8] = {};
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 8; ++i) a[j][i] = v[(i + j) % 8];
  float c[8];
  for (int i = 0; i < 8; ++i) c[i] = (a[0][i] + a[2][i]) + (a[1][i] + a[3][i]);
  const float t0 = c[0] + c[4], t1 = c[1] + c[5], t2 = c[2] + c[6], t3 = c[3] + c[7];
  EXPECT_EQ(ReduceVecDot8(a), (t0 + t1) + (t2 + t3));
  // movehl / movehdup on 4 lanes: (v0 + v2) + (v1 + v3); 1 + 2^-24 alone would round to 1.
  const float w[4] = {1.0f, 0x1p-24f, 0x1p-24f, 0.0f};
  EXPECT_EQ(ReduceLanes4(w), 1.0f);
  const float w2[4] = {1.0f, 0x1p-24f, 0.0f, 0x1p-24f};
  EXPECT_EQ(ReduceLanes4(w2), 1.0f + 0x1p-23f);
}

// vpmaddubsw + vpmaddwd: int32 lane i of a 32-element chunk holds elements 4i..4i+3.
TEST(GgmlOrder, QuantizedDotLanes) {
  EXPECT_EQ(DotLaneOf(0), 0);
  EXPECT_EQ(DotLaneOf(3), 0);
  EXPECT_EQ(DotLaneOf(4), 1);
  EXPECT_EQ(DotLaneOf(31), 7);
  EXPECT_EQ(DotLaneOf(32), 0);
  EXPECT_EQ(DotLaneOf(32 * 7 + 13), 3);
  // Each lane rounds its own fma: lane 0's 2^24 + 1 rounds to 2^24 (ties to even), lane 2 keeps 1.
  float acc[8] = {0x1p24f, 0x1p24f, 0.0f, 0, 0, 0, 0, 0};
  const int32_t lanes[8] = {1, 0, 1, 0, 0, 0, 0, 0};
  FmaLanes8(acc, lanes, 1.0f);
  EXPECT_EQ(acc[0], 0x1p24f);
  EXPECT_EQ(acc[2], 1.0f);
}

// The float dots of every SIMD table equal the scalar table's bit for bit, in vec_dot order
// (one token) and tinyBLAS order (2+ tokens, cols % 8 == 0), through MatMulWith's dispatch.
TEST(GgmlOrder, FloatMatMulSimdEqualsScalarBitForBit) {
  const std::vector<const KernelTable*> tables = SimdTablesHere();
  if (tables.empty()) GTEST_SKIP() << "no SIMD kernel table on this CPU";
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    for (int64_t cols : {1, 8, 17, 31, 32, 33, 64, 67, 172, 256}) {
      const int64_t rows = 13;
      const auto src = RandomFloats(rows * cols, static_cast<uint32_t>(cols) + 5);
      std::vector<uint8_t> w(RowBytes(type, cols) * rows);
      for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, src.data() + r * cols, w.data() + r * RowBytes(type, cols), cols);
      WeightView wv{type, w.data(), rows, cols, RowBytes(type, cols)};
      for (int64_t n : {1, 2, 5}) {
        const auto x = RandomFloats(n * cols, static_cast<uint32_t>(n) + 99);
        std::vector<float> want(n * rows), got(n * rows);
        MatMulWith(ScalarKernels(), wv, x.data(), n, want.data(), nullptr);
        for (const KernelTable* kt : tables) {
          MatMulWith(*kt, wv, x.data(), n, got.data(), nullptr);
          for (int64_t i = 0; i < n * rows; ++i)
            ASSERT_EQ(got[i], want[i]) << kt->name << " " << TypeName(type) << " cols=" << cols << " n=" << n << " i=" << i;
        }
      }
    }
  }
}

// The two orders are different sums of the same products (the test above would not notice
// a table that used one order everywhere): on values where the order shows, a 2-token
// batch must give the tinyBLAS sum and a single token the vec_dot sum.
TEST(GgmlOrder, BatchSizeSelectsTheOrder) {
  const int64_t cols = 32;
  // Lane 0 only. tinyBLAS: ((1 + 2^-24) - 1) + 0 = 0 (1 + 2^-24 rounds to 1); vec_dot:
  // (1 - 1) + (2^-24 + 0) = 2^-24.
  std::vector<float> row(cols, 0.0f);
  row[0] = 1.0f;
  row[8] = 0x1p-24f;
  row[16] = -1.0f;
  std::vector<uint8_t> w(RowBytes(GgmlType::F32, cols));
  QuantizeRow(GgmlType::F32, row.data(), w.data(), cols);
  WeightView wv{GgmlType::F32, w.data(), 1, cols, RowBytes(GgmlType::F32, cols)};
  const std::vector<float> x(2 * cols, 1.0f);
  float lanes8[8] = {}, lanes4x8[4][8] = {};
  for (int64_t k = 0; k < cols; ++k) {
    lanes8[k % 8] = std::fma(row[k], 1.0f, lanes8[k % 8]);
    lanes4x8[k / 8][k % 8] = std::fma(row[k], 1.0f, lanes4x8[k / 8][k % 8]);
  }
  const float tiled = ReduceLanes8(lanes8), vec_dot = ReduceVecDot8(lanes4x8);
  ASSERT_EQ(tiled, 0.0f);
  ASSERT_EQ(vec_dot, 0x1p-24f);
  std::vector<const KernelTable*> tables = SimdTablesHere();
  tables.push_back(&ScalarKernels());
  for (const KernelTable* kt : tables) {
    float y1 = 0, y2[2] = {};
    MatMulWith(*kt, wv, x.data(), 1, &y1, nullptr);
    MatMulWith(*kt, wv, x.data(), 2, y2, nullptr);
    EXPECT_EQ(y1, vec_dot) << kt->name;
    EXPECT_EQ(y2[0], tiled) << kt->name;
    EXPECT_EQ(y2[1], tiled) << kt->name;
  }
}

TEST(GgmlOrder, SiluMulSimdEqualsReferenceAndFormula) {
  std::vector<const KernelTable*> tables = SimdTablesHere();
  for (int64_t n : {1, 7, 8, 9, 172, 513}) {
    const auto g = RandomFloats(n, static_cast<uint32_t>(n), -12.0f, 12.0f);
    const auto u = RandomFloats(n, static_cast<uint32_t>(n) + 1);
    std::vector<float> want = g;
    SiluMulReference(want.data(), u.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double s = g[i] / (1.0 + std::exp(-static_cast<double>(g[i])));
      ASSERT_NEAR(want[i], s * u[i], 1e-6 * (std::fabs(s * u[i]) + 1e-30) + 1e-37) << i;
    }
    for (const KernelTable* kt : tables) {
      std::vector<float> got = g;
      kt->silu_mul(got.data(), u.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << kt->name << " n=" << n << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace fw::kernels
